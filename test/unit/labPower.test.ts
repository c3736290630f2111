/**
 * `npm run stop` / `npm run start` (host/labPower.ts) against a simulated libvirt, cluster and
 * clock: the order, the waits and their bounds, the young-cluster refusal, and the messages a user
 * reads (pinned).
 */
import { InstallTime } from "../../host/clusterAge";
import { LabInventory, LabVm } from "../../host/labInventory";
import { Clock } from "../../host/infraReadiness";
import { CsrApprovalResult } from "../../host/csrApproval";
import { csrNodes, OcRun, PowerHost, startLab, stopLab, unavailableOperators, VirshLike } from "../../host/labPower";
import { VirshError } from "../../host/virsh";
import { ConnectResult, DnsAnswer, HttpResult, NtpResult, Probe, RecordType } from "../../verify/checks";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

const NOW = Date.parse("2026-11-30T12:00:00Z");
const HOUR = 3_600_000;
const URI = "qemu+ssh://root@kvm1/system";

function labOf(raw = seedRawConfig(), withBootstrap = true): LabInventory {
  const plan = planFor(raw);
  const vms: LabVm[] = [
    { name: plan.infra.domainName, role: "infra", ip: plan.infra.ip, fqdn: plan.infra.fqdn },
    ...plan.nodes.filter((n) => withBootstrap || n.role !== "bootstrap").map((n) => ({ name: n.domainName, role: n.role, ip: n.ip, fqdn: n.fqdn })),
  ];
  return { stack: "dev", libvirtUri: URI, vms, kubeconfig: "/lab/.okd/dev/auth/kubeconfig", assetsDir: "/lab/.okd/dev", plan };
}

/** A libvirt with one behaviour per domain: how many polls a shutdown takes, or never. */
class FakeLibvirt implements VirshLike {
  readonly uri = URI;
  readonly events: string[] = [];
  readonly states = new Map<string, string>();
  /** Polls after which a shutdown completes; Infinity = ignores the power button. */
  readonly shutdownPolls = new Map<string, number>();
  private readonly countdown = new Map<string, number>();
  readonly unknown = new Set<string>();
  failStart?: string;

  constructor(vms: LabVm[], state: string) {
    for (const vm of vms) this.states.set(vm.name, state);
  }

  commandLine(...args: string[]): string {
    return ["virsh", "-c", this.uri, ...args].join(" ");
  }

  async domainState(name: string): Promise<string> {
    if (this.unknown.has(name)) throw new VirshError(`'virsh -c ${URI} domstate ${name}' failed: failed to get domain '${name}'`);
    const left = this.countdown.get(name);
    if (left !== undefined) {
      if (left <= 1) {
        this.countdown.delete(name);
        this.states.set(name, "shut off");
        this.events.push(`off ${name}`);
      } else this.countdown.set(name, left - 1);
    }
    return this.states.get(name) ?? "?";
  }

  async shutdown(name: string): Promise<void> {
    this.events.push(`shutdown ${name}`);
    this.countdown.set(name, this.shutdownPolls.get(name) ?? 1);
  }

  async start(name: string): Promise<void> {
    this.events.push(`start ${name}`);
    if (this.failStart === name)
      throw new VirshError(`'virsh -c ${URI} start ${name}' failed: Requested operation is not valid: network 'okd-net' is not active`);
    this.states.set(name, "running");
  }
}

class FakeClock implements Clock {
  t = NOW;
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

/** The infra node's services: answer once `readyAfter` polls have passed. */
class FakeInfraProbe implements Probe {
  polls = 0;
  constructor(
    private readonly ip: string,
    private readonly readyAfterDnsQueries: number,
    private readonly events: string[],
  ) {}
  private get up(): boolean {
    return this.polls > this.readyAfterDnsQueries;
  }
  async resolve(name: string, type: RecordType): Promise<DnsAnswer> {
    this.polls++;
    this.events.push(`dns ${name} ${type}`);
    return this.up ? { rcode: "NOERROR", answers: [this.ip] } : { rcode: "TIMEOUT", answers: [], error: "connection timed out; no servers could be reached" };
  }
  async connect(): Promise<ConnectResult> {
    return this.up ? { ok: true } : { ok: false, error: "ECONNREFUSED" };
  }
  async httpGet(): Promise<HttpResult> {
    return { ok: false, error: "not used" };
  }
  async ntpQuery(): Promise<NtpResult> {
    return this.up ? { ok: true, offsetSeconds: 0.0001 } : { ok: false, error: "no NTP answer from 10.56.0.10 within 5 s" };
  }
}

interface World {
  host: PowerHost;
  libvirt: FakeLibvirt;
  clock: FakeClock;
  lines: string[];
  ocCalls: string[][];
  approvals: { nodes: LabVm[]; timeoutSeconds: number }[];
}

function world(
  lab: LabInventory,
  state: string,
  opts: {
    assets?: InstallTime;
    apiCreated?: string | OcRun;
    approve?: (nodes: LabVm[]) => Promise<CsrApprovalResult>;
    infraReadyAfter?: number;
    operators?: string;
  } = {},
): World {
  const libvirt = new FakeLibvirt(lab.vms, state);
  const clock = new FakeClock();
  const lines: string[] = [];
  const ocCalls: string[][] = [];
  const approvals: World["approvals"] = [];
  const probe = new FakeInfraProbe(lab.plan.infra.ip, opts.infraReadyAfter ?? 0, libvirt.events);
  const host: PowerHost = {
    virsh: libvirt,
    probe,
    oc: async (args) => {
      ocCalls.push(args);
      if (args[1] === "clusterversion") {
        const api = opts.apiCreated ?? "2026-11-20T08:00:00Z";
        return typeof api === "string" ? { code: 0, stdout: api, stderr: "" } : api;
      }
      if (args[1] === "nodes") return { code: 0, stdout: "NAME STATUS\nmaster.okd-lab.okd.local Ready\nworker.okd-lab.okd.local Ready\n", stderr: "" };
      if (args[1] === "clusteroperators") return { code: 0, stdout: opts.operators ?? JSON.stringify({ items: [] }), stderr: "" };
      return { code: 1, stdout: "", stderr: `unexpected oc ${args.join(" ")}` };
    },
    approve: async (nodes, timeoutSeconds) => {
      approvals.push({ nodes, timeoutSeconds });
      libvirt.events.push(`approve ${nodes.map((n) => n.name).join(",")}`);
      return opts.approve ? opts.approve(nodes) : { approved: ["csr-a", "csr-b"], refused: [], ready: nodes.map((n) => n.fqdn) };
    },
    assetsInstallTime: () => opts.assets ?? { at: new Date(NOW - 240 * HOUR), source: "/lab/.okd/dev/.okd-lab/generated-at" },
    clock,
    log: (line) => lines.push(line),
  };
  return { host, libvirt, clock, lines, ocCalls, approvals };
}

const STOP = { force: false, timeoutSeconds: 300 };
const START = { readinessTimeoutSeconds: 900, csrTimeoutSeconds: 3600 };

describe("npm run stop", () => {
  it("shuts down workers, then masters, then the bootstrap, the infra node last, each group off before the next", async () => {
    const lab = labOf(threeByThreeRawConfig());
    const w = world(lab, "running");
    expect(await stopLab(lab, w.host, STOP)).toBe(0);
    const ev = w.libvirt.events;
    const idx = (e: string) => ev.indexOf(e);
    for (const worker of ["okd-worker1", "okd-worker2", "okd-worker3"]) {
      expect(idx(`off ${worker}`)).toBeLessThan(idx("shutdown okd-master1"));
    }
    for (const master of ["okd-master1", "okd-master2", "okd-master3"]) expect(idx(`off ${master}`)).toBeLessThan(idx("shutdown okd-bootstrap"));
    expect(idx("off okd-bootstrap")).toBeLessThan(idx("shutdown okd-infra"));
    expect(ev.filter((e) => e.startsWith("shutdown ")).map((e) => e.slice(9))).toEqual([
      "okd-worker1",
      "okd-worker2",
      "okd-worker3",
      "okd-master1",
      "okd-master2",
      "okd-master3",
      "okd-bootstrap",
      "okd-infra",
    ]);
    expect(w.lines[w.lines.length - 1]).toBe("stack dev: 8 VMs shut off, nothing deleted; npm run start brings the lab back");
  });

  it("acts only on the VMs of the stack's nodes output", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "running");
    w.libvirt.states.set("someone-elses-vm", "running");
    await stopLab(lab, w.host, STOP);
    expect(w.libvirt.events.filter((e) => e.startsWith("shutdown "))).toEqual(["shutdown okd-worker", "shutdown okd-master", "shutdown okd-infra"]);
    expect(w.libvirt.states.get("someone-elses-vm")).toBe("running");
  });

  it("skips VMs that are already off and does nothing when all are", async () => {
    const lab = labOf();
    const w = world(lab, "shut off");
    expect(await stopLab(lab, w.host, STOP)).toBe(0);
    expect(w.libvirt.events).toEqual([]);
    expect(w.ocCalls).toEqual([]);
    expect(w.lines).toEqual(["stack dev: all 4 VMs are already shut off"]);
  });

  it("refuses a cluster younger than its first certificate rotation, before touching any VM", async () => {
    const lab = labOf();
    const w = world(lab, "running", {
      assets: { at: new Date(NOW - 3 * HOUR), source: "/lab/.okd/dev/.okd-lab/generated-at" },
      apiCreated: "2026-11-30T09:30:00Z",
    });
    expect(await stopLab(lab, w.host, STOP)).toBe(3);
    expect(w.libvirt.events).toEqual([]);
    expect(w.lines).toEqual([
      "okd-lab stop: refused: the cluster is younger than its first certificate rotation: installed 2026-11-30T09:30:00.000Z (the cluster API (clusterversion/version created)), 2.5 h ago. " +
        "The installer's kubelet certificates expire at 2026-12-01T09:30:00.000Z and the cluster renews them only while it runs; stopped now and started after that, its nodes come back with expired certificates (openshift/installer #818).",
      "Fix: leave it running until 2026-12-01T09:30:00.000Z, or stop it anyway with 'npm run stop -- --stack dev --force' (npm run start approves the nodes' new CSRs).",
    ]);
  });

  it("stops the infra node of a young cluster whose nodes are already off, without asking the cluster", async () => {
    const lab = labOf();
    const w = world(lab, "shut off", { assets: { at: new Date(NOW - HOUR), source: "a" } });
    w.libvirt.states.set("okd-infra", "running");
    expect(await stopLab(lab, w.host, STOP)).toBe(0);
    expect(w.ocCalls).toEqual([]);
    expect(w.lines[0]).toBe("cluster nodes: already shut off");
    expect(w.libvirt.events).toEqual(["shutdown okd-infra", "off okd-infra"]);
  });

  it("takes the assets' time when the API does not answer, and says so", async () => {
    const lab = labOf();
    const w = world(lab, "running", {
      assets: { at: new Date(NOW - 23 * HOUR), source: "/lab/.okd/dev/.okd-lab/generated-at" },
      apiCreated: { code: 1, stdout: "", stderr: "Unable to connect to the server: dial tcp 10.56.0.10:6443: connect: connection refused" },
    });
    expect(await stopLab(lab, w.host, STOP)).toBe(3);
    expect(w.lines[0]).toBe(
      "note: the cluster API did not say when it was installed (Unable to connect to the server: dial tcp 10.56.0.10:6443: connect: connection refused): the install time comes from the installer assets alone",
    );
    expect(w.lines[1]).toContain("installed 2026-11-29T13:00:00.000Z (/lab/.okd/dev/.okd-lab/generated-at), 23.0 h ago");
  });

  it("stops a young cluster with --force, after a warning", async () => {
    const lab = labOf();
    const w = world(lab, "running", { assets: { at: new Date(NOW - HOUR), source: "a" }, apiCreated: "2026-11-30T11:00:00Z" });
    expect(await stopLab(lab, w.host, { ...STOP, force: true })).toBe(0);
    expect(w.lines[0]).toMatch(/^warning: the cluster is younger than its first certificate rotation: .* Stopping anyway \(--force\)\.$/);
    expect(w.libvirt.states.get("okd-infra")).toBe("shut off");
  });

  it("stops a cluster older than a day without asking, dating it by the later witness", async () => {
    const lab = labOf();
    const w = world(lab, "running", { assets: { at: new Date(NOW - 25 * HOUR), source: "/a/generated-at" }, apiCreated: "2026-11-29T11:30:00Z" });
    expect(await stopLab(lab, w.host, STOP)).toBe(0);
    expect(w.lines[0]).toBe("cluster: installed 2026-11-29T11:30:00.000Z (the cluster API (clusterversion/version created)), 24.5 h ago");
  });

  it("gives up after the bound when a VM ignores the power button, names it, and leaves the rest running", async () => {
    const lab = labOf();
    const w = world(lab, "running");
    w.libvirt.shutdownPolls.set("okd-worker", Infinity);
    expect(await stopLab(lab, w.host, { ...STOP, timeoutSeconds: 60, pollSeconds: 5 })).toBe(1);
    expect(w.clock.t - NOW).toBe(60_000);
    expect(w.libvirt.events).toEqual(["shutdown okd-worker"]);
    expect(w.lines.slice(-3)).toEqual([
      "okd-lab stop: okd-worker did not power off within 60 s (state: running).",
      "Still running, not asked to stop: okd-master, okd-bootstrap, okd-infra.",
      `Fix: look at its console (virsh -c ${URI} console okd-worker) and run npm run stop again; to cut its power instead (like pulling the plug): virsh -c ${URI} destroy okd-worker.`,
    ]);
  });

  it("waits as long as a slow VM needs within the bound", async () => {
    const lab = labOf();
    const w = world(lab, "running");
    w.libvirt.shutdownPolls.set("okd-master", 12);
    expect(await stopLab(lab, w.host, { ...STOP, timeoutSeconds: 60, pollSeconds: 5 })).toBe(0);
  });

  it("names a VM libvirt does not know and changes nothing", async () => {
    const lab = labOf();
    const w = world(lab, "running");
    w.libvirt.unknown.add("okd-worker");
    await expect(stopLab(lab, w.host, STOP)).rejects.toThrow(
      `cannot read the state of the stack's VMs at ${URI}; nothing was changed:\n` +
        `  okd-worker: 'virsh -c ${URI} domstate okd-worker' failed: failed to get domain 'okd-worker'\n` +
        `Fix: check the connection (virsh -c ${URI} list --all); a VM the stack lists but libvirt lacks is recreated by npm run up.`,
    );
    expect(w.libvirt.events).toEqual([]);
  });
});

describe("npm run start", () => {
  it("starts the infra node, waits until it serves, then bootstrap, masters, workers, then approves the nodes", async () => {
    const lab = labOf(threeByThreeRawConfig());
    const w = world(lab, "shut off", { infraReadyAfter: 3 });
    expect(await startLab(lab, w.host, { ...START, pollSeconds: 5 })).toBe(0);
    const ev = w.libvirt.events;
    expect(ev[0]).toBe("start okd-infra");
    const lastDns = ev.lastIndexOf("dns api-int.okd-lab.okd.local A");
    expect(lastDns).toBeGreaterThan(0);
    expect(ev.slice(lastDns + 1)).toEqual([
      "start okd-bootstrap",
      "start okd-master1",
      "start okd-master2",
      "start okd-master3",
      "start okd-worker1",
      "start okd-worker2",
      "start okd-worker3",
      "approve okd-master1,okd-master2,okd-master3,okd-worker1,okd-worker2,okd-worker3",
    ]);
    expect(w.approvals[0].timeoutSeconds).toBe(3600);
    expect(w.lines).toContain("waiting for okd-infra: dns A api-int.okd-lab.okd.local, tcp 10.56.0.10:6443, tcp 10.56.0.10:22623, ntp 10.56.0.10");
    expect(w.lines).toContain("okd-infra serves DNS, the load balancer and NTP");
  });

  it("never starts the control plane when the infra node does not serve in time", async () => {
    const lab = labOf();
    const w = world(lab, "shut off", { infraReadyAfter: Infinity });
    expect(await startLab(lab, w.host, { ...START, readinessTimeoutSeconds: 30, pollSeconds: 5 })).toBe(1);
    expect(w.libvirt.events.filter((e) => e.startsWith("start "))).toEqual(["start okd-infra"]);
    expect(w.approvals).toEqual([]);
    expect(w.lines.slice(-2)).toEqual([
      "okd-lab start: okd-infra does not serve the lab after 30 s:\n" +
        "  FAIL  dns A api-int.okd-lab.okd.local: no answer from 10.56.0.10 (connection timed out; no servers could be reached) -> fix: start CoreDNS on the infra node (systemctl status coredns) and make sure 10.56.0.10:53 (udp and tcp) is reachable from here\n" +
        "  FAIL  tcp 10.56.0.10:6443: ECONNREFUSED -> fix: check systemctl status haproxy on okd-infra and that firewalld opens 6443\n" +
        "  FAIL  tcp 10.56.0.10:22623: ECONNREFUSED -> fix: check systemctl status haproxy on okd-infra and that firewalld opens 22623\n" +
        "  FAIL  ntp 10.56.0.10: no NTP answer from 10.56.0.10 within 5 s -> fix: chronyd on the infra node must run with 'allow 10.56.0.0/24' (systemctl status chronyd) and firewalld must open 123/udp",
      `The control plane was not started. Fix: look at okd-infra (virsh -c ${URI} console okd-infra), then npm run start again.`,
    ]);
  });

  it("recovers a lab that autostart brought up all at once: starts nothing, still waits for the infra node and approves", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "running");
    expect(await startLab(lab, w.host, START)).toBe(0);
    expect(w.libvirt.events.filter((e) => e.startsWith("start "))).toEqual([]);
    expect(w.lines).toContain("infra node: already running: okd-infra");
    expect(w.approvals.map((a) => a.nodes.map((n) => n.name))).toEqual([["okd-master", "okd-worker"]]);
  });

  it("reports a failed approval, still prints the cluster, and exits 1", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "shut off", {
      approve: async () => {
        throw new Error("CSR approval timed out after 3600 s waiting for worker.okd-lab.okd.local to be Ready; last seen: NotReady");
      },
      operators: JSON.stringify({
        items: [
          { metadata: { name: "etcd" }, status: { conditions: [{ type: "Available", status: "True" }] } },
          { metadata: { name: "ingress" }, status: { conditions: [{ type: "Available", status: "False", message: "no router pods" }] } },
          { metadata: { name: "console" }, status: {} },
        ],
      }),
    });
    expect(await startLab(lab, w.host, START)).toBe(1);
    expect(w.lines).toContain("okd-lab start: CSR approval timed out after 3600 s waiting for worker.okd-lab.okd.local to be Ready; last seen: NotReady");
    expect(w.lines.slice(-3)).toEqual([
      "cluster operators not available yet (2; they settle within minutes of a restart; watch with 'oc get clusteroperators'):",
      "  ingress: Available=False: no router pods",
      "  console: no Available condition yet",
    ]);
    expect(w.lines).toContain("master.okd-lab.okd.local Ready");
  });

  it("names the CSRs the approval left alone", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "shut off", {
      approve: async (nodes) => ({
        approved: ["csr-1"],
        refused: [{ name: "csr-x", reason: "subject system:node:stranger.okd-lab.okd.local is not a node of this stack" }],
        ready: nodes.map((n) => n.fqdn),
      }),
    });
    expect(await startLab(lab, w.host, START)).toBe(0);
    expect(w.lines).toContain("left alone: csr-x");
    expect(w.lines).toContain("Ready: master.okd-lab.okd.local, worker.okd-lab.okd.local; approved 1 CSRs");
    expect(w.lines).toContain("cluster operators: all available");
  });

  it("stops at a VM that cannot start and names libvirt's reason", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "shut off");
    w.libvirt.failStart = "okd-infra";
    expect(await startLab(lab, w.host, START)).toBe(1);
    expect(w.lines[w.lines.length - 1]).toBe(
      `okd-lab start: 'virsh -c ${URI} start okd-infra' failed: Requested operation is not valid: network 'okd-net' is not active`,
    );
    expect(w.libvirt.events).toEqual(["start okd-infra"]);
  });

  it("refuses a paused VM instead of guessing", async () => {
    const lab = labOf(seedRawConfig(), false);
    const w = world(lab, "shut off");
    w.libvirt.states.set("okd-master", "paused");
    expect(await startLab(lab, w.host, START)).toBe(1);
    expect(w.lines[w.lines.length - 1]).toBe(
      `okd-lab start: okd-master is paused: it must be running or shut off. Fix: virsh -c ${URI} resume okd-master (paused) or virsh -c ${URI} destroy okd-master (stuck), then npm run start again.`,
    );
  });
});

describe("helpers", () => {
  it("hands the approval the masters and workers with their host names, never the infra node", () => {
    expect(csrNodes(labOf().vms)).toEqual([
      { name: "bootstrap", fqdn: "bootstrap.okd-lab.okd.local", ip: "10.56.0.11", role: "bootstrap" },
      { name: "master", fqdn: "master.okd-lab.okd.local", ip: "10.56.0.12", role: "master" },
      { name: "worker", fqdn: "worker.okd-lab.okd.local", ip: "10.56.0.13", role: "worker" },
    ]);
  });

  it("lists the operators whose Available condition is not True", () => {
    const json = JSON.stringify({
      items: [
        { metadata: { name: "a" }, status: { conditions: [{ type: "Available", status: "True" }] } },
        { metadata: { name: "b" }, status: { conditions: [{ type: "Available", status: "Unknown" }] } },
      ],
    });
    expect(unavailableOperators(json)).toEqual([{ name: "b", why: "Available=Unknown" }]);
  });
});
