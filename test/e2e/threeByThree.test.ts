/**
 * End to end, a 3-master / 3-worker lab (plus bootstrap): the full verify run from inside the lab,
 * routing over many connections, HAProxy's health detection measured, and ingress on the masters
 * once the lab has no workers.
 *
 * DNS: CoreDNS cannot be installed on this machine, so BIND's named serves the same rendered zone
 * files (authoritative only, no forwarding). See test/e2e/infraNode.ts for every stand-in.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PORTS } from "../../plan/labPlan";
import { checkAbsentNodes, formatResult, runChecks } from "../../verify/checks";
import { E2ELab, serverStatus, sleep, startLab, statsRows, tally, waitForServers } from "./lab";
import { RenderedStack, renderStack, threeByThreeStackConfig, withoutWorkers } from "./stacks";

jest.setTimeout(120_000);

/** OKD's UPI requirement: a dead API server leaves the pool within 30 s. */
const DETECTION_LIMIT_MS = 30_000;

/** Seconds of a HAProxy duration such as `5s` or `2000` (milliseconds without a unit). */
function seconds(value: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(value);
  if (!m) throw new Error(`not a HAProxy duration: ${value}`);
  const n = Number(m[1]);
  return m[2] === "s" ? n : m[2] === "m" ? n * 60 : n / 1000;
}

/**
 * The check timing the rendered haproxy.cfg configures (its `default-server` line), and the
 * longest a server that refuses or answers 503 at once may take to go DOWN and to come back UP:
 * up to one `inter` until the first failed check, then `fall - 1` checks `fastinter` apart; back
 * after `rise` passing checks `inter` apart. Two seconds are added for check durations and for
 * polling the stats page every 200 ms on a busy 2-core machine.
 */
function configuredTiming(haproxyCfg: string): { line: string; downMs: number; upMs: number } {
  const line = haproxyCfg.split("\n").find((l) => l.trim().startsWith("default-server "));
  if (!line) throw new Error("the rendered haproxy.cfg has no default-server line");
  const word = (name: string) => {
    const m = new RegExp(`\\b${name} (\\S+)`).exec(line);
    if (!m) throw new Error(`default-server has no ${name}: ${line}`);
    return m[1];
  };
  const inter = seconds(word("inter"));
  const fastinter = seconds(word("fastinter"));
  const fall = Number(word("fall"));
  const rise = Number(word("rise"));
  return { line: line.trim(), downMs: (inter + (fall - 1) * fastinter + 2) * 1000, upMs: (rise * inter + 2) * 1000 };
}

let workDir: string;
let lab3: RenderedStack;
let noWorkers: RenderedStack;
let lab: E2ELab;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-e2e-render-"));
  lab3 = await renderStack(workDir, "three-by-three", "lab3x3", threeByThreeStackConfig());
  noWorkers = await renderStack(workDir, "no-workers", "lab3x3", withoutWorkers(lab3.config), lab3);
  lab = await startLab("3x3", lab3, [], [workDir]);
}, 180_000);

afterAll(async () => {
  await lab?.teardown();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  if (lab) expect(lab.net.exists()).toBe(false);
});

describe("3 masters, 3 workers: verify from inside the lab", () => {
  it("every verify check passes (DNS forward and reverse, wildcard, apex, ports, backends UP, NTP)", async () => {
    const results = await runChecks(lab.probe, { plan: lab3.plan, statsPassword: lab3.statsPassword });
    console.log(`verify from the nodes namespace (3x3):\n${results.map(formatResult).join("\n")}`);
    expect(results.filter((r) => !r.ok).map(formatResult)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "dns A master3.okd-lab.okd.local",
        "dns A worker3.okd-lab.okd.local",
        "dns PTR 10.56.0.17",
        "haproxy backend api",
        "ntp 10.56.0.10",
      ]),
    );
  });
});

describe("3 masters, 3 workers: routing", () => {
  const infra = "10.56.0.10";

  it.each([PORTS.api, PORTS.machineConfig])("port %i reaches exactly bootstrap and the three masters, on the same port", async (port) => {
    const { backends, failures } = await tally(lab, `https://${infra}:${port}/whoami`, 60);
    expect(failures).toEqual([]);
    expect(Object.keys(backends).sort()).toEqual(["bootstrap", "master1", "master2", "master3"].map((n) => `${n}:${port}`));
  });

  it.each([
    [PORTS.http, "http"],
    [PORTS.https, "https"],
  ])("port %i reaches only the workers, on the same port", async (port, scheme) => {
    const { backends, failures } = await tally(lab, `${scheme}://${infra}:${port}/`, 45);
    expect(failures).toEqual([]);
    expect(Object.keys(backends).sort()).toEqual(["worker1", "worker2", "worker3"].map((n) => `${n}:${port}`));
  });
});

describe("3 masters, 3 workers: health", () => {
  it("a master whose 6443 is stopped, and one whose /readyz turns unready, leave the API pool within 30 s and come back", async () => {
    const infra = lab3.plan.infra.ip;
    const api = `https://${infra}:${PORTS.api}/whoami`;
    const load = await lab.agent.loadStart([api], 20);
    await sleep(500);

    const t0 = Date.now();
    await lab.agent.setListening("master1", PORTS.api, false);
    await lab.agent.setReady("master2", PORTS.api, false);
    const down: Record<string, number> = {};
    while (Object.keys(down).length < 2 && Date.now() - t0 < 45_000) {
      const status = serverStatus(await statsRows(lab, lab3));
      for (const name of ["master1", "master2"]) if (down[name] === undefined && status[`api/${name}`]?.startsWith("DOWN")) down[name] = Date.now() - t0;
      await sleep(200);
    }
    const afterDown = serverStatus(await statsRows(lab, lab3));
    await sleep(2000);
    const hitsWhileUnready = (await lab.agent.hits(t0)).filter((h) => h.node === "master2" && h.port === PORTS.api);
    const lastUnreadyHit = hitsWhileUnready.length > 0 ? Math.max(...hitsWhileUnready.map((h) => h.t)) - t0 : 0;

    const t1 = Date.now();
    await lab.agent.setListening("master1", PORTS.api, true);
    await lab.agent.setReady("master2", PORTS.api, true);
    await waitForServers(lab, lab3, 45_000);
    const back = Date.now() - t1;
    await sleep(1000);
    const reports = await lab.agent.loadStop(load);
    const hitsAfterReturn = (await lab.agent.hits(t1)).filter((h) => h.port === PORTS.api);

    const timing = configuredTiming(lab3.files.find((f) => f.id === "haproxy.cfg")!.content);
    console.log(
      [
        `health detection, rendered '${timing.line}': DOWN within ${timing.downMs / 1000} s, UP within ${timing.upMs / 1000} s expected`,
        `  master1 6443 stopped  -> DOWN in HAProxy after ${(down.master1 / 1000).toFixed(1)} s`,
        `  master2 /readyz 503   -> DOWN in HAProxy after ${(down.master2 / 1000).toFixed(1)} s; last API request it received ${(lastUnreadyHit / 1000).toFixed(1)} s after turning unready`,
        `  both healthy again    -> UP after ${(back / 1000).toFixed(1)} s`,
        `  client during the scenario: ${reports[0].ok} ok, ${reports[0].failed} failed; ${JSON.stringify(reports[0].backends)}`,
      ].join("\n"),
    );

    expect({ master1: down.master1 ?? "never DOWN", master2: down.master2 ?? "never DOWN" }).toEqual({
      master1: expect.any(Number),
      master2: expect.any(Number),
    });
    expect(down.master1).toBeLessThan(DETECTION_LIMIT_MS);
    expect(down.master2).toBeLessThan(DETECTION_LIMIT_MS);
    expect(down.master1).toBeLessThanOrEqual(timing.downMs);
    expect(down.master2).toBeLessThanOrEqual(timing.downMs);
    expect(back).toBeLessThanOrEqual(timing.upMs);
    // The stats are polled every 200 ms: an unready master gets nothing once HAProxy marked it DOWN.
    expect(lastUnreadyHit).toBeLessThanOrEqual(down.master2 + 500);
    // Only the API backend follows /readyz and 6443: the machine-config server of both stays in.
    expect({ mc1: afterDown["machine-config/master1"], mc2: afterDown["machine-config/master2"] }).toEqual({ mc1: "UP", mc2: "UP" });
    // New connections never failed: HAProxy redispatches a refused connection to another server.
    // Only a request already in flight on master1 when its listener died may break (at most one
    // per load client, within a second of the stop).
    const late = reports[0].failures.filter((f) => f.t - t0 > 1000);
    expect(late).toEqual([]);
    expect(reports[0].failed).toBeLessThanOrEqual(20);
    expect(new Set(hitsAfterReturn.map((h) => h.node))).toEqual(new Set(["bootstrap", "master1", "master2", "master3"]));
  });
});

describe("3 masters, no workers: ingress on the masters", () => {
  it("after applying the no-worker stack, 80 and 443 reach only the masters, each on its own port", async () => {
    lab.infra.clearSystemctlLog();
    const delivered = await lab.infra.deliver(noWorkers);
    expect(delivered.filter((d) => d.outcome === "installed").map((d) => d.id)).toEqual([
      "zones/okd-lab.okd.local.zone",
      "zones/0.56.10.in-addr.arpa.zone",
      "haproxy.cfg",
    ]);
    await lab.infra.waitForZones(noWorkers, delivered);
    await waitForServers(lab, noWorkers, 30_000);
    const infra = noWorkers.plan.infra.ip;
    const http = await tally(lab, `http://${infra}:80/`, 45);
    const https = await tally(lab, `https://${infra}:443/`, 45);
    expect([...http.failures, ...https.failures]).toEqual([]);
    expect(Object.keys(http.backends).sort()).toEqual(["master1:80", "master2:80", "master3:80"]);
    expect(Object.keys(https.backends).sort()).toEqual(["master1:443", "master2:443", "master3:443"]);
    const gone = lab3.plan.nodes.filter((n) => n.role === "worker").map((n) => ({ name: n.name, ip: n.ip }));
    expect((await checkAbsentNodes(lab.probe, noWorkers.plan, gone)).filter((r) => !r.ok).map(formatResult)).toEqual([]);
  });
});
