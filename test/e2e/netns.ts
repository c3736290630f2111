/**
 * Network namespaces for the e2e suite: an "infra" namespace holding the infra address and a
 * "nodes" namespace holding every node address, joined by one veth pair created directly inside
 * them (it never exists in the root namespace). Neither has a default route or any other
 * interface than loopback and its veth end: no packet can leave them. The lab's addresses are
 * never added to the root namespace.
 *
 * Teardown is guaranteed three ways:
 * - `destroy()` (jest afterAll) stops every process started here and deletes the namespaces;
 * - a guardian process, started detached (its own session, so a terminal's Ctrl-C does not reach
 *   it), watches this process and does the same as soon as it is gone, whatever ended it: SIGINT,
 *   SIGTERM, SIGKILL, a crash. Under jest this is what handles signals: a test file's `process` is
 *   a sandboxed copy whose `on("SIGINT")` never sees the real signal;
 * - SIGINT, SIGTERM and exit hooks on `process` for use outside jest (a script using the harness).
 * Namespaces left by an earlier run (`okdlab-<pid>-*` whose pid is gone) are removed at start.
 */
import { ChildProcess, execFileSync, spawn, SpawnOptions } from "node:child_process";
import * as fs from "node:fs";

/** Prefix of every namespace this suite creates: `okdlab-<pid>-<tag>-infra`. */
export const NAMESPACE_PREFIX = "okdlab-";

/** Runs `ip` synchronously; throws with its stderr on failure. */
export function ip(args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes inside namespace `ns`. */
function pidsIn(ns: string): number[] {
  try {
    return ip(["netns", "pids", ns])
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Kills every process inside `ns` (all of them were started by this suite) and deletes it. */
function removeNamespace(ns: string): void {
  for (let round = 0; round < 20; round++) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    sleepSync(50);
  }
  try {
    ip(["netns", "del", ns]);
  } catch (err) {
    if (fs.existsSync(`/run/netns/${ns}`)) throw err;
  }
}

/** Names of this suite's namespaces whose creating process no longer runs. */
export function staleNamespaces(): string[] {
  let list = "";
  try {
    list = ip(["netns", "list"]);
  } catch {
    return [];
  }
  return list
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((name) => name !== undefined && name.startsWith(NAMESPACE_PREFIX))
    .filter((name) => {
      const pid = Number(/^okdlab-(\d+)-/.exec(name)?.[1]);
      return Number.isInteger(pid) && pid !== process.pid && !alive(pid);
    });
}

/** Removes namespaces (and their processes) left by crashed earlier runs; returns their names. */
export function removeStaleNamespaces(): string[] {
  const stale = staleNamespaces();
  for (const ns of stale) removeNamespace(ns);
  return stale;
}

/** Everything alive that this process created, for the teardown paths. */
const registry = { children: new Set<ChildProcess>(), namespaces: new Set<string>(), hooked: false };

/** Kills every registered process and deletes every registered namespace, synchronously. */
export function teardownAllSync(): void {
  for (const child of registry.children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  registry.children.clear();
  for (const ns of registry.namespaces) {
    try {
      removeNamespace(ns);
    } catch (err) {
      process.stderr.write(`e2e teardown: ${(err as Error).message}\n`);
    }
  }
  registry.namespaces.clear();
}

/**
 * The guardian: waits while `owner` lives and one of the namespaces exists; when the owner is
 * gone, kills what runs inside the namespaces, deletes them and removes the temp folders.
 * Arguments: OWNER_PID NAMESPACE... -- FOLDER...
 */
export const GUARDIAN_SCRIPT = [
  "owner=$1; shift",
  'namespaces=(); while [ $# -gt 0 ] && [ "$1" != -- ]; do namespaces+=("$1"); shift; done; shift',
  'while kill -0 "$owner" 2>/dev/null; do',
  '  left=0; for ns in "${namespaces[@]}"; do [ -e "/run/netns/$ns" ] && left=1; done',
  '  [ "$left" = 1 ] || exit 0',
  "  sleep 0.2",
  "done",
  'for ns in "${namespaces[@]}"; do',
  '  [ -e "/run/netns/$ns" ] || continue',
  '  for round in 1 2 3 4 5 6 7 8 9 10; do pids=$(ip netns pids "$ns"); [ -z "$pids" ] && break; kill -9 $pids 2>/dev/null; sleep 0.1; done',
  '  ip netns del "$ns"',
  "done",
  'for dir in "$@"; do case "$dir" in /tmp/okdlab-*|"${TMPDIR:-/tmp}"/okdlab-*) rm -rf -- "$dir" ;; esac; done',
].join("\n");

function startGuardian(namespaces: string[], folders: string[]): void {
  const args = ["-c", GUARDIAN_SCRIPT, "okdlab-e2e-guardian", String(process.pid), ...namespaces, "--", ...folders];
  const guardian = spawn("bash", args, { detached: true, stdio: "ignore" });
  guardian.unref();
}

/**
 * Creates one empty namespace `okdlab-<pid>-<tag>` (loopback up, no other link, no route) under
 * the same teardown as the lab networks: `deleteNamespace`, the exit hooks and a guardian that
 * also removes `folders` (named `okdlab-*`) if this process dies first. Stale namespaces of
 * crashed runs are removed first.
 */
export function createNamespace(tag: string, folders: string[] = []): string {
  const removed = removeStaleNamespaces();
  if (removed.length > 0) process.stderr.write(`removed stale namespaces of crashed runs: ${removed.join(", ")}\n`);
  const ns = `${NAMESPACE_PREFIX}${process.pid}-${tag}`;
  hookProcess();
  ip(["netns", "add", ns]);
  registry.namespaces.add(ns);
  try {
    startGuardian([ns], folders);
    ip(["-n", ns, "link", "set", "lo", "up"]);
  } catch (err) {
    deleteNamespace(ns);
    throw err;
  }
  return ns;
}

/** Kills every process inside a namespace made by {@link createNamespace} and deletes it. */
export function deleteNamespace(ns: string): void {
  if (!registry.namespaces.has(ns)) return;
  removeNamespace(ns);
  registry.namespaces.delete(ns);
  unhookProcess();
}

function onSignal(signal: NodeJS.Signals): void {
  process.stderr.write(`e2e: ${signal} received, removing the lab namespaces\n`);
  teardownAllSync();
  process.exit(signal === "SIGINT" ? 130 : 143);
}

function hookProcess(): void {
  if (registry.hooked) return;
  registry.hooked = true;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", teardownAllSync);
}

function unhookProcess(): void {
  if (!registry.hooked || registry.namespaces.size > 0) return;
  registry.hooked = false;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.off("exit", teardownAllSync);
}

export interface LabNetworkOptions {
  /** Short tag in the namespace names, e.g. `seed`. */
  tag: string;
  infraIp: string;
  /** Prefix length of the lab network, e.g. 24. */
  prefix: number;
  /** Every node address, all added to the nodes namespace. */
  nodeIps: string[];
  /** Temp folders (named `okdlab-*`) the guardian removes if this process dies without cleaning up. */
  folders?: string[];
  /**
   * An address outside the lab network, added to the nodes namespace with a host route to it in
   * the infra namespace: a client the infra node must treat as a stranger, e.g. `192.0.2.77`
   * (TEST-NET-1, never routed anywhere).
   */
  outsiderIp?: string;
}

/** A process started inside a namespace, with its collected output. */
export interface NsProcess {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The two namespaces and the processes started in them. */
export class LabNetwork {
  readonly infraNs: string;
  readonly nodesNs: string;
  private readonly own = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(readonly options: LabNetworkOptions) {
    this.infraNs = `${NAMESPACE_PREFIX}${process.pid}-${options.tag}-infra`;
    this.nodesNs = `${NAMESPACE_PREFIX}${process.pid}-${options.tag}-nodes`;
  }

  /** Creates the namespaces, the veth pair and the addresses; removes stale namespaces first. */
  static create(options: LabNetworkOptions): LabNetwork {
    const removed = removeStaleNamespaces();
    if (removed.length > 0) process.stderr.write(`e2e: removed stale namespaces of crashed runs: ${removed.join(", ")}\n`);
    const net = new LabNetwork(options);
    hookProcess();
    try {
      for (const ns of [net.infraNs, net.nodesNs]) {
        ip(["netns", "add", ns]);
        registry.namespaces.add(ns);
      }
      startGuardian([net.infraNs, net.nodesNs], options.folders ?? []);
      // Both ends are created inside their namespace: the pair never appears in the root namespace.
      ip(["link", "add", "veth-infra", "netns", net.infraNs, "type", "veth", "peer", "name", "veth-nodes", "netns", net.nodesNs]);
      ip(["-n", net.infraNs, "addr", "add", `${options.infraIp}/${options.prefix}`, "dev", "veth-infra"]);
      for (const nodeIp of options.nodeIps) ip(["-n", net.nodesNs, "addr", "add", `${nodeIp}/${options.prefix}`, "dev", "veth-nodes"]);
      if (options.outsiderIp) ip(["-n", net.nodesNs, "addr", "add", `${options.outsiderIp}/32`, "dev", "veth-nodes"]);
      for (const [ns, dev] of [
        [net.infraNs, "veth-infra"],
        [net.nodesNs, "veth-nodes"],
      ]) {
        ip(["-n", ns, "link", "set", "lo", "up"]);
        ip(["-n", ns, "link", "set", dev, "up"]);
      }
      if (options.outsiderIp) ip(["-n", net.infraNs, "route", "add", `${options.outsiderIp}/32`, "dev", "veth-infra"]);
      net.assertIsolated();
    } catch (err) {
      net.destroySync();
      throw err;
    }
    return net;
  }

  /**
   * Fails when a namespace has any route but the on-link lab route (no default route, nothing
   * else), any link but loopback and its veth end, or when a lab address shows up in the root
   * namespace.
   */
  assertIsolated(): void {
    const rootAddresses = ip(["-4", "-o", "addr", "show"]);
    const leaked = [this.options.infraIp, ...this.options.nodeIps, ...(this.options.outsiderIp ? [this.options.outsiderIp] : [])].filter((a) =>
      rootAddresses.includes(` ${a}/`),
    );
    if (leaked.length > 0) throw new Error(`lab addresses ${leaked.join(", ")} are on the root namespace: refusing to run`);
    for (const ns of [this.infraNs, this.nodesNs]) {
      const routes = ip(["-n", ns, "-4", "route", "show", "table", "main"])
        .trim()
        .split("\n")
        .filter((l) => l.trim() !== "");
      const outsiderRoute = ns === this.infraNs && this.options.outsiderIp ? [`${this.options.outsiderIp} dev veth-infra scope link`] : [];
      const onLink = routes.filter((r) => /^\d+\.\d+\.\d+\.\d+\/\d+ dev veth-(infra|nodes) proto kernel scope link/.test(r));
      const bad = routes.filter((r) => !onLink.includes(r) && !outsiderRoute.includes(r.trim()));
      // A nodes namespace without addresses (a DHCP client's, before its lease) has no route at all.
      const wantOnLink = ns === this.nodesNs && this.options.nodeIps.length === 0 ? 0 : 1;
      if (bad.length > 0 || onLink.length !== wantOnLink || routes.length !== wantOnLink + outsiderRoute.length) {
        throw new Error(`namespace ${ns} is not isolated: routes ${JSON.stringify(routes)}`);
      }
      const links = ip(["-n", ns, "-o", "link", "show"])
        .trim()
        .split("\n")
        .map((l) => l.split(":")[1].trim().split("@")[0]);
      if (!sameMembers(links, ["lo", ns === this.infraNs ? "veth-infra" : "veth-nodes"]))
        throw new Error(`namespace ${ns} has unexpected links ${links.join(", ")}`);
    }
  }

  /**
   * Starts `argv` inside `ns` through `ip netns exec` (which execs, so the pid is the program's).
   * `privateRun` mounts an empty tmpfs on /run first, inside the private mount namespace that
   * `ip netns exec` creates: the program's pid files and sockets under /run (HAProxy's
   * /run/chrony) stay apart from this machine's. `privateDirs` mounts an empty tmpfs on each
   * of those existing folders too (HAProxy's stats socket in /var/lib/haproxy).
   */
  spawn(ns: string, argv: string[], options: { env?: NodeJS.ProcessEnv; privateRun?: string[]; privateDirs?: string[]; cwd?: string } = {}): NsProcess {
    if (this.destroyed) throw new Error("the lab network is already destroyed");
    let command = ["ip", "netns", "exec", ns, ...argv];
    if (options.privateRun) {
      const dirs = options.privateRun.map((d) => `mkdir -p ${shellQuote(d)}`).join(" && ");
      const mounts = (options.privateDirs ?? []).map((d) => ` && mount -t tmpfs okdlab-private ${shellQuote(d)}`).join("");
      const script = `mount -t tmpfs okdlab-run /run${dirs ? ` && ${dirs}` : ""}${mounts} && exec "$@"`;
      command = ["ip", "netns", "exec", ns, "sh", "-c", script, "sh", ...argv];
    }
    const spawnOptions: SpawnOptions = { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] };
    const child = spawn(command[0], command.slice(1), spawnOptions);
    registry.children.add(child);
    this.own.add(child);
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr?.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stdin?.on("error", () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on("exit", (code, signal) => {
        registry.children.delete(child);
        resolve({ code, signal });
      });
      child.on("error", (err) => {
        output += `spawn error: ${err.message}\n`;
        registry.children.delete(child);
        resolve({ code: null, signal: null });
      });
    });
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(" ")}`);
    return { child, pid: child.pid, output: () => output, exited };
  }

  /** Runs `argv` inside `ns` and waits for it: output and exit code. */
  async run(
    ns: string,
    argv: string[],
    timeoutMs = 15000,
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<{ code: number | null; output: string }> {
    const p = this.spawn(ns, argv, options);
    p.child.stdin?.end();
    const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
    const { code } = await p.exited;
    clearTimeout(timer);
    return { code, output: p.output() };
  }

  /** Stops every process started here (TERM, then KILL after 3 s) and deletes both namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const running = [...this.own].filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill("SIGTERM");
    const deadline = Date.now() + 3000;
    while (running.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    this.destroySync();
  }

  private destroySync(): void {
    this.destroyed = true;
    for (const c of this.own) {
      if (c.exitCode === null && c.signalCode === null && c.pid) {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      registry.children.delete(c);
    }
    this.own.clear();
    for (const ns of [this.infraNs, this.nodesNs]) {
      if (!registry.namespaces.has(ns)) continue;
      removeNamespace(ns);
      registry.namespaces.delete(ns);
    }
    unhookProcess();
  }

  /** True while a namespace of this network exists. */
  exists(): boolean {
    return [this.infraNs, this.nodesNs].some((ns) => fs.existsSync(`/run/netns/${ns}`));
  }
}

function sameMembers(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
}

/** Single-quotes a word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}
