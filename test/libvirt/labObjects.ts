/**
 * The lab as the program plans it, for the real-libvirt tier: a test stack whose every libvirt
 * name carries the `okdlab-` mark, rendered by the offline harness (the real program under Pulumi
 * mocks, as `npm run render` writes plan.json), and helpers that create its network, pool,
 * volumes and domains in the private libvirt from those recorded inputs, the way the provider would.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { RecordedResource, runLabUnderMocks } from "../../offline/labMocks";
import { TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { GUEST_CMDLINE } from "./guestImage";
import { PrivateLibvirt, SYSTEM_URI } from "./privateLibvirt";
import { dhcpHostXml, DomainInputs, domainXml, NetworkInputs, networkXml, PoolInputs, poolXml, volumeXml } from "./providerXml";

/** Where the test stack's images sit (inside the private /var/lib/libvirt). */
export const TEST_IMAGES = {
  infra: "/var/lib/libvirt/images/okdlab-almalinux9.qcow2",
  fcos: "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2",
};

/** Stack `okdlab`: the seed lab's shape and addresses, every libvirt name marked `okdlab-`. */
export const TEST_STACK = "okdlab";
export const TEST_STACK_CONFIG: Record<string, unknown> = {
  "libvirt:uri": SYSTEM_URI,
  "okd-lab:cluster": { name: "okdlab", baseDomain: "okd.local" },
  "okd-lab:network": { name: "okdlab-net", cidr: "10.56.0.0/24" },
  "okd-lab:pool": { name: "okdlab-pool", path: "/var/lib/libvirt/images/okdlab-pool" },
  "okd-lab:infra": { name: "okdlab-infra", ip: "10.56.0.10", image: TEST_IMAGES.infra, coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } },
  "okd-lab:bootstrap": { name: "okdlab-bootstrap", ip: "10.56.0.11", enabled: true },
  "okd-lab:masters": [{ name: "okdlab-master", ip: "10.56.0.12" }],
  "okd-lab:workers": [{ name: "okdlab-worker", ip: "10.56.0.13" }],
  "okd-lab:fcos": { image: TEST_IMAGES.fcos },
};

/** The stack file `npm run preflight -- --stack-file` reads. */
export function writeStackFile(dir: string): string {
  const file = path.join(dir, `Pulumi.${TEST_STACK}.yaml`);
  fs.writeFileSync(file, stringify({ config: TEST_STACK_CONFIG }));
  return file;
}

/** A script's text with bash's quoted single quotes (`'\\''`) read back as `'`, to find the values it carries. */
function unquoted(script: string): string {
  return script.split("'\\''").join("'");
}

/** A domain's recorded inputs, with the interface fields the lab always sets. */
export type LabDomain = Omit<DomainInputs, "networkInterfaces"> & {
  /** `hostname` and `addresses` only while the provider made the DHCP reservation. */
  networkInterfaces: { networkId: string; mac: string; hostname?: string; addresses?: string[] }[];
  disks: { volumeId: string }[];
  coreosIgnition?: string;
  autostart?: boolean;
};

/** The recorded resources of the test stack, by the provider's resource types. */
export class PlannedLab {
  private constructor(readonly resources: RecordedResource[]) {}

  static async render(): Promise<PlannedLab> {
    const run = await runLabUnderMocks({ stack: TEST_STACK, config: TEST_STACK_CONFIG });
    return new PlannedLab(run.resources);
  }

  private ofType(token: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === `libvirt:index/${token}`);
  }

  /** The single resource of a type whose name is `name`; the offline mocks give ids `<name>-id`. */
  private byId(token: string, id: string): RecordedResource {
    const found = this.ofType(token).find((r) => `${r.name}-id` === id);
    if (!found) throw new Error(`no ${token} with id ${id} in the plan`);
    return found;
  }

  get network(): NetworkInputs {
    const [net, ...more] = this.ofType("network:Network");
    if (!net || more.length > 0) throw new Error("the plan must have exactly one network");
    return net.inputs as unknown as NetworkInputs;
  }

  get pool(): PoolInputs {
    return this.ofType("pool:Pool")[0].inputs as unknown as PoolInputs;
  }

  /** Domain inputs by libvirt domain name, e.g. `okd-okdlab-bootstrap`. */
  domain(name: string): LabDomain {
    const found = this.ofType("domain:Domain").find((r) => r.inputs.name === name);
    if (!found) throw new Error(`no domain ${name} in the plan`);
    return found.inputs as never;
  }

  domainNames(): string[] {
    return this.ofType("domain:Domain").map((r) => r.inputs.name as string);
  }

  /** The host command that manages a node's DHCP reservation (components/vmDefaults.ts), found by the node's MAC. */
  private reservationCommand(domainName: string): RecordedResource {
    const mac = this.domain(domainName).networkInterfaces[0].mac;
    const cmd = this.resources.find(
      (r) =>
        r.type === "command:local:Command" && String(r.inputs.delete).includes("ip-dhcp-host") && unquoted(String(r.inputs.delete)).includes(`mac='${mac}'`),
    );
    if (!cmd) throw new Error(`no DHCP reservation command for ${domainName} in the plan`);
    return cmd;
  }

  /** A node's DHCP reservation as the program writes it (`<host mac name ip>` in its command). */
  reservation(domainName: string): { mac: string; hostname: string; ip: string } {
    const m = /<host mac='([^']+)' name='([^']+)' ip='([^']+)'\/>/.exec(unquoted(String(this.reservationCommand(domainName).inputs.delete)));
    if (!m) throw new Error(`the DHCP reservation command of ${domainName} names no <host mac name ip>`);
    return { mac: m[1], hostname: m[2], ip: m[3] };
  }

  /** The script that removes a node's DHCP reservation when the node is deleted. */
  dhcpReleaseScript(domainName: string): string {
    return this.reservationCommand(domainName).inputs.delete as string;
  }

  /** The script that adds it before the domain, when the program does that itself (otherwise the provider does). */
  dhcpAddScript(domainName: string): string | undefined {
    const create = this.reservationCommand(domainName).inputs.create;
    return typeof create === "string" && create.includes("ip-dhcp-host") ? create : undefined;
  }

  /** The libvirt name of a volume by the provider id the plan refers to it with. */
  volumeName(id: string): string {
    return this.byId("volume:Volume", id).inputs.name as string;
  }

  volume(id: string): RecordedResource {
    return this.byId("volume:Volume", id);
  }

  ignitionName(id: string): string {
    return this.byId("ignition:Ignition", id).inputs.name as string;
  }

  networkNameOf(id: string): string {
    return this.byId("network:Network", id).inputs.name as string;
  }
}

/** Defines and starts the lab network from the plan's inputs (autostart as the plan says). */
export function createNetwork(host: PrivateLibvirt, lab: PlannedLab): void {
  const net = lab.network;
  host.define("net-define", networkXml(net));
  host.virshOk(["net-start", net.name]);
  if ((net as { autostart?: boolean }).autostart) host.virshOk(["net-autostart", net.name]);
}

/**
 * Adds a node's DHCP reservation as the deployed program would: by the program's own command when
 * it has one, else as the provider's `updateOrAddHost` does for a domain's `addresses` (live and
 * config, MAC upper-cased).
 */
export function addReservations(host: PrivateLibvirt, lab: PlannedLab, domainName: string): void {
  const script = lab.dhcpAddScript(domainName);
  if (script !== undefined) {
    const result = host.run(["/bin/bash", "-c", script]);
    if (result.status !== 0) throw new Error(`the DHCP reservation of ${domainName} was not added: ${result.stderr.trim()}`);
    return;
  }
  for (const nic of lab.domain(domainName).networkInterfaces) {
    for (const ip of nic.addresses ?? []) {
      host.virshOk([
        "net-update",
        lab.networkNameOf(nic.networkId),
        "add-last",
        "ip-dhcp-host",
        dhcpHostXml({ mac: nic.mac, hostname: nic.hostname ?? domainName, ip }),
        "--live",
        "--config",
      ]);
    }
  }
}

/** The pool from the plan's inputs, built and started (libvirt creates its directory). */
export function createPool(host: PrivateLibvirt, lab: PlannedLab): void {
  host.define("pool-define", poolXml(lab.pool));
  host.virshOk(["pool-build", lab.pool.name]);
  host.virshOk(["pool-start", lab.pool.name]);
}

/** A small qcow2 stand-in for a base image (the real images are not available here), as the provider's volume. */
function ensureBaseVolume(host: PrivateLibvirt, pool: string, name: string): string {
  if (host.virsh(["vol-info", name, "--pool", pool]).status !== 0) {
    host.define("vol-create", volumeXml({ name, format: "qcow2", capacityBytes: 64 * 1024 * 1024 }), pool);
  }
  return host.virshOk(["vol-path", name, "--pool", pool]).trim();
}

/**
 * A node's volumes from the plan: its base (a small stand-in), its root overlay at the plan's size,
 * and its Ignition volume holding `ignition`.
 * @returns the root disk's and the Ignition volume's paths (as the daemon sees them).
 */
export function createNodeVolumes(host: PrivateLibvirt, lab: PlannedLab, domainName: string, ignition: string): { root: string; ignition?: string } {
  const dom = lab.domain(domainName);
  const pool = lab.pool.name;
  const rootVolume = lab.volume(dom.disks[0].volumeId);
  const basePath = ensureBaseVolume(host, pool, lab.volumeName(rootVolume.inputs.baseVolumeId as string));
  host.define(
    "vol-create",
    volumeXml({
      name: rootVolume.inputs.name as string,
      format: "qcow2",
      capacityBytes: rootVolume.inputs.size as number,
      backing: { path: basePath, format: "qcow2" },
    }),
    pool,
  );
  const root = host.virshOk(["vol-path", rootVolume.inputs.name as string, "--pool", pool]).trim();
  if (!dom.coreosIgnition) return { root };
  const ignName = lab.ignitionName(dom.coreosIgnition);
  const file = path.join(host.dir, `${ignName}.content`);
  fs.writeFileSync(file, ignition);
  host.define("vol-create", volumeXml({ name: ignName, format: "raw", capacityBytes: Buffer.byteLength(ignition) }), pool);
  host.virshOk(["vol-upload", ignName, file, "--pool", pool]);
  return { root, ignition: host.virshOk(["vol-path", ignName, "--pool", pool]).trim() };
}

/** The paths of a node's volumes made earlier by {@link createNodeVolumes}. */
function existingNodeVolumes(host: PrivateLibvirt, lab: PlannedLab, domainName: string): { root: string; ignition?: string } {
  const dom = lab.domain(domainName);
  const pool = lab.pool.name;
  const root = host.virshOk(["vol-path", lab.volumeName(dom.disks[0].volumeId), "--pool", pool]).trim();
  if (!dom.coreosIgnition) return { root };
  return { root, ignition: host.virshOk(["vol-path", lab.ignitionName(dom.coreosIgnition), "--pool", pool]).trim() };
}

export interface StartedNode {
  name: string;
  /** This machine's path of the serial console log. */
  consoleLog: string;
  /** sha256 of the Ignition content handed to the node. */
  ignitionSha256?: string;
  virtType: "kvm" | "qemu";
}

/**
 * Creates a node as the provider would (volumes, DHCP reservation, domain defined then started)
 * from the plan's inputs, booting the test guest; memory and vCPUs shrunk for the test guest, and
 * the CPU mode `maximum` instead of host-passthrough when libvirt offers no KVM (TCG).
 */
export function startNode(
  host: PrivateLibvirt,
  lab: PlannedLab,
  domainName: string,
  guest: { kernel: string; initrd: string },
  options: { ignoreAcpi?: boolean; reuseVolumes?: boolean } = {},
): StartedNode {
  const dom = lab.domain(domainName);
  const ignition = JSON.stringify({
    ignition: { version: "3.2.0" },
    storage: { files: [{ path: "/etc/hostname", contents: { source: `data:,${domainName}` } }] },
  });
  const volumes = options.reuseVolumes ? existingNodeVolumes(host, lab, domainName) : createNodeVolumes(host, lab, domainName, ignition);
  if (!options.reuseVolumes) addReservations(host, lab, domainName);
  const virtType = host.virtType();
  const consoleLog = `/var/log/libvirt/qemu/${domainName}-console.log`;
  const xml = domainXml(dom, {
    type: virtType,
    cpuMode: virtType === "kvm" ? undefined : "maximum",
    memoryMiB: 192,
    vcpu: 1,
    networks: dom.networkInterfaces.map((nic) => lab.networkNameOf(nic.networkId)),
    disks: [{ path: volumes.root, format: "qcow2" }],
    ignitionPath: volumes.ignition,
    boot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: options.ignoreAcpi ? `${GUEST_CMDLINE} okdlab.noacpi` : GUEST_CMDLINE },
    consoleLog,
  });
  host.define("define", xml);
  if (dom.autostart) host.virshOk(["autostart", domainName]);
  host.virshOk(["start", domainName]);
  return {
    name: domainName,
    consoleLog: host.hostPath(consoleLog),
    ignitionSha256: volumes.ignition ? crypto.createHash("sha256").update(ignition).digest("hex") : undefined,
    virtType,
  };
}
