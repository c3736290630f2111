/**
 * libvirt XML shaped like the one terraform-provider-libvirt v0.8.1 (pulumi-libvirt 0.5.4) sends,
 * built from the resource inputs the program registers (the offline harness's record, as in
 * plan.json). The provider cannot run here; these functions follow its source so that the tests
 * hand real libvirt what the provider would:
 * - network: `resourceLibvirtNetworkCreate` (resource_libvirt_network.go) over `newNetworkDef`
 *   (network_def.go: forward nat with ports 1024-65535), `getIPsFromResource`/`getNetworkIPConfig`
 *   (network.go: host address .1, DHCP range .2 to the last-but-one), DNS forwarders only when
 *   `dns.enabled`, `dnsmasq:options` as `name=value`, bridge with stp on;
 * - DHCP host: `getHostXMLDesc` (network_def.go), added with `updateOrAddHost` (live and config),
 *   with the MAC upper-cased by `setNetworkInterfaces` (domain.go);
 * - domain: `newDomainDef` (domain_def.go: hvm, pae/acpi/apic, the guest-agent channel, a virtio
 *   RNG on /dev/urandom, memory in MiB), type `kvm` by default (resource_libvirt_domain.go),
 *   virtio NICs on the network by name, `-fw_cfg name=opt/com.coreos/config,file=<volume>` for
 *   `coreosIgnition` (domain.go `setCoreOSIgnition`), disks as `vd<letter>` on virtio;
 * - pool and volume: `type='dir'` with its target path; volumes qcow2, mode 644, sized in bytes
 *   (volume_def.go `newDefVolume`), overlays with a qcow2 backing store.
 * Pure: strings in, strings out.
 */

/** Escapes a value for an XML attribute or text. */
export function xmlText(value: string | number): string {
  return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}

/** The provider's `libvirt.Network` inputs the lab uses (components/LabNetwork.ts). */
export interface NetworkInputs {
  name: string;
  mode: string;
  addresses: string[];
  domain?: string;
  dhcp?: { enabled?: boolean };
  dns?: { enabled?: boolean; forwarders?: { address?: string; domain?: string }[] };
  dnsmasqOptions?: { options?: { optionName: string; optionValue?: string }[] };
}

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Host address and DHCP range of a CIDR as `getNetworkIPConfig` computes them. */
export function networkIpConfig(cidr: string): { address: string; prefix: number; start: string; end: string } {
  const [base, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipv4ToInt(base) / size) * size;
  return { address: intToIpv4(network + 1), prefix, start: intToIpv4(network + 2), end: intToIpv4(network + size - 2) };
}

/** The network XML the provider defines for these inputs (NAT mode, IPv4). */
export function networkXml(net: NetworkInputs): string {
  if (net.mode !== "nat") throw new Error(`only the lab's nat mode is modelled, not ${net.mode}`);
  const dhcpOn = net.dhcp?.enabled !== false;
  const ips = net.addresses.map((cidr) => {
    const ipc = networkIpConfig(cidr);
    const dhcp = dhcpOn ? `\n    <dhcp>\n      <range start='${ipc.start}' end='${ipc.end}'/>\n    </dhcp>\n  ` : "";
    return `  <ip address='${ipc.address}' prefix='${ipc.prefix}' family='ipv4'>${dhcp}</ip>`;
  });
  const dns = net.dns?.enabled
    ? [
        "  <dns enable='yes'>",
        ...(net.dns.forwarders ?? []).map(
          (f) => `    <forwarder${f.domain ? ` domain='${xmlText(f.domain)}'` : ""}${f.address ? ` addr='${xmlText(f.address)}'` : ""}/>`,
        ),
        "  </dns>",
      ]
    : [];
  const options = (net.dnsmasqOptions?.options ?? []).map(
    (o) => `    <dnsmasq:option value='${xmlText(o.optionValue === undefined ? o.optionName : `${o.optionName}=${o.optionValue}`)}'/>`,
  );
  return [
    "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>",
    `  <name>${xmlText(net.name)}</name>`,
    "  <forward mode='nat'>",
    "    <nat>",
    "      <port start='1024' end='65535'/>",
    "    </nat>",
    "  </forward>",
    "  <bridge stp='on'/>",
    ...(net.domain ? [`  <domain name='${xmlText(net.domain)}'/>`] : []),
    ...ips,
    ...dns,
    "  <dnsmasq:options>",
    ...options,
    "  </dnsmasq:options>",
    "</network>",
    "",
  ].join("\n");
}

/** The `<host>` element the provider adds for a domain's `addresses` (MAC upper-cased, as it sends it). */
export function dhcpHostXml(host: { mac: string; hostname: string; ip: string }): string {
  return `<host mac='${xmlText(host.mac.toUpperCase())}' name='${xmlText(host.hostname)}' ip='${xmlText(host.ip)}'/>`;
}

/** The provider's `libvirt.Pool` inputs the lab uses. */
export interface PoolInputs {
  name: string;
  type: string;
  target: { path: string };
}

export function poolXml(pool: PoolInputs): string {
  return `<pool type='${xmlText(pool.type)}'>\n  <name>${xmlText(pool.name)}</name>\n  <target>\n    <path>${xmlText(pool.target.path)}</path>\n  </target>\n</pool>\n`;
}

/** A volume as `newDefVolume` starts it: qcow2 (or raw), mode 644, capacity in bytes, optional backing store. */
export function volumeXml(volume: { name: string; format: "qcow2" | "raw"; capacityBytes: number; backing?: { path: string; format: string } }): string {
  const backing = volume.backing
    ? `  <backingStore>\n    <path>${xmlText(volume.backing.path)}</path>\n    <format type='${xmlText(volume.backing.format)}'/>\n  </backingStore>\n`
    : "";
  return (
    `<volume>\n  <name>${xmlText(volume.name)}</name>\n  <capacity unit='bytes'>${volume.capacityBytes}</capacity>\n` +
    `  <target>\n    <format type='${volume.format}'/>\n    <permissions>\n      <mode>644</mode>\n    </permissions>\n  </target>\n${backing}</volume>\n`
  );
}

/** The provider's `libvirt.Domain` inputs the lab uses (components/vmDefaults.ts). */
export interface DomainInputs {
  name: string;
  memory: number;
  vcpu: number;
  cpu?: { mode?: string };
  consoles?: { type: string; targetPort?: string; targetType?: string }[];
  graphics?: { type: string; listenType?: string; listenAddress?: string; autoport?: boolean };
  video?: { type: string };
  networkInterfaces?: { mac?: string }[];
}

/** What the test supplies besides the plan's inputs: resolved references and the test guest's boot. */
export interface DomainHostValues {
  /** `kvm` (the provider's default) or `qemu` (TCG, where /dev/kvm is missing). */
  type: "kvm" | "qemu";
  /** CPU mode to use instead of the plan's when the plan's cannot run here (host-passthrough needs KVM). */
  cpuMode?: string;
  /** Memory in MiB instead of the plan's (the test guest needs little). */
  memoryMiB?: number;
  vcpu?: number;
  /** Network name of each interface, in order (the provider looks the id up and uses the name). */
  networks: string[];
  /** Host paths of the disks, in order, with their format. */
  disks: { path: string; format: string }[];
  /** Host path of the Ignition volume, passed with `-fw_cfg` like `coreosIgnition`. */
  ignitionPath?: string;
  /** Direct kernel boot of the test guest. */
  boot: { kernel: string; initrd: string; cmdline: string };
  /** File the serial console is also logged to (by virtlogd). */
  consoleLog?: string;
}

export function domainXml(dom: DomainInputs, host: DomainHostValues): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(`<domain type='${host.type}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>`);
  push(`  <name>${xmlText(dom.name)}</name>`);
  push(`  <memory unit='MiB'>${host.memoryMiB ?? dom.memory}</memory>`);
  push(`  <vcpu placement='static'>${host.vcpu ?? dom.vcpu}</vcpu>`);
  push("  <os>", "    <type arch='x86_64'>hvm</type>");
  push(
    `    <kernel>${xmlText(host.boot.kernel)}</kernel>`,
    `    <initrd>${xmlText(host.boot.initrd)}</initrd>`,
    `    <cmdline>${xmlText(host.boot.cmdline)}</cmdline>`,
  );
  push("  </os>", "  <features>", "    <pae/>", "    <acpi/>", "    <apic/>", "  </features>");
  const cpuMode = host.cpuMode ?? dom.cpu?.mode;
  push(cpuMode ? `  <cpu mode='${xmlText(cpuMode)}'/>` : "  <cpu/>");
  push("  <devices>");
  host.disks.forEach((disk, i) => {
    push(
      "    <disk type='file' device='disk'>",
      `      <driver name='qemu' type='${xmlText(disk.format)}'/>`,
      `      <source file='${xmlText(disk.path)}'/>`,
      `      <target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/>`,
      "    </disk>",
    );
  });
  (dom.networkInterfaces ?? []).forEach((nic, i) => {
    push("    <interface type='network'>");
    if (nic.mac) push(`      <mac address='${xmlText(nic.mac.toUpperCase())}'/>`);
    push(`      <source network='${xmlText(host.networks[i])}'/>`, "      <model type='virtio'/>", "    </interface>");
  });
  for (const console of dom.consoles ?? []) {
    push(`    <console type='${xmlText(console.type)}'>`);
    if (host.consoleLog) push(`      <log file='${xmlText(host.consoleLog)}' append='off'/>`);
    push(`      <target${console.targetType ? ` type='${xmlText(console.targetType)}'` : ""} port='${xmlText(console.targetPort ?? "0")}'/>`, "    </console>");
  }
  const g = dom.graphics;
  if (g) {
    const listen = g.listenType === "address" ? `\n      <listen type='address' address='${xmlText(g.listenAddress ?? "")}'/>\n    ` : "";
    push(`    <graphics type='${xmlText(g.type)}' autoport='${g.autoport ? "yes" : "no"}'>${listen}</graphics>`);
  } else {
    push("    <graphics type='spice' autoport='yes'/>");
  }
  if (dom.video) push(`    <video>\n      <model type='${xmlText(dom.video.type)}'/>\n    </video>`);
  push("    <channel type='unix'>", "      <target type='virtio' name='org.qemu.guest_agent.0'/>", "    </channel>");
  push("    <rng model='virtio'>", "      <backend model='random'>/dev/urandom</backend>", "    </rng>");
  push("  </devices>");
  if (host.ignitionPath) {
    push(
      "  <qemu:commandline>",
      "    <qemu:arg value='-fw_cfg'/>",
      `    <qemu:arg value='name=opt/com.coreos/config,file=${xmlText(host.ignitionPath)}'/>`,
      "  </qemu:commandline>",
    );
  }
  push("</domain>", "");
  return lines.join("\n");
}
