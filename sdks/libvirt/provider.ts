import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * Explicit instance of the libvirt provider (`pulumi:providers:libvirt`, plugin 0.5.4).
 * Pass it as `provider` in resource options to target a specific libvirt host.
 */
export class Provider extends pulumi.ProviderResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt";

  /** Returns true if `obj` is a libvirt Provider, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Provider {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === "pulumi:providers:" + Provider.__pulumiType;
  }

  /** libvirt connection URI, e.g. `qemu+ssh://root@host/system`. */
  declare readonly uri: pulumi.Output<string | undefined>;

  /**
   * @param name The unique name of the provider.
   * @param args Provider configuration.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      uri: args?.uri ?? utilities.getEnv("LIBVIRT_DEFAULT_URI"),
    };
    super(Provider.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of the libvirt {@link Provider}. */
export interface ProviderArgs {
  /** libvirt connection URI (https://libvirt.org/uri.html); defaults to env `LIBVIRT_DEFAULT_URI`. */
  uri?: pulumi.Input<string>;
}
