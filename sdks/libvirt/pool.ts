import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";
import { inputs, outputs } from "./types";

/**
 * A libvirt storage pool (https://libvirt.org/formatstorage.html), e.g.
 * `{ type: "dir", target: { path: "/var/lib/libvirt/images/lab" } }`.
 * Creation fails if a pool of that name already exists. Volumes refer to pools by name.
 */
export class Pool extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/pool:Pool";

  /** Looks up an existing Pool by its provider id (the pool UUID). */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Pool {
    return new Pool(name, undefined as any, { ...opts, id });
  }

  /** Returns true if `obj` is a Pool, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Pool {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === Pool.__pulumiType;
  }

  /** Bytes allocated in the pool. */
  declare readonly allocation: pulumi.Output<number>;
  /** Bytes still available in the pool. */
  declare readonly available: pulumi.Output<number>;
  /** Total capacity of the pool in bytes. */
  declare readonly capacity: pulumi.Output<number>;
  /** Name of the pool in libvirt. */
  declare readonly name: pulumi.Output<string>;
  /**
   * Directory of the pool (old form).
   * @deprecated use target.path instead
   */
  declare readonly path: pulumi.Output<string | undefined>;
  /** Source of the pool (e.g. `logical` pools). */
  declare readonly source: pulumi.Output<outputs.PoolSource | undefined>;
  /** Target of the pool. */
  declare readonly target: pulumi.Output<outputs.PoolTarget>;
  /** Pool type: `dir` or `logical`. */
  declare readonly type: pulumi.Output<string>;
  /** XSLT applied to the generated XML. */
  declare readonly xml: pulumi.Output<outputs.PoolXml | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args Pool settings; `type` is required.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args: PoolArgs, opts?: pulumi.CustomResourceOptions) {
    if (!opts?.id && !opts?.urn && args?.type === undefined) {
      throw new Error("Missing required property 'type'");
    }
    const resourceInputs: pulumi.Inputs = {
      allocation: args?.allocation,
      available: args?.available,
      capacity: args?.capacity,
      name: args?.name,
      path: args?.path,
      source: args?.source,
      target: args?.target,
      type: args?.type,
      xml: args?.xml,
    };
    super(Pool.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of a {@link Pool}. */
export interface PoolArgs {
  /** Allocation in bytes (normally computed by libvirt). Replaces on change. */
  allocation?: pulumi.Input<number>;
  /** Available bytes (normally computed by libvirt). Replaces on change. */
  available?: pulumi.Input<number>;
  /** Capacity in bytes (normally computed by libvirt). Replaces on change. */
  capacity?: pulumi.Input<number>;
  /** Unique name of the pool in libvirt. Replaces on change. */
  name?: pulumi.Input<string>;
  /**
   * Directory of a `dir` pool. Replaces on change.
   * @deprecated use target.path instead
   */
  path?: pulumi.Input<string>;
  /** Source of the pool (e.g. the volume group of a `logical` pool). Replaces on change. */
  source?: pulumi.Input<inputs.PoolSource>;
  /** Target of the pool, e.g. `{ path: "/var/lib/libvirt/images/lab" }`. */
  target?: pulumi.Input<inputs.PoolTarget>;
  /** Pool type: `dir` or `logical`. Replaces on change. */
  type: pulumi.Input<string>;
  /** XSLT applied to the generated XML. Replaces on change. */
  xml?: pulumi.Input<inputs.PoolXml>;
}
