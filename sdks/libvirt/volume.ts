import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";
import { inputs, outputs } from "./types";

/**
 * A libvirt storage volume (https://libvirt.org/formatstorage.html).
 *
 * `source` (local path or http(s) URL) is uploaded as is, without decompression.
 * `baseVolumeId` makes a qcow2 copy-on-write overlay. Every input replaces the volume.
 */
export class Volume extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/volume:Volume";

  /** Looks up an existing Volume by its provider id (the volume key/path). */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Volume {
    return new Volume(name, undefined, { ...opts, id });
  }

  /** Returns true if `obj` is a Volume, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Volume {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === Volume.__pulumiType;
  }

  /** Id of the backing (copy-on-write base) volume. */
  declare readonly baseVolumeId: pulumi.Output<string | undefined>;
  /** Name of the backing volume. */
  declare readonly baseVolumeName: pulumi.Output<string | undefined>;
  /** Pool of the backing volume named by `baseVolumeName`. */
  declare readonly baseVolumePool: pulumi.Output<string | undefined>;
  /** Volume format, e.g. `qcow2` or `raw`. */
  declare readonly format: pulumi.Output<string>;
  /** Name of the volume in its pool. */
  declare readonly name: pulumi.Output<string>;
  /** Pool holding the volume. */
  declare readonly pool: pulumi.Output<string | undefined>;
  /** Size of the volume in bytes. */
  declare readonly size: pulumi.Output<number>;
  /** Local path or http(s) URL the volume was uploaded from. */
  declare readonly source: pulumi.Output<string | undefined>;
  /** XSLT applied to the generated XML. */
  declare readonly xml: pulumi.Output<outputs.VolumeXml | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args Volume settings.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args?: VolumeArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      baseVolumeId: args?.baseVolumeId,
      baseVolumeName: args?.baseVolumeName,
      baseVolumePool: args?.baseVolumePool,
      format: args?.format,
      name: args?.name,
      pool: args?.pool,
      size: args?.size,
      source: args?.source,
      xml: args?.xml,
    };
    super(Volume.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of a {@link Volume}. */
export interface VolumeArgs {
  /** Id of the backing volume; makes this a qcow2 copy-on-write overlay. Replaces on change. */
  baseVolumeId?: pulumi.Input<string>;
  /** Name of the backing volume (searched in `baseVolumePool`, else in `pool`). Replaces on change. */
  baseVolumeName?: pulumi.Input<string>;
  /** Pool of the backing volume named by `baseVolumeName`. Replaces on change. */
  baseVolumePool?: pulumi.Input<string>;
  /** Volume format, e.g. `qcow2` or `raw`. Replaces on change. */
  format?: pulumi.Input<string>;
  /** Unique name of the volume in its pool. Replaces on change. */
  name?: pulumi.Input<string>;
  /** Pool to create the volume in, by name (default: `default`). Replaces on change. */
  pool?: pulumi.Input<string>;
  /** Size in bytes; defaults to the source/base size and must not be smaller than the base. Replaces on change. */
  size?: pulumi.Input<number>;
  /** Local path or http(s) URL of an image, uploaded as is (no decompression). Replaces on change. */
  source?: pulumi.Input<string>;
  /** XSLT applied to the generated XML. Replaces on change. */
  xml?: pulumi.Input<inputs.VolumeXml>;
}
