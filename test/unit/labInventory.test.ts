/**
 * host/labInventory.ts: the VMs come from the stack's `nodes` output, the URI from its config,
 * and a config that no longer matches the deployed infra node is refused.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseNodesOutput, readLabInventory } from "../../host/labInventory";
import { renderLabOutputs } from "../../render/labOutputs";
import { planFor, seedRawConfig } from "../fixtures/labs";

function stackDir(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-stack-"));
  fs.writeFileSync(path.join(dir, "Pulumi.lab.yaml"), stringify({ config }));
  return dir;
}

function okdKeys(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`okd-lab:${k}`, v]));
}

/** The outputs `pulumi stack output --json` prints for the seed lab, from the real renderer. */
function seedOutputs(): Record<string, unknown> {
  const text = renderLabOutputs(planFor(seedRawConfig(), "lab"), {
    assetsDir: ".okd/lab",
    installer: "openshift-install",
    approveCsrs: false,
    libvirtUri: "qemu:///system",
  });
  return { ...text, kubeconfig: "/home/me/okd-lab/.okd/lab/auth/kubeconfig", sshPrivateKey: "[secret]" };
}

describe("readLabInventory", () => {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  it("reads the VMs from the nodes output and the URI from the stack file", async () => {
    const dir = stackDir({ "libvirt:uri": "qemu+ssh://root@kvm1/system", ...okdKeys(seedRawConfig()) });
    dirs.push(dir);
    const lab = await readLabInventory("lab", async () => seedOutputs(), dir, {});
    expect(lab.libvirtUri).toBe("qemu+ssh://root@kvm1/system");
    expect(lab.vms).toEqual([
      { name: "okd-infra", role: "infra", ip: "10.56.0.10", fqdn: "okd-infra.okd-lab.okd.local" },
      { name: "okd-bootstrap", role: "bootstrap", ip: "10.56.0.11", fqdn: "bootstrap.okd-lab.okd.local" },
      { name: "okd-master", role: "master", ip: "10.56.0.12", fqdn: "master.okd-lab.okd.local" },
      { name: "okd-worker", role: "worker", ip: "10.56.0.13", fqdn: "worker.okd-lab.okd.local" },
    ]);
    expect(lab.kubeconfig).toBe("/home/me/okd-lab/.okd/lab/auth/kubeconfig");
    expect(lab.assetsDir).toBe(path.join(dir, ".okd/lab"));
  });

  it("falls back to LIBVIRT_DEFAULT_URI and refuses when neither is set", async () => {
    const dir = stackDir(okdKeys(seedRawConfig()));
    dirs.push(dir);
    const pulumi = async () => seedOutputs();
    expect((await readLabInventory("lab", pulumi, dir, { LIBVIRT_DEFAULT_URI: "qemu:///system" })).libvirtUri).toBe("qemu:///system");
    await expect(readLabInventory("lab", pulumi, dir, {})).rejects.toThrow(
      "libvirt:uri is not set in Pulumi.lab.yaml and LIBVIRT_DEFAULT_URI is empty. Fix: pulumi config set libvirt:uri qemu:///system --stack lab",
    );
  });

  it("refuses a URI that is not a libvirt connection URI before running anything", async () => {
    const dir = stackDir({ "libvirt:uri": "qemu:///system; rm -rf /", ...okdKeys(seedRawConfig()) });
    dirs.push(dir);
    let asked = 0;
    const pulumi = async () => {
      asked++;
      return seedOutputs();
    };
    await expect(readLabInventory("lab", pulumi, dir, {})).rejects.toThrow(
      'okd-lab: libvirt:uri = "qemu:///system; rm -rf /": is not a libvirt connection URI (driver[+transport]://[user@][host][:port]/path[?name=value], no spaces, quotes or shell characters). Fix: pulumi config set libvirt:uri qemu:///system',
    );
    expect(asked).toBe(0);
  });

  it("refuses a config that moved the infra node away from the deployed one", async () => {
    const raw = seedRawConfig();
    const dir = stackDir({ "libvirt:uri": "qemu:///system", ...okdKeys({ ...raw, infra: { ...(raw.infra as object), ip: "10.56.0.20" } }) });
    dirs.push(dir);
    await expect(readLabInventory("lab", async () => seedOutputs(), dir, {})).rejects.toThrow(
      "stack lab: the deployed infra node is okd-infra at 10.56.0.10, but Pulumi.lab.yaml now describes okd-infra at 10.56.0.20. Fix: run 'npm run up' to apply the config first, or restore the config.",
    );
  });
});

describe("parseNodesOutput", () => {
  it("says when nothing was deployed", () => {
    expect(() => parseNodesOutput("lab", {})).toThrow("stack lab has no 'nodes' output: nothing was deployed yet (npm run up), or the stack name is wrong");
  });

  it("names a malformed entry", () => {
    expect(() => parseNodesOutput("lab", { nodes: [{ name: "okd-x", role: "router", ip: "10.56.0.9", fqdn: "x" }] })).toThrow(
      'stack lab: nodes[0] = {"name":"okd-x","role":"router","ip":"10.56.0.9","fqdn":"x"} is not {name, role, ip, fqdn} with role infra|bootstrap|master|worker',
    );
  });
});
