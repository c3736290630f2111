import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { InfraNodePlan } from "../plan/labPlan";
import { CloudInitData } from "../render/cloudInit";
import { baseDomainArgs, dhcpReservation, rootVolume, VmIdentity } from "./vmDefaults";

export interface InfraNodeArgs {
  infra: InfraNodePlan;
  poolName: pulumi.Input<string>;
  baseVolumeId: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  networkName: pulumi.Input<string>;
  /** NoCloud files from `renderCloudInit`; they carry no secret. */
  cloudInit: pulumi.Input<CloudInitData>;
  libvirtUri?: string;
}

/** The AlmaLinux 9 infra VM: copy-on-write root disk, cloud-init ISO, domain. */
export class InfraNode extends pulumi.ComponentResource {
  /** libvirt domain id; changes only when the VM is replaced. */
  public readonly domainId: pulumi.Output<string>;
  public readonly ip: string;
  public readonly fqdn: string;

  constructor(name: string, args: InfraNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:infra:InfraNode", name, {}, opts);
    const { infra } = args;
    // libvirt names are unique: a replacement must delete the old object first.
    const replaceable = { parent: this, deleteBeforeReplace: true };
    const root = rootVolume(
      `${name}-root`,
      { domainName: infra.domainName, diskGiB: infra.diskGiB, poolName: args.poolName, baseVolumeId: args.baseVolumeId },
      this,
    );
    const cloudInit = pulumi.output(args.cloudInit);
    const seed = new libvirt.CloudInitDisk(
      `${name}-cloudinit`,
      {
        name: `${infra.domainName}-cloudinit.iso`,
        pool: args.poolName,
        // The user data carries the node's SSH host private key; the other two files hold none.
        userData: pulumi.secret(cloudInit.userData),
        metaData: pulumi.unsecret(cloudInit.metaData),
        networkConfig: pulumi.unsecret(cloudInit.networkConfig),
      },
      replaceable,
    );
    const vm: VmIdentity = { domainName: infra.domainName, hostName: infra.name, ip: infra.ip, mac: infra.mac, vcpu: infra.vcpu, memoryMiB: infra.memoryMiB };
    const reservation = dhcpReservation(`${name}-dhcp`, { libvirtUri: args.libvirtUri, networkName: args.networkName, vm }, { parent: this });
    // The default i440fx machine type: q35 has no IDE bus for the cloud-init CD-ROM.
    const domain = new libvirt.Domain(
      `${name}-domain`,
      { ...baseDomainArgs(vm, args.networkId, root.id), cloudinit: seed.id },
      { ...replaceable, dependsOn: [reservation] },
    );

    this.domainId = domain.id;
    this.ip = infra.ip;
    this.fqdn = infra.fqdn;
    this.registerOutputs({ domainId: this.domainId, ip: this.ip, fqdn: this.fqdn });
  }
}
