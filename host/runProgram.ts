/**
 * Runs a host program to completion while streaming its output line by line: what `npm run up`
 * uses for pulumi, openshift-install, oc and the host DNS commands.
 */
import { spawn } from "node:child_process";

/** Exit status and output of a finished program. */
export interface ProgramResult {
  /** Exit status; 127 when the program could not be started, 124 when it was stopped by `timeoutMs`. */
  code: number;
  stdout: string;
  stderr: string;
  /** The last non-empty line it printed on either stream, e.g. `level=info msg="Waiting up to 20m0s ..."`. */
  lastLine?: string;
}

export interface RunProgramOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Text written to the program's stdin (closed afterwards). */
  input?: string;
  /** Called with every complete line of stdout and stderr as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Stops the program (SIGTERM, then SIGKILL 10 s later) after this many milliseconds. */
  timeoutMs?: number;
}

/** Runs `cmd args` and resolves when it exits; never rejects. */
export function runProgram(cmd: string, args: readonly string[], options: RunProgramOptions = {}): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const chunks = { stdout: [] as string[], stderr: [] as string[] };
    const partial = { stdout: "", stderr: "" };
    let lastLine: string | undefined;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
            killTimer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          }, options.timeoutMs);
    const emit = (stream: "stdout" | "stderr", line: string) => {
      if (line.trim() !== "") lastLine = line;
      options.onLine?.(line, stream);
    };
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream].setEncoding("utf8");
      child[stream].on("data", (data: string) => {
        chunks[stream].push(data);
        const lines = (partial[stream] + data).split("\n");
        partial[stream] = lines.pop() ?? "";
        for (const line of lines) emit(stream, line.replace(/\r$/, ""));
      });
    }
    let spawnError: Error | undefined;
    child.on("error", (err) => {
      spawnError = err;
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    child.on("close", (status) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      for (const stream of ["stdout", "stderr"] as const) if (partial[stream] !== "") emit(stream, partial[stream]);
      const stderr = chunks.stderr.join("") + (spawnError ? `${cmd}: ${spawnError.message}\n` : "");
      const code = spawnError ? 127 : timedOut ? 124 : (status ?? 1);
      resolve({ code, stdout: chunks.stdout.join(""), stderr, lastLine: spawnError ? `${cmd}: ${spawnError.message}` : lastLine });
    });
  });
}
