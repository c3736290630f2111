/**
 * The infra node inside the e2e "infra" namespace: the real HAProxy, a DNS server and chronyd,
 * fed with the rendered files, which are installed by the real on-node helper
 * (`renderInstallHelper()`) exactly as InfraConfig runs it.
 *
 * Stand-ins, and why:
 * - Files: every target path (`/etc/haproxy/haproxy.cfg`, `/etc/coredns/zones/*.zone`, ...) lives
 *   under a temp folder `root`: the helper is rendered with that root (`renderInstallHelper(root)`)
 *   and gets the file id `installCommand()` passes; its fixed modes, owners and checks are the node's.
 * - DNS: CoreDNS cannot be installed here, so BIND's `named` serves the same rendered zone files
 *   and mirrors the Corefile's policy: the lab zones answer every source, recursion only for the
 *   plan's `dns.recursionClients` (the lab network and loopback, CoreDNS's `acl`), REFUSED for
 *   anyone else. Recursion forwards to an upstream stand-in, a dnsmasq on the infra namespace's
 *   loopback (port 5300) that knows one name, `UPSTREAM_NAME`, in place of the Corefile's
 *   `forward . 8.8.8.8`: nothing leaves the namespace. The CoreDNS `acl` syntax itself is only
 *   checked by the unit tests. The helper's `systemctl reload coredns`
 *   (SIGUSR1 to CoreDNS on the node) becomes SIGHUP to named, which re-reads its zones; see
 *   `waitForZones` for zones delivered without a reload (CoreDNS then reloads by serial).
 * - systemd: a `systemctl` shim first on the helper's PATH (see `SYSTEMCTL_SHIM`) maps the calls
 *   the helper makes onto the processes started here.
 * - `chown`: the zones are owned `root:coredns`; this machine has no coredns group, so a `chown`
 *   shim logs the request and gives an unknown group's files to root (the mode is unchanged).
 * - HAProxy runs in master-worker mode (`-W`) like `haproxy -Ws` under systemd on EL9, so
 *   `kill -USR2 <master>` is exactly `systemctl reload haproxy`. `-n` caps maxconn when this
 *   machine's open-file limit is below what the rendered maxconn needs; nothing else changes.
 * - chronyd runs a copy of the rendered chrony.conf in which only path directives (driftfile,
 *   logdir, ...) point into the temp folder, with `-x` (never touch the system clock), `-d`
 *   (foreground) and `-u root` (the temp folder is root's).
 * - /run: each daemon gets an empty tmpfs on /run in the private mount namespace of
 *   `ip netns exec`, so /run/chrony and the like stay apart from this machine's; HAProxy also gets
 *   one on /var/lib/haproxy, where the rendered file puts its stats socket.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { HAPROXY_SECRETS_ENV_FILE } from "../../render/cloudInit";
import { HAPROXY_ADMIN_SOCKET } from "../../render/haproxyCfg";
import { INFRA_FILE_DIRS, INSTALL_HELPER_PATH, InfraFile, installCommand, renderInstallHelper } from "../../render/infraFiles";
import { LabNetwork, NsProcess } from "./netns";
import { parseEnvFile, RenderedStack } from "./stacks";

/**
 * The `systemctl` the helper finds first on its PATH. Mapping (state files hold the pids):
 *   is-active [--quiet] haproxy|coredns|chronyd  -> is the e2e haproxy master / named / chronyd alive
 *   reload haproxy                                -> kill -USR2 <haproxy master> (EL9's ExecReload)
 *   reload coredns                                -> kill -HUP <named> (BIND stands in for CoreDNS)
 *   enable --now <unit> (unit not running yet)    -> recorded in started.log; the harness starts it
 *   restart <unit>, anything else                 -> exit 1: the e2e scenarios never need them
 * Every call is appended to systemctl.log.
 */
export const SYSTEMCTL_SHIM = [
  "#!/bin/bash",
  "# okd-lab e2e stand-in for systemctl; see test/e2e/infraNode.ts.",
  "state=${OKD_LAB_E2E_STATE:?OKD_LAB_E2E_STATE is not set}",
  'echo "$*" >> "$state/systemctl.log"',
  'pidfile() { case $1 in haproxy) echo "$state/haproxy.pid" ;; coredns) echo "$state/named.pid" ;; chronyd) echo "$state/chronyd.pid" ;; *) return 1 ;; esac; }',
  'alive() { local f; f=$(pidfile "$1") || return 1; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }',
  'case "$1" in',
  "  is-active)",
  '    unit=$2; [ "$unit" = --quiet ] && unit=$3',
  '    alive "$unit" ;;',
  "  reload)",
  '    case "$2" in',
  '      haproxy) alive haproxy && kill -USR2 "$(cat "$state/haproxy.pid")" ;;',
  '      coredns) alive coredns && kill -HUP "$(cat "$state/named.pid")" ;;',
  '      *) echo "e2e systemctl: reload $2 is not simulated" >&2; exit 1 ;;',
  "    esac ;;",
  "  enable)",
  '    [ "$2" = --now ] || { echo "e2e systemctl: only enable --now is simulated" >&2; exit 1; }',
  '    alive "$3" || echo "$3" >> "$state/started.log" ;;',
  '  *) echo "e2e systemctl: $* is not simulated" >&2; exit 1 ;;',
  "esac",
  "",
].join("\n");

/** The `chown` shim: an owner whose group does not exist here gets group root; logged in chown.log. */
export const CHOWN_SHIM = [
  "#!/bin/bash",
  "# okd-lab e2e stand-in for chown; see test/e2e/infraNode.ts.",
  "state=${OKD_LAB_E2E_STATE:?OKD_LAB_E2E_STATE is not set}",
  "owner=$1; shift",
  "user=${owner%%:*}; group=${owner#*:}",
  'if [ "$group" != "$owner" ] && ! getent group "$group" >/dev/null; then echo "$owner -> $user:root $*" >> "$state/chown.log"; group=root; fi',
  'exec /bin/chown "$user:$group" "$@"',
  "",
].join("\n");

/** chrony.conf directives whose argument is a file or directory path. */
const CHRONY_FILE_DIRECTIVES = ["driftfile", "keyfile", "pidfile", "rtcfile", "hwclockfile", "ntsserverkey", "ntsservercert", "ntstrustedcerts", "include"];
const CHRONY_DIR_DIRECTIVES = ["logdir", "dumpdir", "ntsdumpdir", "confdir", "sourcedir"];

/**
 * A copy of `conf` whose path directives point into `dir`; every other line is unchanged.
 * Returns the copy and the rewritten lines as `old -> new`.
 */
export function rewriteChronyPaths(conf: string, dir: string): { content: string; rewritten: string[] } {
  const rewritten: string[] = [];
  const lines = conf.split("\n").map((line) => {
    const m = /^(\s*)(\S+)(\s+)(\S+)(.*)$/.exec(line);
    if (!m || line.trim().startsWith("#")) return line;
    const [, lead, directive, gap, value, rest] = m;
    let replacement: string | undefined;
    if (CHRONY_FILE_DIRECTIVES.includes(directive)) replacement = path.join(dir, `${directive}-${path.basename(value)}`);
    if (CHRONY_DIR_DIRECTIVES.includes(directive)) {
      replacement = path.join(dir, directive);
      fs.mkdirSync(replacement, { recursive: true });
    }
    if (replacement === undefined) return line;
    const next = `${lead}${directive}${gap}${replacement}${rest}`;
    rewritten.push(`${line.trim()} -> ${next.trim()}`);
    return next;
  });
  return { content: lines.join("\n"), rewritten };
}

/** What the helper did with one file. */
export interface Delivery {
  id: string;
  /** `installed` or `unchanged`, from the helper's output. */
  outcome: string;
  output: string;
}

/** Open-file limit of processes started from here (HAProxy needs about 2 x maxconn). */
function openFileLimit(): number {
  return Number(execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim());
}

async function waitFor(what: string, timeoutMs: number, test: () => boolean | Promise<boolean>, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The one name the upstream stand-in knows, and its address (TEST-NET-2). */
export const UPSTREAM_NAME = "registry.upstream.test";
export const UPSTREAM_ADDRESS = "198.51.100.7";
const UPSTREAM_PORT = 5300;

export class InfraNode {
  /** Stand-in for the node's `/`: targets are `root + target`. */
  readonly root: string;
  readonly stateDir: string;
  readonly helper: string;
  private readonly shimDir: string;
  private readonly namedDir: string;
  private readonly chronyDir: string;
  haproxy?: NsProcess;
  named?: NsProcess;
  /** The upstream resolver stand-in named forwards recursion to. */
  upstream?: NsProcess;
  chronyd?: NsProcess;
  /** `-n` value given to HAProxy, when the open-file limit required one. */
  haproxyMaxconnCap?: number;
  /** Lines of chrony.conf rewritten for the test run. */
  chronyRewrites: string[] = [];
  private currentStack?: RenderedStack;

  constructor(
    private readonly lab: LabNetwork,
    dir: string,
  ) {
    this.root = path.join(dir, "root");
    this.stateDir = path.join(dir, "state");
    this.shimDir = path.join(dir, "shims");
    this.namedDir = path.join(dir, "named");
    this.chronyDir = path.join(dir, "chrony");
    for (const d of [this.root, this.stateDir, this.shimDir, this.namedDir, this.chronyDir]) fs.mkdirSync(d, { recursive: true });
    this.helper = path.join(dir, "okd-lab-install-file");
    // The helper as cloud-init installs it, with every path under this run's root; the folders
    // it writes into exist beforehand, as cloud-init makes them.
    fs.writeFileSync(this.helper, renderInstallHelper(this.root), { mode: 0o755 });
    for (const d of INFRA_FILE_DIRS) fs.mkdirSync(this.pathOf(d), { recursive: true });
    fs.writeFileSync(path.join(this.shimDir, "systemctl"), SYSTEMCTL_SHIM, { mode: 0o755 });
    fs.writeFileSync(path.join(this.shimDir, "chown"), CHOWN_SHIM, { mode: 0o755 });
  }

  /** Where `target` (an absolute path on the infra node) lives in this run. */
  pathOf(target: string): string {
    return path.join(this.root, target);
  }

  /** Lines the helper's systemctl calls left, oldest first. */
  systemctlLog(): string[] {
    const file = path.join(this.stateDir, "systemctl.log");
    return fs.existsSync(file)
      ? fs
          .readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .filter((l) => l !== "")
      : [];
  }

  /** Empties the systemctl log, e.g. before a change whose calls a test asserts. */
  clearSystemctlLog(): void {
    fs.rmSync(path.join(this.stateDir, "systemctl.log"), { force: true });
  }

  /**
   * Installs every file of `stack` in InfraConfig's order with the real helper:
   * `helper FILE_ID < content`, the command line of `installCommand()`.
   */
  async deliver(stack: RenderedStack): Promise<Delivery[]> {
    if (fs.existsSync(HAPROXY_SECRETS_ENV_FILE)) {
      throw new Error(`${HAPROXY_SECRETS_ENV_FILE} exists on this machine; the helper would read it: remove it before running the e2e suite`);
    }
    const deliveries: Delivery[] = [];
    for (const file of stack.files) deliveries.push(await this.install(file, stack.statsPassword));
    this.currentStack = stack;
    return deliveries;
  }

  private install(file: InfraFile<string>, statsPassword: string): Promise<Delivery> {
    // InfraConfig's command line is `sudo <helper> '<file id>'`: the helper gets the id alone.
    const expected = `sudo ${INSTALL_HELPER_PATH} '${file.id}'`;
    if (installCommand(file) !== expected) throw new Error(`unexpected install command ${installCommand(file)}`);
    const words = ["sudo", INSTALL_HELPER_PATH, file.id];
    const env = {
      ...process.env,
      PATH: `${this.shimDir}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
      OKD_LAB_E2E_STATE: this.stateDir,
      // haproxy -c expands the password variable as the node's HAProxy does from the secrets file.
      OKD_LAB_STATS_PASSWORD: statsPassword,
    };
    return new Promise((resolve, reject) => {
      const child = execFile(this.helper, words.slice(2), { env, timeout: 60000, encoding: "utf8" }, (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (err) return reject(new Error(`installing ${file.id} failed (${words.slice(2).join(" ")}):\n${output}`));
        const outcome = /^(installed|unchanged) /m.exec(stdout)?.[1];
        if (!outcome) return reject(new Error(`the helper said neither installed nor unchanged for ${file.id}:\n${output}`));
        resolve({ id: file.id, outcome, output });
      });
      child.stdin?.end(file.content);
    });
  }

  /** Starts named, chronyd and HAProxy on the installed files; waits until each serves. */
  async start(): Promise<void> {
    const stack = this.currentStack;
    if (!stack) throw new Error("deliver the files before starting the daemons");
    await this.startNamed(stack);
    await this.startChronyd();
    await this.startHaproxy(stack);
  }

  private writeNamedConf(stack: RenderedStack): string {
    const zones = stack.files.filter((f) => f.check.kind === "zone");
    const conf = [
      "// named.conf for the okd-lab e2e suite: BIND serves the rendered zone files in place of CoreDNS.",
      "options {",
      `  directory "${this.namedDir}";`,
      `  pid-file "${path.join(this.namedDir, "named.pid")}";`,
      `  session-keyfile "${path.join(this.namedDir, "session.key")}";`,
      // CoreDNS binds every address, loopback included.
      `  listen-on port 53 { ${stack.plan.infra.ip}; 127.0.0.1; };`,
      "  listen-on-v6 { none; };",
      // The Corefile's policy: zones answer anyone, recursion only for dns.recursionClients, and
      // recursion goes to the upstream stand-in on loopback, so no query leaves the namespace.
      "  recursion yes;",
      `  allow-recursion { ${stack.plan.dns.recursionClients.map((c) => `${c};`).join(" ")} };`,
      "  forward only;",
      `  forwarders { 127.0.0.1 port ${UPSTREAM_PORT}; };`,
      "  allow-query { any; };",
      "  dnssec-validation no;",
      "  notify no;",
      "};",
      // No rndc control channel: named would otherwise also listen on 127.0.0.1:953.
      "controls { };",
      ...zones.map((f) => `zone "${f.check.kind === "zone" ? f.check.zone : ""}" { type primary; file "${this.pathOf(f.target)}"; };`),
      "",
    ].join("\n");
    const file = path.join(this.namedDir, "named.conf");
    fs.writeFileSync(file, conf);
    return file;
  }

  private async startNamed(stack: RenderedStack): Promise<void> {
    // The upstream resolver stand-in: answers UPSTREAM_NAME only, reads no resolv.conf or config file.
    const upstream = this.lab.spawn(
      this.lab.infraNs,
      [
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        `--port=${UPSTREAM_PORT}`,
        `--address=/${UPSTREAM_NAME}/${UPSTREAM_ADDRESS}`,
        "--log-facility=-",
      ],
      { privateRun: [] },
    );
    this.upstream = upstream;
    const conf = this.writeNamedConf(stack);
    const named = this.lab.spawn(this.lab.infraNs, ["named", "-g", "-4", "-c", conf], { privateRun: [] });
    this.named = named;
    fs.writeFileSync(path.join(this.stateDir, "named.pid"), String(named.pid));
    await waitFor("named to load its zones", 20000, () => / running$/m.test(named.output()) || named.child.exitCode !== null, named.output);
    if (named.child.exitCode !== null) throw new Error(`named exited:\n${named.output()}`);
  }

  /**
   * Waits until named serves every zone of `stack` with the serial the render gave it.
   *
   * The helper itself asks for the reload when the zones' activation says so (`systemctl reload
   * coredns`, SIGUSR1 to CoreDNS on the node, SIGHUP to named here). When a delivery installed
   * zones without asking, named gets SIGHUP from here, standing in for CoreDNS's file plugin,
   * which reloads a zone by itself once its SOA serial changed.
   */
  async waitForZones(stack: RenderedStack, delivered: Delivery[]): Promise<{ signalled: boolean }> {
    const named = this.named;
    if (!named) throw new Error("named is not running");
    this.writeNamedConf(stack);
    const zonesInstalled = delivered.some((d) => d.outcome === "installed" && d.id.startsWith("zones/"));
    const helperReloaded = this.systemctlLog().includes("reload coredns");
    const signalled = zonesInstalled && !helperReloaded;
    if (signalled) named.child.kill("SIGHUP");
    const outputs = JSON.parse(fs.readFileSync(stack.outputsFile, "utf8")) as { dnsZones?: Record<string, { serial: number }> };
    const expected = Object.entries(outputs.dnsZones ?? {}).map(([zone, s]) => ({ zone, serial: s.serial }));
    if (expected.length === 0) throw new Error(`${stack.outputsFile} has no dnsZones serials`);
    let served: (number | undefined)[] = [];
    await waitFor(
      `named to serve ${expected.map((e) => `${e.zone} serial ${e.serial}`).join(", ")}`,
      20000,
      async () => {
        served = await Promise.all(expected.map((e) => this.servedSerial(stack, e.zone)));
        return expected.every((e, i) => served[i] === e.serial);
      },
      () => `named serves ${served.join(", ")}\n${named.output().slice(-2000)}`,
    );
    this.currentStack = stack;
    return { signalled };
  }

  /** The SOA serial named serves for `zone`, asked from the nodes namespace. */
  async servedSerial(stack: RenderedStack, zone: string): Promise<number | undefined> {
    const { output } = await this.lab.run(this.lab.nodesNs, ["dig", "+short", "+time=1", "+tries=1", `@${stack.plan.infra.ip}`, zone, "SOA"]);
    const serial = Number(output.trim().split(/\s+/)[2]);
    return Number.isInteger(serial) ? serial : undefined;
  }

  private async startChronyd(): Promise<void> {
    const installed = fs.readFileSync(this.pathOf("/etc/chrony.conf"), "utf8");
    const { content, rewritten } = rewriteChronyPaths(installed, this.chronyDir);
    this.chronyRewrites = rewritten;
    const conf = path.join(this.chronyDir, "chrony.conf");
    fs.writeFileSync(conf, content);
    const chronyd = this.lab.spawn(this.lab.infraNs, ["chronyd", "-x", "-d", "-u", "root", "-f", conf], { privateRun: ["/run/chrony"] });
    this.chronyd = chronyd;
    fs.writeFileSync(path.join(this.stateDir, "chronyd.pid"), String(chronyd.pid));
    await waitFor(
      "chronyd to listen on udp/123",
      20000,
      async () => chronyd.child.exitCode !== null || (await this.listening()).udp.includes(123),
      chronyd.output,
    );
    if (chronyd.child.exitCode !== null) throw new Error(`chronyd exited:\n${chronyd.output()}`);
  }

  private async startHaproxy(stack: RenderedStack): Promise<void> {
    // systemd's EnvironmentFile on the node: the secrets file the helper installed.
    const secrets = parseEnvFile(fs.readFileSync(this.pathOf(HAPROXY_SECRETS_ENV_FILE), "utf8"));
    const limit = openFileLimit();
    const maxconn = stack.plan.loadBalancer.maxconn;
    // HAProxy needs about two descriptors per connection plus a few dozen of its own.
    const cap = 2 * maxconn + 200 > limit ? Math.floor((limit - 200) / 2) : undefined;
    this.haproxyMaxconnCap = cap;
    const argv = ["haproxy", "-W", ...(cap !== undefined ? ["-n", String(cap)] : []), "-f", this.pathOf("/etc/haproxy/haproxy.cfg")];
    // The rendered stats socket lives in /var/lib/haproxy: a private tmpfs keeps it off this machine.
    const haproxy = this.lab.spawn(this.lab.infraNs, argv, {
      env: { ...process.env, ...secrets },
      privateRun: ["/run/haproxy"],
      privateDirs: [path.dirname(HAPROXY_ADMIN_SOCKET)],
    });
    this.haproxy = haproxy;
    fs.writeFileSync(path.join(this.stateDir, "haproxy.pid"), String(haproxy.pid));
    await waitFor(
      "HAProxy to load its configuration",
      20000,
      () => /Loading success/.test(haproxy.output()) || haproxy.child.exitCode !== null,
      haproxy.output,
    );
    if (haproxy.child.exitCode !== null) throw new Error(`haproxy exited:\n${haproxy.output()}`);
  }

  /** Local addresses of every TCP listener on `port` in the infra namespace, loopback included, e.g. `["127.0.0.1:9000"]`. */
  async tcpListenersOn(port: number): Promise<string[]> {
    const { output } = await this.lab.run(this.lab.infraNs, ["ss", "-H", "-l", "-n", "-t"]);
    return output
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((local): local is string => local !== undefined && local.endsWith(`:${port}`))
      .sort();
  }

  /** Ports with a listener on a non-loopback address in the infra namespace. */
  async listening(): Promise<{ tcp: number[]; udp: number[] }> {
    const { output } = await this.lab.run(this.lab.infraNs, ["ss", "-H", "-l", "-n", "-t", "-u"]);
    const tcp = new Set<number>();
    const udp = new Set<number>();
    for (const line of output.split("\n")) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5) continue;
      const local = fields[4];
      const port = Number(local.slice(local.lastIndexOf(":") + 1));
      const address = local.slice(0, local.lastIndexOf(":"));
      if (/^(127\.|\[::1\])/.test(address)) continue;
      (fields[0] === "tcp" ? tcp : udp).add(port);
    }
    return { tcp: [...tcp].sort((a, b) => a - b), udp: [...udp].sort((a, b) => a - b) };
  }
}
