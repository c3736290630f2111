import { parse } from "yaml";
import { parseLabConfig, OKD_FAKE_PULL_SECRET, RawLabConfig } from "../../config/labConfig";
import { renderInstallConfig } from "../../ignition/installConfig";
import { buildLabPlan } from "../../plan/labPlan";
import { seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkdLabTestKeyOnly you@host";

function render(raw: RawLabConfig, keys: string[] = [SSH_KEY]): string {
  const config = parseLabConfig(raw, "dev").config;
  return renderInstallConfig(buildLabPlan(config), config.okd, keys);
}

// Reviewed line by line against FACTS §3 (install-config.yaml for UPI, platform none).
const SEED_INSTALL_CONFIG = `apiVersion: v1
baseDomain: okd.local
compute:
  - name: worker
    hyperthreading: Enabled
    replicas: 0
controlPlane:
  name: master
  hyperthreading: Enabled
  replicas: 1
metadata:
  name: okd-lab
networking:
  networkType: OVNKubernetes
  clusterNetwork:
    - cidr: 10.128.0.0/14
      hostPrefix: 23
  serviceNetwork:
    - 172.30.0.0/16
  machineNetwork:
    - cidr: 10.56.0.0/24
platform:
  none: {}
pullSecret: '{"auths":{"fake":{"auth":"aWQ6cGFzcwo="}}}'
sshKey: ${SSH_KEY}
`;

describe("renderInstallConfig", () => {
  it("renders the seed lab exactly as reviewed", () => {
    expect(render(seedRawConfig())).toBe(SEED_INSTALL_CONFIG);
  });

  it.each([
    ["seed lab", seedRawConfig(), 1],
    ["3x3 lab", threeByThreeRawConfig(), 3],
    ["seed lab after bootstrap removal", { ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } }, 1],
    ["3x3 lab without workers", { ...threeByThreeRawConfig(), workers: [] }, 3],
  ])("sets controlPlane.replicas to the number of masters, never counting the bootstrap (%s)", (_name, raw, masters) => {
    const doc = parse(render(raw as RawLabConfig));
    expect(doc.controlPlane).toEqual({ name: "master", hyperthreading: "Enabled", replicas: masters });
  });

  it.each([
    ["seed lab", seedRawConfig()],
    ["3x3 lab", threeByThreeRawConfig()],
  ])("keeps compute replicas at 0: workers are booted by this program, not by the installer (%s)", (_name, raw) => {
    expect(parse(render(raw)).compute).toEqual([{ name: "worker", hyperthreading: "Enabled", replicas: 0 }]);
  });

  it("puts node addresses inside machineNetwork by using the lab CIDR instead of the installer's 10.0.0.0/16", () => {
    const raw = {
      ...seedRawConfig(),
      network: { name: "okd-net", cidr: "192.168.77.0/24" },
      infra: { ...(seedRawConfig().infra as object), ip: "192.168.77.10" },
    };
    const withNodes = {
      ...raw,
      bootstrap: { name: "bootstrap", ip: "192.168.77.11" },
      masters: [{ name: "master", ip: "192.168.77.12" }],
      workers: [{ name: "worker", ip: "192.168.77.13" }],
    };
    expect(parse(render(withNodes)).networking.machineNetwork).toEqual([{ cidr: "192.168.77.0/24" }]);
  });

  it("takes cluster name, base domain and networks from config", () => {
    const raw = {
      ...seedRawConfig(),
      cluster: { name: "lab2", baseDomain: "example.test" },
      okd: {
        networkType: "OpenShiftSDN",
        clusterNetwork: [{ cidr: "10.200.0.0/14", hostPrefix: 24 }],
        serviceNetwork: ["172.31.0.0/16"],
      },
    };
    const doc = parse(render(raw));
    expect(doc.metadata).toEqual({ name: "lab2" });
    expect(doc.baseDomain).toBe("example.test");
    expect(doc.networking.networkType).toBe("OpenShiftSDN");
    expect(doc.networking.clusterNetwork).toEqual([{ cidr: "10.200.0.0/14", hostPrefix: 24 }]);
    expect(doc.networking.serviceNetwork).toEqual(["172.31.0.0/16"]);
  });

  it("declares platform none, as UPI without a cloud provider requires", () => {
    expect(parse(render(seedRawConfig())).platform).toEqual({ none: {} });
  });

  it("carries the pull secret as a JSON string that parses back to the configured value", () => {
    const secret = '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz","email":"me@example.test"}}}';
    const doc = parse(render({ ...seedRawConfig(), okd: { pullSecret: secret } }));
    expect(doc.pullSecret).toBe(secret);
    expect(parse(render(seedRawConfig())).pullSecret).toBe(OKD_FAKE_PULL_SECRET);
  });

  it("keeps a long SSH key on one line", () => {
    const longKey = `ssh-rsa ${"A".repeat(700)} someone@somewhere`;
    const text = render(seedRawConfig(), [longKey]);
    expect(text).toContain(`\nsshKey: ${longKey}\n`);
    expect(parse(text).sshKey).toBe(longKey);
  });

  // The MachineConfigs 99-master-ssh and 99-worker-ssh carry install-config's sshKey only, and the
  // machine-config daemon rewrites core's keys from them: every authorized key must be in it.
  it("puts every authorized key into sshKey, one per line, with no blank or trailing line", () => {
    const mine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMineMineMine me@laptop";
    const text = render(seedRawConfig(), [SSH_KEY, `${mine}\n`]);
    expect(text).toContain(`\nsshKey: |-\n  ${SSH_KEY}\n  ${mine}\n`);
    expect(parse(text).sshKey).toBe(`${SSH_KEY}\n${mine}`);
  });

  it("refuses an empty key list", () => {
    expect(() => render(seedRawConfig(), [])).toThrow("renderInstallConfig: at least one SSH public key is needed (the lab's own)");
  });
});
