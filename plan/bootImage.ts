/**
 * Which operating system boots the cluster nodes of each OKD release, which CPU level it needs,
 * and the x86_64 qemu image a release's stream metadata names. Pure: text in, values out.
 *
 * Release facts (FACTS §6, checked in the sources):
 * - OKD 4.12-4.15 boot Fedora CoreOS 37, 38, 38, 39.
 * - OKD 4.16-4.18 still boot Fedora CoreOS 39 and pivot the nodes to CentOS Stream CoreOS 9 on
 *   first boot (okd.io blog "OKD 4.16 and 4.17 release"; okd-project/okd #2077, #2186: the
 *   4.18.0-okd-scos.5 installer prints fedora-coreos-39.20231101.3.0 qcow2.xz).
 * - OKD 4.19 is the first release whose installer names CentOS Stream CoreOS 9 images (okd #2186,
 *   stream c9s, scos-9.0.20250515-0).
 * - OKD 4.20 and later boot CentOS Stream CoreOS 10 (openshift/installer PR #9817: scos.json
 *   `"stream": "c10s"`, qemu `qcow2.gz` of scos-10.0.20250628-0).
 * - EL9 needs x86-64-v2 and EL10 x86-64-v3 (CentOS Stream 9 kernel MR 3972: "RHEL9 has a minimum
 *   of the x86_64-v2 microarchitecture and RHEL10 has a minimum of the x86_64-v3").
 */

/** The operating system family of a CoreOS boot image. */
export type OsFamily = "fcos" | "scos";

/** A CoreOS release line, e.g. Fedora CoreOS 38 or CentOS Stream CoreOS 10. */
export interface BootOs {
  family: OsFamily;
  /** Fedora release (37, 38, 39) or CentOS Stream major (9, 10). */
  major: number;
}

/** x86-64 microarchitecture levels of the psABI that matter here. */
export type CpuLevel = "x86-64-v2" | "x86-64-v3";

/** `Fedora CoreOS 38`, `CentOS Stream CoreOS 10`. */
export function describeOs(os: BootOs): string {
  return `${os.family === "fcos" ? "Fedora CoreOS" : "CentOS Stream CoreOS"} ${os.major}`;
}

/**
 * The CPU level a lab booting `os` needs. Every lab needs x86-64-v2: the infra node runs
 * AlmaLinux 9 and OKD 4.16-4.18 pivot their Fedora CoreOS nodes to CentOS Stream CoreOS 9;
 * CentOS Stream CoreOS 10 needs x86-64-v3.
 */
export function cpuLevelFor(os: BootOs | undefined): CpuLevel {
  return os?.family === "scos" && os.major >= 10 ? "x86-64-v3" : "x86-64-v2";
}

/** What an OKD minor release boots, and what its nodes become. */
export interface OkdBootImage {
  /** OKD releases of this row, as printed in the README, e.g. `4.16-4.18`. */
  releases: string;
  /** The boot image the installer names. */
  boot: BootOs;
  /** The OS the nodes pivot to on first boot, when it differs from `boot`. */
  pivot?: BootOs;
}

/** One row per boot image, oldest first; {@link okdBootImage} picks the row of a release. */
export const OKD_BOOT_IMAGES: readonly (OkdBootImage & { from: [number, number]; to: [number, number] })[] = [
  { releases: "4.12", from: [4, 12], to: [4, 12], boot: { family: "fcos", major: 37 } },
  { releases: "4.13, 4.14", from: [4, 13], to: [4, 14], boot: { family: "fcos", major: 38 } },
  { releases: "4.15", from: [4, 15], to: [4, 15], boot: { family: "fcos", major: 39 } },
  { releases: "4.16-4.18", from: [4, 16], to: [4, 18], boot: { family: "fcos", major: 39 }, pivot: { family: "scos", major: 9 } },
  { releases: "4.19", from: [4, 19], to: [4, 19], boot: { family: "scos", major: 9 } },
  { releases: "4.20 and later (4.21, 4.22, 5.0)", from: [4, 20], to: [Infinity, Infinity], boot: { family: "scos", major: 10 } },
];

/** The newest OKD release whose boot image runs at each CPU level; undefined: every release. */
export const NEWEST_OKD_FOR: Readonly<Record<CpuLevel, string | undefined>> = { "x86-64-v2": "4.19", "x86-64-v3": undefined };

function atLeast(a: [number, number], b: [number, number]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/** The boot image of OKD `major.minor`, or undefined before 4.12 (not supported here). */
export function okdBootImage(major: number, minor: number): OkdBootImage | undefined {
  const version: [number, number] = [major, minor];
  return OKD_BOOT_IMAGES.find((row) => atLeast(version, row.from) && atLeast(row.to, version));
}

/**
 * The OS of an image from its file name (or a Fedora CoreOS build path), as the builds name them:
 * `fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2`, `scos-10.0.20250628-0-qemu.x86_64.qcow2.gz`.
 * @returns undefined when the name does not tell.
 */
export function osOfImage(image: string): BootOs | undefined {
  let file = image;
  try {
    if (/^https?:\/\//.test(image)) file = new URL(image).pathname;
  } catch {
    // not a URL after all: use it as a path
  }
  const base = file.split("/").pop() ?? "";
  const fcos = /^fedora-coreos-(\d+)\./.exec(base) ?? /\/streams\/[a-z]+\/builds\/(\d+)\.\d+/.exec(file);
  if (fcos) return { family: "fcos", major: Number(fcos[1]) };
  const scos = /^scos-(\d+)\./.exec(base) ?? /\/streams\/c(\d+)s\/builds\//.exec(file);
  if (scos) return { family: "scos", major: Number(scos[1]) };
  return undefined;
}

/** Compression of a qemu image the stream names; the fetch script decompresses both. */
export type StreamFormat = "qcow2.xz" | "qcow2.gz";

/** The x86_64 qemu image of a stream. */
export interface StreamImage {
  /** Stream name, e.g. `stable` (Fedora CoreOS), `c9s`, `c10s`. */
  stream: string;
  /** Build, e.g. `39.20231101.3.0`, `10.0.20250628-0`. */
  release: string;
  os: BootOs;
  format: StreamFormat;
  /** http(s) URL of the compressed image. */
  url: string;
  /** sha256 of the compressed file at `url`. */
  sha256: string;
  /** sha256 of the decompressed qcow2, when the stream names it. */
  uncompressedSha256?: string;
}

/** The stream metadata cannot be used; the message says what is wrong with it. */
export class StreamMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StreamMetadataError";
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

function objectAt(value: unknown, path: string[]): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "object" && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
}

/**
 * Reads the x86_64 qemu image from `openshift-install coreos print-stream-json` output: the stream
 * metadata format of coreos/stream-metadata-go (`architectures.x86_64.artifacts.qemu` with
 * `release` and `formats["qcow2.xz" | "qcow2.gz"].disk` = {location, signature?, sha256,
 * uncompressed-sha256?}). `qcow2.xz` wins when both are listed.
 * @throws StreamMetadataError naming the missing or malformed field.
 */
export function parseStreamMetadata(text: string): StreamImage {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new StreamMetadataError("the output is not JSON");
  }
  const qemu = objectAt(doc, ["architectures", "x86_64", "artifacts", "qemu"]);
  if (!qemu) throw new StreamMetadataError("it has no architectures.x86_64.artifacts.qemu entry");
  const formats = objectAt(qemu, ["formats"]) ?? {};
  const format = (["qcow2.xz", "qcow2.gz"] as const).find((f) => objectAt(formats, [f, "disk"]) !== undefined);
  if (!format) {
    throw new StreamMetadataError(`its x86_64 qemu artifact has no qcow2.xz or qcow2.gz disk (formats: ${Object.keys(formats).join(", ") || "none"})`);
  }
  const disk = objectAt(formats, [format, "disk"])!;
  const where = `architectures.x86_64.artifacts.qemu.formats["${format}"].disk`;
  const url = disk.location;
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) throw new StreamMetadataError(`${where}.location is not an http(s) URL`);
  const sha256 = disk.sha256;
  if (typeof sha256 !== "string" || !SHA256.test(sha256)) throw new StreamMetadataError(`${where}.sha256 is not a sha256 digest`);
  const uncompressed = disk["uncompressed-sha256"];
  if (uncompressed !== undefined && (typeof uncompressed !== "string" || !SHA256.test(uncompressed))) {
    throw new StreamMetadataError(`${where}.uncompressed-sha256 is not a sha256 digest`);
  }
  const release = typeof qemu.release === "string" ? qemu.release : "";
  const stream = typeof (doc as Record<string, unknown>).stream === "string" ? ((doc as Record<string, unknown>).stream as string) : "";
  const os = osOfImage(url) ?? osOfStream(stream, release);
  if (!os) throw new StreamMetadataError(`cannot tell the operating system of ${url} (stream ${JSON.stringify(stream)}, release ${JSON.stringify(release)})`);
  return { stream, release, os, format, url, sha256, uncompressedSha256: uncompressed };
}

/** `c10s` -> CentOS Stream CoreOS 10; Fedora streams carry the Fedora release first in the build. */
function osOfStream(stream: string, release: string): BootOs | undefined {
  const centos = /^c(\d+)s$/.exec(stream);
  if (centos) return { family: "scos", major: Number(centos[1]) };
  const fedora = /^(\d{2})\.\d{8}\./.exec(release);
  if (["stable", "testing", "next"].includes(stream) && fedora) return { family: "fcos", major: Number(fedora[1]) };
  return undefined;
}

/** The jq filter that prints the qemu image's location and sha256 from the stream metadata. */
export const STREAM_IMAGE_JQ = `.architectures.x86_64.artifacts.qemu.formats | to_entries[] | .value.disk | .location + " " + .sha256`;

/** The boot image of a lab, as recorded in the stack output `baseImages.fcos` and read back by the next run. */
export interface BootImageRecord {
  /** `config`: okd-lab:bootImage/fcos; `installer`: the installer's stream; `seed`: the seed's default of a lab built before the record existed. */
  source: "config" | "installer" | "seed";
  /** Uncompressed qcow2 host path, or http(s) URL (`.qcow2`, `.qcow2.xz`, `.qcow2.gz`). */
  image: string;
  /** sha256 of the file at `image` (URLs). */
  sha256?: string;
  /** sha256 of the decompressed qcow2, when the stream names it. */
  uncompressedSha256?: string;
  /** The OS, when the image's name or stream tells it. */
  os?: BootOs;
  /** The build, e.g. `39.20231101.3.0`, for images from the installer. */
  release?: string;
  /** The CPU level the lab needs with this image. */
  cpuLevel: CpuLevel;
}

const isDigest = (v: unknown): v is string => typeof v === "string" && SHA256.test(v);

/**
 * A record read back from previous outputs; undefined when it has no image. Records written before
 * these fields existed (`{image, sha256}`) get their OS from the image name.
 */
export function readBootImageRecord(value: unknown): BootImageRecord | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.image !== "string" || r.image === "") return undefined;
  const source = r.source === "installer" || r.source === "seed" ? r.source : "config";
  const recordedOs = r.os as Partial<BootOs> | undefined;
  const os =
    typeof recordedOs === "object" &&
    recordedOs !== null &&
    (recordedOs.family === "fcos" || recordedOs.family === "scos") &&
    typeof recordedOs.major === "number"
      ? { family: recordedOs.family, major: recordedOs.major }
      : osOfImage(r.image);
  return {
    source,
    image: r.image,
    ...(isDigest(r.sha256) ? { sha256: r.sha256 } : {}),
    ...(isDigest(r.uncompressedSha256) ? { uncompressedSha256: r.uncompressedSha256 } : {}),
    ...(os ? { os } : {}),
    ...(typeof r.release === "string" ? { release: r.release } : {}),
    cpuLevel: r.cpuLevel === "x86-64-v3" ? "x86-64-v3" : cpuLevelFor(os),
  };
}
