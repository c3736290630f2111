/**
 * npm run up's phases against a simulated lab: every outside program (Pulumi, openshift-install,
 * oc, the host resolver, verify) is a stand-in over one world state, so the whole path, an
 * interruption after each phase with its resume, a failure in each phase and the preview guard run
 * in milliseconds. The real adapters are exercised in test/integration/labUp.test.ts.
 */
import { parseLabConfig } from "../../config/labConfig";
import { CsrApprovalTimeout } from "../../host/csrApproval";
import { ClusterProbe } from "../../host/clusterProbe";
import { InstallerTarget } from "../../host/installerWait";
import { CsrPhaseRequest, formatFailure, PhaseFailure, PhaseId, runLabUp, UpHost, UpOptions } from "../../host/labUp";
import { createPhaseDisplay, PhaseOutcome } from "../../host/phaseDisplay";
import { PreviewStep } from "../../host/previewGuard";
import { LabStack, PreviewResult, PulumiCommandError } from "../../host/pulumiCli";
import { buildLabPlan } from "../../plan/labPlan";
import { seedRawConfig } from "../fixtures/labs";

const S = "urn:pulumi:dev::okd-lab::";
const nodeUrns = (rn: string) => [
  `${S}okd-lab:nodes:FcosNode::${rn}`,
  `${S}okd-lab:nodes:FcosNode$libvirt:index/volume:Volume::${rn}-root`,
  `${S}okd-lab:nodes:FcosNode$libvirt:index/ignition:Ignition::${rn}-ignition`,
  `${S}okd-lab:nodes:FcosNode$libvirt:index/domain:Domain::${rn}-domain`,
  `${S}okd-lab:nodes:FcosNode$command:local:Command::${rn}-dhcp`,
];
const INFRA_FILES = [`${S}okd-lab:infra:InfraConfig$command:remote:Command::infra-config-file:haproxy.cfg`];
const BASE = [
  `${S}okd-lab:network:LabNetwork$libvirt:index/network:Network::lab-network`,
  `${S}okd-lab:infra:InfraNode$libvirt:index/domain:Domain::infra-domain`,
];
const INFRA_IP = "10.56.0.10";
const API = "api.okd-lab.okd.local";

class Interrupted extends Error {}

/** The simulated lab: what Pulumi, the installer, the cluster and the host resolver would show. */
class World {
  stackExists = false;
  deployed = new Map<string, string>(); // urn -> digest
  bootstrapEnabled = true;
  assets = false;
  bootstrapReported = false;
  installAvailable = false;
  ready: string[] = [];
  hostDns = false;
  calls: string[] = [];
  /** op name -> what goes wrong there */
  fail: Record<string, string> = {};
  /** op name after which the run is interrupted (as by Ctrl+C) */
  interruptAfter?: string;
  extraPreviewSteps: PreviewStep[] = [];
  previewWarnings: string[] = [];

  desired(): Map<string, string> {
    const nodes = this.bootstrapEnabled ? "b,m,w" : "m,w";
    const all = new Map<string, string>();
    for (const u of BASE) all.set(u, "1");
    for (const u of INFRA_FILES) all.set(u, nodes);
    for (const rn of [...(this.bootstrapEnabled ? ["bootstrap-bootstrap"] : []), "master-master", "worker-worker"])
      for (const u of nodeUrns(rn)) all.set(u, "1");
    return all;
  }

  steps(): PreviewStep[] {
    const want = this.desired();
    const steps: PreviewStep[] = [];
    for (const [urn, digest] of want) {
      const had = this.deployed.get(urn);
      steps.push({ op: had === undefined ? "create" : had === digest ? "same" : "update", urn });
    }
    for (const urn of this.deployed.keys()) if (!want.has(urn)) steps.push({ op: "delete", urn });
    return [...steps, ...this.extraPreviewSteps];
  }

  step(op: string): void {
    this.calls.push(op);
    if (this.fail[op]) throw new Error(this.fail[op]);
  }

  after(op: string): void {
    if (this.interruptAfter === op) throw new Interrupted(`interrupted after ${op}`);
  }

  outputs(): Record<string, unknown> | undefined {
    if (!this.stackExists) return undefined;
    if (this.deployed.size === 0) return {};
    const nodes = [{ name: "okd-infra", role: "infra", ip: INFRA_IP, fqdn: "okd-infra.okd-lab.okd.local" }];
    if (this.deployed.has(nodeUrns("bootstrap-bootstrap")[0]))
      nodes.push({ name: "okd-bootstrap", role: "bootstrap", ip: "10.56.0.11", fqdn: "bootstrap.okd-lab.okd.local" });
    nodes.push({ name: "okd-master", role: "master", ip: "10.56.0.12", fqdn: "master.okd-lab.okd.local" });
    nodes.push({ name: "okd-worker", role: "worker", ip: "10.56.0.13", fqdn: "worker.okd-lab.okd.local" });
    return {
      nodes,
      consoleUrl: "https://console-openshift-console.apps.okd-lab.okd.local",
      ocLogin: 'oc login https://api.okd-lab.okd.local:6443 -u kubeadmin -p "$(pulumi stack output --show-secrets kubeadminPassword)"',
      kubeadminPassword: "[secret]",
      hostDnsSetup: "set -euo pipefail\nprintf 'x' | sudo tee /etc/NetworkManager/conf.d/okd-lab-dns.conf\nsudo systemctl reload NetworkManager\n",
    };
  }

  stack(): LabStack {
    return {
      name: "dev",
      ensure: async () => {
        this.step("ensure");
        this.stackExists = true;
      },
      outputs: async () => {
        this.step("outputs");
        return this.outputs();
      },
      preview: async (): Promise<PreviewResult> => {
        this.step("preview");
        return { steps: this.steps(), errors: [], warnings: this.previewWarnings };
      },
      up: async (onLine) => {
        this.step("up");
        for (const s of this.steps()) if (s.op !== "same") onLine(`${s.op} ${s.urn.split("::").pop()}`);
        // The installer assets are made once, when the stack's installer step is created.
        if (this.deployed.size === 0) this.assets = true;
        this.deployed = this.desired();
        this.after(this.bootstrapEnabled ? "up" : "up-drop");
      },
      setConfig: async (path, value) => {
        this.step(`config ${path}=${value}`);
        if (path === "okd-lab:bootstrap.enabled") this.bootstrapEnabled = value === "true";
        this.after("config");
      },
    };
  }

  cluster(): ClusterProbe {
    return {
      bootstrapComplete: async () => ({ value: this.bootstrapReported }),
      installComplete: async () => ({ value: this.installAvailable }),
      readyNodes: async () => ({ value: [...this.ready] }),
    };
  }
}

const config = parseLabConfig(seedRawConfig(), "dev").config;

function host(world: World, out: string[]): UpHost {
  let clock = Date.UTC(2026, 10, 30, 10, 0, 0);
  const now = () => (clock += 1000);
  return {
    display: createPhaseDisplay({ write: (t) => out.push(t), now, live: false }),
    now,
    sleep: async () => undefined,
    stack: world.stack(),
    preflight: async () => {
      world.step("preflight");
      world.after("preflight");
      return { lines: ["ok   libvirt        qemu:///system answers"], failed: false };
    },
    fileExists: (file) => world.assets && file.endsWith("auth/kubeconfig"),
    cluster: () => world.cluster(),
    waitForInstaller: async (target: InstallerTarget, _budget, onLine) => {
      world.step(`wait ${target}`);
      onLine(`level=info msg="Waiting up to 20m0s for ${target}"`);
      if (world.fail[`wait ${target} result`]) return { ok: false, attempts: 3, lastLine: world.fail[`wait ${target} result`] };
      if (target === "bootstrap-complete") world.bootstrapReported = true;
      else world.installAvailable = true;
      world.after(`wait ${target}`);
      return { ok: true, attempts: 1, lastLine: 'level=info msg="done"' };
    },
    approveCsrs: async (request: CsrPhaseRequest) => {
      world.step("approve");
      if (world.fail["approve timeout"]) throw new CsrApprovalTimeout(world.fail["approve timeout"]);
      world.ready = request.nodes.map((n) => n.fqdn);
      request.log(`approved 4 CSR(s); Ready: ${world.ready.join(", ")}`);
      world.after("approve");
    },
    resolve: async (name) => {
      world.step(`resolve ${name}`);
      return world.hostDns && name === API ? [INFRA_IP] : [];
    },
    applyHostDns: async (commands, onLine) => {
      world.step(`apply-dns ${commands.length}`);
      if (world.fail["apply-dns"]) return { ok: false, detail: world.fail["apply-dns"] };
      for (const c of commands) onLine(`$ ${c}`);
      world.hostDns = true;
      world.after("apply-dns");
      return { ok: true, detail: "applied" };
    },
    verify: async () => {
      world.step("verify");
      if (world.fail["verify result"]) return { lines: ["FAIL dns api.okd-lab.okd.local: no answer"], code: 1 };
      return { lines: ["all 24 checks passed"], code: 0 };
    },
  };
}

/** Runs npm run up once over the world with the config as the stack file says now. */
async function up(world: World, over: Partial<UpOptions> = {}): Promise<{ code: number; text: string; outcomes: Record<string, PhaseOutcome> }> {
  const raw = seedRawConfig();
  const labConfig = parseLabConfig({ ...raw, bootstrap: { ...(raw.bootstrap as object), enabled: world.bootstrapEnabled } }, "dev").config;
  const out: string[] = [];
  const h = host(world, out);
  const options: UpOptions = {
    stack: "dev",
    libvirtUri: "qemu:///system",
    config: labConfig,
    plan: buildLabPlan(labConfig),
    vmsOnly: false,
    skipPreflight: false,
    bootstrapTimeoutMinutes: 90,
    installTimeoutMinutes: 120,
    csrTimeoutMinutes: 60,
    dnsSettleSeconds: 10,
    ...over,
  };
  const code = await runLabUp(options, h);
  const outcomes = Object.fromEntries(h.display.records.map((r) => [r.id, r.outcome]));
  return { code, text: out.join(""), outcomes };
}

const ALL_DONE = {
  preflight: "done",
  stack: "done",
  hostDns: "done",
  bootstrap: "done",
  dropBootstrap: "done",
  csrs: "done",
  install: "done",
  summary: "done",
};

describe("npm run up, the whole path", () => {
  it("runs every phase in order on a bare host and ends with the summary", async () => {
    const world = new World();
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(0);
    expect(outcomes).toEqual(ALL_DONE);
    expect(world.calls).toEqual([
      "preflight",
      "ensure",
      "outputs",
      "preview",
      "up",
      "outputs",
      `resolve ${API}`,
      "apply-dns 1",
      `resolve ${API}`,
      "wait bootstrap-complete",
      "config okd-lab:bootstrap.enabled=false",
      "preview",
      "up",
      "approve",
      "wait install-complete",
      "verify",
    ]);
    // The bootstrap is gone from the stack, and its drop was applied by phase 4 alone.
    expect(world.deployed.has(nodeUrns("bootstrap-bootstrap")[0])).toBe(false);
    expect(text).toContain("   | delete bootstrap-bootstrap-domain\n");
    expect(text).toContain("okd-lab is installed: stack dev, cluster okd-lab.okd.local\n");
    expect(text).toContain("  console:            https://console-openshift-console.apps.okd-lab.okd.local\n");
    expect(text).toContain(
      '  oc login:           oc login https://api.okd-lab.okd.local:6443 -u kubeadmin -p "$(pulumi stack output --show-secrets kubeadminPassword)"\n',
    );
    expect(text).toContain(
      "  kubeadmin password: .okd/dev/auth/kubeadmin-password (or: npm run -s pulumi -- stack output --stack dev --show-secrets kubeadminPassword)\n",
    );
    expect(text).toContain("   | all 24 checks passed\n");
    expect(text).toContain("npm run verify: every check passed\n");
  });

  it("prints each phase's start, end and elapsed time as plain lines when not on a terminal", async () => {
    const { text } = await up(new World());
    expect(text).not.toMatch(/\x1b|\r/);
    expect(text).toMatch(/^== 1 preflight \(started 10:00:0\dZ\)\n/);
    expect(text).toMatch(/\n== 3 wait for bootstrap-complete: done at \d\d:\d\d:\d\dZ after \ds \(1 attempt\(s\)\)\n/);
    expect(text).toMatch(/\n {2}4 drop the bootstrap +done +\ds {2}1 to delete|\n {2}4 drop the bootstrap +done +\ds {2}\d+ to delete/);
    const table = text.slice(text.indexOf("Phases:\n"));
    expect(table.split("\n").filter((l) => /^ {2}\d/.test(l))).toHaveLength(8);
  });

  it("streams the installer's own lines during the long waits", async () => {
    const { text } = await up(new World());
    expect(text).toContain('   | level=info msg="Waiting up to 20m0s for bootstrap-complete"\n');
    expect(text).toContain('   | level=info msg="Waiting up to 20m0s for install-complete"\n');
  });

  it("on a finished lab reconciles with an update that changes nothing and prints the summary", async () => {
    const world = new World();
    await up(world);
    world.calls = [];
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(0);
    expect(outcomes).toEqual({ ...ALL_DONE, bootstrap: "skipped", dropBootstrap: "skipped", csrs: "skipped", install: "skipped" });
    expect(text).toContain("   | preview: no changes\n");
    expect(world.calls.filter((c) => c.startsWith("wait") || c.startsWith("config") || c === "approve" || c.startsWith("apply"))).toEqual([]);
    expect(text).toContain("== 3 wait for bootstrap-complete: skipped");
    expect(text).toContain("(the cluster's install is complete (ClusterVersion Available))");
  });

  it("shows the preview's warnings, e.g. Pulumi's about an interrupted update", async () => {
    const world = new World();
    world.previewWarnings = [
      "Attempting to deploy or update resources with 1 pending operations from previous deployment.\n  * urn:x, interrupted while creating",
    ];
    const { text } = await up(world, { vmsOnly: true });
    expect(text).toContain(
      "   | warning: Attempting to deploy or update resources with 1 pending operations from previous deployment.\n   | warning:   * urn:x, interrupted while creating\n",
    );
  });

  it("--vms-only stops after phase 2", async () => {
    const world = new World();
    const { code, outcomes, text } = await up(world, { vmsOnly: true });
    expect(code).toBe(0);
    expect(outcomes).toEqual({ preflight: "done", stack: "done" });
    expect(world.calls).not.toContain(`resolve ${API}`);
    expect(text).toContain("Stopped after phase 2 (--vms-only): the lab's VMs are up. npm run up -- --stack dev continues with the install.\n");
  });
});

describe("npm run up resumes from the phase the lab is in", () => {
  // Where the first run stops, and what the second run then skips (everything else runs).
  const cases: [string, string, PhaseId[]][] = [
    ["preflight", "preflight", []],
    ["the stack's pulumi up", "up", []],
    ["the host DNS setup", "apply-dns", []],
    ["bootstrap-complete", "wait bootstrap-complete", ["bootstrap"]],
    ["the config change of phase 4", "config", ["stack", "bootstrap"]],
    ["the bootstrap's drop", "up-drop", ["bootstrap", "dropBootstrap"]],
    ["the CSR approval", "approve", ["bootstrap", "dropBootstrap", "csrs"]],
    ["install-complete", "wait install-complete", ["bootstrap", "dropBootstrap", "csrs", "install"]],
  ];

  it.each(cases)("after an interruption in %s", async (_what, op, skipped) => {
    const world = new World();
    world.interruptAfter = op;
    const first = await up(world);
    // Thrown from inside the phase, as a killed program would end it; the run stops there.
    expect(first.code).toBe(1);
    expect(first.text).toContain(`  saw last:   interrupted after ${op}\n`);
    world.interruptAfter = undefined;
    world.calls = [];
    const second = await up(world);
    expect(second.code).toBe(0);
    const expected = Object.fromEntries(Object.entries(ALL_DONE).map(([id, o]) => [id, skipped.includes(id as PhaseId) ? "skipped" : o]));
    expect(second.outcomes).toEqual(expected);
    // Never a second installer run for a wait that finished, never the bootstrap back.
    if (skipped.includes("bootstrap")) expect(world.calls).not.toContain("wait bootstrap-complete");
    if (skipped.includes("install")) expect(world.calls).not.toContain("wait install-complete");
    expect(world.deployed.has(nodeUrns("bootstrap-bootstrap")[0])).toBe(false);
    expect(world.bootstrapEnabled).toBe(false);
  });

  it("after the config change of phase 4, the drop is applied without setting the config again", async () => {
    const world = new World();
    world.interruptAfter = "config";
    await up(world);
    world.interruptAfter = undefined;
    world.calls = [];
    await up(world);
    expect(world.calls.filter((c) => c.startsWith("config"))).toEqual([]);
    // Phase 2 leaves the bootstrap's deletion to phase 4, which applies it under its own guard.
    expect(world.calls.filter((c) => c === "up")).toHaveLength(1);
  });

  it("refuses to bring back a dropped bootstrap when the stack file says enabled again", async () => {
    const world = new World();
    await up(world);
    world.bootstrapEnabled = true; // e.g. Pulumi.dev.yaml reverted with git
    world.calls = [];
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(1);
    expect(outcomes.stack).toBe("failed");
    expect(world.calls).not.toContain("preview");
    expect(world.calls).not.toContain("up");
    expect(text).toContain(
      "  saw last:   okd-lab:bootstrap.enabled is true, but the stack's last update has no bootstrap node and .okd/dev holds this cluster's assets: the bootstrap was dropped and npm run up never brings it back\n",
    );
    expect(text).toContain("    npm run -s pulumi -- config set --path okd-lab:bootstrap.enabled false --stack dev   # the lab as it is\n");
  });

  it("stops when the stack has nodes but the asset folder lost its kubeconfig", async () => {
    const world = new World();
    world.interruptAfter = "up";
    await up(world);
    world.interruptAfter = undefined;
    world.assets = false;
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(text).toContain('okd-lab up: phase "3 wait for bootstrap-complete" failed.\n');
    expect(text).toContain("  saw last:   .okd/dev/auth/kubeconfig is missing: the assets of this cluster are gone\n");
  });
});

describe("npm run up: a failure in each phase says what it waited for, saw last and what to run", () => {
  it("preflight", async () => {
    const world = new World();
    const h = host(world, []);
    const out: string[] = [];
    const failing: UpHost = {
      ...h,
      display: createPhaseDisplay({ write: (t) => out.push(t), now: h.now, live: false }),
      preflight: async () => ({ lines: ["FAIL mkisofs         not found on PATH\n       fix: sudo dnf install genisoimage"], failed: true }),
    };
    const lab = parseLabConfig(seedRawConfig(), "dev").config;
    const code = await runLabUp(
      {
        stack: "dev",
        libvirtUri: "qemu:///system",
        config: lab,
        plan: buildLabPlan(lab),
        vmsOnly: false,
        skipPreflight: false,
        bootstrapTimeoutMinutes: 1,
        installTimeoutMinutes: 1,
        csrTimeoutMinutes: 1,
        dnsSettleSeconds: 1,
      },
      failing,
    );
    expect(code).toBe(1);
    expect(world.calls).toEqual([]);
    expect(out.join("")).toContain(
      [
        'okd-lab up: phase "1 preflight" failed.',
        "  waited for: a host that passes every check",
        "  saw last:   at least one check failed (above, each with its fix)",
        "  next:",
        "    npm run preflight -- --stack dev   # after fixing",
        "    OKD_LAB_SKIP_PREFLIGHT=1 npm run up   # when a check is wrong for your host",
        "  Then run npm run up again: it continues from the phase the lab is in.",
      ].join("\n"),
    );
  });

  it("the stack's pulumi up", async () => {
    const world = new World();
    world.fail.up = "pulumi up --yes --skip-preview --stack dev exited with 255: error: update failed";
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(1);
    expect(outcomes.stack).toBe("failed");
    expect(text).toContain("  waited for: pulumi up\n  saw last:   pulumi up --yes --skip-preview --stack dev exited with 255: error: update failed\n");
    expect(text).toContain("    npm run -s pulumi -- stack --stack dev --show-urns   # what the stack holds now\n");
  });

  it("the host DNS setup, with the exact commands", async () => {
    const world = new World();
    world.fail["apply-dns"] = "not root, and sudo needs a password but there is no terminal to ask for it";
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(text).toContain(
      [
        'okd-lab up: phase "2b host DNS" failed.',
        "  waited for: api.okd-lab.okd.local to resolve to 10.56.0.10 on this host",
        "  saw last:   no address; the setup was not applied: not root, and sudo needs a password but there is no terminal to ask for it",
        "  next:",
        "    npm run -s pulumi -- stack output hostDnsSetup --stack dev | bash",
        "    getent hosts api.okd-lab.okd.local   # should print 10.56.0.10",
      ].join("\n"),
    );
  });

  it("bootstrap-complete, with gather bootstrap for the lab's addresses and key", async () => {
    const world = new World();
    world.fail["wait bootstrap-complete result"] = 'level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"';
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(world.calls).not.toContain("config okd-lab:bootstrap.enabled=false");
    expect(text).toContain(
      [
        'okd-lab up: phase "3 wait for bootstrap-complete" failed.',
        "  waited for: bootstrap-complete (at most 90 min, 3 attempt(s) of openshift-install wait-for)",
        '  saw last:   level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"',
        "  next:",
        "    (umask 077 && npm run -s pulumi -- stack output --stack dev --show-secrets sshPrivateKey > okd-lab.key)",
        "    openshift-install gather bootstrap --dir .okd/dev --bootstrap 10.56.0.11 --master 10.56.0.12 --key okd-lab.key",
        "    ssh -i okd-lab.key core@10.56.0.11 journalctl -b -u release-image.service -u bootkube.service --no-pager | tail -n 50",
      ].join("\n"),
    );
  });

  it("the bootstrap's drop: the guard refuses what phase 4 does not expect", async () => {
    const world = new World();
    world.interruptAfter = "wait bootstrap-complete";
    await up(world);
    world.interruptAfter = undefined;
    // The drop would also replace the master's domain (e.g. a changed vcpu in the stack file).
    world.extraPreviewSteps = [{ op: "replace", urn: nodeUrns("master-master")[3], replaceReasons: ["vcpu"] }];
    world.calls = [];
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(1);
    expect(outcomes.stack).toBe("failed"); // phase 2's own guard refuses it first
    expect(world.calls.filter((c) => c === "up")).toEqual([]);
    expect(text).toContain("  replace            libvirt:index/domain:Domain::master-master-domain: replaces it (vcpu changed)\n");
  });

  it("the bootstrap's drop: a preview that deletes more than the bootstrap is refused and nothing is applied", async () => {
    const world = new World();
    world.interruptAfter = "config";
    await up(world);
    world.interruptAfter = undefined;
    world.deployed.set(`${S}okd-lab:nodes:FcosNode$libvirt:index/domain:Domain::worker-old-domain`, "1");
    world.calls = [];
    const { code, text, outcomes } = await up(world, { skipPreflight: true });
    expect(code).toBe(1);
    expect(outcomes.stack).toBe("skipped");
    expect(outcomes.dropBootstrap).toBe("failed");
    expect(world.calls.filter((c) => c === "up")).toEqual([]);
    expect(text).toContain(
      "  saw last:   the preview of phase drop-bootstrap wants changes this phase does not make (only the bootstrap's resources (bootstrap-bootstrap*) are deleted and only the infra files updated):\n" +
        "                delete             libvirt:index/domain:Domain::worker-old-domain: deletes it\n" +
        "              Nothing was applied.",
    );
  });

  it("the CSR approval, with the nodes it waited for", async () => {
    const world = new World();
    world.fail["approve timeout"] = "not Ready after 3600 s: worker.okd-lab.okd.local (last: no pending CSR)";
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(text).toContain(
      [
        'okd-lab up: phase "5 approve the nodes\' CSRs" failed.',
        "  waited for: master.okd-lab.okd.local, worker.okd-lab.okd.local Ready (at most 60 min)",
        "  saw last:   not Ready after 3600 s: worker.okd-lab.okd.local (last: no pending CSR)",
        "  next:",
        "    oc --kubeconfig .okd/dev/auth/kubeconfig get csr",
        "    oc --kubeconfig .okd/dev/auth/kubeconfig get nodes",
        "    sudo virsh console okd-master   # the node's console (Ctrl+] leaves)",
      ].join("\n"),
    );
  });

  it("install-complete", async () => {
    const world = new World();
    world.fail["wait install-complete result"] = 'level=error msg="Cluster operator authentication Available is False"';
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(text).toContain("  waited for: install-complete (at most 120 min, 3 attempt(s) of openshift-install wait-for)\n");
    expect(text).toContain("    oc --kubeconfig .okd/dev/auth/kubeconfig get clusteroperators   # which operators are not Available\n");
  });

  it("verify: the summary still comes, and the exit status says something is wrong", async () => {
    const world = new World();
    world.fail["verify result"] = "yes";
    const { code, text, outcomes } = await up(world);
    expect(code).toBe(1);
    expect(outcomes.summary).toBe("failed");
    expect(text).toContain("   | FAIL dns api.okd-lab.okd.local: no answer\n");
    expect(text).toContain("npm run verify: some checks failed (above, each with what to fix)\n");
  });

  it("formats a failure with every next command on its own line", () => {
    expect(formatFailure(new PhaseFailure("install", "X", "Y", ["a", "b"]))).toBe(
      [
        'okd-lab up: phase "6 wait for install-complete" failed.',
        "  waited for: X",
        "  saw last:   Y",
        "  next:",
        "    a",
        "    b",
        "  Then run npm run up again: it continues from the phase the lab is in.",
      ].join("\n"),
    );
  });

  it("a Pulumi command error names the command and its last words", () => {
    const err = new PulumiCommandError(["up", "--stack", "dev"], { code: 255, stdout: "", stderr: "a\n\nerror: one\nerror: two\n" });
    expect(err.message).toBe("pulumi up --stack dev exited with 255: a; error: one; error: two");
  });
});

it("lets phase 2 replace the domain of a node listed in okd-lab:recreateNodes, and no other", async () => {
  const lab = parseLabConfig({ ...seedRawConfig(), recreateNodes: ["worker"] }, "dev").config;
  const run = async (replaced: string) => {
    const world = new World();
    world.extraPreviewSteps = [{ op: "replace", urn: nodeUrns(replaced)[3], replaceReasons: ["vcpu"] }];
    const out: string[] = [];
    const code = await runLabUp(
      {
        stack: "dev",
        libvirtUri: "qemu:///system",
        config: lab,
        plan: buildLabPlan(lab),
        vmsOnly: true,
        skipPreflight: true,
        bootstrapTimeoutMinutes: 1,
        installTimeoutMinutes: 1,
        csrTimeoutMinutes: 1,
        dnsSettleSeconds: 1,
      },
      host(world, out),
    );
    return { code, calls: world.calls, text: out.join("") };
  };
  const worker = await run("worker-worker");
  expect(worker.code).toBe(0);
  expect(worker.calls).toContain("up");
  const master = await run("master-master");
  expect(master.code).toBe(1);
  expect(master.calls).not.toContain("up");
  expect(master.text).toContain("  replace            libvirt:index/domain:Domain::master-master-domain: replaces it (vcpu changed)\n");
});

describe("Ctrl+C", () => {
  it("starts no further phase once the user interrupted, and says how to continue", async () => {
    const world = new World();
    const out: string[] = [];
    let stop = false;
    const h = host(world, out);
    const interruptible: UpHost = {
      ...h,
      interrupted: () => stop,
      waitForInstaller: async (target, budget, onLine) => {
        const result = await h.waitForInstaller(target, budget, onLine);
        stop = true; // pressed while the installer ran; it finished its run
        return result;
      },
    };
    const code = await runLabUp(
      {
        stack: "dev",
        libvirtUri: "qemu:///system",
        config,
        plan: buildLabPlan(config),
        vmsOnly: false,
        skipPreflight: true,
        bootstrapTimeoutMinutes: 1,
        installTimeoutMinutes: 1,
        csrTimeoutMinutes: 1,
        dnsSettleSeconds: 1,
      },
      interruptible,
    );
    expect(code).toBe(1);
    expect(world.calls).not.toContain("config okd-lab:bootstrap.enabled=false");
    expect(out.join("")).toContain('okd-lab up: phase "4 drop the bootstrap" failed.\n  waited for: the next phase\n  saw last:   interrupted (Ctrl+C)\n');
  });
});

describe("the preview guard in phase 2", () => {
  it("refuses an unexpected replacement, prints what the preview wanted and applies nothing", async () => {
    const world = new World();
    world.extraPreviewSteps = [{ op: "replace", urn: `${S}okd-lab:infra:InfraNode$libvirt:index/domain:Domain::infra-domain`, replaceReasons: ["memory"] }];
    const { code, text } = await up(world);
    expect(code).toBe(1);
    expect(world.calls).not.toContain("up");
    expect(text).toContain(
      [
        "  saw last:   the preview of phase stack wants changes this phase does not make (resources are created or updated in place, never deleted or replaced):",
        "                replace            libvirt:index/domain:Domain::infra-domain: replaces it (memory changed)",
        "              Nothing was applied. If these changes are what you want, review and apply them with plain Pulumi,",
        "              then run npm run up again: npm run pulumi -- up --stack dev",
      ].join("\n"),
    );
  });
});

it("the display redraws a live status line on a terminal, and only there", () => {
  const out: string[] = [];
  let t = 0;
  const display = createPhaseDisplay({ write: (s) => out.push(s), now: () => t, live: true });
  display.start("x", "3 wait");
  t = 65_000;
  display.line("level=info msg=hello");
  display.end("done");
  display.close();
  const text = out.join("");
  expect(text).toContain("\r\x1b[2K▶ 3 wait  1m05s");
  expect(text).toContain("   level=info msg=hello\n");
  expect(text).toContain("== 3 wait: done at 00:01:05Z after 1m05s\n");
});

it("uses the CSR nodes of the stack's outputs, short names from their FQDNs", async () => {
  const world = new World();
  const seen: CsrPhaseRequest[] = [];
  const out: string[] = [];
  const h = host(world, out);
  const spy: UpHost = {
    ...h,
    approveCsrs: async (r) => {
      seen.push(r);
      return h.approveCsrs(r);
    },
  };
  await runLabUp(
    {
      stack: "dev",
      libvirtUri: "qemu:///system",
      config,
      plan: buildLabPlan(config),
      vmsOnly: false,
      skipPreflight: true,
      bootstrapTimeoutMinutes: 1,
      installTimeoutMinutes: 1,
      csrTimeoutMinutes: 7,
      dnsSettleSeconds: 1,
    },
    spy,
  );
  expect(seen).toHaveLength(1);
  expect(seen[0].kubeconfig).toBe(".okd/dev/auth/kubeconfig");
  expect(seen[0].timeoutSeconds).toBe(420);
  expect(seen[0].nodes).toEqual([
    { name: "master", fqdn: "master.okd-lab.okd.local", ip: "10.56.0.12", role: "master" },
    { name: "worker", fqdn: "worker.okd-lab.okd.local", ip: "10.56.0.13", role: "worker" },
  ]);
});
