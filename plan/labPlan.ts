/**
 * The lab plan: every name, address and backend derived once from the validated config.
 *
 * Renderers, components and outputs iterate these lists; none of them rebuilds a name or an
 * address. Pure: no Pulumi, no I/O.
 */
import * as ipaddr from "ipaddr.js";
import { LabConfig, NodeSize, Role } from "../config/labConfig";

/** One Fedora CoreOS node. */
export interface FcosNodePlan extends NodeSize {
  role: Role;
  /** Short name from config, e.g. `worker`. */
  name: string;
  /** Fully qualified name in the cluster zone, e.g. `worker.okd-lab.okd.local`. */
  fqdn: string;
  /** libvirt domain name, e.g. `okd-worker`. */
  domainName: string;
  ip: string;
  /** Deterministic MAC in libvirt's 52:54:00 range, derived from the IP. */
  mac: string;
}

/** The AlmaLinux infra VM that serves DNS, load balancing and NTP. */
export interface InfraNodePlan extends NodeSize {
  name: string;
  fqdn: string;
  domainName: string;
  ip: string;
  mac: string;
}

/** An address record in the cluster zone; `name` is relative to the zone (`api`, `*.apps`). */
export interface ARecord {
  name: string;
  ip: string;
}

/** A reverse zone and the PTR records it holds. */
export interface ReverseZonePlan {
  /** Zone name without the trailing dot, e.g. `0.56.10.in-addr.arpa`. */
  zone: string;
  /** Records with `name` relative to the zone (e.g. `12`) pointing at an absolute FQDN. */
  records: { name: string; fqdn: string }[];
}

export interface DnsPlan {
  /** Forward zone, e.g. `okd-lab.okd.local`. */
  zone: string;
  /** Name server FQDN (the infra node), used in SOA and NS records. */
  nameServer: string;
  /** Responsible mailbox in SOA form, e.g. `admin.okd-lab.okd.local`. */
  hostmaster: string;
  records: ARecord[];
  reverseZones: ReverseZonePlan[];
  forwarders: string[];
  /**
   * Sources allowed to recurse (names outside the lab zones, forwarded to `forwarders`): the lab
   * network and loopback, e.g. `["10.56.0.0/24", "127.0.0.0/8", "::1/128"]`. Anyone else is refused.
   */
  recursionClients: string[];
}

/** A server behind a load-balanced port. */
export interface BackendServer {
  /** Node name, used as the HAProxy server name. */
  name: string;
  ip: string;
  port: number;
}

/** How HAProxy decides a server is healthy. */
export interface HealthCheck {
  /** `https` for TLS endpoints of the API and machine-config server, `http` for the router. */
  scheme: "http" | "https";
  /** Port probed; the router answers on 1936, not on the traffic port. */
  port: number;
  path: string;
}

/** One load-balanced TCP service: a frontend port and its backend pool. */
export interface LoadBalancedService {
  /** Stable identifier used for frontend and backend names, e.g. `ingress-http`. */
  name: "api" | "machine-config" | "ingress-http" | "ingress-https";
  port: number;
  check: HealthCheck;
  servers: BackendServer[];
}

export interface LoadBalancerPlan {
  /** Address HAProxy binds its frontends to, on the lab network. */
  bindAddress: string;
  maxconn: number;
  services: LoadBalancedService[];
  /**
   * The stats page: bound to the infra node's loopback only (reached with `ssh -L`), so its basic
   * authentication never crosses the lab network in clear text; e.g. `127.0.0.1:9000`, user `admin`.
   */
  stats: { bindAddress: string; port: number; user: string };
}

export interface NetworkPlan {
  name: string;
  cidr: string;
  prefix: number;
  netmask: string;
  gateway: string;
  broadcast: string;
}

export interface LabPlan {
  cluster: { name: string; baseDomain: string; domain: string };
  network: NetworkPlan;
  infra: InfraNodePlan;
  /** FCOS nodes in a stable order: bootstrap (when enabled), masters, workers. */
  nodes: FcosNodePlan[];
  dns: DnsPlan;
  loadBalancer: LoadBalancerPlan;
  ntp: { upstream: string[]; allow: string };
}

/**
 * The Pulumi name of a Fedora CoreOS node's component, from its identity (role and name); its
 * children are named `<this>-root`, `<this>-ignition`, `<this>-domain`, `<this>-dhcp`.
 * @example fcosNodeResourceName({ role: "bootstrap", name: "bootstrap" }) // "bootstrap-bootstrap"
 */
export function fcosNodeResourceName(node: { role: Role; name: string }): string {
  return `${node.role}-${node.name}`;
}

/** Ports the infra node serves; OKD's fixed ports plus the HAProxy stats page (on its loopback). */
export const PORTS = {
  dns: 53,
  api: 6443,
  machineConfig: 22623,
  http: 80,
  https: 443,
  routerHealth: 1936,
  stats: 9000,
  ntp: 123,
} as const;

/** The stats page listens on the infra node's loopback only; `ssh -L` reaches it. */
export const STATS_BIND_ADDRESS = "127.0.0.1";

/** libvirt's locally administered MAC prefix followed by the last three bytes of the IP. */
export function macFor(ip: string): string {
  const bytes = ipaddr.IPv4.parse(ip).toByteArray();
  return ["52", "54", "00", ...bytes.slice(1).map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * Reverse zones that exactly cover the network: one per octet-aligned block at the first octet
 * boundary at or below the prefix (a /24 gives one zone, a /23 two, a /16 one, a /26 one /24 zone).
 */
export function reverseZonesFor(cidr: string): string[] {
  const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const zoneBits = Math.min(24, Math.ceil(prefix / 8) * 8);
  const octets = zoneBits / 8;
  const base = address.toByteArray();
  const count = 2 ** (zoneBits - Math.min(prefix, zoneBits));
  const zones: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = [...base];
    bytes[octets - 1] = base[octets - 1] + i;
    zones.push(`${bytes.slice(0, octets).reverse().join(".")}.in-addr.arpa`);
  }
  return zones;
}

/** The reverse zone holding `ip` among `zones`, and the record name relative to it. */
function reverseName(ip: string, zones: Map<string, ReverseZonePlan>): { zone: ReverseZonePlan; name: string } {
  const reversed = ipaddr.IPv4.parse(ip).toByteArray().reverse();
  for (let labels = 3; labels >= 1; labels--) {
    const zone = zones.get(`${reversed.slice(4 - labels).join(".")}.in-addr.arpa`);
    if (zone) return { zone, name: reversed.slice(0, 4 - labels).join(".") };
  }
  throw new Error(`no reverse zone covers ${ip}`);
}

function roleOrder(role: Role): number {
  switch (role) {
    case "bootstrap":
      return 0;
    case "master":
      return 1;
    case "worker":
      return 2;
    default: {
      const unreachable: never = role;
      return unreachable;
    }
  }
}

/** Derives the whole lab from validated config. */
export function buildLabPlan(config: LabConfig): LabPlan {
  const domain = `${config.cluster.name}.${config.cluster.baseDomain}`;
  const [netAddress, prefix] = ipaddr.IPv4.parseCIDR(config.network.cidr);
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(config.network.cidr).toString();
  const gatewayBytes = netAddress.toByteArray();
  gatewayBytes[3] += 1;
  const network: NetworkPlan = {
    name: config.network.name,
    cidr: config.network.cidr,
    prefix,
    netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString(),
    gateway: new ipaddr.IPv4(gatewayBytes).toString(),
    broadcast,
  };

  const fqdn = (name: string) => `${name}.${domain}`;
  const infra: InfraNodePlan = {
    name: config.infra.name,
    fqdn: fqdn(config.infra.name),
    domainName: config.infra.name,
    ip: config.infra.ip,
    mac: macFor(config.infra.ip),
    vcpu: config.infra.vcpu,
    memoryMiB: config.infra.memoryMiB,
    diskGiB: config.infra.diskGiB,
  };

  const declared = [
    ...(config.bootstrap.enabled ? [{ role: "bootstrap" as const, node: config.bootstrap }] : []),
    ...config.masters.map((node) => ({ role: "master" as const, node })),
    ...config.workers.map((node) => ({ role: "worker" as const, node })),
  ];
  const nodes: FcosNodePlan[] = declared
    .map(({ role, node }) => ({
      role,
      name: node.name,
      fqdn: fqdn(node.name),
      domainName: `okd-${node.name}`,
      ip: node.ip,
      mac: macFor(node.ip),
      vcpu: node.vcpu,
      memoryMiB: node.memoryMiB,
      diskGiB: node.diskGiB,
    }))
    .sort((a, b) => roleOrder(a.role) - roleOrder(b.role));

  const controlPlane = nodes.filter((n) => n.role === "bootstrap" || n.role === "master");
  const workers = nodes.filter((n) => n.role === "worker");
  // Router pods run on workers; with none, OKD schedules them on the masters.
  const routers = workers.length > 0 ? workers : nodes.filter((n) => n.role === "master");

  const records: ARecord[] = [
    { name: "dns", ip: infra.ip },
    { name: "api", ip: infra.ip },
    { name: "api-int", ip: infra.ip },
    { name: "*.apps", ip: infra.ip },
    { name: infra.name, ip: infra.ip },
    ...nodes.map((n) => ({ name: n.name, ip: n.ip })),
  ];

  const reverseZones = new Map(reverseZonesFor(config.network.cidr).map((zone) => [zone, { zone, records: [] } as ReverseZonePlan]));
  const addPtr = (ip: string, target: string) => {
    const { zone, name } = reverseName(ip, reverseZones);
    zone.records.push({ name, fqdn: target });
  };
  // api and api-int share the infra address; PTR records for both, as OKD's UPI docs list.
  addPtr(infra.ip, fqdn("api"));
  addPtr(infra.ip, fqdn("api-int"));
  addPtr(infra.ip, infra.fqdn);
  for (const n of nodes) addPtr(n.ip, n.fqdn);

  const servers = (list: FcosNodePlan[], port: number): BackendServer[] => list.map((n) => ({ name: n.name, ip: n.ip, port }));
  const services: LoadBalancedService[] = [
    { name: "api", port: PORTS.api, check: { scheme: "https", port: PORTS.api, path: "/readyz" }, servers: servers(controlPlane, PORTS.api) },
    {
      name: "machine-config",
      port: PORTS.machineConfig,
      check: { scheme: "https", port: PORTS.machineConfig, path: "/healthz" },
      servers: servers(controlPlane, PORTS.machineConfig),
    },
    {
      name: "ingress-http",
      port: PORTS.http,
      check: { scheme: "http", port: PORTS.routerHealth, path: "/healthz/ready" },
      servers: servers(routers, PORTS.http),
    },
    {
      name: "ingress-https",
      port: PORTS.https,
      check: { scheme: "http", port: PORTS.routerHealth, path: "/healthz/ready" },
      servers: servers(routers, PORTS.https),
    },
  ];

  return {
    cluster: { name: config.cluster.name, baseDomain: config.cluster.baseDomain, domain },
    network,
    infra,
    nodes,
    dns: {
      zone: domain,
      nameServer: fqdn("dns"),
      hostmaster: `hostmaster.${domain}`,
      records,
      reverseZones: [...reverseZones.values()],
      forwarders: config.infra.dnsForwarders,
      recursionClients: [config.network.cidr, "127.0.0.0/8", "::1/128"],
    },
    loadBalancer: {
      bindAddress: infra.ip,
      maxconn: config.infra.haproxyMaxconn,
      services,
      stats: { bindAddress: STATS_BIND_ADDRESS, port: PORTS.stats, user: "admin" },
    },
    ntp: { upstream: config.infra.ntpServers, allow: config.network.cidr },
  };
}
