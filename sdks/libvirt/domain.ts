import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";
import { inputs, outputs } from "./types";

/**
 * A libvirt VM domain (https://libvirt.org/formatdomain.html).
 *
 * Changes to memory, vcpu, cpu, disks, firmware, coreosIgnition and the other inputs
 * marked "Replaces on change" recreate the domain. Every domain gets spice graphics,
 * a virtio RNG and a guest-agent channel by default.
 */
export class Domain extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/domain:Domain";

  /** Looks up an existing Domain by its provider id (the domain UUID). */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Domain {
    return new Domain(name, undefined, { ...opts, id });
  }

  /** Returns true if `obj` is a Domain, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Domain {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === Domain.__pulumiType;
  }

  /** Guest architecture, e.g. `x86_64`. */
  declare readonly arch: pulumi.Output<string>;
  /** Whether the domain starts on host boot. */
  declare readonly autostart: pulumi.Output<boolean>;
  /** Boot order. */
  declare readonly bootDevices: pulumi.Output<outputs.DomainBootDevice[] | undefined>;
  /** Id of the attached CloudInitDisk. */
  declare readonly cloudinit: pulumi.Output<string | undefined>;
  /** Kernel command line entries (used with `kernel`). */
  declare readonly cmdlines: pulumi.Output<{ [key: string]: string }[] | undefined>;
  /** Consoles. */
  declare readonly consoles: pulumi.Output<outputs.DomainConsole[] | undefined>;
  /** Id of the Ignition config passed to the guest. */
  declare readonly coreosIgnition: pulumi.Output<string | undefined>;
  /** CPU configuration. */
  declare readonly cpu: pulumi.Output<outputs.DomainCpu>;
  /** Free-form description. */
  declare readonly description: pulumi.Output<string | undefined>;
  /** Attached disks. */
  declare readonly disks: pulumi.Output<outputs.DomainDisk[] | undefined>;
  /** Path of the emulator binary. */
  declare readonly emulator: pulumi.Output<string>;
  /** Shared host filesystems. */
  declare readonly filesystems: pulumi.Output<outputs.DomainFilesystem[] | undefined>;
  /** Path of the (UEFI) firmware image. */
  declare readonly firmware: pulumi.Output<string | undefined>;
  /** fw_cfg path the Ignition config is passed under. */
  declare readonly fwCfgName: pulumi.Output<string | undefined>;
  /** Graphics device. */
  declare readonly graphics: pulumi.Output<outputs.DomainGraphics | undefined>;
  /** Path of the initrd for direct kernel boot. */
  declare readonly initrd: pulumi.Output<string | undefined>;
  /** Path of the kernel for direct kernel boot. */
  declare readonly kernel: pulumi.Output<string | undefined>;
  /** Machine type, e.g. `pc` or `q35`. */
  declare readonly machine: pulumi.Output<string>;
  /** Memory in MiB. */
  declare readonly memory: pulumi.Output<number | undefined>;
  /** Custom domain metadata XML. */
  declare readonly metadata: pulumi.Output<string | undefined>;
  /** Name of the domain in libvirt. */
  declare readonly name: pulumi.Output<string>;
  /** Network interfaces, with the addresses the guest got. */
  declare readonly networkInterfaces: pulumi.Output<outputs.DomainNetworkInterface[] | undefined>;
  /** UEFI NVRAM store. */
  declare readonly nvram: pulumi.Output<outputs.DomainNvram>;
  /** Whether the QEMU guest agent is used. */
  declare readonly qemuAgent: pulumi.Output<boolean | undefined>;
  /** Whether the domain is kept running. */
  declare readonly running: pulumi.Output<boolean | undefined>;
  /** TPM device. */
  declare readonly tpm: pulumi.Output<outputs.DomainTpm | undefined>;
  /** Hypervisor type, e.g. `kvm`. */
  declare readonly type: pulumi.Output<string | undefined>;
  /** Number of virtual CPUs. */
  declare readonly vcpu: pulumi.Output<number | undefined>;
  /** Video device. */
  declare readonly video: pulumi.Output<outputs.DomainVideo | undefined>;
  /** XSLT applied to the generated XML. */
  declare readonly xml: pulumi.Output<outputs.DomainXml | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args Domain settings.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args?: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      arch: args?.arch,
      autostart: args?.autostart,
      bootDevices: args?.bootDevices,
      cloudinit: args?.cloudinit,
      cmdlines: args?.cmdlines,
      consoles: args?.consoles,
      coreosIgnition: args?.coreosIgnition,
      cpu: args?.cpu,
      description: args?.description,
      disks: args?.disks,
      emulator: args?.emulator,
      filesystems: args?.filesystems,
      firmware: args?.firmware,
      fwCfgName: args?.fwCfgName,
      graphics: args?.graphics,
      initrd: args?.initrd,
      kernel: args?.kernel,
      machine: args?.machine,
      memory: args?.memory,
      metadata: args?.metadata,
      name: args?.name,
      networkInterfaces: args?.networkInterfaces,
      nvram: args?.nvram,
      qemuAgent: args?.qemuAgent,
      running: args?.running,
      tpm: args?.tpm,
      type: args?.type,
      vcpu: args?.vcpu,
      video: args?.video,
      xml: args?.xml,
    };
    super(Domain.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of a {@link Domain}. */
export interface DomainArgs {
  /** Guest architecture (`x86_64`, `i686`, ...); normally left unset. */
  arch?: pulumi.Input<string>;
  /** Start the domain on host boot (default false). */
  autostart?: pulumi.Input<boolean>;
  /** Boot order, e.g. `[{ devs: ["hd", "network"] }]`. */
  bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
  /** Id of a CloudInitDisk, attached as an IDE CD-ROM (not on q35); a change takes effect at next boot. */
  cloudinit?: pulumi.Input<string>;
  /** Kernel command line entries for direct kernel boot, e.g. `[{ console: "ttyS0" }]`. Replaces on change. */
  cmdlines?: pulumi.Input<pulumi.Input<{ [key: string]: pulumi.Input<string> }>[]>;
  /** Consoles, e.g. `[{ type: "pty", targetPort: "0", targetType: "serial" }]`. */
  consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
  /** Id of an Ignition resource passed to a CoreOS guest via fw_cfg. Replaces on change. */
  coreosIgnition?: pulumi.Input<string>;
  /** CPU configuration, e.g. `{ mode: "host-passthrough" }`. Replaces on change. */
  cpu?: pulumi.Input<inputs.DomainCpu>;
  /** Free-form description, not used by libvirt. Replaces on change. */
  description?: pulumi.Input<string>;
  /** Disks to attach, e.g. `[{ volumeId: vol.id }]`. Replaces on change. */
  disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
  /** Path of the emulator binary; normally left unset. */
  emulator?: pulumi.Input<string>;
  /** Host directories to share with the guest. Replaces on change. */
  filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
  /** Path of a UEFI firmware image (default: BIOS). Replaces on change. */
  firmware?: pulumi.Input<string>;
  /** fw_cfg path for the Ignition config (default `opt/com.coreos/config`). Replaces on change. */
  fwCfgName?: pulumi.Input<string>;
  /** Graphics device (default spice). Replaces on change. */
  graphics?: pulumi.Input<inputs.DomainGraphics>;
  /** Path of the initrd for direct kernel boot. */
  initrd?: pulumi.Input<string>;
  /** Path of the kernel for direct kernel boot. */
  kernel?: pulumi.Input<string>;
  /** Machine type (`pc`, `q35`, ...); normally left unset. */
  machine?: pulumi.Input<string>;
  /** Memory in MiB (default 512). Replaces on change. */
  memory?: pulumi.Input<number>;
  /** Custom domain metadata XML. */
  metadata?: pulumi.Input<string>;
  /** Unique name of the domain in libvirt. Replaces on change. */
  name?: pulumi.Input<string>;
  /** Network interfaces, e.g. `[{ networkId: net.id, mac, addresses: ["10.56.0.10"] }]`. */
  networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
  /** UEFI NVRAM store. Replaces on change. */
  nvram?: pulumi.Input<inputs.DomainNvram>;
  /** Use the QEMU guest agent (default false). */
  qemuAgent?: pulumi.Input<boolean>;
  /** Keep the domain running (default true); `false` shuts it off. */
  running?: pulumi.Input<boolean>;
  /** TPM device. */
  tpm?: pulumi.Input<inputs.DomainTpm>;
  /** Hypervisor type (default `kvm`). Replaces on change. */
  type?: pulumi.Input<string>;
  /** Number of virtual CPUs (default 1). Replaces on change. */
  vcpu?: pulumi.Input<number>;
  /** Video device. */
  video?: pulumi.Input<inputs.DomainVideo>;
  /** XSLT applied to the generated XML (needs `xsltproc` where Pulumi runs). */
  xml?: pulumi.Input<inputs.DomainXml>;
}
