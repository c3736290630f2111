import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { FcosNodePlan } from "../plan/labPlan";
import { baseDomainArgs, dhcpReservation, rootVolume, VmIdentity } from "./vmDefaults";

export interface FcosNodeArgs {
  node: FcosNodePlan;
  poolName: pulumi.Input<string>;
  /** The shared Fedora CoreOS base volume the root disk overlays. */
  baseVolumeId: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  networkName: pulumi.Input<string>;
  /** The node's Ignition config (a Pulumi secret: the bootstrap's carries private keys). */
  ignition: pulumi.Input<string>;
  /** Resources that must exist before the VM boots (the readiness gate). */
  bootAfter: pulumi.Input<pulumi.Resource>[];
  libvirtUri?: string;
}

/** One Fedora CoreOS node: copy-on-write root volume, Ignition volume and domain. */
export class FcosNode extends pulumi.ComponentResource {
  public readonly ip: string;
  public readonly fqdn: string;
  public readonly domainName: string;

  constructor(name: string, args: FcosNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:nodes:FcosNode", name, {}, opts);
    const { node } = args;
    const replaceable = { parent: this, deleteBeforeReplace: true };
    const root = rootVolume(
      `${name}-root`,
      { domainName: node.domainName, diskGiB: node.diskGiB, poolName: args.poolName, baseVolumeId: args.baseVolumeId },
      this,
    );
    // The Ignition file sits in the pool under /var/lib/libvirt/images, where QEMU may read it.
    const ignition = new libvirt.Ignition(
      `${name}-ignition`,
      { name: `${node.domainName}.ign`, pool: args.poolName, content: pulumi.secret(args.ignition) },
      // A changed config (another SSH key) rewrites this file, with the current content also under
      // `pulumi up --replace` (no ignoreChanges: the engine would hand the old content back,
      // step_generator.go). The provider marks nothing secret: keep the content secret in state.
      { ...replaceable, additionalSecretOutputs: ["content"] },
    );
    const vm: VmIdentity = { domainName: node.domainName, hostName: node.name, ip: node.ip, mac: node.mac, vcpu: node.vcpu, memoryMiB: node.memoryMiB };
    const reservation = dhcpReservation(`${name}-dhcp`, { libvirtUri: args.libvirtUri, networkName: args.networkName, vm }, { parent: this });
    new libvirt.Domain(
      `${name}-domain`,
      { ...baseDomainArgs(vm, args.networkId, root.id), coreosIgnition: ignition.id },
      // Ignition runs at first boot only: a new Ignition file must not replace a running node
      // (coreos_ignition is ForceNew). The old id names the same file: the domain reads only the
      // volume key before ';' (getIgnitionVolumeKeyFromTerraformID, coreos_ignition_def.go), the
      // key of a volume of the same name in the same pool.
      { ...replaceable, dependsOn: [...args.bootAfter, reservation], ignoreChanges: ["coreosIgnition"] },
    );

    this.ip = node.ip;
    this.fqdn = node.fqdn;
    this.domainName = node.domainName;
    this.registerOutputs({ ip: this.ip, fqdn: this.fqdn, domainName: this.domainName });
  }
}
