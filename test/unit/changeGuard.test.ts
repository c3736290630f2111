/**
 * The change guard, driven through the real program under mocks with the outputs of a first run
 * as the stack's previous outputs: what each kind of config change does on a running lab.
 */
import { DEFAULT_ALMALINUX_IMAGE } from "../../config/labConfig";
import { LabRun, RecordedResource, runLabUnderMocks } from "../../offline/labMocks";
import { diffRuns } from "../../offline/planDiff";
import { devStackFileConfig, TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { LOCAL_DOMAIN_NOTE } from "../../config/labConfig";

/** The one warning every run of the seed's okd.local domain prints (config/labConfig.ts). */
const LOCAL_WARNING = `okd-lab:cluster.baseDomain = "okd.local": ${LOCAL_DOMAIN_NOTE}`;

const devConfig = devStackFileConfig;

const REFUSED = "okd-lab: this update would damage the running lab; nothing was changed:\n";

let deployed: LabRun;
beforeAll(async () => {
  deployed = await runLabUnderMocks({ stack: "dev", config: devConfig() });
}, 30000);

/** Runs the program against the deployed lab; returns the error message and what was registered. */
async function refusal(change: Record<string, unknown>): Promise<{ message: string; registered: string[] }> {
  const recorder: RecordedResource[] = [];
  const message = await runLabUnderMocks({ stack: "dev", config: { ...devConfig(), ...change }, previousOutputs: deployed.outputs, recorder }).then(
    () => "(no error)",
    (err: Error) => err.message,
  );
  await new Promise((r) => setTimeout(r, 50));
  return { message, registered: recorder.map((r) => r.type) };
}

async function update(change: Record<string, unknown>, preview = false): Promise<LabRun> {
  return runLabUnderMocks({ stack: "dev", config: { ...devConfig(), ...change }, previousOutputs: deployed.outputs, preview });
}

describe("refused changes stop the run before any resource is registered", () => {
  it("a node's disk size: the root volume's size is ForceNew, so growing it would wipe the node", async () => {
    const { message, registered } = await refusal({ "okd-lab:workers": [{ name: "worker", ip: "10.56.0.13", diskGiB: 200 }] });
    expect(message).toBe(
      REFUSED +
        "  - okd-lab:workers[0].diskGiB: 100 -> 200: the root volume's size forces a new volume in the libvirt provider, so okd-worker's disk would be deleted and rebuilt from Ignition. " +
        'Keep 100 and grow the disk by hand (README, "Grow a node\'s disk"), or remove worker in one run and add it under a new name in the next.',
    );
    // Only the read of the stack's own outputs happened.
    expect(registered).toEqual(["pulumi:pulumi:StackReference"]);
  }, 30000);

  it("a master's disk size names the cluster's etcd", async () => {
    const { message } = await refusal({ "okd-lab:masters": [{ name: "master", ip: "10.56.0.12", diskGiB: 120 }] });
    expect(message).toContain("so okd-master's disk would be deleted and rebuilt from Ignition (on a master: the cluster's etcd).");
  }, 30000);

  it("the infra VM's disk size", async () => {
    const { message } = await refusal({ "okd-lab:infra": { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 }, diskGiB: 40 } });
    expect(message).toBe(
      REFUSED +
        "  - okd-lab:infra.diskGiB: 20 -> 40: the root volume's size forces a new volume in the libvirt provider, so okd-infra's disk would be deleted and rebuilt from cloud-init. " +
        'Keep 20 and grow the disk by hand (README, "Grow a node\'s disk").',
    );
  }, 30000);

  it("a node's vcpu without okd-lab:recreateNodes: the domain would be powered off hard", async () => {
    const { message, registered } = await refusal({ "okd-lab:workers": [{ name: "worker", ip: "10.56.0.13", vcpu: 4 }] });
    expect(message).toBe(
      REFUSED +
        "  - okd-lab:workers[0].vcpu: 2 -> 4: vcpu and memory force a new domain in the libvirt provider, so okd-worker would be powered off without a shutdown and created again from its disk. " +
        'Keep 2, or shut the node down cleanly and add "worker" to okd-lab:recreateNodes for this run.',
    );
    expect(registered).toEqual(["pulumi:pulumi:StackReference"]);
  }, 30000);

  it("a node's address: the provider moves only the DHCP reservation, never the VM", async () => {
    const { message } = await refusal({ "okd-lab:workers": [{ name: "worker", ip: "10.56.0.14" }] });
    expect(message).toBe(
      REFUSED +
        '  - okd-lab:workers[0].ip: "10.56.0.13" -> "10.56.0.14": the libvirt provider would only move the DHCP reservation (to a MAC no VM has: the MAC follows the address), never the running VM, so DNS and HAProxy would point at an address okd-worker never gets. ' +
        'Keep "10.56.0.13", or remove worker in one run and add it under a new name with the new address in the next.',
    );
  }, 30000);

  it("a renamed node keeping another node's address: the new domain would start while the old one runs", async () => {
    const { message } = await refusal({ "okd-lab:workers": [{ name: "worker2", ip: "10.56.0.13" }] });
    expect(message).toBe(
      REFUSED +
        '  - okd-lab:workers[0].name: "worker2" takes 10.56.0.13 from okd-worker, which this stack still runs: okd-worker2 would get the same MAC and start before okd-worker is removed. ' +
        "Remove okd-worker in one run and add worker2 with that address in the next.",
    );
  }, 30000);

  it("a node moved to another role under the same name", async () => {
    const { message } = await refusal({ "okd-lab:masters": [{ name: "worker", ip: "10.56.0.13" }], "okd-lab:workers": [] });
    expect(message).toBe(
      REFUSED +
        '  - okd-lab:masters[0].name: "worker" was a worker node and is now a master node: the new okd-worker would be created while the old one still exists. ' +
        "Remove worker in one run and add it in its new role in the next.",
    );
  }, 30000);

  it("the infra node's address", async () => {
    const { message } = await refusal({ "okd-lab:infra": { ip: "10.56.0.20", coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } } });
    expect(message).toBe(
      REFUSED +
        '  - okd-lab:infra.ip: "10.56.0.10" -> "10.56.0.20": every node resolves through the infra node and the network forwards the lab zones to it, and the libvirt provider would only move the DHCP reservation, never the running VM\'s address. ' +
        'Keep "10.56.0.10", or build a new lab instead: npm run destroy, then npm run up.',
    );
  }, 30000);

  it("the infra VM's name, also together with its address", async () => {
    const { message } = await refusal({ "okd-lab:infra": { name: "infra2", ip: "10.56.0.20", coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } } });
    const lines = message.split("\n");
    expect(lines[1]).toBe(
      '  - okd-lab:infra.name: "okd-infra" -> "infra2": the infra VM would be deleted and built again under its new name, and every node resolves through it. Keep "okd-infra", or build a new lab instead: npm run destroy, then npm run up.',
    );
    expect(lines[2]).toMatch(/^ {2}- okd-lab:infra\.ip: "10\.56\.0\.10" -> "10\.56\.0\.20": /);
    expect(lines).toHaveLength(3);
  }, 30000);

  it("the network's name and CIDR: the network would be replaced under the running VMs", async () => {
    const { message } = await refusal({ "okd-lab:network": { name: "lab-net", cidr: "10.56.0.0/23" } });
    expect(message).toBe(
      REFUSED +
        '  - okd-lab:network.name: "okd-net" -> "lab-net": the libvirt network would be replaced under the running VMs. Keep "okd-net", or build a new lab instead: npm run destroy, then npm run up.\n' +
        '  - okd-lab:network.cidr: "10.56.0.0/24" -> "10.56.0.0/23": the libvirt network would be replaced under the running VMs, which keep their old addresses. Keep "10.56.0.0/24", or build a new lab instead: npm run destroy, then npm run up.',
    );
  }, 30000);

  it("the cluster's name (and with it the default pool) and base domain", async () => {
    const { message } = await refusal({ "okd-lab:cluster": { name: "lab2", baseDomain: "home.arpa" } });
    const why =
      "every node's name, certificate and Ignition carry the cluster domain, and its zone forwarders would replace the libvirt network under the running VMs";
    const pool = "every disk of the lab lives in the pool: a new pool replaces all of them";
    const fix = "or build a new lab instead: npm run destroy, then npm run up.";
    expect(message).toBe(
      REFUSED +
        [
          `  - okd-lab:cluster.name: "okd-lab" -> "lab2": ${why}. Keep "okd-lab", ${fix}`,
          `  - okd-lab:cluster.baseDomain: "okd.local" -> "home.arpa": ${why}. Keep "okd.local", ${fix}`,
          `  - okd-lab:pool.name: "okd-lab" -> "lab2": ${pool}. Keep "okd-lab", ${fix}`,
          `  - okd-lab:pool.path: "/var/lib/libvirt/images/okd-lab" -> "/var/lib/libvirt/images/lab2": ${pool}. Keep "/var/lib/libvirt/images/okd-lab", ${fix}`,
        ].join("\n"),
    );
  }, 30000);

  it("lists every refused change at once", async () => {
    const { message } = await refusal({ "okd-lab:workers": [{ name: "worker", ip: "10.56.0.14", diskGiB: 150, memoryMiB: 16384 }] });
    expect(message.split("\n").map((l) => l.replace(/:.*/, ""))).toEqual(["okd-lab", "  - okd-lab", "  - okd-lab", "  - okd-lab"]);
    expect(message).toContain("okd-lab:workers[0].ip:");
    expect(message).toContain("okd-lab:workers[0].diskGiB:");
    expect(message).toContain("okd-lab:workers[0].memoryMiB:");
  }, 30000);
});

describe("announced changes", () => {
  const bigger = { "okd-lab:workers": [{ name: "worker", ip: "10.56.0.13", memoryMiB: 16384 }], "okd-lab:recreateNodes": ["worker"] };
  const announcement =
    "okd-lab: okd-worker will be powered off without a shutdown and created again from its disk: okd-lab:workers[0].memoryMiB 8192 -> 16384 (allowed by okd-lab:recreateNodes).";

  it("with okd-lab:recreateNodes, a node's memory change is applied and announced; only its domain changes", async () => {
    const run = await update(bigger);
    expect(run.warnings).toEqual([LOCAL_WARNING, announcement]);
    expect(diffRuns(deployed, run)).toEqual({ created: [], deleted: [], updated: { "libvirt:index/domain:Domain::worker-worker-domain": ["memory"] } });
  }, 30000);

  it("the announcement is printed by `pulumi preview` too", async () => {
    const run = await update(bigger, true);
    expect(run.warnings).toEqual([LOCAL_WARNING, announcement]);
  }, 30000);

  it("okd-lab:recreateNodes must name a node of the lab", async () => {
    await expect(update({ "okd-lab:recreateNodes": ["wrker"] })).rejects.toThrow(
      'okd-lab:recreateNodes[0] = "wrker": names no node of this lab. Fix: use a name from okd-lab:infra.name, bootstrap, masters or workers (okd-infra, bootstrap, master, worker).',
    );
  }, 30000);
});

describe("changes applied in place", () => {
  it("infra settings that are delivered as files (DNS forwarders) change only those files", async () => {
    const run = await update({ "okd-lab:infra": { dnsForwarders: ["192.168.1.1"], coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } } });
    expect(run.warnings).toEqual([LOCAL_WARNING]);
    expect(diffRuns(deployed, run)).toEqual({ created: [], deleted: [], updated: { "command:remote:Command::infra-config-file:Corefile": ["stdin"] } });
  }, 30000);

  it("another SSH key rewrites the Ignition files (current content) but replaces no domain", async () => {
    const run = await update({ "okd-lab:sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheTest me@host"] });
    const diff = diffRuns(deployed, run);
    expect(Object.keys(diff.updated).filter((k) => k.startsWith("libvirt:index/domain:Domain"))).toEqual([]);
    for (const node of ["bootstrap-bootstrap", "master-master", "worker-worker"]) {
      expect(diff.updated[`libvirt:index/ignition:Ignition::${node}-ignition`]).toEqual(["content"]);
    }
  }, 30000);
});

describe("boot images are chosen once per lab", () => {
  const newImage = { "okd-lab:fcos": { image: "/var/lib/libvirt/images/fedora-coreos-39.qcow2" } };

  it("records the base volumes' images in the stack outputs", () => {
    expect(deployed.outputs.baseImages).toEqual({
      infra: DEFAULT_ALMALINUX_IMAGE.url,
      infraSha256: DEFAULT_ALMALINUX_IMAGE.sha256,
      fcos: { source: "config", image: "/var/lib/libvirt/images/fedora-coreos-38.qcow2", os: { family: "fcos", major: 38 }, cpuLevel: "x86-64-v2" },
    });
  });

  it("reads back a record of the first shape ({image, sha256}) and keeps it", async () => {
    const outputs = {
      ...deployed.outputs,
      baseImages: { infra: (deployed.outputs.baseImages as { infra: string }).infra, fcos: { image: "/var/lib/libvirt/images/fedora-coreos-38.qcow2" } },
    };
    const run = await runLabUnderMocks({ stack: "dev", config: { ...devConfig(), ...newImage }, previousOutputs: outputs });
    expect(diffRuns(deployed, run)).toEqual({ created: [], deleted: [], updated: {} });
    expect(run.outputs.baseImages).toEqual(deployed.outputs.baseImages);
  }, 30000);

  it("a later image in config does not replace the base volume: the recorded one is reused, and the run says so", async () => {
    const run = await update(newImage);
    expect(diffRuns(deployed, run)).toEqual({ created: [], deleted: [], updated: {} });
    expect(run.outputs.baseImages).toEqual(deployed.outputs.baseImages);
    expect(run.warnings).toEqual([
      LOCAL_WARNING,
      'okd-lab:fcos.image: "/var/lib/libvirt/images/fedora-coreos-38.qcow2" -> "/var/lib/libvirt/images/fedora-coreos-39.qcow2": kept at "/var/lib/libvirt/images/fedora-coreos-38.qcow2": the boot image is chosen once per lab (README, "A new boot image").',
    ]);
  }, 30000);

  it("a new lab (no previous outputs) takes the image from config", async () => {
    const run = await runLabUnderMocks({ stack: "dev", config: { ...devConfig(), ...newImage } });
    const base = run.resources.find((r) => r.name === "lab-fcos-base")!;
    expect(base.inputs.source).toBe("/var/lib/libvirt/images/fedora-coreos-39.qcow2");
  }, 30000);
});

describe("outputs written before the guard existed", () => {
  it("still guard the nodes (sizes and addresses were recorded)", async () => {
    const { nodes, dnsZones } = deployed.outputs as { nodes: unknown; dnsZones: unknown };
    const recorder: RecordedResource[] = [];
    const config = { ...devConfig(), "okd-lab:workers": [{ name: "worker", ip: "10.56.0.13", diskGiB: 200 }] };
    await expect(runLabUnderMocks({ stack: "dev", config, previousOutputs: { nodes, dnsZones }, recorder })).rejects.toThrow(
      "okd-lab:workers[0].diskGiB: 100 -> 200",
    );
  }, 30000);
});
