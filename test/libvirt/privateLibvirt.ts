/**
 * A private libvirt for the real-libvirt tier: libvirtd and virtlogd started by the suite inside a
 * network namespace it creates (loopback only, no route out) and a private mount namespace in which
 * /run, /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt are the suite's own
 * temp folders. Its sockets, configuration, state, dnsmasq and QEMU processes never meet a libvirt
 * of this machine: `virsh -c qemu:///system` run inside the namespaces (see {@link run}) reaches
 * this daemon and no other, and the machine's own `virsh` cannot see it.
 *
 * Every object the tests create carries the mark `okdlab-` (FCOS domains are `okd-<node>` by the
 * plan, so their nodes are named `okdlab-*`): {@link removeOwnObjects} only touches marked objects.
 * Teardown: `stop()` removes them, then kills what runs in the namespace and deletes it with the
 * temp folder; if the test process dies first, the namespace guardian of `test/e2e/netns.ts` does
 * the same (libvirt's whole state lives in that folder, so nothing outlives it).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createNamespace, deleteNamespace, ip } from "../e2e/netns";

/** Mark of every libvirt object the tests create; cleanup touches nothing else. */
export const OBJECT_MARK = /^(okd-)?okdlab-/;

/** The URI the lab's provider and scripts use; inside the namespaces it reaches the private daemon. */
export const SYSTEM_URI = "qemu:///system";

/** The provider's socket (terraform-provider-libvirt v0.8.1 `libvirt/uri/unix.go`). */
export const PROVIDER_SOCKET = "/var/run/libvirt/libvirt-sock";

/** Where libvirt's modular QEMU daemon listens; virsh prefers it when it exists (EL9 hosts). */
export const MODULAR_SOCKET = "/var/run/libvirt/virtqemud-sock";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Private folders, by the path the daemon sees: mounted from `<tmp>/<folder>`. */
const PRIVATE_DIRS: Record<string, string> = {
  "/etc/libvirt": "etc",
  "/var/lib/libvirt": "lib",
  "/var/cache/libvirt": "cache",
  "/var/log/libvirt": "log",
};

/**
 * Runs as PID 1 of the daemon's world under `ip netns exec` (which already gives a private mount
 * namespace with slave propagation: nothing mounted here shows outside). `set -e`: a failed mount
 * stops it before any daemon starts.
 */
const START_SCRIPT = `set -eu
T=$1
mount -t tmpfs okdlab-run /run
for pair in ${Object.entries(PRIVATE_DIRS)
  .map(([dir, sub]) => `${dir}:${sub}`)
  .join(" ")}; do mount --bind "$T/\${pair#*:}" "\${pair%%:*}"; done
exec >"$T/daemons.log" 2>&1
virtlogd &
exec libvirtd
`;

/** The QEMU driver's settings: no host confinement or cgroups to manage (nothing outside the folder). */
const QEMU_CONF = `# okd-lab real-libvirt tier: a private daemon, nothing to confine on this machine
security_driver = "none"
cgroup_controllers = [ ]
`;

export class PrivateLibvirt {
  /** The daemon's pid (libvirtd, after the start script's exec). */
  private pid = 0;
  private exited = false;
  private stopped = false;
  private xmlFiles = 0;
  private virt?: "kvm" | "qemu";

  private constructor(
    readonly ns: string,
    /** The temp folder holding every private folder, the guest files and the logs. */
    readonly dir: string,
  ) {}

  /** Starts libvirtd and virtlogd and waits until `virsh version` answers (30 s at most). */
  static async start(): Promise<PrivateLibvirt> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-libvirt-"));
    // QEMU runs as libvirt-qemu and must reach the kernel and initrd in here.
    fs.chmodSync(dir, 0o755);
    for (const sub of Object.values(PRIVATE_DIRS)) fs.mkdirSync(path.join(dir, sub));
    fs.mkdirSync(path.join(dir, "lib", "images"));
    fs.mkdirSync(path.join(dir, "log", "qemu"));
    // Debian's defaults for the daemons and clients; no networks (Debian defines `default`), no domains.
    for (const file of ["libvirtd.conf", "virtlogd.conf", "libvirt.conf"]) {
      if (fs.existsSync(`/etc/libvirt/${file}`)) fs.copyFileSync(`/etc/libvirt/${file}`, path.join(dir, "etc", file));
    }
    fs.writeFileSync(path.join(dir, "etc", "qemu.conf"), QEMU_CONF);
    const ns = createNamespace("libvirt", [dir]);
    const host = new PrivateLibvirt(ns, dir);
    try {
      const child = spawn("ip", ["netns", "exec", ns, "bash", "-c", START_SCRIPT, "okdlab-libvirt", dir], { stdio: "ignore" });
      child.on("exit", () => (host.exited = true));
      // The daemon never keeps the test process alive; stop() and the guardian end it.
      child.unref();
      host.pid = child.pid!;
      const deadline = Date.now() + 30000;
      for (;;) {
        if (host.exited) throw new Error(`libvirtd stopped at start:\n${host.daemonLog()}`);
        if (host.virsh(["version"]).status === 0) break;
        if (Date.now() > deadline) throw new Error(`libvirtd did not answer within 30 s:\n${host.daemonLog()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (err) {
      host.stopSync();
      throw err;
    }
    return host;
  }

  /** libvirtd's pid on this machine. */
  get daemonPid(): number {
    return this.pid;
  }

  /** The daemons' own output so far. */
  daemonLog(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "daemons.log"), "utf8");
    } catch {
      return "(no log)";
    }
  }

  /** This machine's path of a file the daemon sees at `daemonPath` (under a private folder). */
  hostPath(daemonPath: string): string {
    for (const [dir, sub] of Object.entries(PRIVATE_DIRS)) {
      if (daemonPath === dir || daemonPath.startsWith(`${dir}/`)) return path.join(this.dir, sub, daemonPath.slice(dir.length));
    }
    throw new Error(`${daemonPath} is not in a private folder of the test libvirt`);
  }

  /**
   * Runs a program inside the daemon's network and mount namespaces, in `cwd` (default: this
   * process's working directory), as this machine's root.
   */
  run(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): RunResult {
    if (this.pid === 0 || this.stopped) throw new Error("the test libvirt is not running");
    const result = spawnSync("nsenter", ["-t", String(this.pid), "-m", "-n", `--wd=${options.cwd ?? process.cwd()}`, "--", ...argv], {
      encoding: "utf8",
      env: options.env ?? process.env,
      input: options.input,
      timeout: options.timeoutMs ?? 60000,
      stdio: ["pipe", "pipe", "pipe"],
    });
    if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** `virsh -c qemu:///system ARGS` against the private daemon. */
  virsh(args: string[], input?: string): RunResult {
    return this.run(["virsh", "-c", SYSTEM_URI, ...args], { input });
  }

  /** Like {@link virsh}, but throws with virsh's error unless it exits 0; returns stdout. */
  virshOk(args: string[], input?: string): string {
    const result = this.virsh(args, input);
    if (result.status !== 0) throw new Error(`virsh ${args.join(" ")} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Defines or creates an object from XML (`virsh net-define FILE` ...), kept in the temp folder for a failure's report. */
  define(command: "net-define" | "pool-define" | "define" | "vol-create", xml: string, ...args: string[]): void {
    const file = path.join(this.dir, `xml-${++this.xmlFiles}.xml`);
    fs.writeFileSync(file, xml);
    this.virshOk([command, ...args, file]);
  }

  /** Names listed by a `virsh ... --name` listing. */
  names(args: string[]): string[] {
    return this.virshOk(args)
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
  }

  /** `kvm` when libvirt offers KVM guests for x86_64 here (a usable /dev/kvm), else `qemu` (TCG). */
  virtType(): "kvm" | "qemu" {
    this.virt ??= /<domain type=['"]kvm['"]/.test(this.virshOk(["capabilities"])) ? "kvm" : "qemu";
    return this.virt;
  }

  /** Every marked domain, network and pool (with its volumes) that exists now, e.g. `domain okd-okdlab-bootstrap`. */
  ownObjects(): string[] {
    const marked = (names: string[]) => names.filter((n) => OBJECT_MARK.test(n));
    return [
      ...marked(this.names(["list", "--all", "--name"])).map((n) => `domain ${n}`),
      ...marked(this.names(["net-list", "--all", "--name"])).map((n) => `network ${n}`),
      ...marked(this.names(["pool-list", "--all", "--name"])).map((n) => `pool ${n}`),
    ];
  }

  /**
   * Removes every marked domain, network and pool (and the pools' volumes), whatever state a
   * failed test left them in. Objects without the mark are never touched.
   * @returns what could not be removed, e.g. `["network okdlab-net: <virsh error>"]`.
   */
  removeOwnObjects(): string[] {
    const failures: string[] = [];
    const attempt = (what: string, args: string[], okWhen?: RegExp) => {
      const result = this.virsh(args);
      if (result.status !== 0 && !(okWhen && okWhen.test(result.stderr))) failures.push(`${what}: ${result.stderr.trim()}`);
    };
    const marked = (names: string[]) => names.filter((n) => OBJECT_MARK.test(n));
    for (const domain of marked(this.names(["list", "--all", "--name"]))) {
      attempt(`domain ${domain}`, ["destroy", domain], /not running/);
      attempt(`domain ${domain}`, ["undefine", domain], /not found|transient/i);
    }
    for (const network of marked(this.names(["net-list", "--all", "--name"]))) {
      attempt(`network ${network}`, ["net-destroy", network], /not active/);
      attempt(`network ${network}`, ["net-undefine", network], /not found/i);
    }
    for (const pool of marked(this.names(["pool-list", "--all", "--name"]))) {
      const active = this.names(["pool-list", "--name"]).includes(pool);
      if (active) {
        for (const volume of this.names(["vol-list", pool]).slice(2)) {
          const name = volume.split(/\s+/)[0];
          attempt(`volume ${name}`, ["vol-delete", name, "--pool", pool]);
        }
        attempt(`pool ${pool}`, ["pool-destroy", pool]);
      }
      attempt(`pool ${pool}`, ["pool-undefine", pool], /not found/i);
    }
    return failures;
  }

  /** True when the namespace has a default route or any route leaving it (it must have none). */
  routesOut(): string[] {
    return ip(["-n", this.ns, "-4", "route", "show", "table", "all"])
      .split("\n")
      .filter((l) => /^default|via /.test(l.trim()));
  }

  /**
   * Removes the marked objects, stops the daemons and everything they started (dnsmasq, QEMU),
   * deletes the namespace and the temp folder.
   * @returns what could not be removed through libvirt (it is gone with the folder anyway).
   */
  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    let failures: string[] = [];
    if (!this.exited) {
      try {
        failures = this.removeOwnObjects();
      } catch (err) {
        failures = [(err as Error).message];
      }
      try {
        process.kill(this.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const deadline = Date.now() + 5000;
      while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    this.stopSync();
    return failures;
  }

  private stopSync(): void {
    this.stopped = true;
    deleteNamespace(this.ns);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
