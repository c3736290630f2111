/**
 * The checks behind `npm run verify` and the end-to-end suite: does the infra node do its job,
 * "DNS -> HAProxy -> the right node", for the lab the plan describes?
 *
 * Pure logic over a {@link Probe}: the host implementation (verify/hostProbe.ts) asks the live lab
 * with dig, TCP connections, the HAProxy stats CSV and `chronyd -Q`; the e2e suite runs the same
 * probe inside a network namespace; unit tests use a fake. Every check returns one
 * {@link CheckResult} line, never throws, and says what to fix when it fails.
 */
import { LabPlan, LoadBalancedService, PORTS } from "../plan/labPlan";
import { statsAccess } from "../render/labOutputs";
import { INFRA_ADMIN_USER } from "../render/cloudInit";

/** DNS record types the checks ask for. */
export type RecordType = "A" | "PTR";

/** What a DNS server answered. */
export interface DnsAnswer {
  /**
   * Response code, e.g. `NOERROR`, `NXDOMAIN`, `REFUSED`; `TIMEOUT` when no answer came, `ERROR`
   * when the query could not be made at all (e.g. `dig` missing).
   */
  rcode: string;
  /** Data of the answer records of the asked type, e.g. `["10.56.0.10"]` or `["api.okd-lab.okd.local."]`. */
  answers: string[];
  /** More about a `TIMEOUT` or `ERROR`, e.g. `network unreachable` or `dig is not installed`. */
  error?: string;
}

/** Outcome of a TCP connection attempt. */
export interface ConnectResult {
  ok: boolean;
  /** Why it failed, e.g. `ECONNREFUSED`, `timeout after 1000 ms`. */
  error?: string;
}

/** Outcome of an HTTP(S) GET. */
export type HttpResult = { ok: true; status: number; body: string } | { ok: false; error: string };

/** Outcome of an NTP query. */
export interface NtpResult {
  ok: boolean;
  /** Our clock minus the server's, in seconds, e.g. `-0.000012`. */
  offsetSeconds?: number;
  error?: string;
}

/** Basic authentication credentials, e.g. the HAProxy stats user `admin`. */
export interface BasicAuth {
  user: string;
  password: string;
}

/** How the checks reach the lab. Implementations report failures in the result and never throw. */
export interface Probe {
  /** Asks `server` (an IPv4 address) for `name`'s records of `type`; for PTR `name` is the address. */
  resolve(name: string, type: RecordType, server: string): Promise<DnsAnswer>;
  /** Opens and closes a TCP connection to `ip:port`. */
  connect(ip: string, port: number): Promise<ConnectResult>;
  /** GETs `url` (http or https, certificate not verified), with basic authentication when given. */
  httpGet(url: string, auth?: BasicAuth, socketPath?: string): Promise<HttpResult>;
  /** One NTP client exchange with `server`. */
  ntpQuery(server: string): Promise<NtpResult>;
}

/** One line of the verification report. */
export interface CheckResult {
  /** What was checked, e.g. `dns A api.okd-lab.okd.local`. */
  name: string;
  ok: boolean;
  /** What was seen, e.g. `10.56.0.10` or `answered 10.56.0.99, expected 10.56.0.10`. */
  detail: string;
  /** What to do about a failure; empty when `ok`. */
  fix: string;
}

/** What the checks compare the lab against. */
export interface VerifyTarget {
  plan: LabPlan;
  /** Nodes the stack no longer has (e.g. the bootstrap node after it was dropped): their names must not resolve. */
  absent?: { name: string; ip: string }[];
  /** The HAProxy stats password; without it the backend check fails and says where to get it. */
  statsPassword?: string;
  /**
   * Where the stats page answers from here: the local end of the `ssh -L` tunnel (the page listens
   * on the infra node's loopback only); default the statsUrl output, e.g. `http://127.0.0.1:9000/`.
   */
  statsUrl?: string;
  /** The unix socket of the tunnel verify opened to the stats page (verify/statsTunnel.ts); wins over statsUrl. */
  statsSocket?: string;
  /** Why there is no tunnel to the stats page (verify could not open one): the stats check fails with it. */
  statsTunnelError?: string;
  /** TCP ports probed for unexpected listeners; default {@link DEFAULT_SCAN_PORTS}. */
  scanPorts?: number[];
  /** Ports that may be open but need not be; default `[22]` (sshd, through which the files are delivered). */
  optionalPorts?: number[];
  /** Labels tried under `*.apps`; default {@link WILDCARD_LABELS}. */
  wildcardLabels?: string[];
}

/**
 * Labels looked up under the `*.apps` wildcard: two routes every OKD cluster has and one that
 * no cluster has, because the wildcard must answer for any label.
 */
export const WILDCARD_LABELS = ["console-openshift-console", "oauth-openshift", "okd-lab-verify-any-label"];

/**
 * Ports probed for listeners that should not be there: the well-known range and ports an OKD
 * node or an admin tool commonly opens (router health 1936, etcd, kubelet, cockpit 9090,
 * node-exporter 9100).
 */
export const DEFAULT_SCAN_PORTS: number[] = [
  ...Array.from({ length: 1024 }, (_, i) => i + 1),
  1936,
  2379,
  2380,
  5353,
  8080,
  8443,
  9090,
  9100,
  9443,
  10250,
  10256,
  10257,
  10259,
];

/** The TCP ports the infra node must serve on the lab network: DNS and the four load-balanced services. */
export function requiredTcpPorts(plan: LabPlan): number[] {
  return [PORTS.dns, ...plan.loadBalancer.services.map((s) => s.port)].sort((a, b) => a - b);
}

function pass(name: string, detail: string): CheckResult {
  return { name, ok: true, detail, fix: "" };
}

function fail(name: string, detail: string, fix: string): CheckResult {
  return { name, ok: false, detail, fix };
}

/** A DNS name without its trailing dot, lowercased, for comparison. */
function canonical(name: string): string {
  return name.replace(/\.$/, "").toLowerCase();
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

/** The fix for a DNS server that did not answer at all. */
function dnsUnreachableFix(server: string): string {
  return `start CoreDNS on the infra node (systemctl status coredns) and make sure ${server}:53 (udp and tcp) is reachable from here`;
}

/** The fix for a DNS answer that does not match the plan. */
function staleZoneFix(zone: string): string {
  return `the zone ${zone} on the infra node differs from the stack: run pulumi up (it reinstalls /etc/coredns/zones/${zone}.zone)`;
}

/** Why a DNS answer is not usable, or undefined when the server answered. */
function dnsTrouble(answer: DnsAnswer, server: string): { detail: string; fix: string } | undefined {
  if (answer.rcode === "ERROR") {
    return { detail: `query failed: ${answer.error ?? "unknown error"}`, fix: "install dig (bind-utils on EL, bind9-dnsutils on Debian) on this host" };
  }
  if (answer.rcode === "TIMEOUT") return { detail: `no answer from ${server}${answer.error ? ` (${answer.error})` : ""}`, fix: dnsUnreachableFix(server) };
  if (answer.rcode === "REFUSED" || answer.rcode === "SERVFAIL") {
    return {
      detail: `${server} answered ${answer.rcode}: it does not serve this zone`,
      fix: "check the Corefile and the CoreDNS log on the infra node (journalctl -u coredns); run pulumi up",
    };
  }
  return undefined;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One A record of the forward zone: `name` must resolve to exactly `ip`. */
export async function checkForwardRecord(probe: Probe, server: string, zone: string, name: string, ip: string): Promise<CheckResult> {
  const fqdn = `${name}.${zone}`;
  const check = `dns A ${fqdn}`;
  const answer = await probe.resolve(fqdn, "A", server);
  const trouble = dnsTrouble(answer, server);
  if (trouble) return fail(check, trouble.detail, trouble.fix);
  if (answer.rcode !== "NOERROR" || answer.answers.length === 0) {
    return fail(check, `${answer.rcode === "NOERROR" ? "no A record" : answer.rcode}, expected ${ip}`, staleZoneFix(zone));
  }
  if (!sameSet(answer.answers, [ip])) return fail(check, `answered ${answer.answers.join(", ")}, expected ${ip}`, staleZoneFix(zone));
  return pass(check, ip);
}

/** Every A record of the plan except the wildcard (api, api-int, dns, the infra node, every node). */
export function checkForwardRecords(probe: Probe, plan: LabPlan): Promise<CheckResult[]> {
  const records = plan.dns.records.filter((r) => !r.name.startsWith("*"));
  return mapLimited(records, 8, (r) => checkForwardRecord(probe, plan.infra.ip, plan.dns.zone, r.name, r.ip));
}

/** `<label>.apps.<zone>` resolves to the ingress address for every label tried. */
export async function checkWildcard(probe: Probe, plan: LabPlan, labels: string[] = WILDCARD_LABELS): Promise<CheckResult> {
  const wildcard = plan.dns.records.find((r) => r.name.startsWith("*."));
  const suffix = wildcard ? wildcard.name.slice(2) : "apps";
  const check = `dns A *.${suffix}.${plan.dns.zone}`;
  if (!wildcard) return fail(check, "the plan has no wildcard record", "this is a bug in okd-lab: the plan must hold *.apps");
  const problems: string[] = [];
  for (const label of labels) {
    const fqdn = `${label}.${suffix}.${plan.dns.zone}`;
    const answer = await probe.resolve(fqdn, "A", plan.infra.ip);
    const trouble = dnsTrouble(answer, plan.infra.ip);
    if (trouble) return fail(check, `${fqdn}: ${trouble.detail}`, trouble.fix);
    if (!sameSet(answer.answers, [wildcard.ip])) {
      problems.push(`${fqdn} answered ${answer.answers.length > 0 ? answer.answers.join(", ") : answer.rcode}`);
    }
  }
  if (problems.length > 0) return fail(check, `${problems.join("; ")}; expected ${wildcard.ip}`, staleZoneFix(plan.dns.zone));
  return pass(check, `${labels.length} labels -> ${wildcard.ip}`);
}

/** The reverse-zone address of a record, e.g. record `12` in `0.56.10.in-addr.arpa` is `10.56.0.12`. */
function addressOf(recordName: string, zone: string): string {
  const labels = [...recordName.split("."), ...zone.replace(/\.in-addr\.arpa$/, "").split(".")];
  return labels.reverse().join(".");
}

/** Every address of the reverse zones answers exactly the names the plan gives it (api, api-int and the infra node share one). */
export async function checkReverseRecords(probe: Probe, plan: LabPlan): Promise<CheckResult[]> {
  const expected = new Map<string, { zone: string; names: string[] }>();
  for (const zone of plan.dns.reverseZones) {
    for (const record of zone.records) {
      const ip = addressOf(record.name, zone.zone);
      const entry = expected.get(ip) ?? { zone: zone.zone, names: [] };
      entry.names.push(canonical(record.fqdn));
      expected.set(ip, entry);
    }
  }
  return mapLimited([...expected.entries()], 8, async ([ip, { zone, names }]) => {
    const check = `dns PTR ${ip}`;
    const answer = await probe.resolve(ip, "PTR", plan.infra.ip);
    const trouble = dnsTrouble(answer, plan.infra.ip);
    if (trouble) return fail(check, trouble.detail, trouble.fix);
    const got = answer.answers.map(canonical);
    if (!sameSet(got, names)) {
      const missing = names.filter((n) => !got.includes(n));
      const extra = got.filter((n) => !names.includes(n));
      const parts = [
        got.length === 0 ? `no PTR record (${answer.rcode})` : `answered ${got.join(", ")}`,
        ...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []),
        ...(extra.length > 0 ? [`unexpected ${extra.join(", ")}`] : []),
      ];
      return fail(check, parts.join("; "), staleZoneFix(zone));
    }
    return pass(check, names.join(", "));
  });
}

/** Nothing answers at the cluster apex: an A record there broke the seed's install. */
export async function checkApex(probe: Probe, plan: LabPlan): Promise<CheckResult> {
  const check = `dns A ${plan.dns.zone} (apex)`;
  const answer = await probe.resolve(plan.dns.zone, "A", plan.infra.ip);
  const trouble = dnsTrouble(answer, plan.infra.ip);
  if (trouble) return fail(check, trouble.detail, trouble.fix);
  if (answer.answers.length > 0) {
    return fail(
      check,
      `the apex has an A record (${answer.answers.join(", ")})`,
      `remove the A record at ${plan.dns.zone} (an apex record broke the seed's install); run pulumi up to reinstall the zone`,
    );
  }
  if (answer.rcode !== "NOERROR") return fail(check, `${answer.rcode}: the zone itself is not served`, staleZoneFix(plan.dns.zone));
  return pass(check, "no address at the apex");
}

/** Names of nodes the stack dropped resolve to nothing, forward and reverse. */
export async function checkAbsentNodes(probe: Probe, plan: LabPlan, absent: { name: string; ip: string }[]): Promise<CheckResult[]> {
  return mapLimited(absent, 4, async (node) => {
    const fqdn = `${node.name}.${plan.dns.zone}`;
    const check = `dns ${fqdn} removed`;
    const forward = await probe.resolve(fqdn, "A", plan.infra.ip);
    const reverse = await probe.resolve(node.ip, "PTR", plan.infra.ip);
    for (const answer of [forward, reverse]) {
      const trouble = dnsTrouble(answer, plan.infra.ip);
      if (trouble) return fail(check, trouble.detail, trouble.fix);
    }
    const left = [...forward.answers.map((a) => `A ${a}`), ...reverse.answers.map((a) => `PTR ${canonical(a)}`)];
    if (left.length > 0) return fail(check, `still answers ${left.join(", ")}`, staleZoneFix(plan.dns.zone));
    return pass(check, `${forward.rcode} forward, ${reverse.rcode} reverse`);
  });
}

/**
 * The infra node listens on exactly the lab's TCP ports: every required port accepts a connection
 * and no other scanned port does, except `optional` ones (sshd). The stats port is always probed:
 * the page listens on the node's loopback, never on the lab network.
 */
export async function checkPorts(probe: Probe, plan: LabPlan, scan: number[] = DEFAULT_SCAN_PORTS, optional: number[] = [22]): Promise<CheckResult> {
  const ip = plan.infra.ip;
  const required = requiredTcpPorts(plan);
  const check = `tcp ports ${ip}`;
  const ports = [...new Set([...required, ...optional, ...scan, plan.loadBalancer.stats.port])].sort((a, b) => a - b);
  const results = await mapLimited(ports, 64, async (port) => ({ port, result: await probe.connect(ip, port) }));
  const open = results.filter((r) => r.result.ok).map((r) => r.port);
  const closed = results.filter((r) => required.includes(r.port) && !r.result.ok);
  const unexpected = open.filter((p) => !required.includes(p) && !optional.includes(p));
  if (closed.length > 0) {
    return fail(
      check,
      `not accepting: ${closed.map((c) => `${c.port} (${c.result.error ?? "closed"})`).join(", ")}`,
      "check systemctl status haproxy coredns on the infra node and that firewalld opens 53/tcp+udp, 80, 443, 6443 and 22623",
    );
  }
  if (unexpected.length > 0) {
    const shown = unexpected.length > 12 ? `${unexpected.slice(0, 12).join(", ")} and ${unexpected.length - 12} more` : unexpected.join(", ");
    const stats = plan.loadBalancer.stats;
    // Every port answering is not a node's doing: something on the way accepts connections itself.
    const fix =
      unexpected.length > ports.length / 2
        ? `almost every port accepts a connection: a proxy or firewall between this host and ${ip} answers for it; run verify from the libvirt host`
        : [
            // An older haproxy.cfg or firewalld setup still serves the stats page on the lab network.
            ...(unexpected.includes(stats.port)
              ? [
                  `the stats page must listen on ${stats.bindAddress}:${stats.port} only (run pulumi up to reinstall haproxy.cfg) and firewalld must not open ${stats.port}`,
                ]
              : []),
            "stop the service behind each of those ports on the infra node, or close them in firewalld",
          ].join("; ");
    return fail(check, `unexpected listeners on ${shown}`, fix);
  }
  return pass(check, `open ${open.join(", ")}; ${ports.length} ports probed`);
}

/** One row of HAProxy's stats CSV, by column name (`pxname`, `svname`, `status`, `check_status`, ...). */
export type StatsRow = Record<string, string>;

/**
 * Parses HAProxy's `;csv` stats output: a header line `# pxname,svname,...` and one line per
 * frontend, server and backend.
 */
export function parseStatsCsv(csv: string): StatsRow[] {
  const lines = csv.split("\n").filter((l) => l.trim() !== "");
  const header = lines.find((l) => l.startsWith("# "));
  if (!header) throw new Error("no '# pxname,svname,...' header line");
  const columns = header.slice(2).split(",");
  return lines
    .filter((l) => !l.startsWith("#"))
    .map((line) => {
      const cells = line.split(",");
      return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""]));
    });
}

/** Where to look when a backend's health check fails. */
function healthHint(service: LoadBalancedService["name"]): string {
  switch (service) {
    case "api":
      return "check kube-apiserver on that node (oc get --raw /readyz; sudo crictl ps on the node)";
    case "machine-config":
      return "check the machine-config server on that node (bootstrap: journalctl -u bootkube; masters: oc -n openshift-machine-config-operator get pods)";
    case "ingress-http":
    case "ingress-https":
      return "check the router pods on that node (oc -n openshift-ingress get pods -o wide)";
    default: {
      const unreachable: never = service;
      return unreachable;
    }
  }
}

/** Human reading of a server's status and last check, e.g. `DOWN (L7STS 503)`. */
function describeServer(row: StatsRow): string {
  const checkInfo = [row.check_status, row.check_code].filter((v) => v !== undefined && v !== "").join(" ");
  return checkInfo ? `${row.status} (${checkInfo})` : row.status;
}

/** The stats check when verify could not open its tunnel: the reason, and how to see ssh's own messages. */
export function statsUnreachable(plan: LabPlan, reason: string): CheckResult {
  const { tunnel, url } = statsAccess(plan);
  return fail("haproxy stats", reason, `run the tunnel yourself to see what ssh says (${tunnel}), then npm run verify -- --stats-url ${url}`);
}

/**
 * Every load-balanced service's servers are UP in HAProxy's stats and are exactly the plan's,
 * one line per backend (`haproxy backend api: bootstrap UP, master UP`). The stats page listens on
 * the infra node's loopback: `statsUrl` is the local end of an `ssh -L` tunnel to it, or
 * `{ socketPath }` the unix socket of the one verify opened.
 */
export async function checkHaproxyBackends(
  probe: Probe,
  plan: LabPlan,
  password: string | undefined,
  statsUrl: string | { socketPath: string } = statsAccess(plan).url,
): Promise<CheckResult[]> {
  const lb = plan.loadBalancer;
  const socketPath = typeof statsUrl === "string" ? undefined : statsUrl.socketPath;
  const base = typeof statsUrl === "string" ? statsUrl : statsAccess(plan).url;
  const url = `${base.replace(/\/+$/, "")}/;csv`;
  const statsCheck = socketPath === undefined ? `haproxy stats ${base}` : `haproxy stats (ssh tunnel to ${INFRA_ADMIN_USER}@${plan.infra.ip})`;
  if (password === undefined) {
    return [
      fail(statsCheck, "no stats password", "set OKD_LAB_STATS_PASSWORD or log in to the stack's backend (pulumi stack output --show-secrets statsPassword)"),
    ];
  }
  const response = await probe.httpGet(url, { user: lb.stats.user, password }, socketPath);
  if (!response.ok) {
    const where = `the stats page listens on the infra node's ${lb.stats.bindAddress}:${lb.stats.port}`;
    return [
      fail(
        statsCheck,
        `GET ${url} failed: ${response.error}`,
        socketPath === undefined
          ? `${where}: open the tunnel first (${statsAccess(plan).tunnel}) and check systemctl status haproxy on the infra node`
          : `${where}, which answered nothing through the tunnel: check systemctl status haproxy on the infra node`,
      ),
    ];
  }
  if (response.status === 401)
    return [fail(statsCheck, "the stats password was refused (401)", "use the password of this stack: pulumi stack output --show-secrets statsPassword")];
  if (response.status !== 200)
    return [fail(statsCheck, `GET ${url} answered ${response.status}`, "check the listen stats section of /etc/haproxy/haproxy.cfg; run pulumi up")];
  let rows: StatsRow[];
  try {
    rows = parseStatsCsv(response.body);
  } catch (err) {
    return [fail(statsCheck, `unreadable stats CSV: ${(err as Error).message}`, "check that the stats port is served by HAProxy")];
  }
  return lb.services.map((service) => {
    const check = `haproxy backend ${service.name}`;
    const servers = rows.filter((r) => r.pxname === service.name && r.svname !== "FRONTEND" && r.svname !== "BACKEND");
    if (!rows.some((r) => r.pxname === service.name)) {
      return fail(check, "not in HAProxy's stats", "the running haproxy.cfg is older than the stack: run pulumi up");
    }
    const planned = service.servers.map((s) => s.name);
    const extra = servers.filter((r) => !planned.includes(r.svname)).map((r) => r.svname);
    const missing = planned.filter((name) => !servers.some((r) => r.svname === name));
    if (extra.length > 0 || missing.length > 0) {
      const parts = [...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []), ...(extra.length > 0 ? [`not in the stack: ${extra.join(", ")}`] : [])];
      return fail(check, parts.join("; "), "the running haproxy.cfg differs from the stack: run pulumi up (it reloads HAProxy)");
    }
    if (planned.length === 0) return pass(check, "no servers planned");
    const down = servers.filter((r) => r.status !== "UP");
    const detail = servers.map((r) => `${r.svname} ${describeServer(r)}`).join(", ");
    if (down.length > 0) {
      const where = down
        .map((r) => {
          const server = service.servers.find((s) => s.name === r.svname);
          return server ? `${service.check.scheme}://${server.ip}:${service.check.port}${service.check.path}` : r.svname;
        })
        .join(", ");
      const coming = down.every((r) => r.status.startsWith("DOWN ")) ? "; it is passing checks again and needs a few more seconds" : "";
      return fail(check, detail, `the health check ${where} must answer 200: ${healthHint(service.name)}${coming}`);
    }
    return pass(check, detail);
  });
}

/** The infra node answers NTP: the nodes sync their clocks from it. */
export async function checkNtp(probe: Probe, plan: LabPlan): Promise<CheckResult> {
  const check = `ntp ${plan.infra.ip}`;
  const result = await probe.ntpQuery(plan.infra.ip);
  if (!result.ok) {
    return fail(
      check,
      result.error ?? "no answer",
      `chronyd on the infra node must run with 'allow ${plan.ntp.allow}' (systemctl status chronyd) and firewalld must open 123/udp`,
    );
  }
  return pass(check, `answered, offset ${result.offsetSeconds ?? "unknown"} s`);
}

/** Every check, in report order: DNS forward, wildcard, apex, reverse, removed nodes, ports, HAProxy backends, NTP. */
export async function runChecks(probe: Probe, target: VerifyTarget): Promise<CheckResult[]> {
  const { plan } = target;
  const guard = async (name: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> => {
    try {
      return await run();
    } catch (err) {
      return [fail(name, `check crashed: ${(err as Error).message}`, "report this as an okd-lab bug")];
    }
  };
  return [
    ...(await guard("dns forward", () => checkForwardRecords(probe, plan))),
    ...(await guard("dns wildcard", async () => [await checkWildcard(probe, plan, target.wildcardLabels)])),
    ...(await guard("dns apex", async () => [await checkApex(probe, plan)])),
    ...(await guard("dns reverse", () => checkReverseRecords(probe, plan))),
    ...(await guard("dns removed", () => checkAbsentNodes(probe, plan, target.absent ?? []))),
    ...(await guard("tcp ports", async () => [await checkPorts(probe, plan, target.scanPorts, target.optionalPorts)])),
    ...(await guard("haproxy", async () =>
      target.statsTunnelError !== undefined
        ? [statsUnreachable(plan, target.statsTunnelError)]
        : checkHaproxyBackends(probe, plan, target.statsPassword, target.statsSocket !== undefined ? { socketPath: target.statsSocket } : target.statsUrl),
    )),
    ...(await guard("ntp", async () => [await checkNtp(probe, plan)])),
  ];
}

/** One report line: `ok    name: detail` or `FAIL  name: detail -> fix: ...`. */
export function formatResult(result: CheckResult): string {
  return result.ok ? `ok    ${result.name}: ${result.detail}` : `FAIL  ${result.name}: ${result.detail} -> fix: ${result.fix}`;
}
