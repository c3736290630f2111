/**
 * Helpers for integration tests that run the real programs consuming our artifacts.
 *
 * A missing program is a failure, never a skip: CI installs every one of them (.ci/run), so a
 * test that quietly skipped would hide a broken machine.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The Debian package that ships each program the integration tests use. */
const DEBIAN_PACKAGE: Record<string, string> = {
  haproxy: "haproxy",
  chronyd: "chrony",
  named: "bind9",
  "named-checkzone": "bind9-utils",
  "named-checkconf": "bind9-utils",
  dig: "bind9-dnsutils",
  "cloud-init": "cloud-init",
  "ignition-validate": "ignition",
  ip: "iproute2",
};

/** Daemons live in sbin, which a non-root PATH often lacks. */
const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/**
 * Absolute path of program `name`, searched on PATH and then in the sbin directories.
 *
 * @param name program name, e.g. `haproxy`.
 * @param debianPackage package named in the error; default: the known package for `name`, else `name`.
 * @throws Error `haproxy not found: install Debian package haproxy (.ci/run does)` when absent.
 * @example const haproxy = requireTool("haproxy");
 */
export function requireTool(name: string, debianPackage?: string): string {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== ""), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  const pkg = debianPackage ?? DEBIAN_PACKAGE[name] ?? name;
  throw new Error(`${name} not found: install Debian package ${pkg} (.ci/run does)`);
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Variables layered over `process.env`; `undefined` removes a variable. Default: none. */
  env?: Record<string, string | undefined>;
  /** Text written to the program's stdin. Default: none. */
  input?: string;
  /** Working directory. Default: the current one. */
  cwd?: string;
  /** Kill the program after this many milliseconds and throw. Default: 30000. */
  timeoutMs?: number;
}

/** What a finished program returned. */
export interface RunResult {
  /** Exit code. */
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` with `args` to completion and returns its exit code and output.
 *
 * A program that cannot be started, times out or dies from a signal throws, with its output in
 * the message; a non-zero exit is returned for the test to judge.
 *
 * @example const { status, stderr } = run(requireTool("haproxy"), ["-c", "-f", file], { env: { X: "1" } });
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const result = spawnSync(cmd, [...args], {
    env,
    input: opts.input,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 30000,
    encoding: "utf8",
    // The installer script prints a 1.5 MB bootstrap config; the command provider keeps stdout in
    // an unbounded buffer (pulumi-command local/commandOutputs.go), spawnSync stops at 1 MiB.
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = result.stdout ?? "";
  const stderr = result.stderr ?? "";
  const commandLine = [cmd, ...args].join(" ");
  if (result.error) {
    throw new Error(`${commandLine}: ${result.error.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  if (result.status === null) {
    throw new Error(`${commandLine}: killed by ${result.signal ?? "a signal"}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  return { status: result.status, stdout, stderr };
}
