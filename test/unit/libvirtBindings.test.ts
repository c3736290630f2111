/**
 * Unit tests for the hand-written libvirt v0.5.4 bindings (sdks/libvirt), run against
 * Pulumi's mock monitor: no engine, no provider plugin, no libvirt host.
 *
 * The expected names below were copied by hand from the provider schema
 * (pulumi-libvirt 0.5.4, `resources.*.inputProperties` / `properties`); the schema itself
 * is not read, so this runs on a clone without it. They are checked twice: at compile time
 * (`tsc`) against the Args interfaces and declared outputs, and at run time against what
 * actually reaches the resource monitor.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import * as libvirt from "@pulumi/libvirt";

// ---------------------------------------------------------------------------------------
// Expected names, per schema.
// ---------------------------------------------------------------------------------------
const NETWORK_INPUTS = ["addresses", "autostart", "bridge", "dhcp", "dns", "dnsmasqOptions", "domain", "mode", "mtu", "name", "routes", "xml"] as const;
const POOL_INPUTS = ["allocation", "available", "capacity", "name", "path", "source", "target", "type", "xml"] as const;
const VOLUME_INPUTS = ["baseVolumeId", "baseVolumeName", "baseVolumePool", "format", "name", "pool", "size", "source", "xml"] as const;
const CLOUD_INIT_DISK_INPUTS = ["metaData", "name", "networkConfig", "pool", "userData"] as const;
const IGNITION_INPUTS = ["content", "name", "pool"] as const;
const DOMAIN_INPUTS = [
  "arch",
  "autostart",
  "bootDevices",
  "cloudinit",
  "cmdlines",
  "consoles",
  "coreosIgnition",
  "cpu",
  "description",
  "disks",
  "emulator",
  "filesystems",
  "firmware",
  "fwCfgName",
  "graphics",
  "initrd",
  "kernel",
  "machine",
  "memory",
  "metadata",
  "name",
  "networkInterfaces",
  "nvram",
  "qemuAgent",
  "running",
  "tpm",
  "type",
  "vcpu",
  "video",
  "xml",
] as const;
// In v0.5.4 every resource's output properties are exactly its input properties.
const NETWORK_OUTPUTS = NETWORK_INPUTS;
const POOL_OUTPUTS = POOL_INPUTS;
const VOLUME_OUTPUTS = VOLUME_INPUTS;
const CLOUD_INIT_DISK_OUTPUTS = CLOUD_INIT_DISK_INPUTS;
const IGNITION_OUTPUTS = IGNITION_INPUTS;
const DOMAIN_OUTPUTS = DOMAIN_INPUTS;

// ---------------------------------------------------------------------------------------
// Compile-time checks: Args keys and declared output keys equal the lists above.
// ---------------------------------------------------------------------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Names<T extends readonly string[]> = T[number];
type OutputKeys<R> = Exclude<keyof R, keyof pulumi.CustomResource>;

const compileTimeChecks: true[] = [
  true as Same<keyof libvirt.NetworkArgs, Names<typeof NETWORK_INPUTS>>,
  true as Same<keyof libvirt.PoolArgs, Names<typeof POOL_INPUTS>>,
  true as Same<keyof libvirt.VolumeArgs, Names<typeof VOLUME_INPUTS>>,
  true as Same<keyof libvirt.CloudInitDiskArgs, Names<typeof CLOUD_INIT_DISK_INPUTS>>,
  true as Same<keyof libvirt.IgnitionArgs, Names<typeof IGNITION_INPUTS>>,
  true as Same<keyof libvirt.DomainArgs, Names<typeof DOMAIN_INPUTS>>,
  true as Same<OutputKeys<libvirt.Network>, Names<typeof NETWORK_OUTPUTS>>,
  true as Same<OutputKeys<libvirt.Pool>, Names<typeof POOL_OUTPUTS>>,
  true as Same<OutputKeys<libvirt.Volume>, Names<typeof VOLUME_OUTPUTS>>,
  true as Same<OutputKeys<libvirt.CloudInitDisk>, Names<typeof CLOUD_INIT_DISK_OUTPUTS>>,
  true as Same<OutputKeys<libvirt.Ignition>, Names<typeof IGNITION_OUTPUTS>>,
  true as Same<OutputKeys<libvirt.Domain>, Names<typeof DOMAIN_OUTPUTS>>,
  // Schema `requiredInputs`: Pool.type and Ignition.content only.
  true as Same<RequiredKeys<libvirt.PoolArgs>, "type">,
  true as Same<RequiredKeys<libvirt.IgnitionArgs>, "content">,
  true as Same<RequiredKeys<libvirt.DomainArgs>, never>,
  true as Same<RequiredKeys<libvirt.types.inputs.DomainConsole>, "targetPort" | "type">,
  true as Same<RequiredKeys<libvirt.types.inputs.NetworkRoute>, "cidr" | "gateway">,
  // Schema integer -> number; nodejs requiredOutputs -> non-optional output fields.
  true as Same<libvirt.DomainArgs["memory"], pulumi.Input<number> | undefined>,
  true as Same<libvirt.VolumeArgs["size"], pulumi.Input<number> | undefined>,
  true as Same<libvirt.types.outputs.DomainNetworkInterface["addresses"], string[]>,
  true as Same<libvirt.types.outputs.DomainCpu["mode"], string>,
];
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];

// ---------------------------------------------------------------------------------------
// Mocks: record every registration (mock view and wire-level version) and echo state.
// ---------------------------------------------------------------------------------------
interface Registration {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  custom?: boolean;
  id?: string;
}
const registrations = new Map<string, Registration>();
const wireVersions = new Map<string, string>();

/** Values the provider would compute; returned in state on top of the inputs. */
const COMPUTED: Record<string, Record<string, unknown>> = {
  "libvirt:index/domain:Domain": {
    arch: "x86_64",
    machine: "pc",
    emulator: "/usr/libexec/qemu-kvm",
    autostart: false,
    cpu: { mode: "custom" },
    nvram: { file: "", template: "" },
  },
  "libvirt:index/pool:Pool": { allocation: 1, available: 2, capacity: 3, target: { path: "/var/lib/libvirt/images/x" } },
  "libvirt:index/volume:Volume": { format: "qcow2", size: 10737418240 },
  "libvirt:index/network:Network": { bridge: "virbr9", autostart: false, dhcp: { enabled: true }, dns: {} },
};

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        registrations.set(args.name, {
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          custom: args.custom,
          id: args.id,
        });
        const state = { ...(COMPUTED[args.type] ?? {}), ...args.inputs };
        return { id: args.id || `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "okd-lab",
    "unit",
    false,
  );
  // Record the version field of the actual RegisterResource/ReadResource requests.
  const monitor = pulumi.runtime.getMonitor() as any;
  for (const method of ["registerResource", "readResource"]) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req: any, callback: any) => {
      wireVersions.set(req.getName(), req.getVersion());
      return original(req, callback);
    };
  }
});

function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((res) => o.apply((v) => res(v)));
}

async function registered(name: string): Promise<Registration> {
  for (let i = 0; i < 200 && !registrations.has(name); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const reg = registrations.get(name);
  if (!reg) throw new Error(`resource ${name} never reached the mock monitor`);
  return reg;
}

// ---------------------------------------------------------------------------------------
// Sample args that set every input (`Required<>` makes tsc reject a missing one).
// ---------------------------------------------------------------------------------------
const networkArgs: Required<libvirt.NetworkArgs> = {
  addresses: ["10.56.0.0/24"],
  autostart: true,
  bridge: "virbr56",
  dhcp: { enabled: true },
  dns: {
    enabled: true,
    localOnly: true,
    forwarders: [{ address: "10.56.0.5", domain: "okd.local" }],
    hosts: [{ hostname: "infra", ip: "10.56.0.5" }],
    srvs: [{ service: "etcd", protocol: "tcp", domain: "okd.local", target: "m0", port: "2380", priority: "0", weight: "10" }],
  },
  dnsmasqOptions: { options: [{ optionName: "server", optionValue: "/okd.local/10.56.0.5" }] },
  domain: "okd.local",
  mode: "nat",
  mtu: 1500,
  name: "okd-lab",
  routes: [{ cidr: "10.57.0.0/24", gateway: "10.56.0.5" }],
  xml: { xslt: "<xsl:stylesheet/>" },
};
const poolArgs: Required<libvirt.PoolArgs> = {
  allocation: 0,
  available: 0,
  capacity: 0,
  name: "okd",
  path: "/var/lib/libvirt/images/okd-old",
  source: { name: "vg0", devices: [{ path: "/dev/sdb" }] },
  target: { path: "/var/lib/libvirt/images/okd" },
  type: "dir",
  xml: { xslt: "<xsl:stylesheet/>" },
};
const volumeArgs: Required<libvirt.VolumeArgs> = {
  baseVolumeId: "/var/lib/libvirt/images/okd/fcos.qcow2",
  baseVolumeName: "fcos.qcow2",
  baseVolumePool: "okd",
  format: "qcow2",
  name: "master0.qcow2",
  pool: "okd",
  size: 107374182400,
  source: "/tmp/fcos.qcow2",
  xml: { xslt: "<xsl:stylesheet/>" },
};
const cloudInitDiskArgs: Required<libvirt.CloudInitDiskArgs> = {
  metaData: "instance-id: infra\n",
  name: "infra-cloudinit.iso",
  networkConfig: "version: 2\n",
  pool: "okd",
  userData: "#cloud-config\n",
};
const ignitionArgs: Required<libvirt.IgnitionArgs> = {
  content: '{"ignition":{"version":"3.2.0"}}',
  name: "master0.ign",
  pool: "okd",
};
const domainArgs: Required<libvirt.DomainArgs> = {
  arch: "x86_64",
  autostart: true,
  bootDevices: [{ devs: ["hd", "network"] }],
  cloudinit: "cloudinit-id",
  cmdlines: [{ console: "ttyS0" }],
  consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
  coreosIgnition: "ignition-id",
  cpu: { mode: "host-passthrough" },
  description: "master 0",
  disks: [{ volumeId: "vol-id", scsi: false }],
  emulator: "/usr/libexec/qemu-kvm",
  filesystems: [{ source: "/srv/share", target: "share", readonly: true, accessmode: "mapped" }],
  firmware: "/usr/share/OVMF/OVMF_CODE.fd",
  fwCfgName: "opt/com.coreos/config",
  graphics: { type: "vnc", listenType: "address", listenAddress: "127.0.0.1", autoport: true, websocket: -1 },
  initrd: "/boot/initrd",
  kernel: "/boot/vmlinuz",
  machine: "pc",
  memory: 16384,
  metadata: "<lab/>",
  name: "master0",
  networkInterfaces: [{ networkId: "net-id", hostname: "master0", mac: "52:54:00:00:00:10", addresses: ["10.56.0.10"], waitForLease: false }],
  nvram: { file: "/var/lib/libvirt/qemu/nvram/master0.fd", template: "/usr/share/OVMF/OVMF_VARS.fd" },
  qemuAgent: true,
  running: true,
  tpm: { backendType: "emulator", backendVersion: "2.0", model: "tpm-tis" },
  type: "kvm",
  vcpu: 4,
  video: { type: "virtio" },
  xml: { xslt: "<xsl:stylesheet/>" },
};

interface Case {
  label: string;
  token: string;
  inputs: readonly string[];
  outputs: readonly string[];
  args: Record<string, unknown>;
  make: (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
  get: (name: string, id: string, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
  isInstance: (o: unknown) => boolean;
}
const cases: Case[] = [
  {
    label: "Network",
    token: "libvirt:index/network:Network",
    inputs: NETWORK_INPUTS,
    outputs: NETWORK_OUTPUTS,
    args: networkArgs,
    make: (n, a, o) => new libvirt.Network(n, a, o),
    get: (n, i, o) => libvirt.Network.get(n, i, o),
    isInstance: (o) => libvirt.Network.isInstance(o),
  },
  {
    label: "Pool",
    token: "libvirt:index/pool:Pool",
    inputs: POOL_INPUTS,
    outputs: POOL_OUTPUTS,
    args: poolArgs,
    make: (n, a, o) => new libvirt.Pool(n, a, o),
    get: (n, i, o) => libvirt.Pool.get(n, i, o),
    isInstance: (o) => libvirt.Pool.isInstance(o),
  },
  {
    label: "Volume",
    token: "libvirt:index/volume:Volume",
    inputs: VOLUME_INPUTS,
    outputs: VOLUME_OUTPUTS,
    args: volumeArgs,
    make: (n, a, o) => new libvirt.Volume(n, a, o),
    get: (n, i, o) => libvirt.Volume.get(n, i, o),
    isInstance: (o) => libvirt.Volume.isInstance(o),
  },
  {
    label: "CloudInitDisk",
    token: "libvirt:index/cloudInitDisk:CloudInitDisk",
    inputs: CLOUD_INIT_DISK_INPUTS,
    outputs: CLOUD_INIT_DISK_OUTPUTS,
    args: cloudInitDiskArgs,
    make: (n, a, o) => new libvirt.CloudInitDisk(n, a, o),
    get: (n, i, o) => libvirt.CloudInitDisk.get(n, i, o),
    isInstance: (o) => libvirt.CloudInitDisk.isInstance(o),
  },
  {
    label: "Ignition",
    token: "libvirt:index/ignition:Ignition",
    inputs: IGNITION_INPUTS,
    outputs: IGNITION_OUTPUTS,
    args: ignitionArgs,
    make: (n, a, o) => new libvirt.Ignition(n, a, o),
    get: (n, i, o) => libvirt.Ignition.get(n, i, o),
    isInstance: (o) => libvirt.Ignition.isInstance(o),
  },
  {
    label: "Domain",
    token: "libvirt:index/domain:Domain",
    inputs: DOMAIN_INPUTS,
    outputs: DOMAIN_OUTPUTS,
    args: domainArgs,
    make: (n, a, o) => new libvirt.Domain(n, a, o),
    get: (n, i, o) => libvirt.Domain.get(n, i, o),
    isInstance: (o) => libvirt.Domain.isInstance(o),
  },
];

describe("libvirt bindings: static checks", () => {
  test("compile-time name/type checks hold (enforced by tsc)", () => {
    expect(compileTimeChecks.every((c) => c === true)).toBe(true);
  });

  test("sample args set exactly the schema inputs", () => {
    for (const c of cases) {
      expect(Object.keys(c.args).sort()).toEqual([...c.inputs].sort());
    }
  });

  test("package.json pulumi stanza and the options helper pin 0.5.4", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../sdks/libvirt/package.json"), "utf8"));
    expect(pkg.pulumi).toEqual({ resource: true, name: "libvirt", version: "0.5.4" });
    expect(libvirt.PROVIDER_VERSION).toBe("0.5.4");
    expect(libvirt.resourceOptsDefaults()).toEqual({ version: "0.5.4" });
    expect(libvirt.withVersion().version).toBe("0.5.4");
    expect(libvirt.withVersion({ version: "9.9.9" }).version).toBe("0.5.4");
    expect(libvirt.withVersion({ version: undefined }).version).toBe("0.5.4");
    const merged: pulumi.CustomResourceOptions = libvirt.withVersion({ protect: true, ignoreChanges: ["x"] });
    expect(merged).toMatchObject({ protect: true, ignoreChanges: ["x"], version: "0.5.4" });
    expect(merged.pluginDownloadURL).toBeUndefined();
  });

  test("types namespace is exported", () => {
    expect(libvirt.types).toBeDefined();
  });
});

describe.each(cases)("libvirt.$label", (c) => {
  test("registers with the exact token, passes every input by schema name, pins 0.5.4", async () => {
    const name = `new-${c.label}`;
    const res = c.make(name, c.args);
    const reg = await registered(name);
    expect(reg.type).toBe(c.token);
    expect(reg.custom).toBe(true);
    expect(Object.keys(reg.inputs).sort()).toEqual([...c.inputs].sort());
    expect(reg.inputs).toEqual(c.args);
    expect(c.isInstance(res)).toBe(true);
    expect(c.isInstance({})).toBe(false);
    expect((res as any).__version).toBe("0.5.4");
    await resolve(res.urn);
    expect(wireVersions.get(name)).toBe("0.5.4");
  });

  test("every schema output is a readable Output carrying the state", async () => {
    const name = `out-${c.label}`;
    const res = c.make(name, c.args) as any;
    for (const key of c.outputs) {
      expect({ key, isOutput: pulumi.Output.isInstance(res[key]) }).toEqual({ key, isOutput: true });
    }
    for (const key of c.outputs) {
      expect({ key, value: await resolve(res[key]) }).toEqual({ key, value: c.args[key] });
    }
    expect(await resolve(res.id)).toBe(`${name}-id`);
  });

  test("get() reads by id with the token and pinned version; outputs readable", async () => {
    const name = `get-${c.label}`;
    const res = c.get(name, `${c.label}-uuid`) as any;
    const reg = await registered(name);
    expect(reg.type).toBe(c.token);
    expect(reg.id).toBe(`${c.label}-uuid`);
    expect(c.isInstance(res)).toBe(true);
    expect(await resolve(res.id)).toBe(`${c.label}-uuid`);
    for (const key of c.outputs) {
      expect({ key, isOutput: pulumi.Output.isInstance(res[key]) }).toEqual({ key, isOutput: true });
    }
    expect(wireVersions.get(name)).toBe("0.5.4");
  });
});

describe("libvirt outputs computed by the provider", () => {
  test("Domain: output-only values (not given as inputs) come back readable", async () => {
    const domain = new libvirt.Domain("computed-domain", { name: "bootstrap", memory: 16384 });
    expect(await resolve(domain.name)).toBe("bootstrap");
    expect(await resolve(domain.memory)).toBe(16384);
    expect(await resolve(domain.arch)).toBe("x86_64");
    expect(await resolve(domain.machine)).toBe("pc");
    expect(await resolve(domain.cpu)).toEqual({ mode: "custom" });
    expect(await resolve(domain.vcpu)).toBeUndefined();
    const reg = await registered("computed-domain");
    expect(reg.inputs).toEqual({ name: "bootstrap", memory: 16384 });
  });

  test("Pool: computed capacity fields and target come back readable", async () => {
    const pool = new libvirt.Pool("computed-pool", { type: "dir" });
    expect(await resolve(pool.capacity)).toBe(3);
    expect(await resolve(pool.target)).toEqual({ path: "/var/lib/libvirt/images/x" });
    expect(await resolve(pool.type)).toBe("dir");
  });

  test("required inputs are enforced at run time too", () => {
    expect(() => new libvirt.Pool("bad-pool", {} as any)).toThrow(/type/);
    expect(() => new libvirt.Ignition("bad-ign", {} as any)).toThrow(/content/);
  });
});

describe("libvirt.Provider", () => {
  test("registers as pulumi:providers:libvirt with uri and version 0.5.4", async () => {
    const provider = new libvirt.Provider("lab-host", { uri: "qemu+ssh://root@kvm1/system" });
    const reg = await registered("lab-host");
    expect(reg.type).toBe("pulumi:providers:libvirt");
    expect(reg.inputs.uri).toBe("qemu+ssh://root@kvm1/system");
    expect(libvirt.Provider.isInstance(provider)).toBe(true);
    expect(libvirt.Provider.isInstance(new libvirt.Pool("not-a-provider", { type: "dir" }))).toBe(false);
    expect((provider as any).__version).toBe("0.5.4");
    expect(await resolve(provider.uri)).toBe("qemu+ssh://root@kvm1/system");
    expect(wireVersions.get("lab-host")).toBe("0.5.4");
  });

  test("resources created with an explicit provider reference it", async () => {
    const provider = new libvirt.Provider("lab-host-2", { uri: "qemu:///system" });
    const net = new libvirt.Network("via-provider", { name: "n" }, { provider });
    const reg = await registered("via-provider");
    expect(reg.provider).toMatch(/::pulumi:providers:libvirt::lab-host-2::/);
    expect((net as any).__version).toBe("0.5.4");
  });
});
