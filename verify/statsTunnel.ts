/**
 * The `ssh -L` tunnel npm run verify opens to HAProxy's stats page, which listens on the infra
 * node's loopback only: the statsTunnel output's command (render/labOutputs.ts statsTunnelArgs)
 * with the stack's private key and the infra node's pinned known_hosts line in a private temporary
 * folder, a free port on this host's loopback, and BatchMode (a prompt would hang a script).
 * The folder is removed as soon as the tunnel is up (ssh has read both files by then) and again
 * on close.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { LabPlan } from "../plan/labPlan";
import { statsTunnelArgs } from "../render/labOutputs";

export interface StatsTunnelRequest {
  plan: LabPlan;
  /** The stack's `sshPrivateKey` output (OpenSSH PEM). */
  sshPrivateKey: string;
  /** The stack's `knownHosts` output: the infra node's line. */
  knownHosts: string;
  /** The ssh client; default `ssh` on PATH. */
  ssh?: string;
  env?: NodeJS.ProcessEnv;
  /** How long ssh may take to connect and forward; default 20 s. */
  timeoutMs?: number;
}

/** An open tunnel: the stats page at `url` until `close()`. */
export interface StatsTunnel {
  /** e.g. `http://127.0.0.1:40123/` */
  url: string;
  close(): Promise<void>;
}

/** The tunnel could not be opened; the message says what ssh said or what was awaited. */
export class StatsTunnelError extends Error {}

/** A port on 127.0.0.1 nobody listens on now (ssh's ExitOnForwardFailure catches a race). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Opens the tunnel and waits until its local end accepts connections; throws {@link StatsTunnelError}. */
export async function openStatsTunnel(request: StatsTunnelRequest): Promise<StatsTunnel> {
  const timeoutMs = request.timeoutMs ?? 20_000;
  // mkdtemp creates the folder 0700; both files are written 0600 (ssh refuses a readable key).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-verify-"));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const files = { keyFile: path.join(dir, "key"), knownHostsFile: path.join(dir, "known_hosts") };
  const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  fs.writeFileSync(files.keyFile, withNewline(request.sshPrivateKey), { mode: 0o600 });
  fs.writeFileSync(files.knownHostsFile, withNewline(request.knownHosts), { mode: 0o600 });

  const port = await freeLoopbackPort();
  const args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", ...statsTunnelArgs(request.plan, files, port)];
  const child = spawn(request.ssh ?? "ssh", args, { env: request.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let spawnError: Error | undefined;
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.on("error", (err) => (spawnError = err));
  const close = async () => {
    await stopped(child);
    removeDir();
  };

  // ssh ends its messages with CR LF (it may hold a terminal) and pads some with spaces.
  const said = () =>
    stderr
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .join(" / ") || "nothing";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      removeDir();
      const missing = (spawnError as NodeJS.ErrnoException).code === "ENOENT";
      throw new StatsTunnelError(missing ? "ssh is not installed (sudo dnf install openssh-clients)" : `ssh could not start: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      removeDir();
      throw new StatsTunnelError(`ssh exited (${child.exitCode ?? child.signalCode}) before the tunnel was up; it said: ${said()}`);
    }
    // Another program could take the port between freeLoopbackPort and ssh's bind: ssh then exits.
    if ((await accepts(port)) && child.exitCode === null && child.signalCode === null) break;
    if (Date.now() > deadline) {
      await close();
      throw new StatsTunnelError(`ssh did not open the tunnel within ${Math.round(timeoutMs / 1000)} s; it said: ${said()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  removeDir();
  return { url: `http://127.0.0.1:${port}/`, close };
}
