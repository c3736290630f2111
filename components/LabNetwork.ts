import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { LabPlan } from "../plan/labPlan";
import { DnsmasqOption } from "../render/networkDnsmasqOptions";

export interface LabNetworkArgs {
  /** The lab network from the plan (name, CIDR). */
  network: LabPlan["network"];
  /** The infra node's address: DNS server for DHCP clients and for the cluster zones. */
  dnsServer: string;
  /** Zones libvirt's resolver forwards to the infra node, e.g. `okd-lab.okd.local`, `0.56.10.in-addr.arpa`. */
  forwardedZones: string[];
  /** The network's extra dnsmasq options (DHCP options 6, 15, 119), from `renderNetworkDnsmasqOptions`. */
  dnsmasqOptions: DnsmasqOption[];
}

/**
 * The NAT network `okd-net`: DHCP hands out the infra node as DNS server, and libvirt's own
 * resolver on the host bridge forwards the cluster and reverse zones to it, so the host resolves
 * cluster names through the bridge address.
 */
export class LabNetwork extends pulumi.ComponentResource {
  /** libvirt network id, for domains' network interfaces. */
  public readonly networkId: pulumi.Output<string>;
  public readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: LabNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("okd-lab:network:LabNetwork", name, {}, opts);
    const network = new libvirt.Network(
      `${name}-network`,
      {
        name: args.network.name,
        mode: "nat",
        addresses: [args.network.cidr],
        autostart: true,
        dhcp: { enabled: true },
        dns: {
          enabled: true,
          // dnsmasq `server=/<zone>/<infra>`: cluster names resolve on the host too.
          forwarders: args.forwardedZones.map((domain) => ({ domain, address: args.dnsServer })),
        },
        // DHCP options 6, 15 and 119: nodes resolve through CoreDNS on the infra node, with the
        // cluster zone as search domain. The provider applies them only when it creates the
        // network: a change of dnsmasqOptions alone is a no-op in its Update (README).
        dnsmasqOptions: { options: args.dnsmasqOptions },
      },
      // libvirt network names are unique: a replacement must delete the old network first.
      { parent: this, deleteBeforeReplace: true },
    );
    this.networkId = network.id;
    this.networkName = network.name;
    this.registerOutputs({ networkId: this.networkId, networkName: this.networkName });
  }
}
