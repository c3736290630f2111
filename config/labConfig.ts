/**
 * The validated shape of the stack configuration, and the pure parser that produces it.
 *
 * `parseLabConfig` applies defaults, collects every problem in the raw input and throws once
 * with one line per problem: the key path, the bad value, the rule broken and the fix. It reads
 * no Pulumi API, no file and no environment, so it is tested directly.
 */
import * as ipaddr from "ipaddr.js";

/** The three kinds of Fedora CoreOS node in an OKD UPI cluster. */
export type Role = "bootstrap" | "master" | "worker";

/** Sizes of one VM. */
export interface NodeSize {
  /** Virtual CPUs. */
  vcpu: number;
  /** Memory in MiB. */
  memoryMiB: number;
  /** Root disk in GiB. */
  diskGiB: number;
}

/** One Fedora CoreOS node as the user declared it, with role defaults applied. */
export interface NodeConfig extends NodeSize {
  /** Short host name, a DNS label, e.g. `worker2`; the libvirt domain is `okd-<name>`. */
  name: string;
  /** IPv4 address inside the lab network, e.g. `10.56.0.13`. */
  ip: string;
}

export interface BootstrapConfig extends NodeConfig {
  /** `false` once `openshift-install wait-for bootstrap-complete` succeeded: drops the node. */
  enabled: boolean;
}

export interface InfraConfig extends NodeSize {
  /** libvirt domain name and host name of the infra VM, e.g. `okd-infra`. */
  name: string;
  ip: string;
  /** AlmaLinux 9 GenericCloud qcow2: host path or https URL. */
  image: string;
  /** sha256 of the file at `image`: required for a URL, checked for a host path when given. */
  imageSha256?: string;
  /** Upstream resolvers for every name outside the lab zones. */
  dnsForwarders: string[];
  /** Upstream NTP servers or pools for chrony on the infra node. */
  ntpServers: string[];
  /** HAProxy global `maxconn`. */
  haproxyMaxconn: number;
  /** CoreDNS release installed from the upstream tarball, checked against `sha256`. */
  coredns: { version: string; sha256: string };
}

export interface OkdConfig {
  /** openshift-install binary: a path, or a name looked up on PATH. */
  installer: string;
  /** Where the installer assets (Ignition, auth) live; outside git. */
  assetsDir: string;
  /** Pull secret JSON; a Pulumi secret. */
  pullSecret: string;
  networkType: string;
  clusterNetwork: { cidr: string; hostPrefix: number }[];
  serviceNetwork: string[];
}

/** The boot image of the cluster nodes (`okd-lab:bootImage`, or the seed's `okd-lab:fcos`). */
export interface BootImageConfig {
  /**
   * Uncompressed qcow2 host path (checked against `sha256` when given), or https URL of a
   * `.qcow2`, `.qcow2.xz` or `.qcow2.gz`; undefined: the image the installer's stream metadata names.
   */
  image?: string;
  /** sha256 of the file at `image` (required for URLs). */
  sha256?: string;
  /** The key the image was read from, for messages: `bootImage` or the seed's `fcos`. */
  key: "bootImage" | "fcos";
}

export interface LabConfig {
  /** Stack name; used for the default asset directory. */
  stack: string;
  cluster: { name: string; baseDomain: string };
  network: { name: string; cidr: string };
  pool: { name: string; path: string };
  infra: InfraConfig;
  bootstrap: BootstrapConfig;
  masters: NodeConfig[];
  workers: NodeConfig[];
  /** SSH public keys authorized on every node; empty means the program generates a key pair. */
  sshAuthorizedKeys: string[];
  okd: OkdConfig;
  bootImage: BootImageConfig;
  /** Approve the CSRs of the nodes this stack created, after they are created. */
  approveCsrs: boolean;
  /**
   * Nodes (by their `name` in config, e.g. `worker` or `okd-infra`) that this run may power off
   * and create again from their disk, when their vcpu or memory changed. Default `[]`.
   */
  recreateNodes: string[];
}

/** Raw values of the `okd-lab:*` keys, as `pulumi.Config` would hand them over (parsed JSON). */
export type RawLabConfig = Record<string, unknown>;

/** Problems that do not stop the program but that the user should read. */
export interface ParseResult {
  config: LabConfig;
  warnings: string[];
}

/** Thrown when the configuration is invalid; `message` lists every problem, one per line. */
export class LabConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`okd-lab configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "LabConfigError";
  }
}

/** OKD's documented minimums (openshift-docs, installation requirements for user-provisioned infrastructure). */
export const ROLE_MINIMUMS: Record<Role, NodeSize> = {
  bootstrap: { vcpu: 4, memoryMiB: 16384, diskGiB: 100 },
  master: { vcpu: 4, memoryMiB: 16384, diskGiB: 100 },
  worker: { vcpu: 2, memoryMiB: 8192, diskGiB: 100 },
};

/** Virtual size of the AlmaLinux GenericCloud and Fedora CoreOS qemu images. */
export const BASE_IMAGE_GIB = 10;

export const INFRA_DEFAULTS: NodeSize = { vcpu: 2, memoryMiB: 4096, diskGiB: 20 };

/** The pull secret OKD accepts when no registry credentials are needed. */
export const OKD_FAKE_PULL_SECRET = '{"auths":{"fake":{"auth":"aWQ6cGFzcwo="}}}';

/** CoreDNS release installed on the infra node, and the sha256 of its linux_amd64 tarball. */
export const DEFAULT_COREDNS = { version: "1.11.1", sha256: "f96cdee0934c5c12a28bb0fb080bed688fdd7bfdeae2f64984f02bdec2d65498" } as const;

/** The seed's Fedora CoreOS 38 qemu image (OKD 4.13/4.14), uncompressed on the host. */
export const DEFAULT_FCOS_IMAGE = "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2";

/**
 * The infra node's default image: a pinned AlmaLinux 9.7 GenericCloud release (never the mutable
 * `-latest` name) and its sha256 as published in that folder's CHECKSUM file.
 */
export const DEFAULT_ALMALINUX_IMAGE = {
  url: "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.7-20251118.x86_64.qcow2",
  sha256: "5ff9c048859046f41db4a33b1f1a96675711288078aac66b47d0be023af270d1",
} as const;

/** Every key the program reads in the `okd-lab` namespace. */
export const CONFIG_KEYS = [
  "cluster",
  "network",
  "pool",
  "infra",
  "bootstrap",
  "masters",
  "workers",
  "sshAuthorizedKeys",
  "okd",
  "bootImage",
  "fcos",
  "approveCsrs",
  "recreateNodes",
] as const;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Stands in for a secret value in messages. */
const SECRET_SHOWN = Symbol("secret");

/** A value as it appears in an error message. */
function show(value: unknown): string {
  if (value === SECRET_SHOWN) return "[secret]";
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Why a `.local` cluster domain deserves a warning (systemd-resolved src/resolve/resolved-dns-scope.c,
 * dns_scope_good_domain: a `.local` name goes to a link's DNS servers only when a search or routing
 * domain of that link covers it; otherwise it is multicast DNS).
 */
export const LOCAL_DOMAIN_NOTE =
  "systemd-resolved (Fedora CoreOS nodes, many hosts) treats .local names as multicast DNS and asks the lab's DNS for them only " +
  "because the lab's DHCP hands out the cluster zone as search domain and the host follows hostDnsSetup; a domain under home.arpa " +
  "(e.g. home.arpa) needs neither";

/** Collects problems with their key path; every reader below reports here and never throws. */
class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  add(path: string, value: unknown, rule: string, fix: string): void {
    this.errors.push(`okd-lab:${path} = ${show(value)}: ${rule}. Fix: ${fix}.`);
  }

  warn(path: string, value: unknown, note: string): void {
    this.warnings.push(`okd-lab:${path} = ${show(value)}: ${note}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads an object value, reporting keys outside `known` as likely typos. */
function readObject(
  p: Problems,
  path: string,
  value: unknown,
  known: readonly string[],
  /** Show unknown keys' values as [secret]: a mistyped secret key must not be echoed. */
  redactUnknown = false,
): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    p.add(path, value, "must be an object", `write it as a YAML mapping with the keys ${known.join(", ")}`);
    return {};
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      p.add(`${path}.${key}`, redactUnknown ? SECRET_SHOWN : value[key], "unknown key", `remove it or use one of ${known.join(", ")}`);
    }
  }
  return value;
}

function readString(p: Problems, path: string, value: unknown, fallback: string | undefined, example: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || value.trim() === "") {
    p.add(path, value, "must be a non-empty string", `set it, e.g. ${example}`);
    return fallback ?? "";
  }
  return value;
}

function readDnsLabel(p: Problems, path: string, value: unknown, fallback: string | undefined, example = fallback ?? "worker2"): string {
  const name = readString(p, path, value, fallback, example);
  if (name !== "" && !DNS_LABEL.test(name)) {
    p.add(path, name, "must be a DNS label (lowercase letters, digits and '-', 1-63 characters, no leading or trailing '-')", `rename it, e.g. ${example}`);
  }
  return name;
}

function readDomain(p: Problems, path: string, value: unknown, fallback: string): string {
  const domain = readString(p, path, value, fallback, "okd.local");
  if (domain !== "" && !domain.split(".").every((label) => DNS_LABEL.test(label))) {
    p.add(path, domain, "must be a DNS domain of lowercase labels separated by dots", "use e.g. okd.local");
  }
  return domain;
}

function readPositiveInt(p: Problems, path: string, value: unknown, fallback: number | undefined, unit: string): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    p.add(path, value, `must be a positive whole number of ${unit}`, `set it to e.g. ${fallback ?? 1}`);
    return fallback ?? 1;
  }
  return value;
}

function readBoolean(p: Problems, path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    p.add(path, value, "must be true or false", "write true or false without quotes");
    return fallback;
  }
  return value;
}

function readStringList(p: Problems, path: string, value: unknown, fallback: string[], example: string): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
    p.add(path, value, "must be a list of non-empty strings", `write it as a YAML list, e.g. [${example}]`);
    return fallback;
  }
  return value as string[];
}

function readIPv4(p: Problems, path: string, value: unknown, fallback: string | undefined): string {
  const text = readString(p, path, value, fallback, "10.56.0.20");
  if (text === "") return text;
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
    p.add(path, text, "is not an IPv4 address in dotted-quad form", "use an address such as 10.56.0.20");
    return "";
  }
  return text;
}

/** The network as parsed, or undefined when the CIDR is unusable (node checks then skip). */
interface ParsedNetwork {
  address: ipaddr.IPv4;
  prefix: number;
  gateway: string;
  broadcast: string;
}

function readNetwork(p: Problems, raw: unknown): { config: LabConfig["network"]; parsed?: ParsedNetwork } {
  const obj = readObject(p, "network", raw, ["name", "cidr"]);
  const name = readDnsLabel(p, "network.name", obj.name, "okd-net");
  const cidr = readString(p, "network.cidr", obj.cidr, "10.56.0.0/24", "10.56.0.0/24");
  let parsed: ParsedNetwork | undefined;
  try {
    if (!isDottedCidr(cidr)) throw new Error("not a CIDR");
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const network = ipaddr.IPv4.networkAddressFromCIDR(cidr);
    if (prefix < 8 || prefix > 29) {
      p.add("network.cidr", cidr, "prefix must be between /8 and /29 to hold the lab", "use e.g. 10.56.0.0/24");
    } else if (network.toString() !== address.toString()) {
      p.add("network.cidr", cidr, `has host bits set (the network address is ${network.toString()})`, `use ${network.toString()}/${prefix}`);
    } else {
      const gateway = new ipaddr.IPv4(offset(network, 1)).toString();
      const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString();
      parsed = { address: network, prefix, gateway, broadcast };
    }
  } catch {
    p.add("network.cidr", cidr, "is not an IPv4 CIDR", "use network/prefix, e.g. 10.56.0.0/24");
  }
  return { config: { name, cidr }, parsed };
}

/** Bytes of `base` plus `n` (n small and non-negative). */
function offset(base: ipaddr.IPv4, n: number): number[] {
  const value = (base.toByteArray().reduce((acc, b) => acc * 256 + b, 0) + n) >>> 0;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

function readSize(p: Problems, path: string, obj: Record<string, unknown>, defaults: NodeSize, minimums?: NodeSize): NodeSize {
  const size: NodeSize = {
    vcpu: readPositiveInt(p, `${path}.vcpu`, obj.vcpu, defaults.vcpu, "virtual CPUs"),
    memoryMiB: readPositiveInt(p, `${path}.memoryMiB`, obj.memoryMiB, defaults.memoryMiB, "MiB"),
    diskGiB: readPositiveInt(p, `${path}.diskGiB`, obj.diskGiB, defaults.diskGiB, "GiB"),
  };
  // A root disk overlays its base image and cannot be smaller than it (both are 10 GiB).
  if (size.diskGiB < BASE_IMAGE_GIB) {
    p.add(`${path}.diskGiB`, size.diskGiB, `is smaller than the ${BASE_IMAGE_GIB} GiB base image the root disk overlays`, `use at least ${BASE_IMAGE_GIB}`);
  }
  if (minimums) {
    for (const key of ["vcpu", "memoryMiB", "diskGiB"] as const) {
      if (size[key] < minimums[key]) {
        p.warn(`${path}.${key}`, size[key], `below the OKD minimum of ${minimums[key]}; the installation may fail or be slow`);
      }
    }
  }
  return size;
}

const NODE_KEYS = ["name", "ip", "vcpu", "memoryMiB", "diskGiB"] as const;

function readNode(p: Problems, path: string, raw: unknown, role: Role, fallback?: { name: string; ip: string }): NodeConfig {
  const keys: readonly string[] = role === "bootstrap" ? [...NODE_KEYS, "enabled"] : NODE_KEYS;
  const obj = readObject(p, path, raw, keys);
  return {
    name: readDnsLabel(p, `${path}.name`, obj.name, fallback?.name, role === "master" ? "master2" : role === "worker" ? "worker2" : "bootstrap"),
    ip: readIPv4(p, `${path}.ip`, obj.ip, fallback?.ip),
    ...readSize(p, path, obj, ROLE_MINIMUMS[role], ROLE_MINIMUMS[role]),
  };
}

function readNodeList(p: Problems, key: "masters" | "workers", raw: unknown, fallback: { name: string; ip: string }[]): NodeConfig[] {
  const role: Role = key === "masters" ? "master" : "worker";
  if (raw === undefined) return fallback.map((f, i) => readNode(p, `${key}[${i}]`, f, role));
  if (!Array.isArray(raw)) {
    p.add(key, raw, "must be a list of nodes", `write it as a YAML list of {name, ip}, e.g. [{name: ${role}, ip: 10.56.0.12}]`);
    return [];
  }
  return raw.map((entry, i) => readNode(p, `${key}[${i}]`, entry, role));
}

function readImage(p: Problems, path: string, value: unknown, fallback: string | undefined): string {
  const image = readString(p, path, value, fallback, "/var/lib/libvirt/images/base.qcow2");
  if (image.startsWith("http://")) {
    p.add(path, image, "must be an https URL: a plain http download can be changed on the way", `use ${image.replace(/^http:/, "https:")} or a host path`);
  } else if (image !== "" && !/^(https:\/\/|\/)/.test(image)) {
    p.add(path, image, "must be an absolute host path or an https URL", "use e.g. /var/lib/libvirt/images/base.qcow2");
  }
  return image;
}

function readSha256(p: Problems, path: string, value: unknown, required: boolean, why: string): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || !SHA256.test(value)) {
    p.add(path, value, `must be a sha256 digest of 64 lowercase hex characters${required ? ` (${why})` : ""}`, "copy it from the release's checksum file");
    return undefined;
  }
  return value;
}

/**
 * The infra image and its sha256: the pinned default release with its published digest, or the
 * configured image, whose sha256 is required for a URL and checked for a host path when given.
 */
function readInfraImage(p: Problems, image: unknown, sha256: unknown): { image: string; imageSha256?: string } {
  if (image === undefined) {
    if (sha256 !== undefined)
      p.add("infra.imageSha256", sha256, "belongs to okd-lab:infra.image, which is not set", "remove it, or set okd-lab:infra.image too");
    return { image: DEFAULT_ALMALINUX_IMAGE.url, imageSha256: DEFAULT_ALMALINUX_IMAGE.sha256 };
  }
  const path = readImage(p, "infra.image", image, undefined);
  const isUrl = path.startsWith("https://");
  const digest = readSha256(p, "infra.imageSha256", sha256, isUrl, "a downloaded image is verified before use");
  return digest === undefined ? { image: path } : { image: path, imageSha256: digest };
}

/** Checks every node address against the network and against each other. */
function checkAddresses(p: Problems, net: ParsedNetwork | undefined, entries: { path: string; ip: string }[]): void {
  const seen = new Map<string, string>();
  for (const { path, ip } of entries) {
    if (ip === "") continue;
    if (net) {
      const addr = ipaddr.IPv4.parse(ip);
      const cidr = `${net.address.toString()}/${net.prefix}`;
      if (!addr.match(net.address, net.prefix)) {
        p.add(path, ip, `is outside the lab network ${cidr}`, `pick a free address inside ${cidr}`);
      } else if (ip === net.address.toString()) {
        p.add(path, ip, "is the network address", `pick a host address inside ${cidr}`);
      } else if (ip === net.gateway) {
        p.add(path, ip, "is the gateway, which libvirt gives to the host bridge", `pick another address inside ${cidr}`);
      } else if (ip === net.broadcast) {
        p.add(path, ip, "is the broadcast address", `pick a host address inside ${cidr}`);
      }
    }
    const first = seen.get(ip);
    if (first !== undefined) {
      p.add(path, ip, `is already used by okd-lab:${first}`, "give every node its own address");
    } else {
      seen.set(ip, path);
    }
  }
}

function checkNames(p: Problems, entries: { path: string; name: string }[], reserved: Map<string, string>): void {
  const seen = new Map<string, string>();
  for (const { path, name } of entries) {
    if (name === "") continue;
    const why = reserved.get(name);
    if (why !== undefined) {
      p.add(path, name, `is reserved for ${why}`, "choose another name");
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      p.add(path, name, `is already used by okd-lab:${first}`, "give every node its own name");
    } else {
      seen.set(name, path);
    }
  }
}

/**
 * Validates the raw stack configuration and applies defaults.
 * @param raw the `okd-lab:*` values, keyed without the namespace.
 * @param stack the stack name (used for the default asset directory).
 * @throws LabConfigError listing every problem.
 */
export function parseLabConfig(raw: RawLabConfig, stack: string): ParseResult {
  if (!isObject(raw)) throw new LabConfigError([`okd-lab = ${show(raw)}: the configuration must be a set of okd-lab:* keys. Fix: start from Pulumi.dev.yaml.`]);
  const p = new Problems();
  for (const key of Object.keys(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      p.add(key, raw[key], "unknown key", `remove it or use one of ${CONFIG_KEYS.join(", ")}`);
    }
  }

  const clusterObj = readObject(p, "cluster", raw.cluster, ["name", "baseDomain"]);
  const cluster = {
    name: readDnsLabel(p, "cluster.name", clusterObj.name, "okd-lab"),
    baseDomain: readDomain(p, "cluster.baseDomain", clusterObj.baseDomain, "okd.local"),
  };

  if (/(^|\.)local$/i.test(cluster.baseDomain)) {
    p.warn("cluster.baseDomain", cluster.baseDomain, LOCAL_DOMAIN_NOTE);
  }

  const { config: network, parsed: net } = readNetwork(p, raw.network);

  const poolObj = readObject(p, "pool", raw.pool, ["name", "path"]);
  // Defaults to the cluster name, already checked as okd-lab:cluster.name.
  const poolName = poolObj.name === undefined ? cluster.name : readDnsLabel(p, "pool.name", poolObj.name, undefined, "okd-lab");
  const pool = { name: poolName, path: readString(p, "pool.path", poolObj.path, `/var/lib/libvirt/images/${poolName}`, "/var/lib/libvirt/images/okd-lab") };
  if (pool.path !== "" && !pool.path.startsWith("/")) {
    p.add("pool.path", pool.path, "must be an absolute path", "use a directory under /var/lib/libvirt/images");
  } else if (pool.path !== "" && !pool.path.startsWith("/var/lib/libvirt/images")) {
    p.warn("pool.path", pool.path, "is outside /var/lib/libvirt/images; SELinux or AppArmor may stop QEMU reading the Ignition files there");
  }

  const infraObj = readObject(p, "infra", raw.infra, [
    "name",
    "ip",
    "vcpu",
    "memoryMiB",
    "diskGiB",
    "image",
    "imageSha256",
    "dnsForwarders",
    "ntpServers",
    "haproxyMaxconn",
    "coredns",
  ]);
  const corednsObj = readObject(p, "infra.coredns", infraObj.coredns, ["version", "sha256"]);
  const dnsForwarders = readStringList(p, "infra.dnsForwarders", infraObj.dnsForwarders, ["8.8.8.8", "1.1.1.1"], "8.8.8.8, 1.1.1.1");
  dnsForwarders.forEach((f, i) => {
    if (!ipaddr.IPv4.isValidFourPartDecimal(f) && !ipaddr.IPv6.isValid(f)) {
      p.add(`infra.dnsForwarders[${i}]`, f, "is not an IP address", "use a resolver address such as 1.1.1.1");
    }
  });
  if (dnsForwarders.length === 0) p.add("infra.dnsForwarders", dnsForwarders, "must name at least one resolver", "use e.g. [8.8.8.8, 1.1.1.1]");
  const ntpServers = readStringList(p, "infra.ntpServers", infraObj.ntpServers, ["2.almalinux.pool.ntp.org"], "2.almalinux.pool.ntp.org");
  if (ntpServers.length === 0) p.add("infra.ntpServers", ntpServers, "must name at least one server", "use e.g. [2.almalinux.pool.ntp.org]");
  ntpServers.forEach((server, i) => {
    // Each entry becomes a chrony directive argument: a host name or an address, nothing else.
    if (!ipaddr.isValid(server) && !server.split(".").every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))) {
      p.add(`infra.ntpServers[${i}]`, server, "is neither a host name nor an IP address", "use e.g. 2.almalinux.pool.ntp.org");
    }
  });
  const corednsVersion = readString(p, "infra.coredns.version", corednsObj.version, DEFAULT_COREDNS.version, DEFAULT_COREDNS.version);
  if (corednsVersion !== "" && !/^\d+\.\d+\.\d+$/.test(corednsVersion)) {
    p.add("infra.coredns.version", corednsVersion, "must be a release version like 1.11.1 (no leading v)", "use a version from the CoreDNS releases page");
  }
  const infra: InfraConfig = {
    name: readDnsLabel(p, "infra.name", infraObj.name, "okd-infra"),
    ip: readIPv4(p, "infra.ip", infraObj.ip, "10.56.0.10"),
    ...readSize(p, "infra", infraObj, INFRA_DEFAULTS),
    ...readInfraImage(p, infraObj.image, infraObj.imageSha256),
    dnsForwarders,
    ntpServers,
    haproxyMaxconn: readPositiveInt(p, "infra.haproxyMaxconn", infraObj.haproxyMaxconn, 20000, "connections"),
    coredns: {
      version: corednsVersion,
      // The default digest belongs to the default release only; another version needs its own.
      sha256:
        corednsObj.sha256 === undefined && corednsVersion === DEFAULT_COREDNS.version
          ? DEFAULT_COREDNS.sha256
          : (readSha256(p, "infra.coredns.sha256", corednsObj.sha256, true, `the tarball of CoreDNS ${corednsVersion} is verified before it is installed`) ??
            ""),
    },
  };

  const bootstrapNode = readNode(p, "bootstrap", raw.bootstrap, "bootstrap", { name: "bootstrap", ip: "10.56.0.11" });
  const bootstrapObj = isObject(raw.bootstrap) ? raw.bootstrap : {};
  const bootstrap: BootstrapConfig = { ...bootstrapNode, enabled: readBoolean(p, "bootstrap.enabled", bootstrapObj.enabled, true) };
  const masters = readNodeList(p, "masters", raw.masters, [{ name: "master", ip: "10.56.0.12" }]);
  const workers = readNodeList(p, "workers", raw.workers, [{ name: "worker", ip: "10.56.0.13" }]);
  if (Array.isArray(raw.masters) && masters.length !== 1 && masters.length !== 3) {
    p.add(
      "masters",
      masters.map((m) => m.name),
      `lists ${masters.length} master${masters.length === 1 ? "" : "s"}; OKD supports a control plane of 1 or 3`,
      masters.length === 2 ? "add a third master or remove one" : "declare 1 or 3 masters",
    );
  }

  const sshAuthorizedKeys = readStringList(p, "sshAuthorizedKeys", raw.sshAuthorizedKeys, [], "ssh-ed25519 AAAA... you@host");
  sshAuthorizedKeys.forEach((key, i) => {
    if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/.test(key)) {
      p.add(`sshAuthorizedKeys[${i}]`, key, "is not an OpenSSH public key line", "paste the content of a .pub file, e.g. ssh-ed25519 AAAA... you@host");
    }
  });

  const okdObj = readObject(p, "okd", raw.okd, ["installer", "assetsDir", "pullSecret", "networkType", "clusterNetwork", "serviceNetwork"], true);
  const okd: OkdConfig = {
    installer: readString(p, "okd.installer", okdObj.installer, "openshift-install", "/usr/local/bin/openshift-install"),
    assetsDir: readString(p, "okd.assetsDir", okdObj.assetsDir, `.okd/${stack}`, `.okd/${stack}`),
    pullSecret: readPullSecret(p, okdObj.pullSecret),
    networkType: readString(p, "okd.networkType", okdObj.networkType, "OVNKubernetes", "OVNKubernetes"),
    clusterNetwork: readClusterNetwork(p, okdObj.clusterNetwork),
    serviceNetwork: readStringList(p, "okd.serviceNetwork", okdObj.serviceNetwork, ["172.30.0.0/16"], "172.30.0.0/16"),
  };
  if (!["OVNKubernetes", "OpenShiftSDN"].includes(okd.networkType)) {
    p.add("okd.networkType", okd.networkType, "must be OVNKubernetes or OpenShiftSDN", "use OVNKubernetes");
  }
  okd.serviceNetwork.forEach((c, i) => checkCidr(p, `okd.serviceNetwork[${i}]`, c));
  // The machine, pod and service networks must not overlap: OKD routes each differently.
  const ranges = [
    ...(net ? [{ path: "network.cidr", cidr: network.cidr }] : []),
    ...okd.clusterNetwork.map((c, i) => ({ path: `okd.clusterNetwork[${i}].cidr`, cidr: c.cidr })),
    ...okd.serviceNetwork.map((c, i) => ({ path: `okd.serviceNetwork[${i}]`, cidr: c })),
  ].filter((r) => isDottedCidr(r.cidr));
  ranges.forEach((r, i) => {
    const other = ranges.slice(0, i).find((o) => cidrsOverlap(o.cidr, r.cidr));
    if (other) p.add(r.path, r.cidr, `overlaps okd-lab:${other.path} (${other.cidr})`, "give the lab, pod and service networks separate ranges");
  });

  const bootImage = readBootImage(p, raw);

  // Cross-field checks: addresses and names across every node.
  const entries = [
    { path: "infra.ip", ip: infra.ip, name: infra.name, namePath: "infra.name" },
    { path: "bootstrap.ip", ip: bootstrap.ip, name: bootstrap.name, namePath: "bootstrap.name" },
    ...masters.map((m, i) => ({ path: `masters[${i}].ip`, ip: m.ip, name: m.name, namePath: `masters[${i}].name` })),
    ...workers.map((w, i) => ({ path: `workers[${i}].ip`, ip: w.ip, name: w.name, namePath: `workers[${i}].name` })),
  ];
  checkAddresses(p, net, entries);
  const reserved = new Map([
    ["api", "the API record"],
    ["api-int", "the internal API record"],
    ["apps", "the ingress wildcard"],
    ["dns", "the name server record"],
  ]);
  checkNames(
    p,
    entries.map((e) => ({ path: e.namePath, name: e.name })),
    reserved,
  );
  // FCOS domains are named okd-<name>; none may take the infra VM's domain name.
  for (const e of entries.slice(1)) {
    if (e.name !== "" && `okd-${e.name}` === infra.name) {
      p.add(e.namePath, e.name, `its libvirt domain okd-${e.name} would clash with the infra VM okd-lab:infra.name`, "choose another name");
    }
  }

  const approveCsrs = readBoolean(p, "approveCsrs", raw.approveCsrs, false);
  const recreateNodes = readStringList(p, "recreateNodes", raw.recreateNodes, [], "worker");
  const nodeNames = entries.map((e) => e.name);
  recreateNodes.forEach((name, i) => {
    if (!nodeNames.includes(name)) {
      p.add(
        `recreateNodes[${i}]`,
        name,
        "names no node of this lab",
        `use a name from okd-lab:infra.name, bootstrap, masters or workers (${nodeNames.join(", ")})`,
      );
    }
  });

  if (p.errors.length > 0) throw new LabConfigError(p.errors);
  return {
    config: {
      stack,
      cluster,
      network,
      pool,
      infra,
      bootstrap,
      masters,
      workers,
      sshAuthorizedKeys,
      okd,
      bootImage,
      approveCsrs,
      recreateNodes,
    },
    warnings: p.warnings,
  };
}

/**
 * `okd-lab:bootImage`, or the seed's `okd-lab:fcos` with its old meaning: without `image` the
 * seed's Fedora CoreOS 38 path, so that a stack written for the seed keeps its lab. With
 * `bootImage` and no `image`, the installer names the image.
 */
function readBootImage(p: Problems, raw: RawLabConfig): BootImageConfig {
  if (raw.bootImage !== undefined && raw.fcos !== undefined) {
    p.add(
      "fcos",
      raw.fcos,
      "is the old name of okd-lab:bootImage, and both are set",
      "keep one: move its image and sha256 into okd-lab:bootImage and run 'pulumi config rm okd-lab:fcos'",
    );
  }
  const key = raw.bootImage === undefined && raw.fcos !== undefined ? "fcos" : "bootImage";
  const obj = readObject(p, key, raw[key], ["image", "sha256"]);
  const image = obj.image === undefined && key === "bootImage" ? undefined : readImage(p, `${key}.image`, obj.image, DEFAULT_FCOS_IMAGE);
  const isUrl = image !== undefined && /^https:\/\//.test(image);
  const sha256 = readSha256(p, `${key}.sha256`, obj.sha256, isUrl, "a downloaded image is verified before use");
  if (image === undefined) {
    if (obj.sha256 !== undefined) {
      p.add(
        `${key}.sha256`,
        obj.sha256,
        "belongs to an image URL, and okd-lab:bootImage.image is not set",
        "set the image URL too, or remove the sha256 to use the installer's image",
      );
    }
  } else if (image.startsWith("/") && /\.(xz|gz)$/.test(image)) {
    const tool = image.endsWith(".xz") ? "unxz" : "gunzip";
    p.add(
      `${key}.image`,
      image,
      "a host path must be an uncompressed qcow2",
      `run '${tool} ${image}' and point at the .qcow2, or give the https URL and its sha256`,
    );
  } else if (image.startsWith("/") && !image.endsWith(".qcow2")) {
    p.add(`${key}.image`, image, "a host path must be a .qcow2 image", "use the CoreOS qemu image (e.g. fedora-coreos-<version>-qemu.x86_64.qcow2)");
  } else if (isUrl && !/\.qcow2(\.xz|\.gz)?$/.test(image.split(/[?#]/)[0])) {
    p.add(
      `${key}.image`,
      image,
      "a URL must name a .qcow2, .qcow2.xz or .qcow2.gz image",
      "use the qemu image URL from 'openshift-install coreos print-stream-json'",
    );
  }
  return { image, sha256, key };
}

/** `a.b.c.d/n` in plain decimal: no leading zeros, which some parsers read as octal. */
function isDottedCidr(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split("/");
  return rest.length === 0 && prefix !== undefined && /^(0|[1-9]\d?)$|^[12]\d$|^3[0-2]$/.test(prefix) && ipaddr.IPv4.isValidFourPartDecimal(address);
}

function cidrsOverlap(a: string, b: string): boolean {
  const [addrA, prefixA] = ipaddr.IPv4.parseCIDR(a);
  const [addrB, prefixB] = ipaddr.IPv4.parseCIDR(b);
  const shorter = Math.min(prefixA, prefixB);
  return addrA.match(addrB, shorter);
}

/** The pull secret: JSON text with an `auths` object. Never echoed in a message. */
function readPullSecret(p: Problems, value: unknown): string {
  if (value === undefined) return OKD_FAKE_PULL_SECRET;
  try {
    if (typeof value !== "string") throw new Error("not text");
    const secret: unknown = JSON.parse(value);
    if (!isObject(secret) || !isObject(secret.auths)) throw new Error("no auths");
    return value;
  } catch {
    p.add(
      "okd.pullSecret",
      SECRET_SHOWN,
      'must be JSON text with an "auths" object',
      "set it with 'pulumi config set --secret --path okd-lab:okd.pullSecret \"$(cat pull-secret.json)\"', or leave it unset for OKD's fake one",
    );
    return OKD_FAKE_PULL_SECRET;
  }
}

function checkCidr(p: Problems, path: string, cidr: string): void {
  try {
    if (!isDottedCidr(cidr)) throw new Error("not a CIDR");
    ipaddr.IPv4.parseCIDR(cidr);
  } catch {
    p.add(path, cidr, "is not an IPv4 CIDR", "use network/prefix, e.g. 10.128.0.0/14");
  }
}

function readClusterNetwork(p: Problems, raw: unknown): OkdConfig["clusterNetwork"] {
  const fallback = [{ cidr: "10.128.0.0/14", hostPrefix: 23 }];
  if (raw === undefined) return fallback;
  if (!Array.isArray(raw) || raw.length === 0) {
    p.add("okd.clusterNetwork", raw, "must be a non-empty list of {cidr, hostPrefix}", "use [{cidr: 10.128.0.0/14, hostPrefix: 23}]");
    return fallback;
  }
  return raw.map((entry, i) => {
    const obj = readObject(p, `okd.clusterNetwork[${i}]`, entry, ["cidr", "hostPrefix"]);
    const cidr = readString(p, `okd.clusterNetwork[${i}].cidr`, obj.cidr, undefined, "10.128.0.0/14");
    if (cidr !== "") checkCidr(p, `okd.clusterNetwork[${i}].cidr`, cidr);
    const hostPrefix = readPositiveInt(p, `okd.clusterNetwork[${i}].hostPrefix`, obj.hostPrefix, 23, "prefix bits");
    const prefix = isDottedCidr(cidr) ? Number(cidr.split("/")[1]) : undefined;
    // Each node gets a /hostPrefix slice of the pod network.
    if (prefix !== undefined && (hostPrefix <= prefix || hostPrefix > 30)) {
      p.add(
        `okd.clusterNetwork[${i}].hostPrefix`,
        hostPrefix,
        `must be longer than the network's /${prefix} and at most 30 (each node gets a /hostPrefix of it)`,
        "use 23 with 10.128.0.0/14",
      );
    }
    return { cidr, hostPrefix };
  });
}
