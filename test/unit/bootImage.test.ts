/**
 * The release table, the stream metadata reader and the CPU level rules, as pure functions.
 */
import { cpuLevelOf, cpuShortfall, flagsFromCpuinfo, flagsFromLibvirtCpu } from "../../host/cpuLevel";
import { cpuLevelFor, describeOs, okdBootImage, osOfImage, parseStreamMetadata, StreamMetadataError } from "../../plan/bootImage";

describe("okdBootImage: what each OKD release boots", () => {
  it.each([
    [4, 12, "Fedora CoreOS 37", undefined, "x86-64-v2"],
    [4, 13, "Fedora CoreOS 38", undefined, "x86-64-v2"],
    [4, 14, "Fedora CoreOS 38", undefined, "x86-64-v2"],
    [4, 15, "Fedora CoreOS 39", undefined, "x86-64-v2"],
    [4, 16, "Fedora CoreOS 39", "CentOS Stream CoreOS 9", "x86-64-v2"],
    [4, 18, "Fedora CoreOS 39", "CentOS Stream CoreOS 9", "x86-64-v2"],
    [4, 19, "CentOS Stream CoreOS 9", undefined, "x86-64-v2"],
    [4, 20, "CentOS Stream CoreOS 10", undefined, "x86-64-v3"],
    [4, 22, "CentOS Stream CoreOS 10", undefined, "x86-64-v3"],
    [5, 0, "CentOS Stream CoreOS 10", undefined, "x86-64-v3"],
  ])("OKD %i.%i boots %s (pivot %s), which needs %s", (major, minor, boot, pivot, level) => {
    const row = okdBootImage(major, minor)!;
    expect(describeOs(row.boot)).toBe(boot);
    expect(row.pivot && describeOs(row.pivot)).toBe(pivot);
    expect(cpuLevelFor(row.boot)).toBe(level);
  });

  it("knows nothing before 4.12", () => {
    expect(okdBootImage(4, 11)).toBeUndefined();
  });
});

describe("osOfImage", () => {
  it.each([
    ["/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2", "Fedora CoreOS 38"],
    ["https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/39.20231101.3.0/x86_64/fcos-qemu.qcow2.xz", "Fedora CoreOS 39"],
    [
      "https://rhcos.mirror.openshift.com/art/storage/prod/streams/c10s/builds/10.0.20250628-0/x86_64/scos-10.0.20250628-0-qemu.x86_64.qcow2.gz",
      "CentOS Stream CoreOS 10",
    ],
    ["/var/lib/libvirt/images/scos-9.0.20250515-0-qemu.x86_64.qcow2", "CentOS Stream CoreOS 9"],
    ["/images/fcos.qcow2", undefined],
  ])("%s is %s", (image, os) => {
    const found = osOfImage(image);
    expect(found && describeOs(found)).toBe(os);
  });
});

describe("parseStreamMetadata", () => {
  // The shape of openshift/installer data/data/coreos/scos.json (stream c10s), x86_64 qemu only.
  const scos10 = {
    stream: "c10s",
    architectures: {
      x86_64: {
        artifacts: {
          qemu: {
            release: "10.0.20250628-0",
            formats: {
              "qcow2.gz": {
                disk: {
                  location:
                    "https://rhcos.mirror.openshift.com/art/storage/prod/streams/c10s/builds/10.0.20250628-0/x86_64/scos-10.0.20250628-0-qemu.x86_64.qcow2.gz",
                  sha256: "5183854e0496825c129ca07c4134ea2c51d8cff80906e76fb00af8a6d0d71ebc",
                  "uncompressed-sha256": "e990c2f2e2d42a84d70664be3815eb4db6a0b561a93e2cc11b8dd29871c49270",
                },
              },
            },
          },
        },
      },
    },
  };

  it("reads the qemu qcow2.gz disk of CentOS Stream CoreOS 10", () => {
    expect(parseStreamMetadata(JSON.stringify(scos10))).toEqual({
      stream: "c10s",
      release: "10.0.20250628-0",
      os: { family: "scos", major: 10 },
      format: "qcow2.gz",
      url: scos10.architectures.x86_64.artifacts.qemu.formats["qcow2.gz"].disk.location,
      sha256: "5183854e0496825c129ca07c4134ea2c51d8cff80906e76fb00af8a6d0d71ebc",
      uncompressedSha256: "e990c2f2e2d42a84d70664be3815eb4db6a0b561a93e2cc11b8dd29871c49270",
    });
  });

  it("tells the OS from the stream when the file name does not", () => {
    const doc = structuredClone(scos10);
    doc.architectures.x86_64.artifacts.qemu.formats["qcow2.gz"].disk.location = "https://mirror.test/images/disk.qcow2.gz";
    expect(parseStreamMetadata(JSON.stringify(doc)).os).toEqual({ family: "scos", major: 10 });
  });

  it.each([
    ["not json", "the output is not JSON"],
    [JSON.stringify({ architectures: { aarch64: {} } }), "it has no architectures.x86_64.artifacts.qemu entry"],
    [
      JSON.stringify({ architectures: { x86_64: { artifacts: { qemu: { formats: { "qcow2.zst": {} } } } } } }),
      "its x86_64 qemu artifact has no qcow2.xz or qcow2.gz disk (formats: qcow2.zst)",
    ],
    [
      JSON.stringify({ architectures: { x86_64: { artifacts: { qemu: { formats: { "qcow2.xz": { disk: { location: "ftp://x/y.qcow2.xz" } } } } } } } }),
      'architectures.x86_64.artifacts.qemu.formats["qcow2.xz"].disk.location is not an http(s) URL',
    ],
    [
      JSON.stringify({
        architectures: {
          x86_64: { artifacts: { qemu: { formats: { "qcow2.xz": { disk: { location: "https://x/fedora-coreos-39.1.qcow2.xz", sha256: "abc" } } } } } },
        },
      }),
      'architectures.x86_64.artifacts.qemu.formats["qcow2.xz"].disk.sha256 is not a sha256 digest',
    ],
  ])("refuses unusable metadata %#", (text, message) => {
    expect(() => parseStreamMetadata(text)).toThrow(new StreamMetadataError(message));
  });
});

describe("CPU levels", () => {
  const WESTMERE = "fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm aes vmx";

  it("reads /proc/cpuinfo flags and libvirt feature names alike", () => {
    const fromKernel = flagsFromCpuinfo(`processor\t: 0\nflags\t\t: ${WESTMERE}\n`)!;
    const fromLibvirt = flagsFromLibvirtCpu(
      "<cpu><model>Westmere</model>" +
        ["fpu", "sse", "sse2", "pni", "ssse3", "cx16", "sse4.1", "sse4.2", "popcnt", "lahf_lm", "aes", "vmx"]
          .map((f) => `<feature policy='require' name='${f}'/>`)
          .join("") +
        "<feature policy='disable' name='avx'/></cpu>",
    );
    expect([...fromLibvirt].sort()).toEqual([...fromKernel].sort());
    expect(cpuLevelOf(fromKernel)).toBe("x86-64-v2");
  });

  it("a CPU with every v3 flag is x86-64-v3; one without LZCNT (abm) is not", () => {
    const v3 = new Set(`${WESTMERE} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave`.split(" "));
    expect(cpuLevelOf(v3)).toBe("x86-64-v3");
    v3.delete("abm");
    expect(cpuLevelOf(v3)).toBe("x86-64-v2");
  });

  it("names the missing flags and the newest OKD release", () => {
    const cpu = { flags: new Set(WESTMERE.split(" ")), source: "/proc/cpuinfo" };
    expect(cpuShortfall(cpu, "x86-64-v2", "Fedora CoreOS 38")).toBeUndefined();
    expect(cpuShortfall(cpu, "x86-64-v3", "CentOS Stream CoreOS 10")).toBe(
      "CentOS Stream CoreOS 10 needs x86-64-v3, and the libvirt host's CPU (/proc/cpuinfo) lacks avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; " +
        "this CPU is x86-64-v2: the newest OKD release it can run is 4.19",
    );
  });
});
