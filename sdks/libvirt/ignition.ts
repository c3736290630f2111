import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * An Ignition config written to a raw volume, passed to a CoreOS domain via
 * `Domain.coreosIgnition` (`-fw_cfg`). Keep its pool under `/var/lib/libvirt/images`
 * (SELinux/AppArmor labels). Any change replaces it. `content` is not secret by
 * schema: wrap it in `pulumi.secret()` yourself.
 */
export class Ignition extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/ignition:Ignition";

  /** Looks up an existing Ignition by its provider id. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Ignition {
    return new Ignition(name, undefined as any, { ...opts, id });
  }

  /** Returns true if `obj` is an Ignition, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Ignition {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === Ignition.__pulumiType;
  }

  /** Ignition config (JSON). */
  declare readonly content: pulumi.Output<string>;
  /** Name of the volume holding the config. */
  declare readonly name: pulumi.Output<string>;
  /** Pool holding the volume. */
  declare readonly pool: pulumi.Output<string | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args Ignition settings; `content` is required.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args: IgnitionArgs, opts?: pulumi.CustomResourceOptions) {
    if (!opts?.id && !opts?.urn && args?.content === undefined) {
      throw new Error("Missing required property 'content'");
    }
    const resourceInputs: pulumi.Inputs = {
      content: args?.content,
      name: args?.name,
      pool: args?.pool,
    };
    super(Ignition.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of an {@link Ignition}. */
export interface IgnitionArgs {
  /** Ignition config as a JSON string (or a path to one). Replaces on change. */
  content: pulumi.Input<string>;
  /** Unique name of the volume holding the config. Replaces on change. */
  name?: pulumi.Input<string>;
  /** Pool to create the volume in, by name (default: `default`). Replaces on change. */
  pool?: pulumi.Input<string>;
}
