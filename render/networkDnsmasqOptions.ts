/**
 * The lab network's extra dnsmasq options: what libvirt's DHCP tells every node besides its
 * reserved address. libvirt appends them verbatim, one `name=value` line each, at the end of the
 * network's dnsmasq configuration (src/network/bridge_driver.c, networkDnsmasqConfContents;
 * terraform-provider-libvirt network.go joins option_name and option_value with `=`).
 *
 * Pure: the plan's addresses and zone in, the option list out.
 */
import { LabPlan } from "../plan/labPlan";

/** One `<dnsmasq:option value="name=value"/>` of the libvirt network. */
export interface DnsmasqOption {
  /** dnsmasq option name, e.g. `dhcp-option`. */
  optionName: string;
  /** Its value, e.g. `option:dns-server,10.56.0.10`. */
  optionValue: string;
}

/**
 * DHCP option 6 (DNS server: the infra node, not libvirt's dnsmasq), 15 (domain name) and 119
 * (domain search), both the cluster zone.
 *
 * Why the zone: Fedora CoreOS resolves through systemd-resolved, which sends a `.local` name to a
 * link's DNS servers only when a search or routing domain of that link covers it, and treats it
 * as multicast DNS otherwise (systemd src/resolve/resolved-dns-scope.c, dns_scope_good_domain);
 * without it `api-int.okd-lab.okd.local` never reaches CoreDNS (okd-project/okd #1182, #401).
 * Option 119 is forced: dnsmasq sends a plain `dhcp-option` only when the client lists it in its
 * parameter request list.
 * @example renderNetworkDnsmasqOptions(plan)[2] // { optionName: "dhcp-option-force", optionValue: "option:domain-search,okd-lab.okd.local" }
 */
export function renderNetworkDnsmasqOptions(plan: Pick<LabPlan, "infra" | "cluster">): DnsmasqOption[] {
  return [
    { optionName: "dhcp-option", optionValue: `option:dns-server,${plan.infra.ip}` },
    { optionName: "dhcp-option", optionValue: `option:domain-name,${plan.cluster.domain}` },
    { optionName: "dhcp-option-force", optionValue: `option:domain-search,${plan.cluster.domain}` },
  ];
}
