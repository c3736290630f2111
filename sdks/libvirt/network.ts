import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";
import { inputs, outputs } from "./types";

/**
 * A libvirt virtual network (https://libvirt.org/formatnetwork.html).
 *
 * `addresses: ["10.56.0.0/24"]` gives the host bridge `.1` and DHCP `.2-.254`.
 * Replaced on change of name, domain, mode, bridge, addresses, dhcp, routes,
 * dns.forwarders, dns.srvs or xml; autostart, mtu, dns.hosts and dnsmasqOptions change in place.
 */
export class Network extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = "libvirt:index/network:Network";

  /** Looks up an existing Network by its provider id (the network UUID). */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Network {
    return new Network(name, undefined, { ...opts, id });
  }

  /** Returns true if `obj` is a Network, even across copies of the SDK. */
  public static isInstance(obj: any): obj is Network {
    if (obj === undefined || obj === null) {
      return false;
    }
    return obj["__pulumiType"] === Network.__pulumiType;
  }

  /** IPv4 and/or IPv6 subnets (CIDR) of the network. */
  declare readonly addresses: pulumi.Output<string[] | undefined>;
  /** Whether the network starts on host boot. */
  declare readonly autostart: pulumi.Output<boolean>;
  /** Name of the host bridge device. */
  declare readonly bridge: pulumi.Output<string>;
  /** DHCP settings. */
  declare readonly dhcp: pulumi.Output<outputs.NetworkDhcp>;
  /** DNS settings. */
  declare readonly dns: pulumi.Output<outputs.NetworkDns>;
  /** Extra dnsmasq options. */
  declare readonly dnsmasqOptions: pulumi.Output<outputs.NetworkDnsmasqOptions | undefined>;
  /** DNS domain served by the network. */
  declare readonly domain: pulumi.Output<string | undefined>;
  /** Forwarding mode: `nat`, `none`, `route`, `open` or `bridge`. */
  declare readonly mode: pulumi.Output<string | undefined>;
  /** MTU of the network interfaces. */
  declare readonly mtu: pulumi.Output<number | undefined>;
  /** Name of the network in libvirt. */
  declare readonly name: pulumi.Output<string>;
  /** Static routes. */
  declare readonly routes: pulumi.Output<outputs.NetworkRoute[] | undefined>;
  /** XSLT applied to the generated XML. */
  declare readonly xml: pulumi.Output<outputs.NetworkXml | undefined>;

  /**
   * @param name The unique Pulumi name of the resource.
   * @param args Network settings.
   * @param opts Options; `version` is pinned to 0.5.4.
   */
  constructor(name: string, args?: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      addresses: args?.addresses,
      autostart: args?.autostart,
      bridge: args?.bridge,
      dhcp: args?.dhcp,
      dns: args?.dns,
      dnsmasqOptions: args?.dnsmasqOptions,
      domain: args?.domain,
      mode: args?.mode,
      mtu: args?.mtu,
      name: args?.name,
      routes: args?.routes,
      xml: args?.xml,
    };
    super(Network.__pulumiType, name, resourceInputs, utilities.withVersion(opts));
  }
}

/** Arguments of a {@link Network}. */
export interface NetworkArgs {
  /** 0-1 IPv4 and 0-1 IPv6 subnets in CIDR notation; also defines the DHCP range. Replaces on change. */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Start the network on host boot (default false). */
  autostart?: pulumi.Input<boolean>;
  /** Name of the host bridge device (generated when not set). Replaces on change. */
  bridge?: pulumi.Input<string>;
  /** DHCP settings (DHCP is on by default). Replaces on change. */
  dhcp?: pulumi.Input<inputs.NetworkDhcp>;
  /** DNS settings. */
  dns?: pulumi.Input<inputs.NetworkDns>;
  /** Extra dnsmasq options. */
  dnsmasqOptions?: pulumi.Input<inputs.NetworkDnsmasqOptions>;
  /** DNS domain served by the network. Replaces on change. */
  domain?: pulumi.Input<string>;
  /** Forwarding mode: `nat` (default), `none`, `route`, `open` or `bridge`. Replaces on change. */
  mode?: pulumi.Input<string>;
  /** MTU of the network interfaces (libvirt >= 5.1; default usually 1500). */
  mtu?: pulumi.Input<number>;
  /** Unique name of the network in libvirt. Replaces on change. */
  name?: pulumi.Input<string>;
  /** Static routes; the gateway must be reachable via the bridge. Replaces on change. */
  routes?: pulumi.Input<pulumi.Input<inputs.NetworkRoute>[]>;
  /** XSLT applied to the generated XML. Replaces on change. */
  xml?: pulumi.Input<inputs.NetworkXml>;
}
