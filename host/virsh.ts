/**
 * The one place the host scripts talk to libvirt: `virsh -c <libvirt:uri>` with a bounded run per
 * call, the C locale (virsh translates its state names and errors) and no shell.
 *
 * `npm run stop` and `npm run start` drive the lab's VMs through {@link Virsh}; a test tier with a
 * real libvirt daemon can run the same class against it, and unit tests inject {@link RunVirsh}.
 */
import { execFile } from "node:child_process";

/**
 * A domain's state as `virsh domstate` prints it (virsh-domain-monitor.c, C locale): `running`,
 * `idle`, `paused`, `in shutdown`, `shut off`, `crashed`, `pmsuspended` or `no state`.
 */
export type DomainState = string;

/** The state of a domain that has powered off. */
export const SHUT_OFF: DomainState = "shut off";
/** The state of a domain whose guest runs. */
export const RUNNING: DomainState = "running";

/** What one virsh run left behind; `error` is set when it could not start or ran out of time. */
export interface VirshRun {
  /** Exit code, or null when killed or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** `ENOENT` when virsh is missing, `timeout` when it ran longer than allowed. */
  error?: string;
}

/** Runs `virsh` (the program `file`) with `args`, at most `timeoutMs` milliseconds. */
export type RunVirsh = (file: string, args: string[], timeoutMs: number) => Promise<VirshRun>;

/** {@link RunVirsh} with `child_process.execFile`, LC_ALL=C so states and errors read the same everywhere. */
export const runVirsh: RunVirsh = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (e.code === "ENOENT") return resolve({ code: null, stdout, stderr, error: "ENOENT" });
      if (e.killed) return resolve({ code: null, stdout, stderr, error: "timeout" });
      resolve({ code: typeof e.code === "number" ? e.code : null, stdout, stderr });
    });
  });

/** A virsh command that failed: the message names the command, the URI and what virsh said. */
export class VirshError extends Error {}

export interface VirshOptions {
  /** libvirt connection URI, e.g. `qemu:///system` or `qemu+ssh://root@kvm1/system`. */
  uri: string;
  /** Milliseconds one virsh call may take; default 30000 (a remote URI opens an SSH session). */
  timeoutMs?: number;
  /** The virsh program; default `virsh` on PATH. */
  virsh?: string;
  /** Runs virsh; default {@link runVirsh}. */
  run?: RunVirsh;
}

/** virsh's own complaint without its `error: ` prefixes, on one line. */
function complaint(run: VirshRun): string {
  const text = run.stderr.trim() || run.stdout.trim();
  return (
    text
      .split("\n")
      .map((l) => l.replace(/^error:\s*/, "").trim())
      .filter((l) => l !== "")
      .join(": ") || `exit ${run.code ?? "killed"}`
  );
}

/** Domain state, shutdown and start over one libvirt connection. */
export class Virsh {
  readonly uri: string;
  private readonly timeoutMs: number;
  private readonly virsh: string;
  private readonly run: RunVirsh;

  constructor(options: VirshOptions) {
    this.uri = options.uri;
    this.timeoutMs = options.timeoutMs ?? 30000;
    this.virsh = options.virsh ?? "virsh";
    this.run = options.run ?? runVirsh;
  }

  /** The command line a person would type, e.g. `virsh -c qemu:///system start okd-infra`. */
  commandLine(...args: string[]): string {
    return [this.virsh, "-c", this.uri, ...args].join(" ");
  }

  private async call(args: string[]): Promise<string> {
    const result = await this.run(this.virsh, ["-c", this.uri, ...args], this.timeoutMs);
    if (result.error === "ENOENT") throw new VirshError(`${this.virsh} is not installed on this host (EL9: dnf install libvirt-client)`);
    if (result.error === "timeout") throw new VirshError(`'${this.commandLine(...args)}' did not finish within ${this.timeoutMs / 1000} s`);
    if (result.code !== 0) throw new VirshError(`'${this.commandLine(...args)}' failed: ${complaint(result)}`);
    return result.stdout;
  }

  /** `virsh domstate NAME`: the domain's state, e.g. `running` or `shut off`. */
  async domainState(name: string): Promise<DomainState> {
    const out = await this.call(["domstate", name]);
    return out.trim().split("\n")[0]?.trim() ?? "";
  }

  /**
   * `virsh shutdown NAME --mode acpi`: presses the guest's power button and returns at once; the
   * guest may take its time or ignore it (virsh(1) shutdown: "no guarantee that it will succeed"),
   * so callers wait for {@link SHUT_OFF}. ACPI explicitly: the provider gives every domain a
   * guest-agent channel, but Fedora CoreOS runs no agent, and systemd-logind powers off on the button.
   */
  async shutdown(name: string): Promise<void> {
    await this.call(["shutdown", name, "--mode", "acpi"]);
  }

  /** `virsh start NAME`: boots an inactive domain (an active one is an error: "Domain is already active"). */
  async start(name: string): Promise<void> {
    await this.call(["start", name]);
  }
}
