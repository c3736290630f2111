/**
 * The real {@link HostProbe}: child processes, the file system and curl. Kept thin so that every
 * decision stays in the pure checks of `host/preflight.ts`.
 */
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandResult, HostProbe, PathInfo, UrlAnswer } from "./preflight";

/** Seconds a probed program may run (`openshift-install version`, `virsh` over SSH). */
export const PROBE_TIMEOUT_SECONDS = 30;

/** Seconds curl may take for one HEAD request, redirects included. */
export const HEAD_TIMEOUT_SECONDS = 15;

function run(cmd: string, args: string[], input?: string): CommandResult | undefined {
  // Input goes in through a regular file, not a pipe: Node's pipes are sockets, which a program
  // cannot reopen as /dev/stdin (`virsh cpu-baseline /dev/stdin` fails with ENXIO on one).
  const inputDir = input === undefined ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-probe-"));
  let stdin: number | "ignore" = "ignore";
  if (inputDir !== undefined) {
    const file = path.join(inputDir, "stdin");
    fs.writeFileSync(file, input!, { mode: 0o600 });
    stdin = fs.openSync(file, "r");
  }
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(cmd, args, {
      encoding: "utf8",
      timeout: PROBE_TIMEOUT_SECONDS * 1000,
      // This process's environment as the program sees it (also under a test runner's sandbox).
      env: process.env,
      stdio: [stdin, "pipe", "pipe"],
      // Stream metadata is a few hundred kB.
      maxBuffer: 16 * 1024 * 1024,
    });
  } finally {
    if (typeof stdin === "number") fs.closeSync(stdin);
    if (inputDir !== undefined) fs.rmSync(inputDir, { recursive: true, force: true });
  }
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === "ENOENT") return undefined;
  if (error) return { status: -1, stdout: result.stdout ?? "", stderr: `${error.message}` };
  if (result.status === null) return { status: -1, stdout: result.stdout, stderr: `${cmd} was killed by ${result.signal}` };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function readFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function stat(file: string): PathInfo | undefined {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch {
    return undefined;
  }
  let readable = true;
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    readable = false;
  }
  return { kind: stats.isFile() ? "file" : stats.isDirectory() ? "directory" : "other", readable };
}

function freeDiskBytes(dir: string): number | undefined {
  // The pool directory may not exist yet: libvirt creates it on the filesystem of its parent.
  let current = path.resolve(dir);
  for (;;) {
    try {
      const stats = fs.statfsSync(current);
      return stats.bavail * stats.bsize;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }
}

function headUrl(url: string): UrlAnswer {
  const result = run("curl", ["-sSfIL", "--max-time", String(HEAD_TIMEOUT_SECONDS), "-o", "/dev/null", "-w", "%{http_code}", "--", url]);
  if (result === undefined) return { ok: false, error: "curl is not installed" };
  const code = Number(result.stdout.trim());
  const status = code > 0 ? code : undefined;
  if (result.status === 0) return { ok: true, status };
  return { ok: false, status, error: result.stderr.trim().split("\n").pop() || `curl exited with ${result.status}` };
}

/** The probe of the machine this process runs on; relative paths resolve against the working directory. */
export function realHostProbe(): HostProbe {
  return { run, which, readFile, stat, freeDiskBytes, headUrl };
}
