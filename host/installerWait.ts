/**
 * `openshift-install wait-for <target>`, bounded and retried: the installer's own timeouts (20
 * minutes for the API, then 30 to 45 for bootstrapping by release, 40 for the install:
 * openshift/installer cmd/openshift-install/create.go) are often too short on a slow host, and a
 * new `wait-for` simply picks up where the cluster is. Each attempt's output is streamed as it
 * comes. It exits 5 when bootstrapping failed and 6 when the install did (create.go exit codes).
 */
import { ProgramResult, RunProgramOptions } from "./runProgram";

export type InstallerTarget = "bootstrap-complete" | "install-complete";

/**
 * The installer's lines with the kubeadmin password taken out. `wait-for install-complete` ends
 * with `Login to the console with user: "kubeadmin", and password: "<password>"` (openshift/installer
 * cmd/openshift-install/create.go logComplete; only 4.16+ has --skip-password-print), and older
 * releases printed `oc login -u kubeadmin -p <password>`: both forms, and the password itself
 * wherever it appears, become `[secret]`.
 */
export function redactInstallerLine(line: string, secrets: readonly string[] = []): string {
  let out = line.replace(/(password: \\?")[^"\\]*(\\?")/g, "$1[secret]$2").replace(/(-u kubeadmin -p )\S+/g, "$1[secret]");
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[secret]");
  return out;
}

/** Runs a program; {@link runProgram} in production, a fake in tests. */
export type ProgramRunner = (cmd: string, args: readonly string[], options: RunProgramOptions) => Promise<ProgramResult>;

export interface InstallerWaitOptions {
  installer: string;
  /** The asset folder, e.g. `.okd/dev`. */
  assetsDir: string;
  target: InstallerTarget;
  /** The whole wait may take this long, all attempts together. */
  budgetMs: number;
  /** At most this many `wait-for` runs. */
  maxAttempts: number;
  /** Pause between attempts (an attempt that fails at once is usually DNS or the API not up yet). */
  retryDelayMs: number;
  run: ProgramRunner;
  onLine: (line: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  env?: NodeJS.ProcessEnv;
  /** Values never shown (the kubeadmin password); see {@link redactInstallerLine}. */
  secrets?: () => string[];
  /** True once the user asked to stop: no further attempt starts. */
  stop?: () => boolean;
}

/** How a bounded wait ended. */
export interface InstallerWaitResult {
  ok: boolean;
  attempts: number;
  /** The installer's last line, e.g. `level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"`. */
  lastLine?: string;
}

/** Runs `wait-for` until it succeeds, the attempts run out or the budget is spent. */
export async function waitForInstaller(options: InstallerWaitOptions): Promise<InstallerWaitResult> {
  const deadline = options.now() + options.budgetMs;
  let lastLine: string | undefined;
  let attempts = 0;
  while (attempts < options.maxAttempts) {
    const left = deadline - options.now();
    if (left <= 0) break;
    if (options.stop?.()) {
      lastLine = `${lastLine ? `${lastLine}; ` : ""}interrupted (Ctrl+C)`;
      break;
    }
    attempts++;
    if (attempts > 1)
      options.onLine(`okd-lab: wait-for ${options.target}, attempt ${attempts} of at most ${options.maxAttempts}, ${Math.ceil(left / 60000)} min left`);
    const secrets = options.secrets?.() ?? [];
    const result = await options.run(options.installer, ["wait-for", options.target, "--dir", options.assetsDir, "--log-level", "info"], {
      env: options.env,
      timeoutMs: left,
      onLine: (line) => options.onLine(redactInstallerLine(line, secrets)),
    });
    lastLine = result.lastLine === undefined ? lastLine : redactInstallerLine(result.lastLine, secrets);
    if (result.code === 0) return { ok: true, attempts, lastLine };
    if (result.code === 127) break; // the installer is not there: retrying cannot help
    if (result.code === 124) {
      lastLine = `${lastLine ? `${lastLine}; ` : ""}stopped after the ${Math.round(options.budgetMs / 60000)} min budget`;
      break;
    }
    const pause = Math.min(options.retryDelayMs, Math.max(0, deadline - options.now()));
    if (pause > 0 && attempts < options.maxAttempts) await options.sleep(pause);
  }
  return { ok: false, attempts, lastLine };
}
