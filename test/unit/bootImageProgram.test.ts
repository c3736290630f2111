/**
 * The program's boot image under Pulumi mocks: asked of the installer on a new lab, recorded in
 * the stack outputs, reused from them, checked against the libvirt host's CPU before any resource.
 * The host is a fake: its installer prints the stream metadata of each family, its CPU is a
 * Westmere (DL380 G7) or a v3 CPU.
 */
import type { HostProbe } from "../../host/preflight";
import { LabRun, RecordedResource, runLabUnderMocks } from "../../offline/labMocks";
import { STREAM_IMAGES, TEST_COREDNS_SHA256 } from "../fixtures/labs";

const WESTMERE =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm " +
  "pni pclmulqdq vmx ssse3 cx16 sse4_1 sse4_2 popcnt aes lahf_lm";
const HASWELL = `${WESTMERE} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave`;

const IMAGES = STREAM_IMAGES;
type Family = keyof typeof IMAGES;
const SHA = "1".repeat(64);
const UNSHA = "2".repeat(64);

function streamJson(family: Family): string {
  const { stream, release, url } = IMAGES[family];
  const format = url.endsWith(".xz") ? "qcow2.xz" : "qcow2.gz";
  return JSON.stringify({
    stream,
    architectures: {
      x86_64: { artifacts: { qemu: { release, formats: { [format]: { disk: { location: url, sha256: SHA, "uncompressed-sha256": UNSHA } } } } } },
    },
  });
}

/** A host whose installer names `family` and whose CPU has `flags`; records the commands run. */
function fakeHost(family: Family, flags: string): HostProbe & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    run: (cmd, args) => {
      ran.push([cmd, ...args].join(" "));
      if (cmd === "openshift-install" && args.join(" ") === "coreos print-stream-json") return { status: 0, stdout: streamJson(family), stderr: "" };
      return undefined;
    },
    which: () => undefined,
    readFile: (f) => (f === "/proc/cpuinfo" ? `processor\t: 0\nflags\t\t: ${flags}\n` : undefined),
    stat: () => undefined,
    freeDiskBytes: () => undefined,
    headUrl: () => {
      throw new Error("no HEAD requests from the program");
    },
  };
}

/** The dev stack without any boot image key: the installer names it. */
function installerConfig(): Record<string, unknown> {
  return {
    "libvirt:uri": "qemu:///system",
    "okd-lab:infra": { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } },
  };
}

function find(run: LabRun, type: string, name: string): RecordedResource {
  const r = run.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} named ${name}`);
  return r;
}

/** The boot image recorded in the stack output `baseImages`. */
const fcosRecord = (run: LabRun) => (run.outputs.baseImages as { fcos: unknown }).fcos;
const fetchOf = (run: LabRun) => find(run, "command:local:Command", "lab-fcos-image");
const baseOf = (run: LabRun) => find(run, "libvirt:index/volume:Volume", "lab-fcos-base");

describe("a new lab without a configured image", () => {
  it("boots the CentOS Stream CoreOS 9 image the OKD 4.19 installer names on a Westmere, and records it", async () => {
    const host = fakeHost("scos-9", WESTMERE);
    const run = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: host, checkHostCpu: true });
    expect(host.ran).toEqual(["openshift-install coreos print-stream-json"]);
    const script = String(fetchOf(run).inputs.create);
    expect(script).toContain(`url='${IMAGES["scos-9"].url}'`);
    expect(script).toContain(`want='${SHA}'`);
    expect(script).toContain(`want_unpacked='${UNSHA}'`);
    expect(script).toContain('gzip --decompress --stdout -- "$download" > "$unpacked"');
    expect(baseOf(run).inputs.source).toMatch(/\/\.okd\/dev-images\/scos-9\.0\.20250515-0-qemu\.x86_64\.qcow2$/);
    expect(fcosRecord(run)).toEqual({
      source: "installer",
      image: IMAGES["scos-9"].url,
      sha256: SHA,
      uncompressedSha256: UNSHA,
      os: { family: "scos", major: 9 },
      release: "9.0.20250515-0",
      cpuLevel: "x86-64-v2",
    });
  }, 30000);

  it("decompresses the Fedora CoreOS 39 image of OKD 4.15-4.18 with xz", async () => {
    const run = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: fakeHost("fcos-39", WESTMERE), checkHostCpu: true });
    expect(String(fetchOf(run).inputs.create)).toContain('xz --decompress --stdout -- "$download" > "$unpacked"');
    expect(fcosRecord(run)).toMatchObject({ source: "installer", os: { family: "fcos", major: 39 }, cpuLevel: "x86-64-v2" });
  }, 30000);

  it("refuses the CentOS Stream CoreOS 10 image of OKD 4.20+ on a Westmere before registering any resource", async () => {
    const recorder: RecordedResource[] = [];
    await expect(
      runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: fakeHost("scos-10", WESTMERE), checkHostCpu: true, recorder }),
    ).rejects.toThrow(
      "okd-lab: CentOS Stream CoreOS 10 (scos-10.0.20250628-0-qemu.x86_64.qcow2.gz) needs x86-64-v3, and the libvirt host's CPU (/proc/cpuinfo) lacks " +
        "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; this CPU is x86-64-v2: the newest OKD release it can run is 4.19. Nothing was created or changed. " +
        "Fix: use the openshift-install of OKD 4.19 (okd-lab:okd.installer) with okd-lab:bootImage.image unset, or run the lab on a host with x86-64-v3 (Intel Haswell, AMD Zen or newer).",
    );
    await new Promise((r) => setTimeout(r, 50));
    // Only the read of the stack's own previous outputs.
    expect(recorder.map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
  }, 30000);

  it("refuses a configured CentOS Stream CoreOS 10 image on a Westmere too", async () => {
    const image = "/var/lib/libvirt/images/scos-10.0.20250628-0-qemu.x86_64.qcow2";
    const config = { ...installerConfig(), "okd-lab:bootImage": { image } };
    await expect(runLabUnderMocks({ stack: "dev", config, hostProbe: fakeHost("scos-9", WESTMERE), checkHostCpu: true })).rejects.toThrow(
      `okd-lab: CentOS Stream CoreOS 10 (scos-10.0.20250628-0-qemu.x86_64.qcow2) needs x86-64-v3, and the libvirt host's CPU (/proc/cpuinfo) lacks avx avx2`,
    );
  }, 30000);

  it("builds the CentOS Stream CoreOS 10 lab on a v3 CPU", async () => {
    const run = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: fakeHost("scos-10", HASWELL), checkHostCpu: true });
    expect(fcosRecord(run)).toMatchObject({ os: { family: "scos", major: 10 }, cpuLevel: "x86-64-v3" });
  }, 30000);

  it("stops with the fix when the installer cannot be run", async () => {
    const host = fakeHost("scos-9", WESTMERE);
    host.run = () => undefined;
    await expect(runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: host })).rejects.toThrow(
      "okd-lab:bootImage.image is not set, so the boot image comes from 'openshift-install coreos print-stream-json' (okd-lab:okd.installer), " +
        "but openshift-install cannot be run: not found on PATH. Fix: download openshift-install for your OKD release from https://github.com/okd-project/okd/releases " +
        "and set okd-lab:okd.installer to its path, or set okd-lab:bootImage.image and okd-lab:bootImage.sha256 to the qemu image of your OKD release.",
    );
  }, 30000);
});

describe("the image is chosen once per lab", () => {
  it("a later installer does not replace the image of a running lab", async () => {
    const first = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: fakeHost("fcos-39", WESTMERE) });
    const later = fakeHost("scos-9", WESTMERE);
    const second = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: later, previousOutputs: first.outputs });
    expect(later.ran).toEqual([]);
    expect(fcosRecord(second)).toEqual(fcosRecord(first));
    expect(fetchOf(second).inputs).toEqual(fetchOf(first).inputs);
    expect(baseOf(second).inputs).toEqual(baseOf(first).inputs);
  }, 30000);

  it("a lab built before the record keeps the seed's Fedora CoreOS 38, with a warning", async () => {
    const host = fakeHost("scos-9", WESTMERE);
    const previousOutputs = { nodes: [{ name: "master", role: "master" }] };
    const run = await runLabUnderMocks({ stack: "dev", config: installerConfig(), hostProbe: host, previousOutputs });
    expect(host.ran).toEqual([]);
    expect(baseOf(run).inputs.source).toBe("/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2");
    expect(fcosRecord(run)).toMatchObject({ source: "seed", os: { family: "fcos", major: 38 } });
    expect(run.warnings).toContain(
      "okd-lab: this lab was built before the boot image was recorded, with the seed's default /var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2; it keeps that image. " +
        "To say so in the stack: pulumi config set --path okd-lab:bootImage.image /var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2",
    );
  }, 30000);

  it("a configured image wins over the installer on a new lab", async () => {
    const image = "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2";
    const host = fakeHost("scos-9", WESTMERE);
    const config = { ...installerConfig(), "okd-lab:bootImage": { image } };
    const run = await runLabUnderMocks({ stack: "dev", config, hostProbe: host });
    expect(host.ran).toEqual([]);
    expect(baseOf(run).inputs.source).toBe(image);
    expect(fcosRecord(run)).toEqual({ source: "config", image, sha256: undefined, os: { family: "fcos", major: 38 }, cpuLevel: "x86-64-v2" });
  }, 30000);

  it("the seed's okd-lab:fcos key gives the same resources as okd-lab:bootImage", async () => {
    const image = "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2";
    const old = await runLabUnderMocks({ stack: "dev", config: { ...installerConfig(), "okd-lab:fcos": { image } }, hostProbe: fakeHost("scos-9", WESTMERE) });
    const renamed = await runLabUnderMocks({
      stack: "dev",
      config: { ...installerConfig(), "okd-lab:bootImage": { image } },
      hostProbe: fakeHost("scos-9", WESTMERE),
    });
    const inputs = (run: LabRun) => run.resources.map((r) => [r.type, r.name, r.inputs]);
    expect(inputs(renamed)).toEqual(inputs(old));
  }, 30000);
});
