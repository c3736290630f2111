/**
 * The change guard: compares what the stack last deployed (its previous outputs) with the plan
 * of this run and decides, before any resource is registered, what each change may do to a
 * running lab. Pure: no Pulumi, no I/O.
 *
 * Every decision rests on how the libvirt provider (terraform-provider-libvirt v0.8.1) applies a
 * change; the facts are cited next to the rule that encodes them.
 */
import { LabConfig, Role } from "../config/labConfig";
import { BootImageRecord, readBootImageRecord } from "./bootImage";
import { LabPlan } from "./labPlan";

/** One VM as the `nodes` stack output records it. */
export interface DeployedVm {
  /** libvirt domain name, e.g. `okd-worker`. */
  name: string;
  role: Role | "infra";
  ip: string;
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
}

/** The boot images the lab's base volumes were built from: chosen once per lab. */
export interface BaseImages {
  /** AlmaLinux 9 image (URL or host path) of the infra base volume. */
  infra: string;
  /** Its sha256 (absent in outputs written before the infra image was verified). */
  infraSha256?: string;
  /** CoreOS image of the nodes' base volume: its source, digests, OS and the CPU level it needs. */
  fcos: BootImageRecord;
}

/** What the stack last deployed, read back from its outputs (`nodes`, `lab`, `baseImages`). */
export interface DeployedLab {
  vms: DeployedVm[];
  /** Absent in outputs written before the guard existed. */
  cluster?: { name: string; baseDomain: string };
  network?: { name: string; cidr: string };
  pool?: { name: string; path: string };
  baseImages?: BaseImages;
}

/** Name of the stack output holding the cluster, network and pool identity. */
export const LAB_OUTPUT = "lab";
/** Name of the stack output holding the boot images of the base volumes. */
export const BASE_IMAGES_OUTPUT = "baseImages";
/** Name of the stack output listing every VM (see render/labOutputs.ts). */
export const NODES_OUTPUT = "nodes";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number";

function pair<K extends string>(value: unknown, keys: readonly [K, K]): Record<K, string> | undefined {
  if (!isObject(value) || !keys.every((k) => isString(value[k]))) return undefined;
  return Object.fromEntries(keys.map((k) => [k, value[k] as string])) as Record<K, string>;
}

/**
 * The deployed lab from a stack's previous outputs; undefined when the stack has deployed nothing
 * yet (no `nodes` output). Entries it cannot read are left out rather than guessed.
 */
export function readDeployedLab(outputs: Record<string, unknown>): DeployedLab | undefined {
  const nodes = outputs[NODES_OUTPUT];
  if (!Array.isArray(nodes)) return undefined;
  const roles = ["infra", "bootstrap", "master", "worker"];
  const vms = nodes.filter(
    (n): n is DeployedVm =>
      isObject(n) && isString(n.name) && roles.includes(n.role as string) && isString(n.ip) && isNumber(n.vcpu) && isNumber(n.memoryMiB) && isNumber(n.diskGiB),
  );
  const lab = isObject(outputs[LAB_OUTPUT]) ? (outputs[LAB_OUTPUT] as Record<string, unknown>) : {};
  const images = outputs[BASE_IMAGES_OUTPUT];
  const fcos = isObject(images) ? readBootImageRecord(images.fcos) : undefined;
  const baseImages =
    isObject(images) && isString(images.infra) && fcos
      ? { infra: images.infra, ...(isString(images.infraSha256) ? { infraSha256: images.infraSha256 } : {}), fcos }
      : undefined;
  return {
    vms,
    cluster: pair(lab.cluster, ["name", "baseDomain"]),
    network: pair(lab.network, ["name", "cidr"]),
    pool: pair(lab.pool, ["name", "path"]),
    baseImages,
  };
}

/** What the guard decided for this run. */
export interface GuardResult {
  /** One line per refused change; any refusal stops the run before anything is registered. */
  refused: string[];
  /** Disruptive changes the config allowed (`okd-lab:recreateNodes`): printed, in preview too. */
  announced: string[];
  /** Changes that are kept out on purpose (a new boot image), printed as warnings. */
  notices: string[];
  /** The boot images this run builds base volumes from: the recorded ones on a deployed lab. */
  baseImages: BaseImages;
}

/** A VM of this run's plan with the config key it comes from. */
interface PlannedVm {
  key: string;
  /** The node's name in config (what `okd-lab:recreateNodes` lists). */
  configName: string;
  domainName: string;
  role: Role | "infra";
  ip: string;
  vcpu: number;
  memoryMiB: number;
  diskGiB: number;
}

function plannedVms(plan: LabPlan): PlannedVm[] {
  const index: Record<string, number> = { master: 0, worker: 0 };
  const fcos = plan.nodes.map((n): PlannedVm => {
    const key = n.role === "bootstrap" ? "okd-lab:bootstrap" : `okd-lab:${n.role}s[${index[n.role]++}]`;
    return { key, configName: n.name, domainName: n.domainName, role: n.role, ip: n.ip, vcpu: n.vcpu, memoryMiB: n.memoryMiB, diskGiB: n.diskGiB };
  });
  const i = plan.infra;
  return [
    { key: "okd-lab:infra", configName: i.name, domainName: i.domainName, role: "infra", ip: i.ip, vcpu: i.vcpu, memoryMiB: i.memoryMiB, diskGiB: i.diskGiB },
    ...fcos,
  ];
}

const q = (v: string | number) => (typeof v === "number" ? String(v) : JSON.stringify(v));
const NEW_LAB = "build a new lab instead: npm run destroy, then npm run up";

/**
 * Compares the deployed lab with this run's plan.
 * @param previous the stack's last deployment; undefined for a new stack (nothing to guard).
 * @param bootImage the nodes' boot image this run would use (configured, or named by the installer).
 */
export function guardChanges(previous: DeployedLab | undefined, plan: LabPlan, config: LabConfig, bootImage: BootImageRecord): GuardResult {
  const configured: BaseImages = { infra: config.infra.image, infraSha256: config.infra.imageSha256, fcos: bootImage };
  if (previous === undefined) return { refused: [], announced: [], notices: [], baseImages: configured };
  const refused: string[] = [];
  const announced: string[] = [];
  const notices: string[] = [];

  // Lab-wide identity. The network's name and addresses force a new network, and so do its DNS
  // forwarders, which carry the cluster zone and the infra address (resource_libvirt_network.go,
  // ForceNew); the domains get no update, so the new network has no reservation for them.
  const identity: [string, string | undefined, string, string][] = [
    ["okd-lab:network.name", previous.network?.name, plan.network.name, "the libvirt network would be replaced under the running VMs"],
    [
      "okd-lab:network.cidr",
      previous.network?.cidr,
      plan.network.cidr,
      "the libvirt network would be replaced under the running VMs, which keep their old addresses",
    ],
    [
      "okd-lab:cluster.name",
      previous.cluster?.name,
      plan.cluster.name,
      "every node's name, certificate and Ignition carry the cluster domain, and its zone forwarders would replace the libvirt network under the running VMs",
    ],
    [
      "okd-lab:cluster.baseDomain",
      previous.cluster?.baseDomain,
      plan.cluster.baseDomain,
      "every node's name, certificate and Ignition carry the cluster domain, and its zone forwarders would replace the libvirt network under the running VMs",
    ],
    ["okd-lab:pool.name", previous.pool?.name, config.pool.name, "every disk of the lab lives in the pool: a new pool replaces all of them"],
    ["okd-lab:pool.path", previous.pool?.path, config.pool.path, "every disk of the lab lives in the pool: a new pool replaces all of them"],
  ];
  for (const [key, was, now, why] of identity) {
    if (was !== undefined && was !== now) refused.push(`${key}: ${q(was)} -> ${q(now)}: ${why}. Keep ${q(was)}, or ${NEW_LAB}.`);
  }

  const vms = plannedVms(plan);
  const identityOf = (vm: { role: string; name?: string; domainName?: string }) => `${vm.role}/${vm.domainName ?? vm.name}`;
  const old = new Map(previous.vms.map((vm) => [identityOf(vm), vm]));
  const kept = new Set(vms.map(identityOf));
  const allowed = new Set(config.recreateNodes);

  for (const vm of vms) {
    const infra = vm.role === "infra";
    // There is one infra VM: whatever its name, the deployed one is the one this run compares with.
    const was = infra ? previous.vms.find((d) => d.role === "infra") : old.get(identityOf(vm));
    if (was === undefined) {
      refused.push(...newVmConflicts(vm, previous.vms, kept));
      continue;
    }
    if (infra && was.name !== vm.domainName) {
      refused.push(
        `${vm.key}.name: ${q(was.name)} -> ${q(vm.domainName)}: the infra VM would be deleted and built again under its new name, and every node resolves through it. Keep ${q(was.name)}, or ${NEW_LAB}.`,
      );
    }
    if (was.ip !== vm.ip) {
      // network_interface is not ForceNew: the update only rewrites the DHCP host entry
      // (updateOrAddHost in resource_libvirt_domain.go) and never touches the running VM.
      const why = infra
        ? "every node resolves through the infra node and the network forwards the lab zones to it, and the libvirt provider would only move the DHCP reservation, never the running VM's address"
        : `the libvirt provider would only move the DHCP reservation (to a MAC no VM has: the MAC follows the address), never the running VM, so DNS and HAProxy would point at an address ${vm.domainName} never gets`;
      const safe = infra ? NEW_LAB : `remove ${vm.configName} in one run and add it under a new name with the new address in the next`;
      refused.push(`${vm.key}.ip: ${q(was.ip)} -> ${q(vm.ip)}: ${why}. Keep ${q(was.ip)}, or ${safe}.`);
    }
    if (was.diskGiB !== vm.diskGiB) {
      // A volume's size is ForceNew (resource_libvirt_volume.go): the disk would be deleted and built again.
      const content = infra ? "cloud-init" : vm.role === "master" ? "Ignition (on a master: the cluster's etcd)" : "Ignition";
      refused.push(
        `${vm.key}.diskGiB: ${was.diskGiB} -> ${vm.diskGiB}: the root volume's size forces a new volume in the libvirt provider, so ${vm.domainName}'s disk would be deleted and rebuilt from ${content}. ` +
          `Keep ${was.diskGiB} and grow the disk by hand (README, "Grow a node's disk")${infra ? "" : `, or remove ${vm.configName} in one run and add it under a new name in the next`}.`,
      );
    }
    // vcpu and memory are ForceNew on the domain: Delete runs DomainDestroy (a hard power-off)
    // and Create defines and starts it again on the same disk (resource_libvirt_domain.go).
    for (const [field, before, after] of [
      ["vcpu", was.vcpu, vm.vcpu],
      ["memoryMiB", was.memoryMiB, vm.memoryMiB],
    ] as const) {
      if (before === after) continue;
      if (allowed.has(vm.configName)) {
        announced.push(
          `okd-lab: ${vm.domainName} will be powered off without a shutdown and created again from its disk: ${vm.key}.${field} ${before} -> ${after} (allowed by okd-lab:recreateNodes).`,
        );
      } else {
        refused.push(
          `${vm.key}.${field}: ${before} -> ${after}: vcpu and memory force a new domain in the libvirt provider, so ${vm.domainName} would be powered off without a shutdown and created again from its disk. ` +
            `Keep ${before}, or shut the node down cleanly and add ${q(vm.configName)} to okd-lab:recreateNodes for this run.`,
        );
      }
    }
  }

  return { refused, announced, notices, baseImages: chooseBaseImages(previous, configured, config.bootImage.key, notices) };
}

/** A VM this stack has not deployed yet, against the VMs it runs. */
function newVmConflicts(vm: PlannedVm, deployed: DeployedVm[], kept: Set<string>): string[] {
  // Removed in this run, so still running while the new VM is created.
  const removedNow = (d: DeployedVm) => !kept.has(`${d.role}/${d.name}`);
  const sameName = deployed.find((d) => d.name === vm.domainName && removedNow(d));
  if (sameName) {
    // Another resource would own the same libvirt names: its create runs while the old domain exists.
    return [
      `${vm.key}.name: ${q(vm.configName)} was a ${sameName.role} node and is now a ${vm.role} node: the new ${vm.domainName} would be created while the old one still exists. ` +
        `Remove ${vm.configName} in one run and add it in its new role in the next.`,
    ];
  }
  const sameIp = deployed.find((d) => d.ip === vm.ip && removedNow(d));
  if (sameIp) {
    // Same address, same MAC (derived from it): the new domain starts while the old one still runs.
    return [
      `${vm.key}.name: ${q(vm.configName)} takes ${vm.ip} from ${sameIp.name}, which this stack still runs: ${vm.domainName} would get the same MAC and start before ${sameIp.name} is removed. ` +
        `Remove ${sameIp.name} in one run and add ${vm.configName} with that address in the next.`,
    ];
  }
  return [];
}

/**
 * The boot image is chosen once per lab: a deployed lab keeps the images its base volumes were
 * built from (every root disk overlays them, so a new base would replace every VM). A different
 * image in config is reported, not applied.
 */
function chooseBaseImages(previous: DeployedLab, configured: BaseImages, configKey: string, notices: string[]): BaseImages {
  const recorded = previous.baseImages;
  if (recorded === undefined) return configured;
  if (recorded.infra !== configured.infra) {
    notices.push(
      `okd-lab:infra.image: ${q(recorded.infra)} -> ${q(configured.infra)}: kept at ${q(recorded.infra)}: the boot image is chosen once per lab (README, "A new boot image").`,
    );
  }
  if (recorded.fcos.image !== configured.fcos.image || (recorded.fcos.sha256 ?? "") !== (configured.fcos.sha256 ?? "")) {
    notices.push(
      `okd-lab:${configKey}.image: ${q(recorded.fcos.image)} -> ${q(configured.fcos.image)}: kept at ${q(recorded.fcos.image)}: the boot image is chosen once per lab (README, "A new boot image").`,
    );
  }
  // Outputs from before the infra image was verified hold no digest: the configured one vouches
  // for the same image.
  if (recorded.infraSha256 === undefined && recorded.infra === configured.infra && configured.infraSha256 !== undefined) {
    return { ...recorded, infraSha256: configured.infraSha256 };
  }
  return recorded;
}
