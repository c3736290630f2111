/**
 * End to end, the seed lab (the dev stack, Pulumi.dev.yaml, with its exact addresses): real
 * HAProxy, a real DNS server and chronyd in an "infra" network namespace holding 10.56.0.10,
 * node stand-ins in a "nodes" namespace holding every node address, one veth between them.
 *
 * DNS: CoreDNS cannot be installed on this machine, so BIND's named serves the same rendered zone
 * files (authoritative only, no forwarding). See test/e2e/infraNode.ts for every stand-in.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseLabConfig } from "../../config/labConfig";
import { buildLabPlan, PORTS } from "../../plan/labPlan";
import { renderLabOutputs } from "../../render/labOutputs";
import { renderReadinessGateScript } from "../../render/readinessGate";
import {
  checkAbsentNodes,
  checkApex,
  checkForwardRecords,
  checkNtp,
  checkReverseRecords,
  checkWildcard,
  CheckResult,
  checkPorts,
  checkHaproxyBackends,
  formatResult,
  requiredTcpPorts,
} from "../../verify/checks";
import { kubeletClientCsr, nodeObject, readFakeOcState, writeFakeOcState } from "../fixtures/csrs";
import { makeStandIns, StandIns } from "../integration/powerStandIns";
import { UPSTREAM_ADDRESS, UPSTREAM_NAME } from "./infraNode";
import { E2ELab, OUTSIDER_IP, pulumiWithOutputs, sleep, startLab, tally, waitForServers } from "./lab";
import { devStackConfig, RenderedStack, renderStack, withoutBootstrap, withWorker } from "./stacks";

jest.setTimeout(120_000);

/** The worker the seed design adds first (okd-infra-design.md 7.2: worker2 -> 10.56.0.16). */
const NEW_WORKER = { name: "worker2", ip: "10.56.0.16" };

let workDir: string;
let dev: RenderedStack;
let devPlusWorker: RenderedStack;
let bootstrapDropped: RenderedStack;
let lab: E2ELab;

/** What the helper asked of systemd for a change: reloads only; a restart or start would drop connections. */
function expectHitlessActivation(calls: string[]): void {
  expect(calls).toContain("reload haproxy");
  expect(calls.filter((c) => !/^(is-active --quiet \S+|reload \S+)$/.test(c))).toEqual([]);
}

function failures(results: CheckResult[]): string[] {
  return results.filter((r) => !r.ok).map(formatResult);
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-e2e-render-"));
  dev = await renderStack(workDir, "dev", "dev", devStackConfig());
  devPlusWorker = await renderStack(workDir, "dev-plus-worker", "dev", withWorker(dev.config, NEW_WORKER), dev);
  bootstrapDropped = await renderStack(workDir, "bootstrap-dropped", "dev", withoutBootstrap(devPlusWorker.config), devPlusWorker);
  lab = await startLab("seed", dev, [NEW_WORKER], [workDir]);
}, 180_000);

afterAll(async () => {
  await lab?.teardown();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  if (lab) expect(lab.net.exists()).toBe(false);
});

describe("seed lab: the seed's checks, automated", () => {
  it("uses the seed's exact addresses", () => {
    expect(dev.plan.infra.ip).toBe("10.56.0.10");
    expect(dev.plan.nodes.map((n) => `${n.role} ${n.name} ${n.ip}`)).toEqual([
      "bootstrap bootstrap 10.56.0.11",
      "master master 10.56.0.12",
      "worker worker 10.56.0.13",
    ]);
  });

  it("the first delivery installs every file with the helper and asks systemd to start the services", () => {
    console.log(
      [
        "stand-ins on this machine:",
        `  DNS: BIND named serving the rendered zone files (CoreDNS cannot be installed here)`,
        `  HAProxy: ${lab.infra.haproxyMaxconnCap !== undefined ? `-n ${lab.infra.haproxyMaxconnCap} caps maxconn ${dev.plan.loadBalancer.maxconn} to the open-file limit` : "rendered maxconn as is"}`,
        `  chronyd -x (clock untouched), path directives rewritten: ${lab.infra.chronyRewrites.join("; ")}`,
      ].join("\n"),
    );
    expect(lab.firstDelivery.map((d) => `${d.outcome} ${d.id}`)).toEqual(dev.files.map((f) => `installed ${f.id}`));
    expect(lab.infra.systemctlLog()).toEqual(
      expect.arrayContaining([
        "is-active --quiet coredns",
        "enable --now coredns",
        "is-active --quiet haproxy",
        "enable --now haproxy",
        "is-active --quiet chronyd",
        "enable --now chronyd",
      ]),
    );
  });

  it("dig @10.56.0.10 answers api, api-int, dns, okd-infra and every node with the right address", async () => {
    const results = await checkForwardRecords(lab.probe, dev.plan);
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining(["dns A api.okd-lab.okd.local", "dns A api-int.okd-lab.okd.local", "dns A master.okd-lab.okd.local"]),
    );
    expect(failures(results)).toEqual([]);
  });

  it("*.apps answers the infra address for any label", async () => {
    const result = await checkWildcard(lab.probe, dev.plan, ["console-openshift-console", "oauth-openshift", "x", "a-b-c-1234", "any-label-at-all"]);
    expect(failures([result])).toEqual([]);
  });

  it("PTR answers for every node, api and api-int", async () => {
    const results = await checkReverseRecords(lab.probe, dev.plan);
    expect(results.map((r) => r.name).sort()).toEqual(["dns PTR 10.56.0.10", "dns PTR 10.56.0.11", "dns PTR 10.56.0.12", "dns PTR 10.56.0.13"]);
    expect(results.find((r) => r.name === "dns PTR 10.56.0.10")?.detail).toBe("api.okd-lab.okd.local, api-int.okd-lab.okd.local, okd-infra.okd-lab.okd.local");
    expect(failures(results)).toEqual([]);
  });

  it("nothing answers at the zone apex", async () => {
    expect(failures([await checkApex(lab.probe, dev.plan)])).toEqual([]);
  });

  // BIND mirrors the Corefile's acl (dns.recursionClients): see test/e2e/infraNode.ts. The
  // CoreDNS syntax is checked by test/unit/corefile.test.ts; this proves the policy's shape.
  describe("no open resolver", () => {
    const dig = async (ns: string, args: string[]) => {
      const { output } = await lab.net.run(ns, ["dig", "+time=2", "+tries=1", ...args]);
      return { status: /status: (\w+)/.exec(output)?.[1], answer: /ANSWER SECTION:\n\S+\s+\d+\s+IN\s+A\s+(\S+)/.exec(output)?.[1], output };
    };

    it("recurses for a lab address and for loopback on the infra node", async () => {
      const fromNode = await dig(lab.net.nodesNs, ["-b", dev.plan.nodes[0].ip, `@${dev.plan.infra.ip}`, UPSTREAM_NAME, "A"]);
      expect({ status: fromNode.status, answer: fromNode.answer }).toEqual({ status: "NOERROR", answer: UPSTREAM_ADDRESS });
      const fromLoopback = await dig(lab.net.infraNs, ["@127.0.0.1", UPSTREAM_NAME, "A"]);
      expect({ status: fromLoopback.status, answer: fromLoopback.answer }).toEqual({ status: "NOERROR", answer: UPSTREAM_ADDRESS });
    });

    it("refuses to recurse for a source outside the lab network, and still answers it the lab zones", async () => {
      const outside = await dig(lab.net.nodesNs, ["-b", OUTSIDER_IP, `@${dev.plan.infra.ip}`, UPSTREAM_NAME, "A"]);
      expect(outside.status).toBe("REFUSED");
      const zone = await dig(lab.net.nodesNs, ["-b", OUTSIDER_IP, `@${dev.plan.infra.ip}`, `api-int.${dev.plan.cluster.domain}`, "A"]);
      expect({ status: zone.status, answer: zone.answer }).toEqual({ status: "NOERROR", answer: dev.plan.infra.ip });
    });
  });

  it("a node the stack does not have (yet) does not resolve", async () => {
    expect(failures(await checkAbsentNodes(lab.probe, dev.plan, [NEW_WORKER]))).toEqual([]);
  });

  it("the infra namespace listens on exactly 22 (sshd), 53, 80, 443, 6443 and 22623 (tcp), 53 and 123 (udp) off loopback", async () => {
    const listening = await lab.infra.listening();
    expect(listening.tcp).toEqual([22, PORTS.dns, PORTS.http, PORTS.https, PORTS.api, PORTS.machineConfig].sort((a, b) => a - b));
    expect(listening.tcp).toEqual([22, ...requiredTcpPorts(dev.plan)].sort((a, b) => a - b));
    expect(listening.udp).toEqual([PORTS.dns, PORTS.ntp]);
  });

  it("HAProxy serves the stats page on the infra namespace's loopback only", async () => {
    expect(await lab.infra.tcpListenersOn(PORTS.stats)).toEqual([`127.0.0.1:${PORTS.stats}`]);
  });

  it("from the nodes the stats port is closed, and the page answers through the statsTunnel command (real ssh and sshd)", async () => {
    expect(await lab.probe.connect(dev.plan.infra.ip, PORTS.stats)).toEqual({ ok: false, error: "ECONNREFUSED" });
    const auth = { user: dev.plan.loadBalancer.stats.user, password: dev.statsPassword };
    const direct = await lab.probe.httpGet(`http://${dev.plan.infra.ip}:${PORTS.stats}/;csv`, auth);
    expect(direct.ok).toBe(false);
    const tunnelled = await lab.probe.httpGet(`http://127.0.0.1:${PORTS.stats}/;csv`, auth);
    expect(tunnelled.ok && tunnelled.status).toBe(200);
    expect(tunnelled.ok && tunnelled.body).toMatch(/^# pxname,svname,/);
  });

  it("from the nodes, exactly those tcp ports accept connections", async () => {
    expect(failures([await checkPorts(lab.probe, dev.plan)])).toEqual([]);
  });

  it("HAProxy's stats show every planned server UP", async () => {
    expect(failures(await checkHaproxyBackends(lab.probe, dev.plan, dev.statsPassword))).toEqual([]);
  });

  it("the stats page refuses a wrong password", async () => {
    const results = await checkHaproxyBackends(lab.probe, dev.plan, "not-the-password");
    expect(results.map(formatResult)).toEqual([expect.stringContaining("the stats password was refused (401)")]);
  });
});

describe("seed lab: the readiness gate the Fedora CoreOS domains wait for", () => {
  it("passes once the infra node serves api-int, 6443 and 22623", async () => {
    const { code, output } = await lab.net.run(lab.net.nodesNs, ["bash", "-c", renderReadinessGateScript(dev.plan, 20)], 30_000);
    expect(output).toContain("infra node 10.56.0.10 serves api-int.okd-lab.okd.local, :6443 and :22623");
    expect(code).toBe(0);
  });

  it("fails after its timeout naming what is missing, when no DNS answers at the address it asks", async () => {
    // A node address: its stand-in serves 6443 and 22623 but no DNS.
    const elsewhere = { ...dev.plan, infra: { ...dev.plan.infra, ip: "10.56.0.11" } };
    const { code, output } = await lab.net.run(lab.net.nodesNs, ["bash", "-c", renderReadinessGateScript(elsewhere, 3)], 30_000);
    expect(output).toContain(
      "okd-lab: the infra node is not serving the lab after 3s: api-int.okd-lab.okd.local does not resolve to 10.56.0.11 at 10.56.0.11:53 (CoreDNS).",
    );
    expect(code).toBe(1);
  });
});

describe("seed lab: routing", () => {
  const infra = "10.56.0.10";

  it.each([
    [PORTS.api, "https"],
    [PORTS.machineConfig, "https"],
  ])("port %i reaches exactly bootstrap and master on the same port", async (port, scheme) => {
    const { backends, failures: failed } = await tally(lab, `${scheme}://${infra}:${port}/whoami`, 40);
    expect(failed).toEqual([]);
    expect(Object.keys(backends).sort()).toEqual([`bootstrap:${port}`, `master:${port}`]);
  });

  it("port 80 reaches only the worker's :80 and 443 only the worker's :443, never across", async () => {
    const http = await tally(lab, `http://${infra}:80/`, 30);
    const https = await tally(lab, `https://${infra}:443/`, 30);
    expect([...http.failures, ...https.failures]).toEqual([]);
    expect(http.backends).toEqual({ "worker:80": 30 });
    expect(https.backends).toEqual({ "worker:443": 30 });
  });
});

describe("seed lab: time", () => {
  it("chronyd with the rendered chrony.conf answers an NTP query from the nodes namespace", async () => {
    // chronyd runs a copy of the rendered file in which only path directives point to a temp folder.
    expect(lab.infra.chronyRewrites).toEqual([
      expect.stringMatching(/^driftfile \/var\/lib\/chrony\/drift -> driftfile \//),
      expect.stringMatching(/^logdir \/var\/log\/chrony -> logdir \//),
    ]);
    const result = await checkNtp(lab.probe, dev.plan);
    console.log(`NTP from the nodes namespace: ${formatResult(result)}`);
    expect(failures([result])).toEqual([]);
  });
});

/**
 * `npm run verify -- --stack <stack>` run from inside the lab (the nodes namespace), as a host on
 * the lab network: the stats password, the SSH key and the known_hosts line come from the stack's
 * outputs (the Pulumi stand-in), and verify opens its own tunnel with the real ssh client.
 */
async function verifyCli(stack: RenderedStack, knownHosts?: string): Promise<{ code: number | null; output: string }> {
  const repo = path.resolve(__dirname, "../..");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...pulumiWithOutputs(workDir, stack, lab.ssh, knownHosts),
    TS_NODE_PROJECT: path.join(repo, "tsconfig.json"),
    TS_NODE_TRANSPILE_ONLY: "true",
  };
  delete env.OKD_LAB_STATS_PASSWORD;
  const argv = [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), path.join(repo, "scripts/verify.ts"), "--stack", stack.stack];
  return lab.net.run(lab.net.nodesNs, argv, 90_000, { env, cwd: path.dirname(stack.stackFile) });
}

describe("seed lab: npm run verify", () => {
  it("passes against the healthy lab: one ok line per check, exit 0", async () => {
    const { code, output } = await verifyCli(dev);
    console.log(`npm run verify -- --stack dev, from the nodes namespace:\n${output}`);
    expect(output).toContain("ok    dns A api.okd-lab.okd.local: 10.56.0.10");
    expect(output).toContain("ok    haproxy backend ingress-http: worker UP (L7OK 200)");
    expect(output).toMatch(/^all \d+ checks passed$/m);
    expect(output).not.toContain("FAIL");
    expect(code).toBe(0);
  });

  it("refuses a host whose key is not the pinned one: real ssh says so and the stats line fails", async () => {
    const keyFile = path.join(workDir, "another-host-key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile], { stdio: "ignore" });
    const otherKey = fs.readFileSync(`${keyFile}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    const { code, output } = await verifyCli(dev, `${dev.plan.infra.ip},${dev.plan.infra.fqdn} ${otherKey}\n`);
    console.log(`npm run verify with another known_hosts key:\n${output}`);
    expect(output).toMatch(
      /^FAIL {2}haproxy stats: the ssh tunnel to the infra node did not open: ssh exited \(255\) before the tunnel was up; it said: Host key for 10\.56\.0\.10 has changed and you have requested strict checking\. \/ Host key verification failed\. -> fix: /m,
    );
    expect(output.match(/^FAIL/gm)).toHaveLength(1);
    expect(code).toBe(1);
  });

  it("exits 1 and names the backend and what to fix when the worker's router turns unready", async () => {
    await lab.agent.setReady("worker", PORTS.routerHealth, false);
    try {
      const deadline = Date.now() + 30_000;
      let result = await verifyCli(dev);
      // HAProxy needs 3 failed checks (fall 3): "UP 1/3", "UP 2/3", then DOWN; the http and https
      // backends check on their own schedules, so wait for both.
      const bothDown = (out: string) =>
        out.includes("FAIL  haproxy backend ingress-http: worker DOWN") && out.includes("FAIL  haproxy backend ingress-https: worker DOWN");
      while (!bothDown(result.output) && Date.now() < deadline) {
        await sleep(1000);
        result = await verifyCli(dev);
      }
      expect(result.output).toContain(
        "FAIL  haproxy backend ingress-http: worker DOWN (L7STS 503) -> fix: the health check http://10.56.0.13:1936/healthz/ready must answer 200: check the router pods on that node (oc -n openshift-ingress get pods -o wide)\n",
      );
      expect(result.output).toMatch(/^2 of \d+ checks failed$/m);
      expect(result.code).toBe(1);
    } finally {
      await lab.agent.setReady("worker", PORTS.routerHealth, true);
      await waitForServers(lab, dev, 30_000);
    }
  });
});

/** `npm run start -- --stack dev` run from inside the lab (the nodes namespace), with stand-ins for virsh, pulumi and oc. */
describe("seed lab: npm run start", () => {
  // Pulumi.dev.yaml's libvirt:uri: the stand-in virsh refuses any other connection.
  const uri = "qemu:///system";
  let s: StandIns;
  let project: string;

  beforeAll(() => {
    s = makeStandIns(uri);
    project = path.join(s.dir, "project");
    const assets = path.join(project, ".okd", "dev");
    fs.mkdirSync(path.join(assets, "auth"), { recursive: true });
    fs.writeFileSync(path.join(assets, "auth", "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    fs.copyFileSync(dev.stackFile, path.join(project, "Pulumi.dev.yaml"));
    // The stack after bootstrap-complete: the bootstrap VM is gone, so the outputs list three VMs.
    const outputs = renderLabOutputs(dev.plan, { assetsDir: ".okd/dev", installer: "openshift-install", approveCsrs: false, libvirtUri: "qemu:///system" });
    const nodes = outputs.nodes.filter((n) => n.role !== "bootstrap");
    fs.writeFileSync(path.join(s.pulumiDir, "dev.json"), JSON.stringify({ ...outputs, nodes, kubeconfig: path.join(assets, "auth", "kubeconfig") }));
    for (const n of nodes) s.domain(n.name, "shut off");
    s.domain("okd-bootstrap", "shut off");
    s.domain("someone-elses-vm", "shut off");
    const master = dev.plan.nodes.find((n) => n.role === "master")!;
    const worker = dev.plan.nodes.find((n) => n.role === "worker")!;
    writeFakeOcState(s.ocDir, {
      // After a long stop: both kubelets ask for new client certificates; around them, requests
      // that must never be approved.
      csrs: [
        kubeletClientCsr("csr-master", master.fqdn),
        kubeletClientCsr("csr-worker", worker.fqdn),
        kubeletClientCsr("csr-stranger", "stranger.okd-lab.okd.local"),
        kubeletClientCsr("csr-wrong-requestor", worker.fqdn, { username: "system:serviceaccount:default:builder" }),
        { ...kubeletClientCsr("csr-old", master.fqdn), status: { conditions: [{ type: "Approved", status: "True" }] } },
      ],
      nodes: [nodeObject(master.fqdn, false), nodeObject(worker.fqdn, false)],
      kubelets: { [master.fqdn]: master.ip, [worker.fqdn]: worker.ip },
    });
    fs.writeFileSync(
      path.join(s.ocDir, "clusteroperators.json"),
      JSON.stringify({
        items: [
          { metadata: { name: "etcd" }, status: { conditions: [{ type: "Available", status: "True" }] } },
          { metadata: { name: "ingress" }, status: {} },
        ],
      }),
    );
  });

  afterAll(() => fs.rmSync(s.dir, { recursive: true, force: true }));

  it("boots the infra node, waits until it serves DNS, HAProxy and NTP, then the master and the worker, and approves only their CSRs", async () => {
    const repo = path.resolve(__dirname, "../..");
    const env = { ...s.env, TS_NODE_PROJECT: path.join(repo, "tsconfig.json") };
    const argv = [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), path.join(repo, "scripts/power.ts"), "start", "--stack", "dev"];
    const { code, output } = await lab.net.run(lab.net.nodesNs, argv, 110_000, { env, cwd: project });
    console.log(`npm run start -- --stack dev, from the nodes namespace:\n${output}`);
    expect(s.virshCalls().filter((c) => !c.includes(" domstate "))).toEqual([
      `-c ${uri} start okd-infra`,
      `-c ${uri} start okd-master`,
      `-c ${uri} start okd-worker`,
    ]);
    expect(output).toContain("okd-infra serves DNS, the load balancer and NTP\nstarting the masters: okd-master\n");
    const approved = readFakeOcState(s.ocDir)
      .csrs.filter((c) => ((c.status as { conditions?: { type: string }[] }).conditions ?? []).some((x) => x.type === "Approved"))
      .map((c) => (c.metadata as { name: string }).name)
      .sort();
    expect(approved).toEqual(["csr-master", "csr-old", "csr-worker", "serving-master", "serving-worker"]);
    expect(output).toContain("\nleft alone: csr-stranger, csr-wrong-requestor\n");
    expect(output).toContain("master.okd-lab.okd.local Ready\nworker.okd-lab.okd.local Ready\n");
    expect(output).toContain(
      "cluster operators not available yet (1; they settle within minutes of a restart; watch with 'oc get clusteroperators'):\n  ingress: no Available condition yet\n",
    );
    expect(["okd-bootstrap", "someone-elses-vm"].map((d) => s.state(d))).toEqual(["shut off", "shut off"]);
    expect(code).toBe(0);
  });

  it("keeps the control plane off and names what is missing when nothing serves DNS or NTP at the infra address", async () => {
    // A stack whose infra node sits at 10.56.0.16: a node stand-in there accepts 6443 and 22623
    // but serves no DNS and no NTP.
    const config = { ...dev.config, "okd-lab:infra": { ...(dev.config["okd-lab:infra"] as Record<string, unknown>), ip: "10.56.0.16" } };
    fs.writeFileSync(path.join(project, "Pulumi.elsewhere.yaml"), stringify({ config }));
    const raw = Object.fromEntries(Object.entries(config).flatMap(([k, v]) => (k.startsWith("okd-lab:") ? [[k.slice(8), v]] : [])));
    const plan = buildLabPlan(parseLabConfig(raw, "elsewhere").config);
    const outputs = renderLabOutputs(plan, { assetsDir: ".okd/dev", installer: "openshift-install", approveCsrs: false, libvirtUri: "qemu:///system" });
    const nodes = outputs.nodes.filter((n) => n.role !== "bootstrap");
    fs.writeFileSync(
      path.join(s.pulumiDir, "elsewhere.json"),
      JSON.stringify({ ...outputs, nodes, kubeconfig: path.join(project, ".okd", "dev", "auth", "kubeconfig") }),
    );
    for (const n of nodes) s.domain(n.name, n.role === "infra" ? "running" : "shut off");
    const before = s.virshCalls().length;
    const repo = path.resolve(__dirname, "../..");
    const env = { ...s.env, TS_NODE_PROJECT: path.join(repo, "tsconfig.json") };
    const argv = [
      process.execPath,
      "-r",
      require.resolve("ts-node/register/transpile-only"),
      path.join(repo, "scripts/power.ts"),
      "start",
      "--stack",
      "elsewhere",
      "--readiness-timeout",
      "3",
    ];
    const { code, output } = await lab.net.run(lab.net.nodesNs, argv, 110_000, { env, cwd: project });
    console.log(`npm run start -- --stack elsewhere --readiness-timeout 3, from the nodes namespace:\n${output}`);
    expect(
      s
        .virshCalls()
        .slice(before)
        .filter((c) => !c.includes(" domstate ")),
    ).toEqual([]);
    expect(output).toContain("infra node: already running: okd-infra\n");
    expect(output).toContain("okd-lab start: okd-infra does not serve the lab after 3 s:\n  FAIL  dns A api-int.okd-lab.okd.local: no answer from 10.56.0.16");
    expect(output).toContain(
      "  FAIL  ntp 10.56.0.16: no NTP answer from 10.56.0.16 within 5 s -> fix: chronyd on the infra node must run with 'allow 10.56.0.0/24' (systemctl status chronyd) and firewalld must open 123/udp\n",
    );
    expect(output).not.toContain("FAIL  tcp 10.56.0.16:6443");
    expect(output).toContain(`The control plane was not started. Fix: look at okd-infra (virsh -c ${uri} console okd-infra), then npm run start again.`);
    expect(["okd-master", "okd-worker"].map((d) => s.state(d))).toEqual(["shut off", "shut off"]);
    expect(code).toBe(1);
  });
});

describe("seed lab: hitless change", () => {
  it("adding a worker, then dropping bootstrap, with the helper: zero failed connections; DNS and routing follow", async () => {
    const infra = dev.plan.infra.ip;
    const urls = [`https://${infra}:6443/whoami`, `https://${infra}:22623/whoami`, `http://${infra}:80/`, `https://${infra}:443/`];
    const t0 = Date.now();
    const timeline: string[] = [];
    const step = (what: string) => timeline.push(`  +${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    const load = await lab.agent.loadStart(urls, 10);
    await sleep(1000);

    step("load running");
    // dev + worker2: zones and haproxy.cfg change; the helper validates, swaps and reloads HAProxy.
    lab.infra.clearSystemctlLog();
    const added = await lab.infra.deliver(devPlusWorker);
    expect(added.filter((d) => d.outcome === "installed").map((d) => d.id)).toEqual([
      "zones/okd-lab.okd.local.zone",
      "zones/0.56.10.in-addr.arpa.zone",
      "haproxy.cfg",
    ]);
    expectHitlessActivation(lab.infra.systemctlLog());
    step("delivered dev+worker");
    await lab.infra.waitForZones(devPlusWorker, added);
    step("zones served");
    await waitForServers(lab, devPlusWorker, 20000);
    step("haproxy shows dev+worker");
    await sleep(1500);

    // bootstrap dropped: its records and backends go away.
    lab.infra.clearSystemctlLog();
    const dropped = await lab.infra.deliver(bootstrapDropped);
    expect(dropped.filter((d) => d.outcome === "installed").map((d) => d.id)).toEqual([
      "zones/okd-lab.okd.local.zone",
      "zones/0.56.10.in-addr.arpa.zone",
      "haproxy.cfg",
    ]);
    expectHitlessActivation(lab.infra.systemctlLog());
    step("delivered bootstrap dropped");
    await lab.infra.waitForZones(bootstrapDropped, dropped);
    step("zones served");
    await waitForServers(lab, bootstrapDropped, 20000);
    step("haproxy shows bootstrap dropped");
    await sleep(1500);

    const reports = await lab.agent.loadStop(load);
    step("load stopped");
    console.log(
      [
        "hitless change (the helper validates, swaps and reloads; BIND stands in for CoreDNS):",
        ...timeline,
        ...reports.map((r) => `  ${r.url}: ${r.ok} ok, ${r.failed} failed; ${JSON.stringify(r.backends)}`),
      ].join("\n"),
    );
    expect(reports.map((r) => ({ url: r.url, failed: r.failed, failures: r.failures }))).toEqual(urls.map((url) => ({ url, failed: 0, failures: [] })));
    expect(reports.every((r) => r.ok > 50)).toBe(true);

    // DNS afterwards: the new worker resolves both ways, bootstrap does not.
    expect(failures(await checkForwardRecords(lab.probe, bootstrapDropped.plan))).toEqual([]);
    expect(failures(await checkReverseRecords(lab.probe, bootstrapDropped.plan))).toEqual([]);
    expect(failures(await checkAbsentNodes(lab.probe, bootstrapDropped.plan, [{ name: "bootstrap", ip: "10.56.0.11" }]))).toEqual([]);

    // Routing afterwards: the API never reaches bootstrap, ingress reaches both workers.
    const api = await tally(lab, `https://${infra}:6443/whoami`, 20);
    const mcs = await tally(lab, `https://${infra}:22623/whoami`, 20);
    const http = await tally(lab, `http://${infra}:80/`, 20);
    const https = await tally(lab, `https://${infra}:443/`, 20);
    expect([...api.failures, ...mcs.failures, ...http.failures, ...https.failures]).toEqual([]);
    expect(api.backends).toEqual({ "master:6443": 20 });
    expect(mcs.backends).toEqual({ "master:22623": 20 });
    expect(Object.keys(http.backends).sort()).toEqual(["worker2:80", "worker:80"]);
    expect(Object.keys(https.backends).sort()).toEqual(["worker2:443", "worker:443"]);
  });
});
