import {
  CONFIG_KEYS,
  DEFAULT_ALMALINUX_IMAGE,
  INFRA_DEFAULTS,
  LabConfig,
  LabConfigError,
  OKD_FAKE_PULL_SECRET,
  parseLabConfig,
  RawLabConfig,
  ROLE_MINIMUMS,
  LOCAL_DOMAIN_NOTE,
} from "../../config/labConfig";
import { seedRawConfig, TEST_COREDNS_SHA256 } from "../fixtures/labs";

/** The `okd-lab` keys one problem line lists when a top-level key is unknown. */
const TOP_LEVEL_KEYS = "cluster, network, pool, infra, bootstrap, masters, workers, sshAuthorizedKeys, okd, bootImage, fcos, approveCsrs, recreateNodes";
const INFRA_KEYS = "name, ip, vcpu, memoryMiB, diskGiB, image, imageSha256, dnsForwarders, ntpServers, haproxyMaxconn, coredns";
const DNS_LABEL_RULE = "must be a DNS label (lowercase letters, digits and '-', 1-63 characters, no leading or trailing '-')";
const FCOS_URL = "https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/38.20230918.3.0/x86_64/fcos-qemu.qcow2.xz";
const FCOS_XZ_PATH = "/var/lib/libvirt/images/fcos-38.qcow2.xz";

/** The installer settings of a `dev` stack that sets none of them. */
const DEV_OKD_DEFAULTS = {
  installer: "openshift-install",
  assetsDir: ".okd/dev",
  pullSecret: OKD_FAKE_PULL_SECRET,
  networkType: "OVNKubernetes",
  clusterNetwork: [{ cidr: "10.128.0.0/14", hostPrefix: 23 }],
  serviceNetwork: ["172.30.0.0/16"],
};

/** Every problem parseLabConfig reports for `raw`, or none. */
function problemsOf(raw: RawLabConfig): string[] {
  try {
    parseLabConfig(raw, "dev");
  } catch (err) {
    if (err instanceof LabConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** The path segments of `a.b[0].c`: `["a", "b", 0, "c"]`. */
function segments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

/** The seed config with the value at `path` replaced (or deleted when `value` is undefined). */
/** The one warning the seed's okd.local domain gets. */
const SEED_LOCAL_WARNING =
  'okd-lab:cluster.baseDomain = "okd.local": systemd-resolved (Fedora CoreOS nodes, many hosts) treats .local names as multicast DNS and asks ' +
  "the lab's DNS for them only because the lab's DHCP hands out the cluster zone as search domain and the host follows hostDnsSetup; " +
  "a domain under home.arpa (e.g. home.arpa) needs neither";

function seedWith(path: string, value: unknown): RawLabConfig {
  const raw = seedRawConfig();
  const keys = segments(path);
  let target = raw as Record<string | number, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (target[key] === undefined) target[key] = {};
    target = target[key] as Record<string | number, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return raw;
}

/** The LabConfigError `parseLabConfig` throws for `raw`; fails the test when it throws nothing or something else. */
function errorOf(raw: RawLabConfig): LabConfigError {
  try {
    parseLabConfig(raw, "dev");
  } catch (error) {
    if (error instanceof LabConfigError) return error;
    throw new Error(`expected a LabConfigError, got ${String(error)}`);
  }
  throw new Error("expected a LabConfigError, but the config was accepted");
}

/** One bad value at one key path, and the exact line the user reads for it. */
const ONE_PROBLEM: [string, string, unknown, string][] = [
  // Day 2.
  [
    "recreateNodes names only nodes of the lab",
    "recreateNodes",
    ["wrker"],
    'okd-lab:recreateNodes[0] = "wrker": names no node of this lab. Fix: use a name from okd-lab:infra.name, bootstrap, masters or workers (okd-infra, bootstrap, master, worker).',
  ],
  [
    "recreateNodes is a list of names",
    "recreateNodes",
    "worker",
    'okd-lab:recreateNodes = "worker": must be a list of non-empty strings. Fix: write it as a YAML list, e.g. [worker].',
  ],
  // Network.
  [
    "a CIDR without four octets is malformed",
    "network.cidr",
    "10.56.0/24",
    'okd-lab:network.cidr = "10.56.0/24": is not an IPv4 CIDR. Fix: use network/prefix, e.g. 10.56.0.0/24.',
  ],
  [
    "a CIDR with a prefix above 32 is malformed",
    "network.cidr",
    "10.56.0.0/33",
    'okd-lab:network.cidr = "10.56.0.0/33": is not an IPv4 CIDR. Fix: use network/prefix, e.g. 10.56.0.0/24.',
  ],
  [
    "a CIDR with host bits set names the network address to use",
    "network.cidr",
    "10.56.0.1/24",
    'okd-lab:network.cidr = "10.56.0.1/24": has host bits set (the network address is 10.56.0.0). Fix: use 10.56.0.0/24.',
  ],
  [
    "a network smaller than /29 cannot hold the lab",
    "network.cidr",
    "10.56.0.0/30",
    'okd-lab:network.cidr = "10.56.0.0/30": prefix must be between /8 and /29 to hold the lab. Fix: use e.g. 10.56.0.0/24.',
  ],

  // Node addresses.
  [
    "a three-part IP is not dotted-quad",
    "masters[0].ip",
    "10.56.12",
    'okd-lab:masters[0].ip = "10.56.12": is not an IPv4 address in dotted-quad form. Fix: use an address such as 10.56.0.20.',
  ],
  [
    "an IP written as one integer is not dotted-quad",
    "workers[0].ip",
    "171442189",
    'okd-lab:workers[0].ip = "171442189": is not an IPv4 address in dotted-quad form. Fix: use an address such as 10.56.0.20.',
  ],
  [
    "an IP with a leading zero (octal to some parsers) is not dotted-quad",
    "workers[0].ip",
    "10.56.0.013",
    'okd-lab:workers[0].ip = "10.56.0.013": is not an IPv4 address in dotted-quad form. Fix: use an address such as 10.56.0.20.',
  ],
  [
    "an IP with an octet above 255 is not an address",
    "bootstrap.ip",
    "10.56.0.256",
    'okd-lab:bootstrap.ip = "10.56.0.256": is not an IPv4 address in dotted-quad form. Fix: use an address such as 10.56.0.20.',
  ],
  ["an IP given as a number is not a string", "infra.ip", 10, "okd-lab:infra.ip = 10: must be a non-empty string. Fix: set it, e.g. 10.56.0.20."],
  [
    "a node IP outside the lab network is rejected",
    "workers[0].ip",
    "10.57.0.13",
    'okd-lab:workers[0].ip = "10.57.0.13": is outside the lab network 10.56.0.0/24. Fix: pick a free address inside 10.56.0.0/24.',
  ],
  [
    "a node IP equal to the network address is rejected",
    "masters[0].ip",
    "10.56.0.0",
    'okd-lab:masters[0].ip = "10.56.0.0": is the network address. Fix: pick a host address inside 10.56.0.0/24.',
  ],
  [
    "a node IP equal to the gateway is rejected",
    "bootstrap.ip",
    "10.56.0.1",
    'okd-lab:bootstrap.ip = "10.56.0.1": is the gateway, which libvirt gives to the host bridge. Fix: pick another address inside 10.56.0.0/24.',
  ],
  [
    "an infra IP equal to the broadcast address is rejected",
    "infra.ip",
    "10.56.0.255",
    'okd-lab:infra.ip = "10.56.0.255": is the broadcast address. Fix: pick a host address inside 10.56.0.0/24.',
  ],
  [
    "two nodes on one IP: the second names the first user",
    "workers[0].ip",
    "10.56.0.12",
    'okd-lab:workers[0].ip = "10.56.0.12": is already used by okd-lab:masters[0].ip. Fix: give every node its own address.',
  ],
  [
    "a node on the infra IP names infra as the first user",
    "bootstrap.ip",
    "10.56.0.10",
    'okd-lab:bootstrap.ip = "10.56.0.10": is already used by okd-lab:infra.ip. Fix: give every node its own address.',
  ],
  // Names.
  [
    "a node name with upper case and '_' is not a DNS label",
    "workers[0].name",
    "Worker_1",
    `okd-lab:workers[0].name = "Worker_1": ${DNS_LABEL_RULE}. Fix: rename it, e.g. worker2.`,
  ],
  [
    "a node name with a leading '-' is not a DNS label",
    "workers[0].name",
    "-worker",
    `okd-lab:workers[0].name = "-worker": ${DNS_LABEL_RULE}. Fix: rename it, e.g. worker2.`,
  ],
  [
    "a node name of 64 characters is not a DNS label",
    "workers[0].name",
    "w".repeat(64),
    `okd-lab:workers[0].name = "${"w".repeat(64)}": ${DNS_LABEL_RULE}. Fix: rename it, e.g. worker2.`,
  ],
  ["an empty node name is missing", "workers[0].name", "", 'okd-lab:workers[0].name = "": must be a non-empty string. Fix: set it, e.g. worker2.'],
  [
    "a node without a name is missing one",
    "workers[0].name",
    undefined,
    "okd-lab:workers[0].name = (missing): must be a non-empty string. Fix: set it, e.g. worker2.",
  ],

  [
    "a base domain must be lowercase labels separated by dots",
    "cluster.baseDomain",
    "okd..local",
    'okd-lab:cluster.baseDomain = "okd..local": must be a DNS domain of lowercase labels separated by dots. Fix: use e.g. okd.local.',
  ],
  [
    "two nodes with one name: the second names the first user",
    "workers[0].name",
    "master",
    'okd-lab:workers[0].name = "master": is already used by okd-lab:masters[0].name. Fix: give every node its own name.',
  ],
  [
    "a node named like the infra VM collides with it",
    "workers[0].name",
    "okd-infra",
    'okd-lab:workers[0].name = "okd-infra": is already used by okd-lab:infra.name. Fix: give every node its own name.',
  ],
  [
    "a node named api would shadow the API record",
    "masters[0].name",
    "api",
    'okd-lab:masters[0].name = "api": is reserved for the API record. Fix: choose another name.',
  ],
  [
    "a node named api-int would shadow the internal API record",
    "workers[0].name",
    "api-int",
    'okd-lab:workers[0].name = "api-int": is reserved for the internal API record. Fix: choose another name.',
  ],
  [
    "a node named apps would shadow the ingress wildcard",
    "workers[0].name",
    "apps",
    'okd-lab:workers[0].name = "apps": is reserved for the ingress wildcard. Fix: choose another name.',
  ],
  [
    "an infra VM named dns would shadow the name server record",
    "infra.name",
    "dns",
    'okd-lab:infra.name = "dns": is reserved for the name server record. Fix: choose another name.',
  ],
  // Control-plane size.
  [
    "two masters are refused (OKD wants 1 or 3)",
    "masters",
    [
      { name: "master1", ip: "10.56.0.12" },
      { name: "master2", ip: "10.56.0.14" },
    ],
    'okd-lab:masters = ["master1","master2"]: lists 2 masters; OKD supports a control plane of 1 or 3. Fix: add a third master or remove one.',
  ],
  [
    "an empty master list is refused",
    "masters",
    [],
    "okd-lab:masters = []: lists 0 masters; OKD supports a control plane of 1 or 3. Fix: declare 1 or 3 masters.",
  ],
  [
    "masters as a mapping instead of a list is refused",
    "masters",
    { name: "master", ip: "10.56.0.12" },
    'okd-lab:masters = {"name":"master","ip":"10.56.0.12"}: must be a list of nodes. Fix: write it as a YAML list of {name, ip}, e.g. [{name: master, ip: 10.56.0.12}].',
  ],
  // Sizes.
  [
    "a fractional vcpu is refused",
    "masters[0].vcpu",
    4.5,
    "okd-lab:masters[0].vcpu = 4.5: must be a positive whole number of virtual CPUs. Fix: set it to e.g. 4.",
  ],
  ["zero vcpu is refused", "workers[0].vcpu", 0, "okd-lab:workers[0].vcpu = 0: must be a positive whole number of virtual CPUs. Fix: set it to e.g. 2."],
  [
    "a negative memoryMiB is refused",
    "workers[0].memoryMiB",
    -8192,
    "okd-lab:workers[0].memoryMiB = -8192: must be a positive whole number of MiB. Fix: set it to e.g. 8192.",
  ],
  [
    "a quoted diskGiB is refused, not converted",
    "bootstrap.diskGiB",
    "120",
    'okd-lab:bootstrap.diskGiB = "120": must be a positive whole number of GiB. Fix: set it to e.g. 100.',
  ],
  [
    "an infra size with a unit suffix is refused",
    "infra.memoryMiB",
    "4Gi",
    'okd-lab:infra.memoryMiB = "4Gi": must be a positive whole number of MiB. Fix: set it to e.g. 4096.',
  ],
  [
    "a zero haproxyMaxconn is refused",
    "infra.haproxyMaxconn",
    0,
    "okd-lab:infra.haproxyMaxconn = 0: must be a positive whole number of connections. Fix: set it to e.g. 20000.",
  ],
  // Typos.
  [
    "an unknown top-level key is reported with the keys that exist",
    "mastres",
    [{ name: "master", ip: "10.56.0.12" }],
    `okd-lab:mastres = [{"name":"master","ip":"10.56.0.12"}]: unknown key. Fix: remove it or use one of ${TOP_LEVEL_KEYS}.`,
  ],
  [
    "a mis-cased nested key (infra.memoryMib) is reported with the keys that exist",
    "infra.memoryMib",
    8192,
    `okd-lab:infra.memoryMib = 8192: unknown key. Fix: remove it or use one of ${INFRA_KEYS}.`,
  ],
  [
    "enabled on a worker is an unknown key (only the bootstrap has it)",
    "workers[0].enabled",
    false,
    "okd-lab:workers[0].enabled = false: unknown key. Fix: remove it or use one of name, ip, vcpu, memoryMiB, diskGiB.",
  ],
  [
    "a section given as a string must be a mapping",
    "cluster",
    "okd-lab",
    'okd-lab:cluster = "okd-lab": must be an object. Fix: write it as a YAML mapping with the keys name, baseDomain.',
  ],
  // Downloads and images.
  [
    "another CoreDNS release needs its own tarball digest",
    "infra.coredns",
    { version: "1.12.0" },
    "okd-lab:infra.coredns.sha256 = (missing): must be a sha256 digest of 64 lowercase hex characters (the tarball of CoreDNS 1.12.0 is verified before it is installed). Fix: copy it from the release's checksum file.",
  ],
  [
    "a CoreDNS version with a leading v is refused",
    "infra.coredns.version",
    "v1.11.1",
    'okd-lab:infra.coredns.version = "v1.11.1": must be a release version like 1.11.1 (no leading v). Fix: use a version from the CoreDNS releases page.',
  ],
  [
    "an infra image URL without imageSha256 is refused",
    "infra.image",
    "https://mirror.example/AlmaLinux-9-GenericCloud-9.7-20251118.x86_64.qcow2",
    "okd-lab:infra.imageSha256 = (missing): must be a sha256 digest of 64 lowercase hex characters (a downloaded image is verified before use). Fix: copy it from the release's checksum file.",
  ],
  [
    "a plain http infra image URL is refused",
    "infra.image",
    "http://repo.almalinux.org/a.qcow2",
    'okd-lab:infra.image = "http://repo.almalinux.org/a.qcow2": must be an https URL: a plain http download can be changed on the way. Fix: use https://repo.almalinux.org/a.qcow2 or a host path.',
  ],
  [
    "a plain http FCOS image URL is refused",
    "fcos",
    { image: "http://example.com/fcos.qcow2.xz", sha256: "a".repeat(64) },
    'okd-lab:fcos.image = "http://example.com/fcos.qcow2.xz": must be an https URL: a plain http download can be changed on the way. Fix: use https://example.com/fcos.qcow2.xz or a host path.',
  ],
  [
    "an infra imageSha256 without an infra image is refused",
    "infra.imageSha256",
    "a".repeat(64),
    `okd-lab:infra.imageSha256 = "${"a".repeat(64)}": belongs to okd-lab:infra.image, which is not set. Fix: remove it, or set okd-lab:infra.image too.`,
  ],
  [
    "an FCOS URL without sha256 is refused",
    "fcos",
    { image: FCOS_URL },
    "okd-lab:fcos.sha256 = (missing): must be a sha256 digest of 64 lowercase hex characters (a downloaded image is verified before use). Fix: copy it from the release's checksum file.",
  ],
  [
    "an FCOS host path to a .xz file is refused with the unxz command",
    "fcos.image",
    FCOS_XZ_PATH,
    `okd-lab:fcos.image = "${FCOS_XZ_PATH}": a host path must be an uncompressed qcow2. Fix: run 'unxz ${FCOS_XZ_PATH}' and point at the .qcow2, or give the https URL and its sha256.`,
  ],
  [
    "a relative FCOS image path is refused",
    "fcos.image",
    "fcos.qcow2",
    'okd-lab:fcos.image = "fcos.qcow2": must be an absolute host path or an https URL. Fix: use e.g. /var/lib/libvirt/images/base.qcow2.',
  ],
  [
    "an empty FCOS image is reported",
    "fcos.image",
    "",
    'okd-lab:fcos.image = "": must be a non-empty string. Fix: set it, e.g. /var/lib/libvirt/images/base.qcow2.',
  ],
  // Installer settings.
  [
    "a pull secret that is not JSON is refused without echoing it",
    "okd.pullSecret",
    "not-json-c2VjcmV0",
    'okd-lab:okd.pullSecret = [secret]: must be JSON text with an "auths" object. Fix: set it with \'pulumi config set --secret --path okd-lab:okd.pullSecret "$(cat pull-secret.json)"\', or leave it unset for OKD\'s fake one.',
  ],
  [
    "a pull secret without auths is refused without echoing it",
    "okd.pullSecret",
    '{"quay.io":{"auth":"c2VjcmV0"}}',
    'okd-lab:okd.pullSecret = [secret]: must be JSON text with an "auths" object. Fix: set it with \'pulumi config set --secret --path okd-lab:okd.pullSecret "$(cat pull-secret.json)"\', or leave it unset for OKD\'s fake one.',
  ],
  [
    "an unknown network type is refused",
    "okd.networkType",
    "Calico",
    'okd-lab:okd.networkType = "Calico": must be OVNKubernetes or OpenShiftSDN. Fix: use OVNKubernetes.',
  ],
  // Flags.
  [
    "a quoted bootstrap.enabled is refused, not converted",
    "bootstrap.enabled",
    "true",
    'okd-lab:bootstrap.enabled = "true": must be true or false. Fix: write true or false without quotes.',
  ],
  // Lists.
  [
    "an empty forwarder list leaves CoreDNS nothing to forward to",
    "infra.dnsForwarders",
    [],
    "okd-lab:infra.dnsForwarders = []: must name at least one resolver. Fix: use e.g. [8.8.8.8, 1.1.1.1].",
  ],
  [
    "a forwarder that is a host name is refused",
    "infra.dnsForwarders",
    ["dns.google"],
    'okd-lab:infra.dnsForwarders[0] = "dns.google": is not an IP address. Fix: use a resolver address such as 1.1.1.1.',
  ],
  [
    "an SSH key that is not a public key line is refused",
    "sshAuthorizedKeys",
    ["AAAAC3NzaC1lZDI1NTE5AAAA"],
    'okd-lab:sshAuthorizedKeys[0] = "AAAAC3NzaC1lZDI1NTE5AAAA": is not an OpenSSH public key line. Fix: paste the content of a .pub file, e.g. ssh-ed25519 AAAA... you@host.',
  ],
];

describe("parseLabConfig rejects one bad value with one exact line", () => {
  it.each(ONE_PROBLEM)("%s", (_behaviour, path, value, problem) => {
    const error = errorOf(seedWith(path, value));
    expect(error.problems).toEqual([problem]);
    expect(error.message).toBe(`okd-lab configuration has 1 problem:\n  - ${problem}`);
    expect(error.name).toBe("LabConfigError");
  });
});

describe("parseLabConfig keeps secrets out of its messages", () => {
  it.each([
    ["not JSON", "hunter2-c2VjcmV0dG9rZW4"],
    ["JSON without auths", '{"registry":{"auth":"c2VjcmV0dG9rZW4"}}'],
    ["auths that is not an object", '{"auths":"c2VjcmV0dG9rZW4"}'],
  ])("a pull secret that is %s is never echoed", (_kind, secret) => {
    const error = errorOf(seedWith("okd.pullSecret", secret));
    expect(error.message).not.toContain("c2VjcmV0dG9rZW4");
    expect(error.problems).toHaveLength(1);
  });
});

describe("parseLabConfig collects every problem before throwing", () => {
  it("reports three unrelated problems in one error, counted in the header, in config order", () => {
    const raw = seedRawConfig();
    raw.network = { name: "okd-net", cidr: "10.56.0.1/24" };
    raw.masters = [
      { name: "master", ip: "10.56.0.12", vcpu: 2.5 },
      { name: "master2", ip: "10.56.0.14" },
    ];
    raw.fcos = { image: FCOS_URL };
    const expected = [
      'okd-lab:network.cidr = "10.56.0.1/24": has host bits set (the network address is 10.56.0.0). Fix: use 10.56.0.0/24.',
      "okd-lab:masters[0].vcpu = 2.5: must be a positive whole number of virtual CPUs. Fix: set it to e.g. 4.",
      'okd-lab:masters = ["master","master2"]: lists 2 masters; OKD supports a control plane of 1 or 3. Fix: add a third master or remove one.',
      "okd-lab:fcos.sha256 = (missing): must be a sha256 digest of 64 lowercase hex characters (a downloaded image is verified before use). Fix: copy it from the release's checksum file.",
    ];
    const error = errorOf(raw);
    expect(error.problems).toEqual(expected);
    expect(error.message).toBe(`okd-lab configuration has 4 problems:\n${expected.map((p) => `  - ${p}`).join("\n")}`);
  });

  it("reports every address and name clash of a crowded lab, not only the first", () => {
    const raw = seedRawConfig();
    raw.workers = [
      { name: "worker", ip: "10.56.0.13" },
      { name: "worker", ip: "10.56.0.13" },
      { name: "api", ip: "10.56.0.255" },
    ];
    expect(errorOf(raw).problems).toEqual([
      'okd-lab:workers[1].ip = "10.56.0.13": is already used by okd-lab:workers[0].ip. Fix: give every node its own address.',
      'okd-lab:workers[2].ip = "10.56.0.255": is the broadcast address. Fix: pick a host address inside 10.56.0.0/24.',
      'okd-lab:workers[1].name = "worker": is already used by okd-lab:workers[0].name. Fix: give every node its own name.',
      'okd-lab:workers[2].name = "api": is reserved for the API record. Fix: choose another name.',
    ]);
  });

  it("an empty stack config is the seed lab, booting the image the installer names", () => {
    const { config } = parseLabConfig({}, "dev");
    expect(config.infra.coredns).toEqual({ version: "1.11.1", sha256: "f96cdee0934c5c12a28bb0fb080bed688fdd7bfdeae2f64984f02bdec2d65498" });
    expect(config.bootImage).toEqual({ image: undefined, sha256: undefined, key: "bootImage" });
    expect(config.network.cidr).toBe("10.56.0.0/24");
    expect(config.masters.map((m) => m.ip)).toEqual(["10.56.0.12"]);
  });

  it("a long bad value is cut at 80 characters in the message", () => {
    const image = `relative/${"x".repeat(100)}.qcow2`;
    const [problem] = errorOf(seedWith("fcos.image", image)).problems;
    expect(problem).toBe(
      `okd-lab:fcos.image = ${JSON.stringify(image).slice(0, 77)}...: must be an absolute host path or an https URL. Fix: use e.g. /var/lib/libvirt/images/base.qcow2.`,
    );
  });
});

describe("parseLabConfig applies defaults", () => {
  const MINIMAL: RawLabConfig = {
    infra: { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } },
    fcos: { image: "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2" },
  };

  it("the required keys alone give the seed lab", () => {
    expect(parseLabConfig(MINIMAL, "dev")).toEqual(parseLabConfig(seedRawConfig(), "dev"));
  });

  it("the defaults are the documented seed values", () => {
    const { config, warnings } = parseLabConfig(MINIMAL, "dev");
    expect(warnings).toEqual([SEED_LOCAL_WARNING]);
    expect(config.stack).toBe("dev");
    expect(config.cluster).toEqual({ name: "okd-lab", baseDomain: "okd.local" });
    expect(config.network).toEqual({ name: "okd-net", cidr: "10.56.0.0/24" });
    expect(config.pool).toEqual({ name: "okd-lab", path: "/var/lib/libvirt/images/okd-lab" });
    expect(config.infra).toEqual({
      name: "okd-infra",
      ip: "10.56.0.10",
      ...INFRA_DEFAULTS,
      image: DEFAULT_ALMALINUX_IMAGE.url,
      imageSha256: DEFAULT_ALMALINUX_IMAGE.sha256,
      dnsForwarders: ["8.8.8.8", "1.1.1.1"],
      ntpServers: ["2.almalinux.pool.ntp.org"],
      haproxyMaxconn: 20000,
      coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 },
    });
    expect(config.bootstrap).toEqual({ name: "bootstrap", ip: "10.56.0.11", enabled: true, ...ROLE_MINIMUMS.bootstrap });
    expect(config.masters).toEqual([{ name: "master", ip: "10.56.0.12", ...ROLE_MINIMUMS.master }]);
    expect(config.workers).toEqual([{ name: "worker", ip: "10.56.0.13", ...ROLE_MINIMUMS.worker }]);
    expect(config.sshAuthorizedKeys).toEqual([]);
    expect(config.okd).toEqual(DEV_OKD_DEFAULTS);
    expect(config.bootImage).toEqual({ image: "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2", sha256: undefined, key: "fcos" });
    expect(config.approveCsrs).toBe(false);
  });

  const OVERRIDES: [string, RawLabConfig, (config: LabConfig) => unknown, unknown][] = [
    ["the pool follows the cluster name", { ...MINIMAL, cluster: { name: "lab2" } }, (c) => c.pool, { name: "lab2", path: "/var/lib/libvirt/images/lab2" }],
    ["the asset directory follows the stack", MINIMAL, (c) => c.okd.assetsDir, ".okd/dev"],
    ["an empty worker list means no workers", { ...MINIMAL, workers: [] }, (c) => c.workers, []],
    [
      "declared sizes replace the role defaults",
      { ...MINIMAL, workers: [{ name: "w", ip: "10.56.0.20", vcpu: 8, memoryMiB: 32768, diskGiB: 200 }] },
      (c) => c.workers,
      [{ name: "w", ip: "10.56.0.20", vcpu: 8, memoryMiB: 32768, diskGiB: 200 }],
    ],
    [
      "an FCOS URL keeps its digest",
      { ...MINIMAL, fcos: { image: FCOS_URL, sha256: "a".repeat(64) } },
      (c) => c.bootImage,
      { image: FCOS_URL, sha256: "a".repeat(64), key: "fcos" },
    ],
    ["bootstrap.enabled false is kept", { ...MINIMAL, bootstrap: { enabled: false } }, (c) => c.bootstrap.enabled, false],
    ["approveCsrs true is kept", { ...MINIMAL, approveCsrs: true }, (c) => c.approveCsrs, true],
  ];

  it.each(OVERRIDES)("%s", (_behaviour, raw, pick, expected) => {
    expect(pick(parseLabConfig(raw, "dev").config)).toEqual(expected);
  });
});

describe("parseLabConfig warns, without failing, about sizes below OKD's minimums", () => {
  it.each([
    ["bootstrap.vcpu", 2, "okd-lab:bootstrap.vcpu = 2: below the OKD minimum of 4; the installation may fail or be slow"],
    ["bootstrap.diskGiB", 50, "okd-lab:bootstrap.diskGiB = 50: below the OKD minimum of 100; the installation may fail or be slow"],
    ["masters[0].memoryMiB", 8192, "okd-lab:masters[0].memoryMiB = 8192: below the OKD minimum of 16384; the installation may fail or be slow"],
    ["workers[0].vcpu", 1, "okd-lab:workers[0].vcpu = 1: below the OKD minimum of 2; the installation may fail or be slow"],
    ["workers[0].memoryMiB", 4096, "okd-lab:workers[0].memoryMiB = 4096: below the OKD minimum of 8192; the installation may fail or be slow"],
  ])("%s = %p warns", (path, value, warning) => {
    const result = parseLabConfig(seedWith(path, value), "dev");
    expect(result.warnings).toEqual([SEED_LOCAL_WARNING, warning]);
  });

  it("sizes at the minimums do not warn (the seed's .local domain does, once)", () => {
    expect(parseLabConfig(seedRawConfig(), "dev").warnings).toEqual([SEED_LOCAL_WARNING]);
  });

  it.each([
    ["okd.local", [SEED_LOCAL_WARNING]],
    ["lab.local", [`okd-lab:cluster.baseDomain = "lab.local": ${LOCAL_DOMAIN_NOTE}`]],
    ["home.arpa", []],
    ["localdomain", []],
    ["example.com", []],
  ])("cluster.baseDomain %s warns about systemd-resolved and multicast DNS only under .local", (baseDomain, expected) => {
    expect(parseLabConfig(seedWith("cluster.baseDomain", baseDomain), "dev").warnings).toEqual(expected);
  });

  it("a pool outside /var/lib/libvirt/images warns about SELinux and AppArmor", () => {
    expect(parseLabConfig(seedWith("pool.path", "/srv/okd"), "dev").warnings).toEqual([
      SEED_LOCAL_WARNING,
      'okd-lab:pool.path = "/srv/okd": is outside /var/lib/libvirt/images; SELinux or AppArmor may stop QEMU reading the Ignition files there',
    ]);
  });
});

/** Every key path of a config that sets every key, list entries included. */
function allPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [`${prefix}[${i}]`, ...allPaths(v, `${prefix}[${i}]`)]);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => {
      const path = prefix === "" ? k : `${prefix}.${k}`;
      return [path, ...allPaths(v, path)];
    });
  }
  return [];
}

const { fcos: _seedFcos, ...SEED_WITHOUT_FCOS } = seedRawConfig();
const FULL: RawLabConfig = {
  ...SEED_WITHOUT_FCOS,
  cluster: { name: "okd-lab", baseDomain: "okd.local" },
  pool: { name: "okd-lab", path: "/var/lib/libvirt/images/okd-lab" },
  infra: {
    name: "okd-infra",
    ip: "10.56.0.10",
    vcpu: 2,
    memoryMiB: 4096,
    diskGiB: 20,
    image: DEFAULT_ALMALINUX_IMAGE.url,
    imageSha256: DEFAULT_ALMALINUX_IMAGE.sha256,
    dnsForwarders: ["8.8.8.8"],
    ntpServers: ["2.almalinux.pool.ntp.org"],
    haproxyMaxconn: 20000,
    coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 },
  },
  bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: true, vcpu: 4, memoryMiB: 16384, diskGiB: 100 },
  masters: [{ name: "master", ip: "10.56.0.12", vcpu: 4, memoryMiB: 16384, diskGiB: 100 }],
  workers: [{ name: "worker", ip: "10.56.0.13", vcpu: 2, memoryMiB: 8192, diskGiB: 100 }],
  sshAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA you@host"],
  okd: DEV_OKD_DEFAULTS,
  bootImage: { image: FCOS_URL, sha256: "a".repeat(64) },
  approveCsrs: true,
  recreateNodes: ["worker"],
};

/** Values of every JSON type, none of which fits every key. */
const GARBAGE: unknown[] = [null, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, "", " ", "x", "10.56.0.0/24", true, [], [null], [1, "a"], {}, { x: 1 }];

describe("parseLabConfig throws nothing but LabConfigError on garbage", () => {
  it("the config that sets every key is valid (so each garbage case changes one thing)", () => {
    expect(() => parseLabConfig(FULL, "dev")).not.toThrow();
    // okd-lab:fcos is the old name of okd-lab:bootImage: one of the two at a time.
    expect(Object.keys(FULL).sort()).toEqual(CONFIG_KEYS.filter((k) => k !== "fcos").sort());
  });

  it.each(allPaths(FULL).map((p) => [p]))("any JSON value at %s is accepted or reported", (path) => {
    for (const value of GARBAGE) {
      const raw = structuredClone(FULL);
      const keys = segments(path);
      let target = raw as Record<string | number, unknown>;
      for (const key of keys.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
      target[keys[keys.length - 1]] = value;
      try {
        parseLabConfig(raw, "dev");
      } catch (error) {
        if (!(error instanceof LabConfigError)) throw new Error(`${path} = ${JSON.stringify(value)} crashed: ${String(error)}`);
        for (const problem of error.problems) expect(problem).toMatch(/^okd-lab:\S+ = .+: .+\. Fix: .+\.$/s);
      }
    }
  });
});

describe("problems a review found, each now reported", () => {
  it.each<[string, RawLabConfig, string[]]>([
    [
      "approveCsrs that is not a boolean",
      seedWith("approveCsrs", "yes"),
      ['okd-lab:approveCsrs = "yes": must be true or false. Fix: write true or false without quotes.'],
    ],
    [
      "a worker whose libvirt domain would be the infra VM's",
      seedWith("workers[0].name", "infra"),
      ['okd-lab:workers[0].name = "infra": its libvirt domain okd-infra would clash with the infra VM okd-lab:infra.name. Fix: choose another name.'],
    ],
    [
      "a forwarder with three parts",
      seedWith("infra.dnsForwarders", ["8.8.8"]),
      ['okd-lab:infra.dnsForwarders[0] = "8.8.8": is not an IP address. Fix: use a resolver address such as 1.1.1.1.'],
    ],
    [
      "a CIDR with a leading zero (octal to some parsers)",
      seedWith("network.cidr", "010.56.0.0/24"),
      ['okd-lab:network.cidr = "010.56.0.0/24": is not an IPv4 CIDR. Fix: use network/prefix, e.g. 10.56.0.0/24.'],
    ],
    [
      "a prefix too short is reported before host bits",
      seedWith("network.cidr", "10.56.0.0/4"),
      ['okd-lab:network.cidr = "10.56.0.0/4": prefix must be between /8 and /29 to hold the lab. Fix: use e.g. 10.56.0.0/24.'],
    ],
    [
      "a bad cluster name is reported once, not again for the pool that defaults to it",
      seedWith("cluster.name", "OKD"),
      [`okd-lab:cluster.name = "OKD": ${DNS_LABEL_RULE}. Fix: rename it, e.g. okd-lab.`],
    ],
    [
      "an FCOS URL that is not a qcow2 image",
      seedWith("fcos", { image: "https://example.invalid/fcos.iso", sha256: TEST_COREDNS_SHA256 }),
      [
        "okd-lab:fcos.image = \"https://example.invalid/fcos.iso\": a URL must name a .qcow2, .qcow2.xz or .qcow2.gz image. Fix: use the qemu image URL from 'openshift-install coreos print-stream-json'.",
      ],
    ],
  ])("%s", (_, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it.each([
    ["a mistyped pull secret key", seedWith("okd", { pullsecret: '{"auths":{"r":{"auth":"c2VjcmV0"}}}' })],
    ["a pull secret written as a mapping", seedWith("okd", { pullSecret: { auths: { r: { auth: "c2VjcmV0" } } } })],
  ])("never echoes %s", (_, raw) => {
    const text = problemsOf(raw).join("\n");
    expect(text).toContain("[secret]");
    expect(text).not.toContain("c2VjcmV0");
  });

  it("refuses input that is not a set of keys with a LabConfigError", () => {
    expect(() => parseLabConfig(null as unknown as RawLabConfig, "dev")).toThrow(LabConfigError);
  });
});

describe("network ranges and disk sizes", () => {
  it.each<[string, RawLabConfig, string[]]>([
    [
      "a root disk smaller than its base image",
      seedWith("workers[0].diskGiB", 8),
      ["okd-lab:workers[0].diskGiB = 8: is smaller than the 10 GiB base image the root disk overlays. Fix: use at least 10."],
    ],
    [
      "a service network overlapping the lab network",
      seedWith("okd", { serviceNetwork: ["10.56.0.0/16"] }),
      [
        'okd-lab:okd.serviceNetwork[0] = "10.56.0.0/16": overlaps okd-lab:network.cidr (10.56.0.0/24). Fix: give the lab, pod and service networks separate ranges.',
      ],
    ],
    [
      "a pod network overlapping the service network",
      seedWith("okd", { clusterNetwork: [{ cidr: "172.16.0.0/12", hostPrefix: 23 }] }),
      [
        'okd-lab:okd.serviceNetwork[0] = "172.30.0.0/16": overlaps okd-lab:okd.clusterNetwork[0].cidr (172.16.0.0/12). Fix: give the lab, pod and service networks separate ranges.',
      ],
    ],
    [
      "a hostPrefix no longer than its pod network",
      seedWith("okd", { clusterNetwork: [{ cidr: "10.128.0.0/14", hostPrefix: 14 }] }),
      [
        "okd-lab:okd.clusterNetwork[0].hostPrefix = 14: must be longer than the network's /14 and at most 30 (each node gets a /hostPrefix of it). Fix: use 23 with 10.128.0.0/14.",
      ],
    ],
  ])("refuses %s", (_, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });
});

describe("the boot image keys: okd-lab:bootImage, and the seed's okd-lab:fcos", () => {
  const SCOS_URL = "https://rhcos.mirror.openshift.com/art/storage/prod/streams/c9s/builds/9.0.20250515-0/x86_64/scos-9.0.20250515-0-qemu.x86_64.qcow2.gz";
  const withoutFcos = (): RawLabConfig => {
    const { fcos: _fcos, ...rest } = seedRawConfig();
    return rest;
  };

  it("the old key gives the same image as before, with or without an image", () => {
    expect(parseLabConfig(seedRawConfig(), "dev").config.bootImage).toEqual({
      image: "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2",
      sha256: undefined,
      key: "fcos",
    });
    // The seed's default image still applies to an `okd-lab:fcos` without one.
    expect(parseLabConfig({ ...withoutFcos(), fcos: {} }, "dev").config.bootImage.image).toBe(
      "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2",
    );
  });

  it("the new key with the same value gives the same config but for the key name", () => {
    const old = parseLabConfig(seedRawConfig(), "dev").config;
    const renamed = parseLabConfig({ ...withoutFcos(), bootImage: seedRawConfig().fcos }, "dev").config;
    expect(renamed).toEqual({ ...old, bootImage: { ...old.bootImage, key: "bootImage" } });
  });

  it("without any image the installer names it", () => {
    expect(parseLabConfig(withoutFcos(), "dev").config.bootImage).toEqual({ image: undefined, sha256: undefined, key: "bootImage" });
    expect(parseLabConfig({ ...withoutFcos(), bootImage: {} }, "dev").config.bootImage.image).toBeUndefined();
  });

  it("accepts a CentOS Stream CoreOS .qcow2.gz URL with its sha256", () => {
    const { config } = parseLabConfig({ ...withoutFcos(), bootImage: { image: SCOS_URL, sha256: "b".repeat(64) } }, "dev");
    expect(config.bootImage).toEqual({ image: SCOS_URL, sha256: "b".repeat(64), key: "bootImage" });
  });

  it.each([
    [
      "both keys at once",
      { fcos: { image: "/var/lib/libvirt/images/a.qcow2" }, bootImage: { image: "/var/lib/libvirt/images/b.qcow2" } },
      [
        'okd-lab:fcos = {"image":"/var/lib/libvirt/images/a.qcow2"}: is the old name of okd-lab:bootImage, and both are set. Fix: keep one: move its image and sha256 into okd-lab:bootImage and run \'pulumi config rm okd-lab:fcos\'.',
      ],
    ],
    [
      "a sha256 without an image",
      { bootImage: { sha256: "c".repeat(64) } },
      [
        `okd-lab:bootImage.sha256 = "${"c".repeat(64)}": belongs to an image URL, and okd-lab:bootImage.image is not set. Fix: set the image URL too, or remove the sha256 to use the installer's image.`,
      ],
    ],
    [
      "a .gz host path",
      { bootImage: { image: "/var/lib/libvirt/images/scos.qcow2.gz" } },
      [
        "okd-lab:bootImage.image = \"/var/lib/libvirt/images/scos.qcow2.gz\": a host path must be an uncompressed qcow2. Fix: run 'gunzip /var/lib/libvirt/images/scos.qcow2.gz' and point at the .qcow2, or give the https URL and its sha256.",
      ],
    ],
    [
      "a URL that is not a qcow2",
      { bootImage: { image: "https://example.test/scos.iso", sha256: "d".repeat(64) } },
      [
        "okd-lab:bootImage.image = \"https://example.test/scos.iso\": a URL must name a .qcow2, .qcow2.xz or .qcow2.gz image. Fix: use the qemu image URL from 'openshift-install coreos print-stream-json'.",
      ],
    ],
    [
      "a .gz URL without its sha256",
      { bootImage: { image: "https://example.test/scos.qcow2.gz" } },
      [
        "okd-lab:bootImage.sha256 = (missing): must be a sha256 digest of 64 lowercase hex characters (a downloaded image is verified before use). Fix: copy it from the release's checksum file.",
      ],
    ],
  ])("refuses %s", (_name, keys, problems) => {
    expect(problemsOf({ ...withoutFcos(), ...keys })).toEqual(problems);
  });
});
