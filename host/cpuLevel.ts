/**
 * The CPU of the libvirt host against the CPU level a boot image needs.
 *
 * Where the flags come from: for a local `libvirt:uri` (this machine), `/proc/cpuinfo`; for a
 * remote one, libvirt's own view of its host: `virsh -c URI capabilities` gives the host CPU as a
 * model plus the features beyond it, and `virsh -c URI cpu-baseline --features` expands the model
 * into every feature it implies (libvirt's VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES: "without this
 * flag features that are part of the CPU model will not be listed"). Checks are pure given a
 * {@link HostProbe}.
 */
import { CpuLevel, NEWEST_OKD_FOR } from "../plan/bootImage";
import type { HostProbe } from "./preflight";

/**
 * x86-64-v2 as `/proc/cpuinfo` names the flags (psABI: CMPXCHG16B, LAHF-SAHF, POPCNT, SSE3,
 * SSE4_1, SSE4_2, SSSE3; the kernel calls SSE3 `pni`).
 */
export const X86_64_V2_FLAGS = ["cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"] as const;

/**
 * x86-64-v3 on top of v2 (psABI: AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, OSXSAVE; the
 * kernel shows LZCNT as `abm` and the XSAVE capability as `xsave`).
 */
export const X86_64_V3_FLAGS = ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"] as const;

/** The flags each level needs, cumulatively. */
export function flagsFor(level: CpuLevel): readonly string[] {
  return level === "x86-64-v3" ? [...X86_64_V2_FLAGS, ...X86_64_V3_FLAGS] : X86_64_V2_FLAGS;
}

/** The flags of the first CPU in `/proc/cpuinfo` text; undefined without a flags line. */
export function flagsFromCpuinfo(text: string): Set<string> | undefined {
  const line = text.split("\n").find((l) => /^flags\s*:/.test(l));
  if (line === undefined) return undefined;
  return new Set(
    line
      .replace(/^flags\s*:/, "")
      .trim()
      .split(/\s+/),
  );
}

/**
 * The features of a libvirt `<cpu>` description, in `/proc/cpuinfo` spelling. libvirt's cpu_map
 * names SSE4.1/4.2 `sse4.1`/`sse4.2` (seen in `virsh cpu-baseline --features` of libvirt 9.0 for
 * the Westmere model); the other level flags are spelled alike.
 */
export function flagsFromLibvirtCpu(xml: string): Set<string> {
  const flags = new Set<string>();
  for (const match of xml.matchAll(/<feature\b[^>]*\bname=['"]([^'"]+)['"][^>]*>/g)) {
    const tag = match[0];
    // A baseline lists required features; `disable`/`forbid` ones are absent from the CPU.
    if (/\bpolicy=['"](disable|forbid)['"]/.test(tag)) continue;
    flags.add(match[1].replace(/^sse4\.([12])$/, "sse4_$1"));
  }
  return flags;
}

/** The highest level whose flags are all present, or undefined below x86-64-v2. */
export function cpuLevelOf(flags: ReadonlySet<string>): CpuLevel | undefined {
  const has = (level: CpuLevel) => flagsFor(level).every((f) => flags.has(f));
  return has("x86-64-v3") ? "x86-64-v3" : has("x86-64-v2") ? "x86-64-v2" : undefined;
}

/** Where the CPU flags were read, for messages: `/proc/cpuinfo` or `libvirt at qemu+ssh://rack1/system`. */
export interface HostCpu {
  flags: Set<string>;
  source: string;
}

/**
 * Reads the CPU flags of the libvirt host.
 * @param libvirtUri the provider's URI.
 * @param remoteHost its host part when it is not this machine (see `remoteHostOf`).
 * @returns the flags, or a reason why they could not be read.
 */
export function readHostCpu(libvirtUri: string | undefined, remoteHost: string | undefined, probe: HostProbe): HostCpu | { error: string } {
  if (remoteHost === undefined || libvirtUri === undefined) {
    const flags = flagsFromCpuinfo(probe.readFile("/proc/cpuinfo") ?? "");
    return flags ? { flags, source: "/proc/cpuinfo" } : { error: "/proc/cpuinfo has no flags line" };
  }
  const source = `libvirt at ${libvirtUri}`;
  const caps = probe.run("virsh", ["-c", libvirtUri, "capabilities"]);
  if (caps === undefined) return { error: "virsh is not installed" };
  if (caps.status !== 0) return { error: `'virsh -c ${libvirtUri} capabilities' failed: ${caps.stderr.trim() || `exit status ${caps.status}`}` };
  const host = /<host>[\s\S]*?(<cpu>[\s\S]*?<\/cpu>)/.exec(caps.stdout)?.[1];
  if (host === undefined) return { error: `'virsh -c ${libvirtUri} capabilities' shows no host CPU` };
  const expanded = probe.run("virsh", ["-c", libvirtUri, "cpu-baseline", "--features", "/dev/stdin"], host);
  if (expanded === undefined || expanded.status !== 0) {
    return { error: `'virsh -c ${libvirtUri} cpu-baseline --features' failed: ${expanded?.stderr.trim() || "no output"}` };
  }
  return { flags: flagsFromLibvirtCpu(expanded.stdout), source };
}

/**
 * The verdict for a lab that needs `level`: undefined when the CPU has it, else one sentence naming
 * the missing flags and the newest OKD release this CPU can run.
 * @example cpuShortfall(westmere, "x86-64-v3", "CentOS Stream CoreOS 10 (scos-10.0...)", "libvirt at qemu:///system")
 */
export function cpuShortfall(cpu: HostCpu, level: CpuLevel, what: string): string | undefined {
  const missing = flagsFor(level).filter((f) => !cpu.flags.has(f));
  if (missing.length === 0) return undefined;
  const has = cpuLevelOf(cpu.flags);
  const newest = has === undefined ? undefined : NEWEST_OKD_FOR[has];
  const can =
    has === undefined
      ? "this CPU is below x86-64-v2 and can run no OKD release (the infra node's AlmaLinux 9 needs x86-64-v2 too)"
      : `this CPU is ${has}: the newest OKD release it can run is ${newest ?? "any"}`;
  return `${what} needs ${level}, and the libvirt host's CPU (${cpu.source}) lacks ${missing.join(" ")}; ${can}`;
}
