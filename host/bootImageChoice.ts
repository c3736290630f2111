/**
 * Chooses the cluster nodes' boot image once per lab, before any resource is registered: the
 * configured image, else the one this lab was built with (the stack's previous `baseImages.fcos`
 * output), else the one the configured installer names (`openshift-install coreos
 * print-stream-json`, as kcli does). Then checks the libvirt host's CPU against it.
 *
 * Pure given a {@link HostProbe}: the program passes the real host, tests a fake one.
 */
import * as path from "node:path";
import { DEFAULT_FCOS_IMAGE, LabConfig } from "../config/labConfig";
import {
  BootImageRecord,
  cpuLevelFor,
  CpuLevel,
  describeOs,
  NEWEST_OKD_FOR,
  osOfImage,
  parseStreamMetadata,
  readBootImageRecord,
  StreamMetadataError,
} from "../plan/bootImage";

export type { BootImageRecord };
import { cpuShortfall, readHostCpu } from "./cpuLevel";
import type { HostProbe } from "./preflight";

/** The image cannot be chosen; the message names the key, what failed and the fix. */
export class BootImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BootImageError";
  }
}

/** What the choice is made from besides the config. */
export interface BootImageInputs {
  /** The image this lab's base volume was built from (stack output `baseImages.fcos`); undefined on a new stack or one built before it was recorded. */
  previous?: unknown;
  /** Whether the stack already holds a lab (its previous outputs list nodes). */
  labExists: boolean;
}

/** The message prefix for an image the installer should have named. */
function fromInstaller(config: LabConfig): string {
  return `okd-lab:${config.bootImage.key}.image is not set, so the boot image comes from '${config.okd.installer} coreos print-stream-json' (okd-lab:okd.installer)`;
}

const SET_IMAGE_FIX = "or set okd-lab:bootImage.image and okd-lab:bootImage.sha256 to the qemu image of your OKD release";

/** Asks the installer for its x86_64 qemu image. */
export function installerBootImage(config: LabConfig, probe: HostProbe): BootImageRecord {
  const installer = config.okd.installer;
  const result = probe.run(installer, ["coreos", "print-stream-json"]);
  if (result === undefined) {
    throw new BootImageError(
      `${fromInstaller(config)}, but ${installer} cannot be run: ${installer.includes("/") ? "no such file" : "not found on PATH"}. ` +
        `Fix: download openshift-install for your OKD release from https://github.com/okd-project/okd/releases and set okd-lab:okd.installer to its path, ${SET_IMAGE_FIX}.`,
    );
  }
  if (result.status !== 0) {
    const why = result.stderr.trim().split("\n").pop() || `exit status ${result.status}`;
    throw new BootImageError(
      `${fromInstaller(config)}, and it failed: ${why}. Fix: check that ${installer} is an OKD openshift-install for linux/amd64, ${SET_IMAGE_FIX}.`,
    );
  }
  try {
    const image = parseStreamMetadata(result.stdout);
    return {
      source: "installer",
      image: image.url,
      sha256: image.sha256,
      uncompressedSha256: image.uncompressedSha256,
      os: image.os,
      release: image.release,
      cpuLevel: cpuLevelFor(image.os),
    };
  } catch (err) {
    if (!(err instanceof StreamMetadataError)) throw err;
    throw new BootImageError(`${fromInstaller(config)}, and its stream metadata cannot be used: ${err.message}. Fix: ${SET_IMAGE_FIX}.`);
  }
}

/**
 * Chooses the boot image: the configured one, else this lab's recorded one, else the installer's.
 * @returns the record and the warnings to print.
 * @throws BootImageError when the installer must be asked and cannot answer.
 */
export function chooseBootImage(config: LabConfig, inputs: BootImageInputs, probe: HostProbe): { record: BootImageRecord; warnings: string[] } {
  const { image, sha256 } = config.bootImage;
  if (image !== undefined) {
    const os = osOfImage(image);
    return { record: { source: "config", image, sha256, os, cpuLevel: cpuLevelFor(os) }, warnings: [] };
  }
  // Chosen once per lab: a later installer never replaces the base volume every node overlays.
  const previous = readBootImageRecord(inputs.previous);
  if (previous) return { record: previous, warnings: [] };
  if (inputs.labExists) {
    const os = osOfImage(DEFAULT_FCOS_IMAGE);
    return {
      record: { source: "seed", image: DEFAULT_FCOS_IMAGE, os, cpuLevel: cpuLevelFor(os) },
      warnings: [
        `okd-lab: this lab was built before the boot image was recorded, with the seed's default ${DEFAULT_FCOS_IMAGE}; it keeps that image. ` +
          `To say so in the stack: pulumi config set --path okd-lab:bootImage.image ${DEFAULT_FCOS_IMAGE}`,
      ],
    };
  }
  return { record: installerBootImage(config, probe), warnings: [] };
}

/** `Fedora CoreOS 39 (fedora-coreos-39.20231101.3.0-qemu.x86_64.qcow2.xz)` or `the boot image x.qcow2`. */
export function describeRecord(record: BootImageRecord): string {
  const file = path.posix.basename(/^https?:\/\//.test(record.image) ? new URL(record.image).pathname : record.image);
  return record.os ? `${describeOs(record.os)} (${file})` : `the boot image ${file}`;
}

/**
 * Checks the libvirt host's CPU against the chosen image.
 * @returns warnings (the CPU could not be read).
 * @throws BootImageError naming the missing flags and the newest OKD release the CPU can run.
 */
export function checkHostCpu(record: BootImageRecord, libvirtUri: string | undefined, remoteHost: string | undefined, probe: HostProbe): string[] {
  const cpu = readHostCpu(libvirtUri, remoteHost, probe);
  if ("error" in cpu) return [`okd-lab: the libvirt host's CPU was not checked against ${describeRecord(record)} (${record.cpuLevel}): ${cpu.error}`];
  const shortfall = cpuShortfall(cpu, record.cpuLevel, describeRecord(record));
  if (shortfall === undefined) return [];
  throw new BootImageError(`okd-lab: ${shortfall}. Nothing was created or changed. Fix: ${cpuFix(record.cpuLevel)}.`);
}

/** What to do on a CPU below `level`. */
export function cpuFix(level: CpuLevel): string {
  return level === "x86-64-v3"
    ? `use the openshift-install of OKD ${NEWEST_OKD_FOR["x86-64-v2"]} (okd-lab:okd.installer) with okd-lab:bootImage.image unset, or run the lab on a host with x86-64-v3 (Intel Haswell, AMD Zen or newer)`
    : "run the lab on a Nehalem (2008) or newer CPU; on a nested host give this VM the host CPU (host-passthrough)";
}
