/**
 * The whole program under Pulumi mocks: which resources it registers, under which parents, in
 * which order, what stays secret, and what an update would change.
 */
import * as nodePath from "node:path";
import { isSecret, LabRun, OFFLINE_SSH_HOST_PUBLIC_KEY, OFFLINE_SSH_PUBLIC_KEY, plainValue, RecordedResource, runLabUnderMocks } from "../../offline/labMocks";
import { LOCAL_DOMAIN_NOTE } from "../../config/labConfig";
import { diffRuns } from "../../offline/planDiff";
import { renderPoolPermissionsXslt } from "../../render/poolXslt";
import { planJson } from "../../scripts/render";
import { shellQuote } from "../../render/shellQuote";
import { devStackFileConfig } from "../fixtures/labs";
import { DEFAULT_ALMALINUX_IMAGE } from "../../config/labConfig";

const devConfig = devStackFileConfig;

function find(run: LabRun, type: string, name: string): RecordedResource {
  const r = run.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} named ${name}; have: ${run.resources.map((x) => x.name).join(", ")}`);
  return r;
}

function urnOf(r: RecordedResource, run: LabRun): string {
  // URNs end with `::<name>`; names are unique in this program.
  const urn = run.resources
    .flatMap((x) => [x.parent ?? "", ...x.dependsOn])
    .find((u) => u.endsWith(`$${r.type}::${r.name}`) || u.endsWith(`::${r.type}::${r.name}`));
  if (!urn) throw new Error(`nothing refers to ${r.name}`);
  return urn;
}

let dev: LabRun;
beforeAll(async () => {
  dev = await runLabUnderMocks({ stack: "dev", config: devConfig() });
}, 30000);

describe("resources of the dev stack", () => {
  it("creates the network, pool, base volumes, infra VM and one FCOS node per configured node", () => {
    const names = dev.resources
      .filter((r) => r.custom && r.type.startsWith("libvirt:"))
      .map((r) => r.name)
      .sort();
    expect(names).toEqual(
      [
        "bootstrap-bootstrap-domain",
        "bootstrap-bootstrap-ignition",
        "bootstrap-bootstrap-root",
        "infra-cloudinit",
        "infra-domain",
        "infra-root",
        "lab-fcos-base",
        "lab-infra-base",
        "lab-network",
        "lab-pool",
        "master-master-domain",
        "master-master-ignition",
        "master-master-root",
        "worker-worker-domain",
        "worker-worker-ignition",
        "worker-worker-root",
      ].sort(),
    );
  });

  it("names libvirt objects as the seed does (okd-<name>) and sizes disks in bytes", () => {
    const domain = find(dev, "libvirt:index/domain:Domain", "worker-worker-domain");
    expect(domain.inputs.name).toBe("okd-worker");
    expect(domain.inputs.memory).toBe(8192);
    expect(domain.inputs.vcpu).toBe(2);
    expect(domain.inputs.cpu).toEqual({ mode: "host-passthrough" });
    expect(domain.inputs.autostart).toBe(true);
    const nic = (domain.inputs.networkInterfaces as Record<string, unknown>[])[0];
    // No `addresses`: the provider reads them back from DHCP leases (domainGetIfacesInfo in
    // terraform-provider-libvirt v0.8.1 domain.go), so a second `pulumi up` would show a change;
    // the reservation is the `-dhcp` host command's.
    expect(nic).toEqual({ networkId: "lab-network-id", mac: "52:54:00:38:00:0d", waitForLease: false });
    expect(find(dev, "libvirt:index/volume:Volume", "worker-worker-root").inputs.size).toBe(100 * 1024 ** 3);
    expect(find(dev, "libvirt:index/domain:Domain", "infra-domain").inputs.name).toBe("okd-infra");
  });

  it("gives every VM VNC graphics and a VGA card, since EL9 hosts have no SPICE", () => {
    for (const name of ["infra-domain", "bootstrap-bootstrap-domain", "master-master-domain", "worker-worker-domain"]) {
      const domain = find(dev, "libvirt:index/domain:Domain", name);
      expect(domain.inputs.graphics).toEqual({ type: "vnc", listenType: "address", listenAddress: "127.0.0.1", autoport: true });
      expect(domain.inputs.video).toEqual({ type: "vga" });
    }
  });

  it("ignores no base volume input, so `--replace` on a base re-uploads the recorded image", () => {
    // The engine resets ignoreChanges paths to the old inputs whenever old state exists, also
    // under --replace (pulumi v3.248.0 pkg/resource/deploy/step_generator.go).
    for (const name of ["lab-infra-base", "lab-fcos-base"]) {
      expect(find(dev, "libvirt:index/volume:Volume", name).options.ignoreChanges).toEqual([]);
    }
  });

  it("fetches the infra image, the pinned AlmaLinux release by default, through the verified fetch before its base volume", () => {
    const fetch = find(dev, "command:local:Command", "lab-infra-image");
    const create = fetch.inputs.create as string;
    expect(create).toContain(`url='${DEFAULT_ALMALINUX_IMAGE.url}'`);
    expect(create).toContain(`want='${DEFAULT_ALMALINUX_IMAGE.sha256}'`);
    expect(create).toContain("check okd-lab:infra.imageSha256 against");
    const volume = find(dev, "libvirt:index/volume:Volume", "lab-infra-base");
    expect(volume.inputs.source).toBe(nodePath.resolve(".okd/dev-images/AlmaLinux-9-GenericCloud-9.7-20251118.x86_64.qcow2"));
    expect(volume.dependsOn).toContain(urnOf(fetch, dev));
  });

  it("keeps a lab deployed before infra images were verified on its recorded image, without fetching it", async () => {
    const latest = "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2";
    const previousOutputs = {
      nodes: [],
      baseImages: { infra: latest, fcos: { image: "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2" } },
    };
    const run = await runLabUnderMocks({ stack: "dev", config: devConfig(), previousOutputs });
    expect(run.resources.find((r) => r.name === "lab-infra-image")).toBeUndefined();
    expect(find(run, "libvirt:index/volume:Volume", "lab-infra-base").inputs.source).toBe(latest);
  }, 30000);

  it("hashes a host-path image with a sha256 before its base volume, and names its key on a mismatch", async () => {
    const sha = "ab".repeat(32);
    const run = await runLabUnderMocks({
      stack: "dev",
      config: { ...devConfig(), "okd-lab:fcos": { image: "/var/lib/libvirt/images/fcos.qcow2", sha256: sha } },
    });
    const check = find(run, "command:local:Command", "lab-fcos-image-check");
    expect(check.inputs.create).toContain(`want='${sha}'`);
    expect(check.inputs.create).toContain("'okd-lab:bootImage.sha256'");
    const volume = find(run, "libvirt:index/volume:Volume", "lab-fcos-base");
    expect(volume.inputs.source).toBe("/var/lib/libvirt/images/fcos.qcow2");
    expect(volume.dependsOn).toContain(urnOf(check, run));
  }, 30000);

  it("keeps the infra VM on the default machine type, whose IDE bus carries the cloud-init CD-ROM", () => {
    const infra = find(dev, "libvirt:index/domain:Domain", "infra-domain");
    expect(infra.inputs.machine).toBeUndefined();
    expect(infra.inputs.cloudinit).toBe("infra-cloudinit-id");
  });

  it("hands the infra node out as DNS server and forwards the cluster zones to it", () => {
    const net = find(dev, "libvirt:index/network:Network", "lab-network");
    expect(net.inputs).toMatchObject({ name: "okd-net", mode: "nat", addresses: ["10.56.0.0/24"], autostart: true });
    expect(net.inputs.dns).toEqual({
      enabled: true,
      forwarders: [
        { domain: "okd-lab.okd.local", address: "10.56.0.10" },
        { domain: "0.56.10.in-addr.arpa", address: "10.56.0.10" },
      ],
    });
    // DHCP options 6, 15 and 119: systemd-resolved on the nodes sends .local names to unicast DNS
    // only under a search domain of the link (resolved-dns-scope.c, dns_scope_good_domain).
    expect(net.inputs.dnsmasqOptions).toEqual({
      options: [
        { optionName: "dhcp-option", optionValue: "option:dns-server,10.56.0.10" },
        { optionName: "dhcp-option", optionValue: "option:domain-name,okd-lab.okd.local" },
        { optionName: "dhcp-option-force", optionValue: "option:domain-search,okd-lab.okd.local" },
      ],
    });
  });

  it("parents every child to its component", () => {
    for (const [child, parent] of [
      ["worker-worker-domain", "worker-worker"],
      ["infra-domain", "infra"],
      ["infra-config-file:haproxy.cfg", "infra-config"],
      ["lab-pool", "lab"],
      ["okd-installer-create", "okd-installer"],
    ]) {
      const r = dev.resources.find((x) => x.name === child)!;
      expect(r.parent).toMatch(new RegExp(`::${parent}$`));
    }
  });

  it("boots no FCOS domain before the readiness gate and the infra configuration", () => {
    const gate = find(dev, "command:local:Command", "readiness-gate");
    const gateUrn = urnOf(gate, dev);
    const haproxyUrn = urnOf(find(dev, "command:remote:Command", "infra-config-file:haproxy.cfg"), dev);
    for (const name of ["bootstrap-bootstrap-domain", "master-master-domain", "worker-worker-domain"]) {
      const domain = find(dev, "libvirt:index/domain:Domain", name);
      expect(domain.dependsOn).toContain(gateUrn);
      expect(domain.dependsOn).toContain(haproxyUrn);
    }
    const files = dev.resources.filter((r) => r.type === "command:remote:Command");
    for (const f of files) expect(gate.dependsOn).toContain(urnOf(f, dev));
  });

  it("installs zones before the Corefile and the stats secret before haproxy.cfg", () => {
    const corefile = find(dev, "command:remote:Command", "infra-config-file:Corefile");
    for (const zone of ["zones/okd-lab.okd.local.zone", "zones/0.56.10.in-addr.arpa.zone"]) {
      expect(corefile.dependsOn).toContain(urnOf(find(dev, "command:remote:Command", `infra-config-file:${zone}`), dev));
    }
    const haproxy = find(dev, "command:remote:Command", "infra-config-file:haproxy.cfg");
    expect(haproxy.dependsOn).toContain(urnOf(find(dev, "command:remote:Command", "infra-config-file:haproxy-secrets.env"), dev));
  });

  // The provider writes Ignition volumes 0644 (volume_def.go); the pool directory keeps them from
  // other local users. The stylesheet is ForceNew: an existing pool is never replaced for it.
  it("creates the pool directory 0750 root:qemu through the pool's XSLT, and never replaces a pool for it", () => {
    const pool = find(dev, "libvirt:index/pool:Pool", "lab-pool");
    expect(pool.inputs.xml).toEqual({ xslt: renderPoolPermissionsXslt() });
    expect(pool.ignoreChanges).toEqual(["xml"]);
  });

  it("never hands the installer's 1.5 MB stdout back to it in the environment, nor logs it", () => {
    const installer = find(dev, "command:local:Command", "okd-installer-create");
    expect(installer.inputs.addPreviousOutputInEnv).toBe(false);
    expect(installer.inputs.logging).toBe("stderr");
  });

  it("rewrites Ignition files with current content, never replaces a domain for it, and runs the installer once", () => {
    expect(find(dev, "libvirt:index/ignition:Ignition", "worker-worker-ignition").ignoreChanges).toEqual([]);
    expect(find(dev, "libvirt:index/domain:Domain", "worker-worker-domain").ignoreChanges).toEqual(["coreosIgnition"]);
    expect(find(dev, "command:local:Command", "okd-installer-create").ignoreChanges).toEqual(["create", "environment"]);
  });
});

describe("the stack's own previous outputs", () => {
  // The local backend's legacy layout (stacks from before Pulumi 3.61) rejects a name with slashes
  // (pulumi pkg/backend/diy/store.go, legacyReferenceStore.ParseReference -> tokens.ParseStackName);
  // a bare stack name resolves in both layouts.
  it("are read through a StackReference to the bare stack name", () => {
    const refs = dev.resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
    expect(refs.map((r) => r.inputs.name)).toEqual(["dev"]);
  });
});

describe("SSH keys", () => {
  // The MCO rewrites core's authorized_keys on masters and workers from 99-<role>-ssh, which the
  // installer builds from install-config's sshKey only.
  it("puts the lab's key and every okd-lab:sshAuthorizedKeys key into install-config's sshKey", async () => {
    const mine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMineMineMine me@laptop";
    const run = await runLabUnderMocks({ stack: "dev", config: { ...devConfig(), "okd-lab:sshAuthorizedKeys": [mine] } });
    const installer = find(run, "command:local:Command", "okd-installer-create");
    const env = installer.inputs.environment as Record<string, unknown>;
    const text = String((isSecret(env) ? (env.value as Record<string, unknown>) : env).OKD_LAB_INSTALL_CONFIG);
    expect(text).toContain(`sshKey: |-\n  ${OFFLINE_SSH_PUBLIC_KEY}\n  ${mine}\n`);
  });
});

describe("secrets", () => {
  it("keeps Ignition, install-config, the stats password and the private key secret", () => {
    for (const name of ["bootstrap-bootstrap-ignition", "master-master-ignition", "worker-worker-ignition"]) {
      expect(isSecret(find(dev, "libvirt:index/ignition:Ignition", name).inputs.content)).toBe(true);
    }
    const installer = find(dev, "command:local:Command", "okd-installer-create");
    const env = installer.inputs.environment as Record<string, unknown>;
    expect(isSecret(env) || isSecret(env.OKD_LAB_INSTALL_CONFIG)).toBe(true);
    expect(isSecret(find(dev, "command:remote:Command", "infra-config-file:haproxy-secrets.env").inputs.stdin)).toBe(true);
    for (const key of ["statsPassword", "sshPrivateKey", "kubeadminPassword"]) expect(isSecret(dev.outputs[key])).toBe(true);
    for (const key of ["apiUrl", "statsUrl", "statsTunnel", "kubeconfig", "nextSteps", "diagram"]) expect(isSecret(dev.outputs[key])).toBe(false);
  });

  it("writes no secret value into plan.json unless asked", () => {
    const text = planJson(dev, false);
    for (const secret of ["offlineRenderStatsPassword", "offline-render-has-no-private-key", '"auths"', "OKD_LAB_STATS_PASSWORD="]) {
      expect(text).not.toContain(secret);
    }
    expect(planJson(dev, true)).toContain("OKD_LAB_STATS_PASSWORD=offlineRenderStatsPassword");
  });

  it("connects to the infra node with the generated private key, kept secret", () => {
    const helper = find(dev, "command:remote:Command", "infra-config-helper");
    const raw = helper.inputs.connection;
    const connection = (isSecret(raw) ? raw.value : raw) as Record<string, unknown>;
    expect(connection.host).toBe("10.56.0.10");
    expect(connection.user).toBe("okd");
    expect(isSecret(raw) || isSecret(connection.privateKey)).toBe(true);
    expect(connection.privateKey).toBe("offline-render-has-no-private-key");
  });
});

describe("bad configuration", () => {
  it("fails with the list of problems before registering any resource", async () => {
    const config = {
      ...devConfig(),
      "okd-lab:masters": [
        { name: "m1", ip: "10.56.0.12" },
        { name: "m2", ip: "10.57.0.1" },
      ],
    };
    const recorder: RecordedResource[] = [];
    await expect(runLabUnderMocks({ stack: "dev", config, recorder })).rejects.toThrow(
      /okd-lab:masters = \["m1","m2"\]: lists 2 masters; OKD supports a control plane of 1 or 3[\s\S]*okd-lab:masters\[1\]\.ip = "10\.57\.0\.1": is outside the lab network 10\.56\.0\.0\/24/,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(recorder).toEqual([]);
  });

  it("records what a valid program registers (the recorder above can see registrations)", async () => {
    const recorder: RecordedResource[] = [];
    await runLabUnderMocks({ stack: "dev", config: devConfig(), recorder });
    expect(recorder.length).toBeGreaterThan(30);
  }, 30000);
});

describe("updates", () => {
  async function next(config: Record<string, unknown>, previous: LabRun): Promise<LabRun> {
    return runLabUnderMocks({ stack: "dev", config, previousOutputs: previous.outputs });
  }

  it("changes nothing when run again with the same config", async () => {
    const again = await next(devConfig(), dev);
    expect(diffRuns(dev, again)).toEqual({ created: [], deleted: [], updated: {} });
    expect(planJson(again, true)).toBe(planJson(dev, true));
  }, 30000);

  it("adding a worker creates its resources and updates only the zones and haproxy.cfg", async () => {
    const config = {
      ...devConfig(),
      "okd-lab:workers": [
        { name: "worker", ip: "10.56.0.13" },
        { name: "worker2", ip: "10.56.0.16" },
      ],
    };
    const grown = await next(config, dev);
    expect(diffRuns(dev, grown)).toEqual({
      created: [
        "command:local:Command::worker-worker2-dhcp",
        "libvirt:index/domain:Domain::worker-worker2-domain",
        "libvirt:index/ignition:Ignition::worker-worker2-ignition",
        "libvirt:index/volume:Volume::worker-worker2-root",
        "okd-lab:nodes:FcosNode::worker-worker2",
      ],
      deleted: [],
      updated: {
        "command:remote:Command::infra-config-file:haproxy.cfg": ["stdin"],
        "command:remote:Command::infra-config-file:zones/0.56.10.in-addr.arpa.zone": ["stdin"],
        "command:remote:Command::infra-config-file:zones/okd-lab.okd.local.zone": ["stdin"],
      },
    });
    // The zone serials move on, so CoreDNS reloads the zones.
    const zones = grown.outputs.dnsZones as Record<string, { serial: number }>;
    expect(zones["okd-lab.okd.local"].serial).toBe(2);
    expect(zones["0.56.10.in-addr.arpa"].serial).toBe(2);
  }, 30000);

  it("dropping the bootstrap deletes its resources and updates only the zones and haproxy.cfg", async () => {
    const config = { ...devConfig(), "okd-lab:bootstrap": { name: "bootstrap", ip: "10.56.0.11", enabled: false } };
    const dropped = await next(config, dev);
    expect(diffRuns(dev, dropped)).toEqual({
      created: [],
      deleted: [
        "command:local:Command::bootstrap-bootstrap-dhcp",
        "libvirt:index/domain:Domain::bootstrap-bootstrap-domain",
        "libvirt:index/ignition:Ignition::bootstrap-bootstrap-ignition",
        "libvirt:index/volume:Volume::bootstrap-bootstrap-root",
        "okd-lab:nodes:FcosNode::bootstrap-bootstrap",
      ],
      updated: {
        "command:remote:Command::infra-config-file:haproxy.cfg": ["stdin"],
        "command:remote:Command::infra-config-file:zones/0.56.10.in-addr.arpa.zone": ["stdin"],
        "command:remote:Command::infra-config-file:zones/okd-lab.okd.local.zone": ["stdin"],
      },
    });
    const haproxy = find(dropped, "command:remote:Command", "infra-config-file:haproxy.cfg").inputs.stdin as string;
    expect(haproxy).not.toContain("10.56.0.11");
  }, 30000);

  it("reserves each VM's address before its domain and releases it after the domain is deleted", () => {
    for (const [node, host] of [
      ["bootstrap-bootstrap", "<host mac='52:54:00:38:00:0b' name='bootstrap' ip='10.56.0.11'/>"],
      ["infra", "<host mac='52:54:00:38:00:0a' name='okd-infra' ip='10.56.0.10'/>"],
    ]) {
      const reservation = find(dev, "command:local:Command", `${node}-dhcp`);
      // Every value as one quoted shell word, set once at the top (render/shellQuote.ts).
      for (const script of [reservation.inputs.create, reservation.inputs.delete] as string[]) {
        expect(script.startsWith(`host=${shellQuote(host)}; net='okd-net'; `)).toBe(true);
      }
      expect(reservation.inputs.create).toContain(`virsh -c 'qemu:///system' net-update "$net" add-last ip-dhcp-host "$host" $flags`);
      expect(reservation.inputs.delete).toContain(`virsh -c 'qemu:///system' net-update "$net" delete ip-dhcp-host "$host" $flags`);
      // The domain depends on the reservation: created after it, deleted before it.
      expect(find(dev, "libvirt:index/domain:Domain", `${node}-domain`).dependsOn).toContain(urnOf(reservation, dev));
    }
  });
});

describe("infra SSH host key", () => {
  it("is generated, installed through the secret user data, pinned by every remote command and published as known_hosts", () => {
    const hostKey = `${OFFLINE_SSH_HOST_PUBLIC_KEY}\n`;
    const remote = dev.resources.filter((r) => r.type === "command:remote:Command");
    expect(remote.length).toBeGreaterThan(0);
    for (const r of remote) {
      const connection = plainValue(r.inputs.connection, true) as Record<string, unknown>;
      expect({ name: r.name, hostKey: connection.hostKey }).toEqual({ name: r.name, hostKey });
    }
    const disk = find(dev, "libvirt:index/cloudInitDisk:CloudInitDisk", "infra-cloudinit");
    expect(isSecret(disk.inputs.userData)).toBe(true);
    expect(dev.outputs.knownHosts).toBe(`10.56.0.10,okd-infra.okd-lab.okd.local ${OFFLINE_SSH_HOST_PUBLIC_KEY.split(" ").slice(0, 2).join(" ")}`);
  });
});

describe("CSR approval", () => {
  it("is off by default", () => {
    expect(dev.resources.find((r) => r.name === "approve-csrs")).toBeUndefined();
  });

  it("when on, runs after every FCOS node and approves only the stack's masters and workers", async () => {
    const run = await runLabUnderMocks({ stack: "dev", config: { ...devConfig(), "okd-lab:approveCsrs": true } });
    const approve = find(run, "command:local:Command", "approve-csrs");
    // The one approval implementation (host/csrApproval.ts), run without a shell.
    expect(approve.inputs.interpreter).toEqual(["node", "--require", "ts-node/register/transpile-only", "scripts/approveCsrs.ts"]);
    expect(JSON.parse(approve.inputs.create as string)).toEqual({
      oc: "oc",
      kubeconfig: nodePath.resolve(".okd/dev/auth/kubeconfig"),
      nodes: [
        { name: "master", fqdn: "master.okd-lab.okd.local", ip: "10.56.0.12", role: "master" },
        { name: "worker", fqdn: "worker.okd-lab.okd.local", ip: "10.56.0.13", role: "worker" },
      ],
      timeoutSeconds: 3600,
    });
    for (const node of ["bootstrap-bootstrap", "master-master", "worker-worker"]) {
      expect(approve.dependsOn.some((u) => u.endsWith(`::${node}-domain`))).toBe(true);
    }
  }, 30000);
});

describe("scaling against existing installer assets", () => {
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  let assets: string;
  beforeEach(() => {
    assets = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-assets-"));
  });
  afterEach(() => fs.rmSync(assets, { recursive: true, force: true }));

  /** Records an install-config as the installer script does after generating assets. */
  function recordAssets(installConfig: string, generatedAt: string): void {
    fs.mkdirSync(path.join(assets, ".okd-lab"));
    fs.writeFileSync(path.join(assets, ".okd-lab", "install-config.yaml"), installConfig);
    fs.writeFileSync(path.join(assets, ".okd-lab", "generated-at"), `${generatedAt}\n`);
  }

  async function installConfigOf(config: Record<string, unknown>): Promise<string> {
    const run = await runLabUnderMocks({ stack: "dev", config });
    const env = find(run, "command:local:Command", "okd-installer-create").inputs.environment;
    const plain = (isSecret(env) ? env.value : env) as Record<string, unknown>;
    const text = plain.OKD_LAB_INSTALL_CONFIG;
    return (isSecret(text) ? text.value : text) as string;
  }

  const withAssets = (extra: Record<string, unknown> = {}) => ({ ...devConfig(), "okd-lab:okd": { assetsDir: assets }, ...extra });
  const threeMasters = { "okd-lab:masters": [1, 2, 3].map((i) => ({ name: `master${i}`, ip: `10.56.0.${20 + i}` })) };

  it("warns, and still wires the new masters, when masters are added to an installed cluster", async () => {
    recordAssets(await installConfigOf(withAssets()), new Date().toISOString());
    const run = await runLabUnderMocks({ stack: "dev", config: withAssets(threeMasters), checkHostAssets: true });
    expect(run.warnings.filter((w) => !w.startsWith("okd-lab:cluster.baseDomain"))).toEqual([
      "okd-lab: the control plane goes from 1 to 3 masters on an installed cluster. DNS records and the 6443/22623 backends follow, but the new masters join etcd only through OKD's control-plane scale-up procedure, which this program does not perform.",
    ]);
    const haproxy = find(run, "command:remote:Command", "infra-config-file:haproxy.cfg").inputs.stdin as string;
    for (const ip of ["10.56.0.21", "10.56.0.22", "10.56.0.23"]) expect(haproxy).toContain(`${ip}:22623`);
  }, 30000);

  it("refuses, before registering anything, an assets folder that holds other files", async () => {
    fs.writeFileSync(path.join(assets, "notes.txt"), "mine");
    fs.mkdirSync(path.join(assets, "manifests"));
    const recorder: RecordedResource[] = [];
    await expect(runLabUnderMocks({ stack: "dev", config: withAssets(), checkHostAssets: true, recorder })).rejects.toThrow(
      `okd-lab:okd.assetsDir = ${JSON.stringify(assets)}: holds files that are not this lab's installer assets (manifests, notes.txt); ` +
        "the installer step writes and removes manifests/, openshift/ and install-config.yaml there. Fix: point okd-lab:okd.assetsDir at a new or empty folder, e.g. .okd/dev.",
    );
    expect(recorder).toEqual([]);
  });

  it("accepts an empty assets folder and one holding this lab's record", async () => {
    await expect(runLabUnderMocks({ stack: "dev", config: withAssets(), checkHostAssets: true })).resolves.toBeDefined();
    recordAssets(await installConfigOf(withAssets()), new Date().toISOString());
    fs.writeFileSync(path.join(assets, "metadata.json"), "{}");
    await expect(runLabUnderMocks({ stack: "dev", config: withAssets(), checkHostAssets: true })).resolves.toBeDefined();
  }, 30000);

  it("refuses, before registering anything, a change that would need new assets", async () => {
    recordAssets(await installConfigOf(withAssets()), new Date().toISOString());
    const config = withAssets({ "okd-lab:cluster": { name: "other", baseDomain: "okd.local" } });
    const recorder: RecordedResource[] = [];
    await expect(runLabUnderMocks({ stack: "dev", config, checkHostAssets: true, recorder })).rejects.toThrow(
      `okd-lab: the installer assets in ${assets} were generated for another install-config (metadata changed). Regenerating them would mint a new CA and break the running cluster.`,
    );
    expect(recorder).toEqual([]);
  }, 30000);

  it("warns when a bootstrap would be created from assets older than their 24-hour certificates", async () => {
    recordAssets(await installConfigOf(withAssets()), "2000-01-01T00:00:00Z");
    const run = await runLabUnderMocks({ stack: "dev", config: withAssets(), checkHostAssets: true });
    expect(run.warnings.join("\n")).toContain("the installer assets were generated 2000-01-01T00:00:00.000Z, more than 24 hours ago");
  }, 30000);

  it("does not warn about old assets when the bootstrap exists already", async () => {
    recordAssets(await installConfigOf(withAssets()), "2000-01-01T00:00:00Z");
    const previous = { nodes: [{ name: "okd-bootstrap", role: "bootstrap", ip: "10.56.0.11", vcpu: 4, memoryMiB: 16384, diskGiB: 100 }] };
    const run = await runLabUnderMocks({ stack: "dev", config: withAssets(), checkHostAssets: true, previousOutputs: previous });
    // The seed's okd.local domain warns once (config/labConfig.ts LOCAL_DOMAIN_NOTE), nothing else.
    expect(run.warnings).toEqual([`okd-lab:cluster.baseDomain = "okd.local": ${LOCAL_DOMAIN_NOTE}`]);
  }, 30000);

  it("removing a worker deletes exactly its resources", async () => {
    const two = {
      ...devConfig(),
      "okd-lab:workers": [
        { name: "worker", ip: "10.56.0.13" },
        { name: "worker2", ip: "10.56.0.16" },
      ],
    };
    const grown = await runLabUnderMocks({ stack: "dev", config: two });
    const shrunk = await runLabUnderMocks({ stack: "dev", config: devConfig(), previousOutputs: grown.outputs });
    const diff = diffRuns(grown, shrunk);
    expect(diff.created).toEqual([]);
    expect(diff.deleted).toEqual([
      "command:local:Command::worker-worker2-dhcp",
      "libvirt:index/domain:Domain::worker-worker2-domain",
      "libvirt:index/ignition:Ignition::worker-worker2-ignition",
      "libvirt:index/volume:Volume::worker-worker2-root",
      "okd-lab:nodes:FcosNode::worker-worker2",
    ]);
    expect(Object.keys(diff.updated)).toEqual([
      "command:remote:Command::infra-config-file:haproxy.cfg",
      "command:remote:Command::infra-config-file:zones/0.56.10.in-addr.arpa.zone",
      "command:remote:Command::infra-config-file:zones/okd-lab.okd.local.zone",
    ]);
  }, 30000);
});

describe("libvirt connection", () => {
  it("is required: without libvirt:uri or LIBVIRT_DEFAULT_URI the run stops before any resource", async () => {
    const saved = process.env.LIBVIRT_DEFAULT_URI;
    delete process.env.LIBVIRT_DEFAULT_URI;
    try {
      const config = { ...devConfig() };
      delete config["libvirt:uri"];
      const recorder: RecordedResource[] = [];
      await expect(runLabUnderMocks({ stack: "dev", config, recorder })).rejects.toThrow(
        "okd-lab: libvirt:uri is not set and LIBVIRT_DEFAULT_URI is empty. Fix: pulumi config set libvirt:uri qemu:///system",
      );
      expect(recorder).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.LIBVIRT_DEFAULT_URI = saved;
    }
  });

  it("is handed to the one explicit libvirt provider", () => {
    expect(find(dev, "pulumi:providers:libvirt", "libvirt").inputs.uri).toBe("qemu:///system");
  });
});

describe("resource options (recorded in plan.json, so a render shows what a replacement does)", () => {
  const libvirtObjects = () => dev.resources.filter((r) => r.custom && r.type.startsWith("libvirt:index/"));

  it("plan.json carries every resource's options", () => {
    const plan = JSON.parse(planJson(dev, false)) as { resources: { name: string; options: Record<string, unknown> }[] };
    const domain = plan.resources.find((r) => r.name === "worker-worker-domain")!;
    expect(domain.options).toEqual({
      deleteBeforeReplace: true,
      ignoreChanges: ["coreosIgnition"],
      replaceOnChanges: [],
      additionalSecretOutputs: [],
      protect: false,
      retainOnDelete: false,
      aliases: [],
    });
    expect(plan.resources.every((r) => typeof r.options === "object")).toBe(true);
  });

  it("deletes every named libvirt object before creating its replacement (libvirt names are unique)", () => {
    expect(libvirtObjects()).toHaveLength(16);
    for (const r of libvirtObjects()) expect([r.name, r.options.deleteBeforeReplace]).toEqual([r.name, true]);
  });

  it("protects and retains nothing, so destroy removes the whole lab", () => {
    for (const r of dev.resources) expect([r.name, r.options.protect, r.options.retainOnDelete]).toEqual([r.name, false, false]);
  });

  it("ignores changes only where a new value must not replace or re-run something", () => {
    const ignoring = dev.resources.filter((r) => r.options.ignoreChanges.length > 0).map((r) => [r.name, r.options.ignoreChanges]);
    expect(ignoring).toEqual(
      expect.arrayContaining([
        // The pool's permissions stylesheet is ForceNew in the provider: never replace a pool for it.
        ["lab-pool", ["xml"]],
        ["okd-installer-create", ["create", "environment"]],
        ["bootstrap-bootstrap-domain", ["coreosIgnition"]],
        ["master-master-domain", ["coreosIgnition"]],
        ["worker-worker-domain", ["coreosIgnition"]],
      ]),
    );
    expect(ignoring).toHaveLength(5);
  });

  it("keeps the outputs of every secret-bearing resource secret", () => {
    for (const name of ["bootstrap-bootstrap-ignition", "master-master-ignition", "worker-worker-ignition"]) {
      expect(find(dev, "libvirt:index/ignition:Ignition", name).options.additionalSecretOutputs).toEqual(["content"]);
    }
    expect(find(dev, "command:local:Command", "okd-installer-create").options.additionalSecretOutputs).toEqual(["stdout"]);
    expect(find(dev, "command:remote:Command", "infra-config-file:haproxy-secrets.env").options.additionalSecretOutputs).toContain("stdin");
    for (const r of dev.resources.filter((x) => x.type === "command:remote:Command")) {
      // The connection holds the lab's private key.
      expect([r.name, r.options.additionalSecretOutputs]).toEqual([r.name, expect.arrayContaining(["connection"])]);
    }
  });

  it("takes over the reservation cleanups of earlier versions instead of deleting them (which would drop the reservations)", () => {
    for (const node of ["infra", "bootstrap-bootstrap", "master-master", "worker-worker"]) {
      expect(find(dev, "command:local:Command", `${node}-dhcp`).options.aliases).toEqual([`${node}-dhcp-release`]);
    }
  });

  it("never puts a remote command's previous output into its SSH environment", () => {
    // @pulumi/command 1.2.1 sets PULUMI_COMMAND_STDOUT/STDERR over SSH unless addPreviousOutputInEnv
    // is false (provider/pkg/provider/remote/commandOutputs.go); sshd refuses them with a warning.
    const remote = dev.resources.filter((r) => r.type === "command:remote:Command");
    expect(remote.length).toBeGreaterThan(5);
    for (const r of remote) expect([r.name, r.inputs.addPreviousOutputInEnv]).toEqual([r.name, false]);
  });
});

describe("README recipes rely on these options", () => {
  it("re-provisioning a node (--replace its root volume and Ignition): both take current inputs, the domain follows", () => {
    for (const kind of ["volume:Volume::worker-worker-root", "ignition:Ignition::worker-worker-ignition"]) {
      const [type, name] = [`libvirt:index/${kind.split("::")[0]}`, kind.split("::")[1]];
      const r = find(dev, type, name);
      // No ignoreChanges: under --replace the engine would hand back the old inputs (step_generator.go).
      expect(r.options).toMatchObject({ ignoreChanges: [], deleteBeforeReplace: true });
    }
    // The domain's disk refers to the root volume's id: a delete-before-replace of the volume
    // replaces the domain too (calculateDependentReplacements in step_generator.go; the domain's
    // `disk` list is ForceNew in resource_libvirt_domain.go).
    const domain = find(dev, "libvirt:index/domain:Domain", "worker-worker-domain");
    expect(domain.inputs.disks).toEqual([{ volumeId: "worker-worker-root-id" }]);
    expect(domain.options.deleteBeforeReplace).toBe(true);
  });

  it("a new boot image applies to a new lab: the base volumes ignore nothing and take the recorded image", () => {
    for (const name of ["lab-infra-base", "lab-fcos-base"]) {
      expect(find(dev, "libvirt:index/volume:Volume", name).options).toMatchObject({ ignoreChanges: [], deleteBeforeReplace: true });
    }
    expect(find(dev, "libvirt:index/volume:Volume", "lab-fcos-base").inputs.source).toBe((dev.outputs.baseImages as { fcos: { image: string } }).fcos.image);
  });
});
