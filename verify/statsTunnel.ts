/**
 * The `ssh -L` tunnel npm run verify opens to HAProxy's stats page, which listens on the infra
 * node's loopback only: the statsTunnel output's command (render/labOutputs.ts statsTunnelArgs)
 * with the stack's private key and the infra node's pinned known_hosts line in a private temporary
 * folder (0700), whose unix socket is the tunnel's local end: no other local user can reach the
 * page through it or pose as it, as they could a TCP port on loopback. BatchMode (a prompt would
 * hang a script); no connection sharing (a ControlMaster from ~/.ssh/config would outlive verify
 * and could carry the forward over a connection made without the lab's key).
 * The key and known_hosts are removed once the tunnel is up (ssh has read them), the folder on close
 * and on every failure, and ssh is stopped when this process ends on a signal.
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

/** An open tunnel: the stats page at the unix socket `socketPath` until `close()`. */
export interface StatsTunnel {
  socketPath: string;
  /** ssh's last words when it ended before `close()` (the tunnel then carries nothing), else undefined. */
  ended(): string | undefined;
  close(): Promise<void>;
}

/** The tunnel could not be opened; the message says what ssh said or what was awaited. */
export class StatsTunnelError extends Error {}

// ssh(1): `-L local_socket:host:hostport` forwards from a unix socket (OpenSSH 6.7+; EL9 ships 8.7).
const SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ControlMaster=no", "-o", "ControlPath=none"];

function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Stops `child` (TERM, then KILL after 3 s) and resolves once its streams are closed. */
function stop(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
    void closed.then(() => clearTimeout(kill));
  }
  return closed;
}

/** Opens the tunnel and waits until its local end accepts connections; throws {@link StatsTunnelError}. */
export async function openStatsTunnel(request: StatsTunnelRequest): Promise<StatsTunnel> {
  const timeoutMs = request.timeoutMs ?? 20_000;
  // mkdtemp makes the folder 0700; the files are written 0600 (ssh will not use a readable key).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-verify-"));
  const files = { keyFile: path.join(dir, "key"), knownHostsFile: path.join(dir, "known_hosts") };
  const socketPath = path.join(dir, "stats.sock");
  let child: ChildProcess | undefined;
  let closed: Promise<void> = Promise.resolve();
  let hasClosed = false;
  let stderr = "";
  // This process ending on a signal must not leave ssh or the key behind.
  const onSignal = (signal: NodeJS.Signals) => {
    child?.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const onExit = () => {
    child?.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.once(s, onSignal);
  process.once("exit", onExit);
  const release = async () => {
    if (child) await stop(child, closed);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const s of signals) process.removeListener(s, onSignal);
    process.removeListener("exit", onExit);
  };
  // ssh ends its messages with CR LF (it may hold a terminal) and pads some with spaces.
  const said = () =>
    stderr
      .split(/[\r\n]+/)
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .join(" / ") || "nothing";

  try {
    const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
    fs.writeFileSync(files.keyFile, withNewline(request.sshPrivateKey), { mode: 0o600 });
    fs.writeFileSync(files.knownHostsFile, withNewline(request.knownHosts), { mode: 0o600 });
    const args = [...SSH_OPTIONS, ...statsTunnelArgs(request.plan, files, socketPath)];
    const started = spawn(request.ssh ?? "ssh", args, { env: request.env ?? process.env, stdio: ["ignore", "ignore", "pipe"] });
    child = started;
    let spawnError: NodeJS.ErrnoException | undefined;
    // 'close' comes after 'exit' once stderr is read to its end: what ssh said is all there.
    closed = new Promise((resolve) => started.once("close", () => ((hasClosed = true), resolve())));
    started.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    started.on("error", (err) => (spawnError = err));

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) {
        throw new StatsTunnelError(
          spawnError.code === "ENOENT" ? "ssh is not installed (sudo dnf install openssh-clients)" : `ssh could not start: ${spawnError.message}`,
        );
      }
      if (hasClosed) {
        throw new StatsTunnelError(`ssh exited (${started.exitCode ?? started.signalCode}) before the tunnel was up; it said: ${said()}`);
      }
      // Only ssh can make the socket: the folder is this user's alone.
      if (fs.existsSync(socketPath) && (await accepts(socketPath))) break;
      if (Date.now() > deadline) {
        throw new StatsTunnelError(`ssh did not open the tunnel within ${Math.round(timeoutMs / 1000)} s; it said: ${said()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await release();
    throw err;
  }
  fs.rmSync(files.keyFile, { force: true });
  fs.rmSync(files.knownHostsFile, { force: true });
  return { socketPath, ended: () => (hasClosed ? said() : undefined), close: release };
}
