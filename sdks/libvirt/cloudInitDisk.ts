import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * A cloud-init NoCloud ISO (`cidata`) written to a volume; needs `mkisofs`/`genisoimage`
 * where Pulumi runs. Attach it with `Domain.cloudinit` (as an IDE CD-ROM: not on q35 machines).
 * Any change replaces it. No input is secret: wrap `userData` in `pulumi.secret()` yourself.
 */
export class CloudInitDisk extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/cloudInitDisk:CloudInitDisk";

  /** Looks up an existing CloudInitDisk by its provider id. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): CloudInitDisk {
    return new CloudInitDisk(name, undefined, { ...opts, id });
  }

  /** Returns true if `obj` is a CloudInitDisk, even across copies of the SDK. */
  public static isInstance(obj: any): obj is CloudInitDisk {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === CloudInitDisk.__pulumiType;
  }

  /** cloud-init meta-data. */
  declare readonly metaData: pulumi.Output<string | undefined>;
  /** Name of the ISO volume. */
  declare readonly name: pulumi.Output<string>;
  /** cloud-init network-config. */
  declare readonly networkConfig: pulumi.Output<string | undefined>;
  /** Pool holding the ISO volume. */
  declare readonly pool: pulumi.Output<string | undefined>;
  /** cloud-init user-data. */
  declare readonly userData: pulumi.Output<string | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args ISO contents.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args?: CloudInitDiskArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      metaData: args?.metaData,
      name: args?.name,
      networkConfig: args?.networkConfig,
      pool: args?.pool,
      userData: args?.userData,
    };
    super(CloudInitDisk.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of a {@link CloudInitDisk}. */
export interface CloudInitDiskArgs {
  /** cloud-init meta-data document. Replaces on change. */
  metaData?: pulumi.Input<string>;
  /** Unique name of the ISO volume, e.g. `infra-cloudinit.iso`. Replaces on change. */
  name?: pulumi.Input<string>;
  /** cloud-init network-config document. Replaces on change. */
  networkConfig?: pulumi.Input<string>;
  /** Pool to create the ISO in, by name (default: `default`). Replaces on change. */
  pool?: pulumi.Input<string>;
  /** cloud-init user-data document (e.g. `#cloud-config ...`). Replaces on change. */
  userData?: pulumi.Input<string>;
}
