/**
 * The verify checks (verify/checks.ts) against a fake lab, healthy and broken in one way at a
 * time, and `npm run verify` (scripts/verify.ts) with a fake host. Messages are pinned: they are
 * what a user reads.
 */
import * as path from "node:path";
import { LabPlan } from "../../plan/labPlan";
import { parseVerifyArgs, runVerify, UsageError, VerifyHost, VerifyOptions } from "../../scripts/verify";
import { StatsTunnelError, StatsTunnelRequest } from "../../verify/statsTunnel";
import {
  BasicAuth,
  checkAbsentNodes,
  checkApex,
  checkForwardRecord,
  checkForwardRecords,
  checkHaproxyBackends,
  checkNtp,
  checkPorts,
  checkReverseRecords,
  checkWildcard,
  CheckResult,
  ConnectResult,
  DnsAnswer,
  formatResult,
  HttpResult,
  mapLimited,
  NtpResult,
  parseStatsCsv,
  Probe,
  RecordType,
  requiredTcpPorts,
  runChecks,
} from "../../verify/checks";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

/** A stats page as HAProxy 2.6 served it in the e2e lab (seed, master's /readyz failing): header, api and ingress-http rows. */
const REAL_STATS_CSV = [
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,",
  "api,FRONTEND,,,0,0,9900,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "api,bootstrap,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,9,0,,1,3,1,,0,,2,0,,0,L7OK,200,2,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,2,0,0,,,,,,,,,,,,,,,,,,,,,,",
  "api,master,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/3,1,1,0,2,0,9,0,,1,3,2,,0,,2,0,,0,L7STS,503,3,,,,,,,,,,,0,0,,,,,-1,Service Unavailable,,0,0,0,0,,,,Layer7 wrong status,,2,3,2,,,,,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,2,1,0,,,,,,,,,,,,,,,,,,,,,,",
  "api,BACKEND,0,0,0,0,990,0,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,9,0,,1,3,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,2,0,0,0,-,4,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,568,120,0,0,",
  "ingress-http,FRONTEND,,,0,0,9900,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,6,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "ingress-http,worker,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,9,0,,1,7,1,,0,,2,0,,0,L7OK,200,1,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,",
  "ingress-http,BACKEND,0,0,0,0,990,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,9,0,,1,7,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,208,62,0,0,",
  "",
].join("\n");

const STATS_COLUMNS = ["pxname", "svname", "status", "check_status", "check_code"];

/** One server state for the fake stats page. */
interface FakeServer {
  status: string;
  check?: string;
  code?: string;
}

/**
 * A lab answering as the plan says, until a test breaks one thing. Addresses are the plan's:
 * DNS answers only on the infra address, as CoreDNS does.
 */
class FakeLab implements Probe {
  readonly a = new Map<string, string[]>();
  readonly ptr = new Map<string, string[]>();
  /** `name type` -> response code replacing the normal answer, e.g. `TIMEOUT`. */
  readonly rcodes = new Map<string, string>();
  wildcard?: { suffix: string; ip: string };
  readonly open: Set<number>;
  readonly servers = new Map<string, FakeServer>();
  stats: HttpResult | undefined;
  ntp: NtpResult = { ok: true, offsetSeconds: -0.000012 };
  readonly httpCalls: { url: string; auth?: BasicAuth; socketPath?: string }[] = [];
  /** Where the stats page answers: the local end of the `ssh -L` tunnel, as on a host that opened it. */
  statsAt = "http://127.0.0.1:9000/";
  /** The unix socket of verify's own tunnel, when one is open. */
  statsSocket?: string;

  constructor(
    readonly plan: LabPlan,
    readonly password = "s3cret",
  ) {
    for (const r of plan.dns.records) {
      if (r.name.startsWith("*.")) this.wildcard = { suffix: `${r.name.slice(2)}.${plan.dns.zone}`, ip: r.ip };
      else this.a.set(`${r.name}.${plan.dns.zone}`, [r.ip]);
    }
    for (const zone of plan.dns.reverseZones) {
      for (const r of zone.records) {
        const ip = [...r.name.split("."), ...zone.zone.replace(/\.in-addr\.arpa$/, "").split(".")].reverse().join(".");
        this.ptr.set(ip, [...(this.ptr.get(ip) ?? []), `${r.fqdn}.`]);
      }
    }
    this.open = new Set(requiredTcpPorts(plan));
    for (const s of plan.loadBalancer.services)
      for (const srv of s.servers) this.servers.set(`${s.name}/${srv.name}`, { status: "UP", check: "L7OK", code: "200" });
  }

  async resolve(name: string, type: RecordType, server: string): Promise<DnsAnswer> {
    const forced = this.rcodes.get(`${name} ${type}`) ?? this.rcodes.get(`* ${type}`);
    if (server !== this.plan.infra.ip || forced === "TIMEOUT") return { rcode: "TIMEOUT", answers: [] };
    if (forced) return { rcode: forced, answers: [] };
    if (type === "PTR") {
      const names = this.ptr.get(name);
      return names ? { rcode: "NOERROR", answers: names } : { rcode: "NXDOMAIN", answers: [] };
    }
    const ips = this.a.get(name);
    if (ips) return { rcode: "NOERROR", answers: ips };
    if (this.wildcard && name.endsWith(`.${this.wildcard.suffix}`)) return { rcode: "NOERROR", answers: [this.wildcard.ip] };
    if (name === this.plan.dns.zone) return { rcode: "NOERROR", answers: [] };
    return { rcode: "NXDOMAIN", answers: [] };
  }

  async connect(ip: string, port: number): Promise<ConnectResult> {
    return ip === this.plan.infra.ip && this.open.has(port) ? { ok: true } : { ok: false, error: "ECONNREFUSED" };
  }

  async httpGet(url: string, auth?: BasicAuth, socketPath?: string): Promise<HttpResult> {
    this.httpCalls.push({ url, auth, ...(socketPath === undefined ? {} : { socketPath }) });
    // The page listens on the infra node's loopback: nothing answers for it on the lab network,
    // only at the local end of a tunnel (a loopback URL, or the unix socket of verify's own).
    if (socketPath !== undefined ? socketPath !== this.statsSocket : !url.startsWith(this.statsAt)) return { ok: false, error: "ECONNREFUSED" };
    if (this.stats) return this.stats;
    if (!auth || auth.user !== "admin" || auth.password !== this.password) return { ok: true, status: 401, body: "<html>401 Unauthorized</html>" };
    const rows = [...this.servers.entries()].map(([key, s]) => {
      const [px, sv] = key.split("/");
      return [px, sv, s.status, s.check ?? "", s.code ?? ""].join(",");
    });
    const fronts = this.plan.loadBalancer.services.flatMap((s) => [`${s.name},FRONTEND,OPEN,,`, `${s.name},BACKEND,UP,,`]);
    return { ok: true, status: 200, body: [`# ${STATS_COLUMNS.join(",")},`, ...fronts, ...rows, ""].join("\n") };
  }

  async ntpQuery(): Promise<NtpResult> {
    return this.ntp;
  }
}

const seed = () => planFor(seedRawConfig());
const notOk = (results: CheckResult[]) => results.filter((r) => !r.ok).map(formatResult);

describe("runChecks against a healthy lab", () => {
  it.each([
    ["seed", seed],
    ["3x3", () => planFor(threeByThreeRawConfig())],
  ])("every check passes for the %s lab", async (_name, makePlan) => {
    const plan = makePlan();
    const results = await runChecks(new FakeLab(plan), { plan, statsPassword: "s3cret" });
    expect(notOk(results)).toEqual([]);
    // One line per forward record (no wildcard), wildcard, apex, one per address, ports, one per backend, NTP.
    const addresses = new Set(plan.dns.reverseZones.flatMap((z) => z.records.map((r) => r.name))).size;
    expect(results).toHaveLength(plan.dns.records.length - 1 + 1 + 1 + addresses + 1 + plan.loadBalancer.services.length + 1);
  });

  it("reports the seed lab in this order and wording", async () => {
    const plan = seed();
    const lines = (await runChecks(new FakeLab(plan), { plan, statsPassword: "s3cret", scanPorts: [22, 8080] })).map(formatResult);
    expect(lines).toEqual([
      "ok    dns A dns.okd-lab.okd.local: 10.56.0.10",
      "ok    dns A api.okd-lab.okd.local: 10.56.0.10",
      "ok    dns A api-int.okd-lab.okd.local: 10.56.0.10",
      "ok    dns A okd-infra.okd-lab.okd.local: 10.56.0.10",
      "ok    dns A bootstrap.okd-lab.okd.local: 10.56.0.11",
      "ok    dns A master.okd-lab.okd.local: 10.56.0.12",
      "ok    dns A worker.okd-lab.okd.local: 10.56.0.13",
      "ok    dns A *.apps.okd-lab.okd.local: 3 labels -> 10.56.0.10",
      "ok    dns A okd-lab.okd.local (apex): no address at the apex",
      "ok    dns PTR 10.56.0.10: api.okd-lab.okd.local, api-int.okd-lab.okd.local, okd-infra.okd-lab.okd.local",
      "ok    dns PTR 10.56.0.11: bootstrap.okd-lab.okd.local",
      "ok    dns PTR 10.56.0.12: master.okd-lab.okd.local",
      "ok    dns PTR 10.56.0.13: worker.okd-lab.okd.local",
      "ok    tcp ports 10.56.0.10: open 53, 80, 443, 6443, 22623; 8 ports probed",
      "ok    haproxy backend api: bootstrap UP (L7OK 200), master UP (L7OK 200)",
      "ok    haproxy backend machine-config: bootstrap UP (L7OK 200), master UP (L7OK 200)",
      "ok    haproxy backend ingress-http: worker UP (L7OK 200)",
      "ok    haproxy backend ingress-https: worker UP (L7OK 200)",
      "ok    ntp 10.56.0.10: answered, offset -0.000012 s",
    ]);
  });

  it("asks the stats page as admin with the given password, for the CSV", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    await checkHaproxyBackends(lab, plan, "s3cret");
    expect(lab.httpCalls).toEqual([{ url: "http://127.0.0.1:9000/;csv", auth: { user: "admin", password: "s3cret" } }]);
  });

  it("asks the stats page at the given local end of the tunnel", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.statsAt = "http://127.0.0.1:19000/";
    const results = await runChecks(lab, { plan, statsPassword: "s3cret", statsUrl: "http://127.0.0.1:19000/", scanPorts: [] });
    expect(notOk(results)).toEqual([]);
    expect(lab.httpCalls).toEqual([{ url: "http://127.0.0.1:19000/;csv", auth: { user: "admin", password: "s3cret" } }]);
  });
});

describe("DNS checks fail with what to fix", () => {
  const zoneFix =
    "the zone okd-lab.okd.local on the infra node differs from the stack: run pulumi up (it reinstalls /etc/coredns/zones/okd-lab.okd.local.zone)";

  it.each<[string, (lab: FakeLab) => void, string]>([
    [
      "a wrong address",
      (lab) => lab.a.set("api.okd-lab.okd.local", ["10.56.0.99"]),
      `FAIL  dns A api.okd-lab.okd.local: answered 10.56.0.99, expected 10.56.0.10 -> fix: ${zoneFix}`,
    ],
    [
      "an extra address",
      (lab) => lab.a.set("api.okd-lab.okd.local", ["10.56.0.10", "10.56.0.11"]),
      `FAIL  dns A api.okd-lab.okd.local: answered 10.56.0.10, 10.56.0.11, expected 10.56.0.10 -> fix: ${zoneFix}`,
    ],
    ["a missing name", (lab) => lab.a.delete("api.okd-lab.okd.local"), `FAIL  dns A api.okd-lab.okd.local: NXDOMAIN, expected 10.56.0.10 -> fix: ${zoneFix}`],
    [
      "no DNS server",
      (lab) => lab.rcodes.set("api.okd-lab.okd.local A", "TIMEOUT"),
      "FAIL  dns A api.okd-lab.okd.local: no answer from 10.56.0.10 -> fix: start CoreDNS on the infra node (systemctl status coredns) and make sure 10.56.0.10:53 (udp and tcp) is reachable from here",
    ],
    [
      "a server that does not serve the zone",
      (lab) => lab.rcodes.set("api.okd-lab.okd.local A", "REFUSED"),
      "FAIL  dns A api.okd-lab.okd.local: 10.56.0.10 answered REFUSED: it does not serve this zone -> fix: check the Corefile and the CoreDNS log on the infra node (journalctl -u coredns); run pulumi up",
    ],
  ])("a forward record: %s", async (_case, breakIt, line) => {
    const plan = seed();
    const lab = new FakeLab(plan);
    breakIt(lab);
    expect(notOk(await checkForwardRecords(lab, plan))).toEqual([line]);
  });

  it("a query that cannot be made says to install dig", async () => {
    const probe = { resolve: async () => ({ rcode: "ERROR", answers: [], error: "dig is not installed" }) } as unknown as Probe;
    const result = await checkForwardRecord(probe, "10.56.0.10", "okd-lab.okd.local", "api", "10.56.0.10");
    expect(formatResult(result)).toBe(
      "FAIL  dns A api.okd-lab.okd.local: query failed: dig is not installed -> fix: install dig (bind-utils on EL, bind9-dnsutils on Debian) on this host",
    );
  });

  it("the wildcard fails when any label misses it, naming the label", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.a.set("x.apps.okd-lab.okd.local", ["10.56.0.12"]);
    expect(formatResult(await checkWildcard(lab, plan, ["console-openshift-console", "x"]))).toBe(
      `FAIL  dns A *.apps.okd-lab.okd.local: x.apps.okd-lab.okd.local answered 10.56.0.12; expected 10.56.0.10 -> fix: ${zoneFix}`,
    );
    lab.wildcard = undefined;
    expect(formatResult(await checkWildcard(lab, plan, ["y"]))).toBe(
      `FAIL  dns A *.apps.okd-lab.okd.local: y.apps.okd-lab.okd.local answered NXDOMAIN; expected 10.56.0.10 -> fix: ${zoneFix}`,
    );
  });

  it("PTR: a missing and an unexpected name are both named", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.ptr.set("10.56.0.10", ["api.okd-lab.okd.local.", "okd-infra.okd-lab.okd.local.", "old.okd-lab.okd.local."]);
    lab.ptr.delete("10.56.0.13");
    const reverseFix =
      "the zone 0.56.10.in-addr.arpa on the infra node differs from the stack: run pulumi up (it reinstalls /etc/coredns/zones/0.56.10.in-addr.arpa.zone)";
    expect(notOk(await checkReverseRecords(lab, plan))).toEqual([
      `FAIL  dns PTR 10.56.0.10: answered api.okd-lab.okd.local, okd-infra.okd-lab.okd.local, old.okd-lab.okd.local; missing api-int.okd-lab.okd.local; unexpected old.okd-lab.okd.local -> fix: ${reverseFix}`,
      `FAIL  dns PTR 10.56.0.13: no PTR record (NXDOMAIN); missing worker.okd-lab.okd.local -> fix: ${reverseFix}`,
    ]);
  });

  it("an address at the apex fails and says why it matters", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.a.set("okd-lab.okd.local", ["10.56.0.10"]);
    expect(formatResult(await checkApex(lab, plan))).toBe(
      "FAIL  dns A okd-lab.okd.local (apex): the apex has an A record (10.56.0.10) -> fix: remove the A record at okd-lab.okd.local (an apex record broke the seed's install); run pulumi up to reinstall the zone",
    );
  });

  it("a zone that is not served at all fails the apex check", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.rcodes.set("okd-lab.okd.local A", "NXDOMAIN");
    expect(formatResult(await checkApex(lab, plan))).toBe(`FAIL  dns A okd-lab.okd.local (apex): NXDOMAIN: the zone itself is not served -> fix: ${zoneFix}`);
  });

  it("a dropped node must be gone forward and reverse", async () => {
    const plan = planFor({ ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } });
    const lab = new FakeLab(plan);
    const bootstrap = [{ name: "bootstrap", ip: "10.56.0.11" }];
    expect((await checkAbsentNodes(lab, plan, bootstrap)).map(formatResult)).toEqual([
      "ok    dns bootstrap.okd-lab.okd.local removed: NXDOMAIN forward, NXDOMAIN reverse",
    ]);
    lab.a.set("bootstrap.okd-lab.okd.local", ["10.56.0.11"]);
    lab.ptr.set("10.56.0.11", ["bootstrap.okd-lab.okd.local."]);
    expect(notOk(await checkAbsentNodes(lab, plan, bootstrap))).toEqual([
      `FAIL  dns bootstrap.okd-lab.okd.local removed: still answers A 10.56.0.11, PTR bootstrap.okd-lab.okd.local -> fix: ${zoneFix}`,
    ]);
  });
});

describe("the port check", () => {
  it("fails naming a required port that does not accept connections", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.open.delete(6443);
    expect(formatResult(await checkPorts(lab, plan, [], []))).toBe(
      "FAIL  tcp ports 10.56.0.10: not accepting: 6443 (ECONNREFUSED) -> fix: check systemctl status haproxy coredns on the infra node and that firewalld opens 53/tcp+udp, 80, 443, 6443 and 22623",
    );
  });

  it("fails on a listener that should not be there, and lets sshd be", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.open.add(22);
    lab.open.add(1936);
    expect(formatResult(await checkPorts(lab, plan, [22, 1936, 8080]))).toBe(
      "FAIL  tcp ports 10.56.0.10: unexpected listeners on 1936 -> fix: stop the service behind each of those ports on the infra node, or close them in firewalld",
    );
    lab.open.delete(1936);
    expect(formatResult(await checkPorts(lab, plan, [22, 1936, 8080]))).toBe("ok    tcp ports 10.56.0.10: open 22, 53, 80, 443, 6443, 22623; 9 ports probed");
  });

  it("fails when the stats page answers on the lab network, even when the scan leaves its port out", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.open.add(9000);
    expect(formatResult(await checkPorts(lab, plan, [], []))).toBe(
      "FAIL  tcp ports 10.56.0.10: unexpected listeners on 9000 -> fix: the stats page must listen on 127.0.0.1:9000 only (run pulumi up to reinstall haproxy.cfg) and firewalld must not open 9000; stop the service behind each of those ports on the infra node, or close them in firewalld",
    );
  });

  it("blames something on the way when nearly every port answers", async () => {
    const plan = seed();
    const everything: Probe = { ...new FakeLab(plan), connect: async () => ({ ok: true }) } as unknown as Probe;
    expect(
      formatResult(
        await checkPorts(
          everything,
          plan,
          Array.from({ length: 100 }, (_, i) => 1000 + i),
        ),
      ),
    ).toBe(
      "FAIL  tcp ports 10.56.0.10: unexpected listeners on 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011 and 89 more -> fix: almost every port accepts a connection: a proxy or firewall between this host and 10.56.0.10 answers for it; run verify from the libvirt host",
    );
  });
});

describe("the HAProxy backend check", () => {
  it("names the DOWN server, its last check and where its health check points", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.servers.set("api/master", { status: "DOWN", check: "L7STS", code: "503" });
    lab.servers.set("ingress-https/worker", { status: "DOWN", check: "L4CON", code: "" });
    expect(notOk(await checkHaproxyBackends(lab, plan, "s3cret"))).toEqual([
      "FAIL  haproxy backend api: bootstrap UP (L7OK 200), master DOWN (L7STS 503) -> fix: the health check https://10.56.0.12:6443/readyz must answer 200: check kube-apiserver on that node (oc get --raw /readyz; sudo crictl ps on the node)",
      "FAIL  haproxy backend ingress-https: worker DOWN (L4CON) -> fix: the health check http://10.56.0.13:1936/healthz/ready must answer 200: check the router pods on that node (oc -n openshift-ingress get pods -o wide)",
    ]);
  });

  it("a server passing its checks again is still reported, with a note that it is coming up", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.servers.set("machine-config/bootstrap", { status: "DOWN 1/2", check: "L7OK", code: "200" });
    expect(notOk(await checkHaproxyBackends(lab, plan, "s3cret"))).toEqual([
      "FAIL  haproxy backend machine-config: bootstrap DOWN 1/2 (L7OK 200), master UP (L7OK 200) -> fix: the health check https://10.56.0.11:22623/healthz must answer 200: check the machine-config server on that node (bootstrap: journalctl -u bootkube; masters: oc -n openshift-machine-config-operator get pods); it is passing checks again and needs a few more seconds",
    ]);
  });

  it("a running config that differs from the stack (bootstrap still in, a worker missing) says to run pulumi up", async () => {
    const plan = planFor({ ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } });
    const lab = new FakeLab(planFor(seedRawConfig()));
    lab.servers.delete("ingress-http/worker");
    expect(notOk(await checkHaproxyBackends(lab, plan, "s3cret"))).toEqual([
      "FAIL  haproxy backend api: not in the stack: bootstrap -> fix: the running haproxy.cfg differs from the stack: run pulumi up (it reloads HAProxy)",
      "FAIL  haproxy backend machine-config: not in the stack: bootstrap -> fix: the running haproxy.cfg differs from the stack: run pulumi up (it reloads HAProxy)",
      "FAIL  haproxy backend ingress-http: missing worker -> fix: the running haproxy.cfg differs from the stack: run pulumi up (it reloads HAProxy)",
    ]);
  });

  it.each<[string, string | undefined, HttpResult | undefined, string]>([
    [
      "no password",
      undefined,
      undefined,
      "FAIL  haproxy stats http://127.0.0.1:9000/: no stats password -> fix: set OKD_LAB_STATS_PASSWORD or log in to the stack's backend (pulumi stack output --show-secrets statsPassword)",
    ],
    [
      "a wrong password",
      "wrong",
      undefined,
      "FAIL  haproxy stats http://127.0.0.1:9000/: the stats password was refused (401) -> fix: use the password of this stack: pulumi stack output --show-secrets statsPassword",
    ],
    [
      "no stats page",
      "s3cret",
      { ok: false, error: "ECONNREFUSED" },
      "FAIL  haproxy stats http://127.0.0.1:9000/: GET http://127.0.0.1:9000/;csv failed: ECONNREFUSED -> fix: the stats page listens on the infra node's 127.0.0.1:9000: open the tunnel first (ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes -N -L 127.0.0.1:9000:127.0.0.1:9000 okd@10.56.0.10) and check systemctl status haproxy on the infra node",
    ],
    [
      "another page",
      "s3cret",
      { ok: true, status: 200, body: "<html>hello</html>" },
      "FAIL  haproxy stats http://127.0.0.1:9000/: unreadable stats CSV: no '# pxname,svname,...' header line -> fix: check that the stats port is served by HAProxy",
    ],
  ])("the stats page: %s", async (_case, password, stats, line) => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.stats = stats;
    expect((await checkHaproxyBackends(lab, plan, password)).map(formatResult)).toEqual([line]);
  });

  it("reads HAProxy 2.6's real CSV by column name", () => {
    const rows = parseStatsCsv(REAL_STATS_CSV);
    const servers = rows
      .filter((r) => r.svname !== "FRONTEND" && r.svname !== "BACKEND")
      .map((r) => `${r.pxname}/${r.svname} ${r.status} ${r.check_status} ${r.check_code}`);
    expect(servers).toEqual(["api/bootstrap UP L7OK 200", "api/master UP 1/3 L7STS 503", "ingress-http/worker UP L7OK 200"]);
  });

  it("a server going down (UP 1/3) already fails", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.stats = { ok: true, status: 200, body: REAL_STATS_CSV };
    const api = (await checkHaproxyBackends(lab, plan, "s3cret")).find((r) => r.name === "haproxy backend api");
    expect(api?.ok).toBe(false);
    expect(api?.detail).toBe("bootstrap UP (L7OK 200), master UP 1/3 (L7STS 503)");
  });
});

describe("the NTP check", () => {
  it("fails with the chrony allow line and the firewall port to check", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    lab.ntp = { ok: false, error: "no NTP answer from 10.56.0.10 within 5 s" };
    expect(formatResult(await checkNtp(lab, plan))).toBe(
      "FAIL  ntp 10.56.0.10: no NTP answer from 10.56.0.10 within 5 s -> fix: chronyd on the infra node must run with 'allow 10.56.0.0/24' (systemctl status chronyd) and firewalld must open 123/udp",
    );
  });
});

describe("runChecks", () => {
  it("turns a crashing probe into a failed line instead of throwing", async () => {
    const plan = seed();
    const lab = new FakeLab(plan);
    const crashing = Object.assign(Object.create(Object.getPrototypeOf(lab)), lab, {
      ntpQuery: async () => {
        throw new Error("boom");
      },
    }) as Probe;
    const results = await runChecks(crashing, { plan, statsPassword: "s3cret", scanPorts: [] });
    expect(notOk(results)).toEqual(["FAIL  ntp: check crashed: boom -> fix: report this as an okd-lab bug"]);
  });

  it("mapLimited keeps the order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe("npm run verify", () => {
  const repo = path.resolve(__dirname, "../..");
  // What `pulumi stack output --show-secrets --json` prints for the stack (the parts verify reads).
  const OUTPUTS = {
    statsPassword: "s3cret",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n",
    knownHosts: "10.56.0.10,okd-infra.okd-lab.okd.local ssh-ed25519 AAAA",
  };
  const SOCKET = "/tmp/okd-lab-verify-x/stats.sock";
  const PASSPHRASE_ERROR = "error: getting stack outputs: incorrect passphrase";
  type TestHost = VerifyHost & { pulumiCalls: string[][]; tunnels: StatsTunnelRequest[]; closed: number; endedWith?: string };
  /** `outputs` is what pulumi prints, or `{ error }` for a pulumi that fails with that first line. */
  const host = (lab: FakeLab, overrides: Partial<VerifyHost> = {}, outputs: Record<string, unknown> | { error: string } = OUTPUTS): TestHost => {
    const h: TestHost = {
      probe: lab,
      env: {},
      pulumi: (args) => {
        h.pulumiCalls.push(args);
        return "error" in outputs && typeof outputs.error === "string" ? { error: outputs.error } : { stdout: JSON.stringify(outputs) };
      },
      openTunnel: async (request) => {
        h.tunnels.push(request);
        return { socketPath: SOCKET, ended: () => h.endedWith, close: async () => void h.closed++ };
      },
      cwd: repo,
      pulumiCalls: [],
      tunnels: [],
      closed: 0,
      ...overrides,
    };
    return h;
  };
  const tunnelled = () => {
    const lab = new FakeLab(seed());
    lab.statsSocket = SOCKET;
    return lab;
  };
  const MANUAL =
    "run the tunnel yourself to see what ssh says (ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes -N -L 127.0.0.1:9000:127.0.0.1:9000 okd@10.56.0.10), then npm run verify -- --stats-url http://127.0.0.1:9000/";

  it("checks the dev stack from Pulumi.dev.yaml through its own tunnel's socket, closes it, and exits 0 when everything passes", async () => {
    const lab = tunnelled();
    const h = host(lab);
    const { lines, code } = await runVerify({ stack: "dev" }, h);
    expect(lines[0]).toBe("verifying stack dev: infra node 10.56.0.10, 3 nodes");
    expect(lines).toContain(`ok    haproxy backend api: bootstrap UP (L7OK 200), master UP (L7OK 200)`);
    expect(lines[lines.length - 1]).toBe("all 19 checks passed");
    expect(code).toBe(0);
    // One read of the outputs gives the password and the tunnel's key and known_hosts line.
    expect(h.pulumiCalls).toEqual([["stack", "output", "--stack", "dev", "--show-secrets", "--json"]]);
    expect(h.tunnels).toEqual([expect.objectContaining({ sshPrivateKey: OUTPUTS.sshPrivateKey, knownHosts: OUTPUTS.knownHosts })]);
    expect(h.tunnels[0].plan.infra.ip).toBe("10.56.0.10");
    expect(lab.httpCalls).toEqual([{ url: "http://127.0.0.1:9000/;csv", auth: { user: "admin", password: "s3cret" }, socketPath: SOCKET }]);
    expect(h.closed).toBe(1);
  });

  it("exits 1 and prints the failing line with its fix", async () => {
    const lab = tunnelled();
    lab.servers.set("api/master", { status: "DOWN", check: "L4CON", code: "" });
    const { lines, code } = await runVerify({ stack: "dev" }, host(lab));
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL  haproxy backend api: bootstrap UP (L7OK 200), master DOWN (L4CON) -> fix: the health check https://10.56.0.12:6443/readyz must answer 200: check kube-apiserver on that node (oc get --raw /readyz; sudo crictl ps on the node)",
    ]);
    expect(lines[lines.length - 1]).toBe("1 of 19 checks failed");
    expect(code).toBe(1);
  });

  it("prefers OKD_LAB_STATS_PASSWORD to the stack's, and with --stats-url asks pulumi nothing and opens no tunnel", async () => {
    const lab = Object.assign(new FakeLab(seed()), { statsAt: "http://127.0.0.1:19000/" });
    const h = host(lab, { env: { OKD_LAB_STATS_PASSWORD: "s3cret" } }, { ...OUTPUTS, statsPassword: "not-this-one" });
    const { code } = await runVerify({ stack: "dev", statsUrl: "http://127.0.0.1:19000/" }, h);
    expect(code).toBe(0);
    expect(h.pulumiCalls).toEqual([]);
    expect(h.tunnels).toEqual([]);
  });

  it("names the tunnel to open when nothing answers at --stats-url", async () => {
    const { lines, code } = await runVerify({ stack: "dev", statsUrl: "http://127.0.0.1:19000/" }, host(tunnelled()));
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL  haproxy stats http://127.0.0.1:19000/: GET http://127.0.0.1:19000/;csv failed: ECONNREFUSED -> fix: the stats page listens on the infra node's 127.0.0.1:9000: open the tunnel first (ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes -N -L 127.0.0.1:9000:127.0.0.1:9000 okd@10.56.0.10) and check systemctl status haproxy on the infra node",
    ]);
    expect(code).toBe(1);
  });

  it("when its tunnel does not open, fails the stats line with ssh's words and the command to run by hand, and checks the rest", async () => {
    const h = host(tunnelled(), {
      openTunnel: async () => {
        throw new StatsTunnelError("ssh exited (255) before the tunnel was up; it said: Host key verification failed.");
      },
    });
    const { lines, code } = await runVerify({ stack: "dev" }, h);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL  haproxy stats: the ssh tunnel to the infra node did not open: ssh exited (255) before the tunnel was up; it said: Host key verification failed. -> fix: ${MANUAL}`,
    ]);
    expect(lines[lines.length - 1]).toBe("1 of 16 checks failed");
    expect(code).toBe(1);
  });

  it("an unexpected failure to start the tunnel is a failed stats line too, never a stack trace", async () => {
    const h = host(tunnelled(), {
      openTunnel: async () => {
        throw new Error("EMFILE: too many open files, mkdtemp");
      },
    });
    const { lines, code } = await runVerify({ stack: "dev" }, h);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL  haproxy stats: the ssh tunnel to the infra node did not open: could not start it: EMFILE: too many open files, mkdtemp -> fix: ${MANUAL}`,
    ]);
    expect(code).toBe(1);
  });

  it("when ssh ends while the checks run, the stats line fails and a note gives ssh's words", async () => {
    const lab = tunnelled();
    const h = host(lab);
    h.endedWith = "Connection to 10.56.0.10 closed by remote host.";
    lab.statsSocket = undefined;
    const { lines, code } = await runVerify({ stack: "dev" }, h);
    expect(lines).toContain("note: verify's ssh tunnel ended early; ssh said: Connection to 10.56.0.10 closed by remote host.");
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL  haproxy stats (ssh tunnel to okd@10.56.0.10): GET http://127.0.0.1:9000/;csv failed: ECONNREFUSED -> fix: the stats page listens on the infra node's 127.0.0.1:9000, which answered nothing through the tunnel: check systemctl status haproxy on the infra node",
    ]);
    expect(h.closed).toBe(1);
    expect(code).toBe(1);
  });

  it("when pulumi cannot give the outputs, says why in the password note and the stats line", async () => {
    const h = host(tunnelled(), {}, { error: PASSPHRASE_ERROR });
    const { lines, code } = await runVerify({ stack: "dev" }, h);
    expect(lines).toContain(
      `note: no stats password: OKD_LAB_STATS_PASSWORD is unset and 'pulumi stack output --show-secrets --json' failed: ${PASSPHRASE_ERROR}`,
    );
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL  haproxy stats: no SSH key and known_hosts line to open the ssh tunnel with: 'pulumi stack output --show-secrets --json' failed: ${PASSPHRASE_ERROR} -> fix: ${MANUAL}`,
    ]);
    expect(h.pulumiCalls).toHaveLength(1);
    expect(h.tunnels).toEqual([]);
    expect(code).toBe(1);
  });

  it("names the output a stack lacks", async () => {
    const { lines } = await runVerify({ stack: "dev" }, host(tunnelled(), {}, { statsPassword: "s3cret", knownHosts: OUTPUTS.knownHosts }));
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL  haproxy stats: no SSH key and known_hosts line to open the ssh tunnel with: the stack has no sshPrivateKey output -> fix: ${MANUAL}`,
    ]);
  });

  it("without any password but with a tunnel, fails the stats line naming where the password comes from", async () => {
    const { lines, code } = await runVerify({ stack: "dev" }, host(tunnelled(), {}, { ...OUTPUTS, statsPassword: "" }));
    expect(lines).toContain("note: no stats password: OKD_LAB_STATS_PASSWORD is unset and the stack has no statsPassword output");
    expect(lines).toContain(
      "FAIL  haproxy stats (ssh tunnel to okd@10.56.0.10): no stats password -> fix: set OKD_LAB_STATS_PASSWORD or log in to the stack's backend (pulumi stack output --show-secrets statsPassword)",
    );
    expect(code).toBe(1);
  });

  it("uses the selected Pulumi stack when --stack is not given, and refuses when there is none", async () => {
    const h = host(tunnelled());
    h.pulumi = (args) => (args[0] === "stack" && args[1] === "--show-name" ? { stdout: "dev\n" } : { stdout: JSON.stringify(OUTPUTS) });
    expect((await runVerify({}, h)).code).toBe(0);
    await expect(runVerify({}, host(tunnelled(), {}, { error: "error: no stack selected" }))).rejects.toThrow(
      new UsageError("no stack given and no Pulumi stack selected: pass --stack NAME"),
    );
  });

  it.each<[string[], VerifyOptions | string]>([
    [[], {}],
    [["--stack", "dev"], { stack: "dev" }],
    [["--stack"], "--stack needs a value"],
    [["--stack", "--other"], "--stack needs a value"],
    [["--stak", "dev"], "unknown argument --stak"],
    [["--stats-url", "http://127.0.0.1:19000/"], { statsUrl: "http://127.0.0.1:19000/" }],
    [["--stack", "dev", "--stats-url", "http://localhost:9000"], { stack: "dev", statsUrl: "http://localhost:9000" }],
    [
      ["--stats-url", "http://admin:s3cret@127.0.0.1:9000/"],
      "--stats-url http://admin:s3cret@127.0.0.1:9000/ is not an http(s) URL of a host and port: give the local end of the ssh -L tunnel, e.g. http://127.0.0.1:9000/",
    ],
    [
      ["--stats-url", "127.0.0.1:9000"],
      "--stats-url 127.0.0.1:9000 is not an http(s) URL of a host and port: give the local end of the ssh -L tunnel, e.g. http://127.0.0.1:9000/",
    ],
  ])("parses %j", (argv, expected) => {
    if (typeof expected === "string") expect(() => parseVerifyArgs(argv)).toThrow(expected);
    else expect(parseVerifyArgs(argv)).toEqual(expected);
  });
});
