/**
 * The host probe of `npm run verify` (verify/hostProbe.ts): dig and chronyd -Q through a fake
 * command runner fed with output captured from the real programs, TCP and HTTP against servers on
 * loopback.
 */
import * as http from "node:http";
import * as net from "node:net";
import { CommandResult, HostProbe, parseChronydQuery, parseDig, RunCommand } from "../../verify/hostProbe";

/** dig 9.18 output captured in the e2e lab (named serving the seed's rendered zones), by case. */
const DIG = {
  NOERROR_A: [
    ";; Got answer:",
    ";; WARNING: .local is reserved for Multicast DNS",
    ";; You are currently testing what happens when an mDNS query is leaked to DNS",
    ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 10344",
    ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: 4860221a5884a29e010000006b08054dda3058c7eda6b05e (good)",
    ";; QUESTION SECTION:",
    ";api.okd-lab.okd.local.\t\tIN\tA",
    "",
    ";; ANSWER SECTION:",
    "api.okd-lab.okd.local.\t300\tIN\tA\t10.56.0.10",
    "",
  ].join("\n"),
  NXDOMAIN_A: [
    ";; Got answer:",
    ";; WARNING: .local is reserved for Multicast DNS",
    ";; You are currently testing what happens when an mDNS query is leaked to DNS",
    ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 42747",
    ";; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: 672234625c96a4e8010000006b08054df25bc107118057f8 (good)",
    ";; QUESTION SECTION:",
    ";nope.okd-lab.okd.local.\t\tIN\tA",
    "",
    ";; AUTHORITY SECTION:",
    "okd-lab.okd.local.\t300\tIN\tSOA\tdns.okd-lab.okd.local. hostmaster.okd-lab.okd.local. 1 3600 600 604800 300",
    "",
  ].join("\n"),
  APEX_A: [
    ";; Got answer:",
    ";; WARNING: .local is reserved for Multicast DNS",
    ";; You are currently testing what happens when an mDNS query is leaked to DNS",
    ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 51666",
    ";; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: 50e62b0743c17c49010000006b08054d9772c500e62987f5 (good)",
    ";; QUESTION SECTION:",
    ";okd-lab.okd.local.\t\tIN\tA",
    "",
    ";; AUTHORITY SECTION:",
    "okd-lab.okd.local.\t300\tIN\tSOA\tdns.okd-lab.okd.local. hostmaster.okd-lab.okd.local. 1 3600 600 604800 300",
    "",
  ].join("\n"),
  PTR_INFRA: [
    ";; Got answer:",
    ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 56687",
    ";; flags: qr aa rd; QUERY: 1, ANSWER: 3, AUTHORITY: 0, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: e2963e90945dd060010000006b08054d34938e06160ffc3a (good)",
    ";; QUESTION SECTION:",
    ";10.0.56.10.in-addr.arpa.\tIN\tPTR",
    "",
    ";; ANSWER SECTION:",
    "10.0.56.10.in-addr.arpa. 300\tIN\tPTR\tokd-infra.okd-lab.okd.local.",
    "10.0.56.10.in-addr.arpa. 300\tIN\tPTR\tapi-int.okd-lab.okd.local.",
    "10.0.56.10.in-addr.arpa. 300\tIN\tPTR\tapi.okd-lab.okd.local.",
    "",
  ].join("\n"),
  NXDOMAIN_PTR: [
    ";; Got answer:",
    ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 19065",
    ";; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: 0dfcc8a2b15e4b5c010000006b08054d9ccc32ed55d42185 (good)",
    ";; QUESTION SECTION:",
    ";99.0.56.10.in-addr.arpa.\tIN\tPTR",
    "",
    ";; AUTHORITY SECTION:",
    "0.56.10.in-addr.arpa.\t300\tIN\tSOA\tdns.okd-lab.okd.local. hostmaster.okd-lab.okd.local. 1 3600 600 604800 300",
    "",
  ].join("\n"),
  REFUSED_A: [
    ";; Got answer:",
    ";; ->>HEADER<<- opcode: QUERY, status: REFUSED, id: 19551",
    ";; flags: qr rd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1",
    ";; WARNING: recursion requested but not available",
    "",
    ";; OPT PSEUDOSECTION:",
    "; EDNS: version: 0, flags:; udp: 1232",
    "; COOKIE: 31d1d677ab67855c010000006b08054d479c65cb9d070d74 (good)",
    ";; QUESTION SECTION:",
    ";www.example.com.\t\tIN\tA",
    "",
  ].join("\n"),
  REFUSED_PORT: [";; communications error to 10.56.0.13#53: connection refused", ";; no servers could be reached", ""].join("\n"),
  UNREACHABLE: [";; UDP setup with 10.99.0.1#53(10.99.0.1) for api.okd-lab.okd.local failed: network unreachable.", ";; no servers could be reached", ""].join(
    "\n",
  ),
};

/** A RunCommand that records its calls and answers from a table. */
function fakeRun(answer: (file: string, args: string[]) => CommandResult): RunCommand & { calls: { file: string; args: string[]; timeoutMs: number }[] } {
  const calls: { file: string; args: string[]; timeoutMs: number }[] = [];
  const run = (async (file: string, args: string[], timeoutMs: number) => {
    calls.push({ file, args, timeoutMs });
    return answer(file, args);
  }) as RunCommand & { calls: typeof calls };
  run.calls = calls;
  return run;
}

describe("parseDig", () => {
  it.each<[string, string, "A" | "PTR", { rcode: string; answers: string[]; error?: string }]>([
    ["an address", DIG.NOERROR_A, "A", { rcode: "NOERROR", answers: ["10.56.0.10"] }],
    ["a missing name (the SOA in the authority section is no answer)", DIG.NXDOMAIN_A, "A", { rcode: "NXDOMAIN", answers: [] }],
    ["the apex, which has no address", DIG.APEX_A, "A", { rcode: "NOERROR", answers: [] }],
    [
      "three PTR records on one address",
      DIG.PTR_INFRA,
      "PTR",
      { rcode: "NOERROR", answers: ["okd-infra.okd-lab.okd.local.", "api-int.okd-lab.okd.local.", "api.okd-lab.okd.local."] },
    ],
    ["a missing PTR", DIG.NXDOMAIN_PTR, "PTR", { rcode: "NXDOMAIN", answers: [] }],
    ["a name outside the lab zones (no recursion)", DIG.REFUSED_A, "A", { rcode: "REFUSED", answers: [] }],
    [
      "no DNS server on the address",
      DIG.REFUSED_PORT,
      "A",
      { rcode: "TIMEOUT", answers: [], error: "communications error to 10.56.0.13#53: connection refused" },
    ],
    [
      "no route to the address",
      DIG.UNREACHABLE,
      "A",
      { rcode: "TIMEOUT", answers: [], error: "UDP setup with 10.99.0.1#53(10.99.0.1) for api.okd-lab.okd.local failed: network unreachable." },
    ],
    [
      "a plain timeout",
      ";; connection timed out; no servers could be reached\n",
      "A",
      { rcode: "TIMEOUT", answers: [], error: "connection timed out; no servers could be reached" },
    ],
  ])("%s", (_case, output, type, expected) => {
    expect(parseDig(output, type)).toEqual(expected);
  });

  it("keeps only records of the asked type", () => {
    const output = DIG.NOERROR_A.replace(
      "api.okd-lab.okd.local.\t300\tIN\tA\t10.56.0.10",
      "api.okd-lab.okd.local.\t300\tIN\tCNAME\tlb.okd-lab.okd.local.\nlb.okd-lab.okd.local.\t300\tIN\tA\t10.56.0.10",
    );
    expect(parseDig(output, "A")).toEqual({ rcode: "NOERROR", answers: ["10.56.0.10"] });
  });

  it("says so when the output is not dig's", () => {
    expect(parseDig("hello\n", "A")).toEqual({ rcode: "ERROR", answers: [], error: "unreadable dig output: hello" });
  });
});

describe("HostProbe.resolve", () => {
  it("runs dig against the given server, forward and reverse", async () => {
    const run = fakeRun((_file, args) => ({ code: 0, stdout: args.includes("-x") ? DIG.PTR_INFRA : DIG.NOERROR_A, stderr: "" }));
    const probe = new HostProbe({ run });
    expect(await probe.resolve("api.okd-lab.okd.local", "A", "10.56.0.10")).toEqual({ rcode: "NOERROR", answers: ["10.56.0.10"] });
    expect((await probe.resolve("10.56.0.10", "PTR", "10.56.0.10")).answers).toHaveLength(3);
    expect(run.calls.map((c) => [c.file, ...c.args].join(" "))).toEqual([
      "dig +time=2 +tries=2 +nostats +nocmd @10.56.0.10 api.okd-lab.okd.local A",
      "dig +time=2 +tries=2 +nostats +nocmd @10.56.0.10 -x 10.56.0.10",
    ]);
  });

  it.each<[string, CommandResult, { rcode: string; error?: string }]>([
    ["dig missing", { code: null, stdout: "", stderr: "", error: "ENOENT" }, { rcode: "ERROR", error: "dig is not installed" }],
    ["dig killed by the timeout", { code: null, stdout: "", stderr: "", error: "timeout" }, { rcode: "TIMEOUT", error: "dig ran out of time" }],
    ["no server", { code: 9, stdout: DIG.REFUSED_PORT, stderr: "" }, { rcode: "TIMEOUT", error: "communications error to 10.56.0.13#53: connection refused" }],
  ])("reports %s", async (_case, result, expected) => {
    const probe = new HostProbe({ run: fakeRun(() => result) });
    expect(await probe.resolve("api.okd-lab.okd.local", "A", "10.56.0.10")).toEqual({ answers: [], ...expected });
  });
});

describe("HostProbe.ntpQuery", () => {
  const answered = [
    "2026-11-26T09:53:25Z chronyd version 4.3 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP +SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG)",
    "2026-11-26T09:53:25Z Disabled control of system clock",
    "2026-11-26T09:53:25Z System clock wrong by -0.000002 seconds (ignored)",
    "2026-11-26T09:53:25Z chronyd exiting",
    "",
  ].join("\n");
  const timedOut = [
    "2026-11-26T09:53:28Z chronyd version 4.3 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP +SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 -DEBUG)",
    "2026-11-26T09:53:28Z Disabled control of system clock",
    "2026-11-26T09:53:31Z Timeout reached",
    "2026-11-26T09:53:31Z chronyd exiting",
    "",
  ].join("\n");

  it("queries once with chronyd -Q, never touching the clock, and reads the offset", async () => {
    const run = fakeRun(() => ({ code: 0, stdout: "", stderr: answered }));
    expect(await new HostProbe({ run, ntpTimeoutSeconds: 3 }).ntpQuery("10.56.0.10")).toEqual({ ok: true, offsetSeconds: -0.000002 });
    expect(run.calls).toEqual([{ file: "chronyd", args: ["-Q", "-t", "3", "server 10.56.0.10 iburst maxsamples 1"], timeoutMs: 8000 }]);
  });

  it.each<[string, CommandResult, string]>([
    ["no answer", { code: 1, stdout: "", stderr: timedOut }, "no NTP answer from 10.56.0.10 within 5 s"],
    ["killed by the timeout", { code: null, stdout: "", stderr: "", error: "timeout" }, "no NTP answer from 10.56.0.10 within 5 s"],
    [
      "chronyd missing",
      { code: null, stdout: "", stderr: "", error: "ENOENT" },
      "chronyd is not installed on this host (install the chrony package to query NTP)",
    ],
    [
      "any other failure with its last line",
      { code: 1, stdout: "", stderr: "line one\nsomething else went wrong\n" },
      "chronyd -Q failed (exit 1): something else went wrong",
    ],
  ])("reports %s", async (_case, result, error) => {
    expect(await new HostProbe({ run: fakeRun(() => result) }).ntpQuery("10.56.0.10")).toEqual({ ok: false, error });
  });

  it("parseChronydQuery reads a positive offset too", () => {
    expect(parseChronydQuery("System clock wrong by 1.250000 seconds (ignored)")).toBe(1.25);
    expect(parseChronydQuery("nothing here")).toBeUndefined();
  });
});

describe("HostProbe.connect and httpGet (loopback servers)", () => {
  const servers: net.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  function listen(server: net.Server): Promise<number> {
    servers.push(server);
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
  }

  it("connect succeeds on a listening port and names the error on a closed one", async () => {
    const port = await listen(net.createServer((s) => s.end()));
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    const probe = new HostProbe();
    expect(await probe.connect("127.0.0.1", port)).toEqual({ ok: true });
    expect(await probe.connect("127.0.0.1", closedPort)).toEqual({ ok: false, error: "ECONNREFUSED" });
  });

  it("httpGet sends basic auth on a fresh connection and returns status and body", async () => {
    const seen: { auth?: string; connection?: string }[] = [];
    const port = await listen(
      http.createServer((req, res) => {
        seen.push({ auth: req.headers.authorization, connection: req.headers.connection });
        res.writeHead(req.headers.authorization ? 200 : 401);
        res.end("# pxname,svname\n");
      }),
    );
    const probe = new HostProbe();
    expect(await probe.httpGet(`http://127.0.0.1:${port}/;csv`, { user: "admin", password: "s3cret" })).toEqual({
      ok: true,
      status: 200,
      body: "# pxname,svname\n",
    });
    expect(await probe.httpGet(`http://127.0.0.1:${port}/;csv`)).toEqual({ ok: true, status: 401, body: "# pxname,svname\n" });
    expect(seen).toEqual([
      { auth: `Basic ${Buffer.from("admin:s3cret").toString("base64")}`, connection: "close" },
      { auth: undefined, connection: "close" },
    ]);
  });

  it("httpGet gives up on a server that accepts and never answers", async () => {
    const port = await listen(net.createServer(() => undefined));
    expect(await new HostProbe({ timeoutMs: 200 }).httpGet(`http://127.0.0.1:${port}/`)).toEqual({ ok: false, error: "timeout after 200 ms" });
  });

  it("httpGet reports a connection cut in the middle of the body", async () => {
    const port = await listen(
      net.createServer((socket) => {
        socket.once("data", () => {
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
          setTimeout(() => socket.destroy(), 20);
        });
      }),
    );
    const result = await new HostProbe({ timeoutMs: 2000 }).httpGet(`http://127.0.0.1:${port}/`);
    expect(result).toEqual({ ok: false, error: "connection closed before the response ended" });
  });
});
