/**
 * Host checks run before `pulumi up`: one result per check, each with the fix when it is not ok.
 *
 * Pure: every observation of the host goes through a {@link HostProbe}, so the checks are tested
 * with a fake host. The real probe is `host/hostProbe.ts`; the CLI is `scripts/preflight.ts`.
 */
import * as path from "node:path";
import { LabConfig, ROLE_MINIMUMS } from "../config/labConfig";
import { RECORD_DIR } from "../ignition/installerScript";
import { describeOs, okdBootImage, osOfImage, STREAM_IMAGE_JQ } from "../plan/bootImage";
import { buildLabPlan, LabPlan } from "../plan/labPlan";
import { BootImageError, BootImageRecord, chooseBootImage, cpuFix, describeRecord, installerBootImage } from "./bootImageChoice";
import { cpuLevelOf, cpuShortfall, flagsFromCpuinfo, readHostCpu } from "./cpuLevel";

/** `ok` passes, `warn` is printed but does not stop `npm run up`, `fail` does. */
export type PreflightStatus = "ok" | "warn" | "fail";

/** The outcome of one check. */
export interface PreflightResult {
  /** Short check name, e.g. `libvirt`, `fcos-image`. */
  check: string;
  status: PreflightStatus;
  /** What was found, one line without a trailing period, e.g. `qemu:///system answers (libvirt 9.0.0)`. */
  detail: string;
  /** What to do about a `warn` or `fail`, e.g. `sudo dnf install genisoimage`. */
  fix?: string;
}

/** Exit status and output of a finished program. */
export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** What a path is; undefined from {@link HostProbe.stat} when nothing is there. */
export interface PathInfo {
  kind: "file" | "directory" | "other";
  /** Readable by the user running the checks (the user that runs `pulumi up`). */
  readable: boolean;
}

/** The answer of an http(s) HEAD request. */
export interface UrlAnswer {
  ok: boolean;
  /** HTTP status of the last response, e.g. 200 or 404; absent when no response came. */
  status?: number;
  /** Why the request failed, e.g. `curl: (6) Could not resolve host: repo.almalinux.org`. */
  error?: string;
}

/** Everything the checks observe on the host. Relative paths are relative to the program directory. */
export interface HostProbe {
  /** Runs a program to completion, with `input` on its stdin; undefined when the program is not installed. */
  run(cmd: string, args: string[], input?: string): CommandResult | undefined;
  /** Absolute path of an executable found on PATH, e.g. `which("mkisofs")` = `/usr/bin/mkisofs`. */
  which(name: string): string | undefined;
  /** A text file's content, or undefined when it cannot be read. */
  readFile(file: string): string | undefined;
  stat(file: string): PathInfo | undefined;
  /** Bytes available to unprivileged users on the filesystem of `dir` or of its nearest existing ancestor. */
  freeDiskBytes(dir: string): number | undefined;
  /** Sends a HEAD request, following redirects. */
  headUrl(url: string): UrlAnswer;
}

/** libvirt domains that already exist, by name; their memory and disks are already taken. */
export interface LibvirtDomains {
  running: string[];
  defined: string[];
}

/** What every check may look at besides the probe. */
export interface PreflightContext {
  config: LabConfig;
  plan: LabPlan;
  /** The libvirt connection URI the provider will use, or undefined when none is configured. */
  libvirtUri?: string;
  /** Host name of a remote libvirt URI (e.g. `rack1` for `qemu+ssh://rack1/system`); undefined when local. */
  remoteHost?: string;
  /** Present once libvirt answered. */
  domains?: LibvirtDomains;
  /** The cluster nodes' boot image (configured, or named by the installer), or why it is unknown; read once by {@link runPreflight}. */
  bootImage?: BootImageRecord | { error: string };
}

/** Where libvirt keeps images; its SELinux type and AppArmor rules let QEMU read them (FACTS §2). */
export const LIBVIRT_IMAGES_DIR = "/var/lib/libvirt/images";

/** The libvirt URI libvirt's own docs use for the system QEMU/KVM driver. */
export const DEFAULT_LIBVIRT_URI = "qemu:///system";

export { X86_64_V2_FLAGS, X86_64_V3_FLAGS } from "./cpuLevel";

/** Memory use above this share of MemAvailable is a warning. */
export const MEMORY_WARN_RATIO = 0.9;

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const isUrl = (image: string) => /^https?:\/\//.test(image);

function insideImagesDir(dir: string): boolean {
  const normal = path.posix.normalize(dir).replace(/\/+$/, "");
  return normal === LIBVIRT_IMAGES_DIR || normal.startsWith(`${LIBVIRT_IMAGES_DIR}/`);
}

/** Error output of a program as one line: `error: ` prefixes dropped, lines joined with `; `. */
function oneLine(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trim().replace(/^error:\s*/, ""))
    .filter((l) => l !== "")
    .join("; ");
}

/**
 * The host part of a libvirt URI, or undefined when the URI names this machine.
 * @example remoteHostOf("qemu+ssh://root@rack1/system") // "rack1"
 * @example remoteHostOf("qemu:///system") // undefined
 */
export function remoteHostOf(uri: string): string | undefined {
  const match = /^[a-z0-9+]+:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:?]*)/i.exec(uri);
  const host = match?.[1] ?? "";
  return ["", "localhost", "127.0.0.1", "[::1]"].includes(host) ? undefined : host;
}

/** The same `warn` for every check that can only look at the machine it runs on. */
function notCheckedRemote(check: string, ctx: PreflightContext): PreflightResult | undefined {
  if (ctx.remoteHost === undefined) return undefined;
  return { check, status: "warn", detail: `not checked: libvirt runs on ${ctx.remoteHost} (${ctx.libvirtUri}) and this check reads this machine only` };
}

/** The socket the libvirt provider dials for a local URI (terraform-provider-libvirt v0.8.1 libvirt/uri/unix.go). */
export const PROVIDER_LIBVIRT_SOCKET = "/var/run/libvirt/libvirt-sock";

/**
 * EL9 builds libvirt with modular daemons; the provider's socket exists only while virtproxyd's
 * socket unit runs (terraform-provider-libvirt #1025). The monolithic libvirtd beside the modular
 * sockets is not the fix.
 */
export const MODULAR_LIBVIRT_FIX = "sudo systemctl enable --now virtqemud.socket virtnetworkd.socket virtstoraged.socket virtproxyd.socket";

/**
 * The Unix socket the provider connects to for `uri`, or undefined when it connects over the
 * network (ssh, tcp, tls). A `socket=` query parameter overrides the default, as in unix.go.
 * @example providerSocketOf("qemu:///system") // "/var/run/libvirt/libvirt-sock"
 */
export function providerSocketOf(uri: string): string | undefined {
  const match = /^[a-z0-9]+(?:\+([a-z0-9]+))?:\/\/([^/?]*)[^?]*(?:\?(.*))?$/i.exec(uri);
  if (!match) return undefined;
  // libvirt/uri/connection_uri.go transport(): the part after `+`, else tls with a host, else unix.
  const transport = match[1]?.toLowerCase() ?? (match[2] === "" ? "unix" : "tls");
  if (transport !== "unix") return undefined;
  return new URLSearchParams(match[3] ?? "").get("socket") || PROVIDER_LIBVIRT_SOCKET;
}

/** `virsh version`: libvirt answers at the configured URI, and the socket the provider dials exists. */
export function checkLibvirt(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "libvirt";
  const uri = ctx.libvirtUri;
  if (uri === undefined) {
    return {
      check,
      status: "fail",
      detail: "libvirt:uri is not set in the stack and LIBVIRT_DEFAULT_URI is empty; the libvirt provider needs a connection URI",
      fix: `pulumi config set libvirt:uri ${DEFAULT_LIBVIRT_URI}`,
    };
  }
  const result = probe.run("virsh", ["-c", uri, "version"]);
  if (result === undefined) {
    return {
      check,
      status: "fail",
      detail: `virsh is not installed: preflight asks libvirt at ${uri} with it, and the program removes DHCP reservations with it`,
      fix: "sudo dnf install libvirt-client",
    };
  }
  if (result.status !== 0) {
    const fix = ctx.remoteHost
      ? `check that 'virsh -c ${uri} version' works from this machine (SSH access, libvirtd running on ${ctx.remoteHost})`
      : `sudo dnf install libvirt qemu-kvm && ${MODULAR_LIBVIRT_FIX}; as a non-root user also sudo usermod -aG libvirt $USER and log in again`;
    return { check, status: "fail", detail: `${uri} does not answer: ${oneLine(result.stderr) || `virsh exited with ${result.status}`}`, fix };
  }
  const library = /Using library: libvirt (\S+)/.exec(result.stdout)?.[1];
  const hypervisor = /Running hypervisor: (.+)/.exec(result.stdout)?.[1]?.trim();
  const versions = [library && `libvirt ${library}`, hypervisor].filter(Boolean).join(", ");
  return { check, status: "ok", detail: `${uri} answers${versions ? ` (${versions})` : ""}` };
}

/**
 * The socket the provider dials for a local URI exists: virsh reaches virtqemud on a modular EL9
 * host without it, the provider does not.
 */
export function checkProviderSocket(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "libvirt-socket";
  const uri = ctx.libvirtUri;
  const socket = uri === undefined || ctx.remoteHost !== undefined ? undefined : providerSocketOf(uri);
  if (uri === undefined) return { check, status: "warn", detail: "not checked: no libvirt URI" };
  if (socket === undefined) return { check, status: "ok", detail: `${uri} is reached over the network, not through a local socket` };
  if (probe.stat(socket) === undefined) {
    return {
      check,
      status: "fail",
      detail: `${socket} is missing, and the libvirt provider connects to ${uri} only there (EL9's modular daemons create it with virtproxyd.socket)`,
      fix: MODULAR_LIBVIRT_FIX,
    };
  }
  return { check, status: "ok", detail: `${socket} is there for the libvirt provider` };
}

/** The domains libvirt knows, when it answers; used to leave running VMs out of the memory sum. */
export function listDomains(uri: string, probe: HostProbe): LibvirtDomains | undefined {
  const names = (args: string[]) => {
    const result = probe.run("virsh", ["-c", uri, "list", "--name", ...args]);
    if (result === undefined || result.status !== 0) return undefined;
    return result.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
  };
  const running = names(["--state-running"]);
  const defined = names(["--all"]);
  return running && defined ? { running, defined } : undefined;
}

/** `mkisofs`: the provider builds the infra node's cloud-init ISO by running it by that name. */
export function checkIsoTool(_ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "mkisofs";
  const why = "the libvirt provider runs 'mkisofs' to build the infra node's cloud-init ISO";
  const mkisofs = probe.which("mkisofs");
  if (mkisofs) return { check, status: "ok", detail: `${mkisofs} (${why})` };
  // terraform-provider-libvirt cloudinit_def.go calls exec.Command("mkisofs"): genisoimage or
  // xorrisofs alone is not found under that name.
  const other = probe.which("genisoimage") ?? probe.which("xorrisofs");
  if (other) {
    return {
      check,
      status: "fail",
      detail: `${other} is installed but not as 'mkisofs', and ${why}`,
      fix: `sudo ln -s ${other} /usr/local/bin/mkisofs`,
    };
  }
  // EL9: xorriso (AppStream) provides mkisofs through alternatives; genisoimage is in EPEL only.
  return { check, status: "fail", detail: `not found on PATH; ${why}`, fix: "sudo dnf install xorriso" };
}

/** A host program the lab runs, the EL9 package that has it (or where to get it) and why it is needed. */
interface HostTool {
  name: string;
  /** The Rocky 9 package, e.g. `bind-utils`; undefined when no package has it. */
  pkg?: string;
  /** How to get it when no package has it. */
  download?: string;
  why: string;
}

/** oc is not a Rocky package: it comes with the OKD release's client tarball. */
export const OC_DOWNLOAD =
  "download openshift-client-linux-<release>.tar.gz of your OKD release from https://github.com/okd-project/okd/releases and 'tar -xzf' it to put oc on PATH";

/**
 * The boot image the lab will use on a new stack: the configured one, else the one the installer
 * names. (An existing lab keeps the image recorded in its outputs, which preflight cannot read.)
 */
export function resolveBootImage(config: LabConfig, probe: HostProbe): BootImageRecord | { error: string } {
  try {
    return config.bootImage.image !== undefined ? chooseBootImage(config, { labExists: false }, probe).record : installerBootImage(config, probe);
  } catch (err) {
    if (err instanceof BootImageError) return { error: err.message };
    throw err;
  }
}

function bootImageOf(ctx: PreflightContext, probe: HostProbe): BootImageRecord | { error: string } {
  ctx.bootImage ??= resolveBootImage(ctx.config, probe);
  return ctx.bootImage;
}

/** Programs `pulumi up` runs on this machine (local commands), given the config and the boot image. */
export function hostToolsFor(config: LabConfig, bootImage?: BootImageRecord | { error: string }): HostTool[] {
  const tools: HostTool[] = [
    { name: "dig", pkg: "bind-utils", why: "the readiness gate resolves api-int at the infra node with it" },
    // terraform-provider-libvirt utils_xslt.go runs xsltproc for the pool's xml.xslt.
    { name: "xsltproc", pkg: "libxslt", why: "the libvirt provider applies the pool's permissions stylesheet with it" },
    { name: "oc", download: OC_DOWNLOAD, why: "every install needs it (nextSteps, CSR approval)" },
    { name: "ssh", pkg: "openssh-clients", why: "npm run verify reads HAProxy's stats through an ssh tunnel to the infra node" },
  ];
  const image = bootImage && "image" in bootImage ? bootImage.image : config.bootImage.image;
  if (image !== undefined && isUrl(image)) {
    const what = config.bootImage.image === undefined ? "the boot image the installer names" : `${config.bootImage.key}.image`;
    const why = `${what} is a URL, fetched on this machine`;
    tools.push({ name: "curl", pkg: "curl", why }, { name: "sha256sum", pkg: "coreutils", why });
    const pathname = new URL(image).pathname;
    if (pathname.endsWith(".xz")) tools.push({ name: "xz", pkg: "xz", why: `${what} is a .xz, decompressed on this machine` });
    if (pathname.endsWith(".gz")) tools.push({ name: "gzip", pkg: "gzip", why: `${what} is a .gz, decompressed on this machine` });
  }
  // CSR requests are parsed in-process (host/csrPolicy.ts): approveCsrs needs no openssl; oc is always checked.
  return tools;
}

/** Every program in {@link hostToolsFor} is on PATH. */
export function checkHostTools(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "tools";
  const tools = hostToolsFor(ctx.config, bootImageOf(ctx, probe));
  const missing = tools.filter((t) => probe.which(t.name) === undefined);
  if (missing.length === 0) return { check, status: "ok", detail: `${tools.map((t) => t.name).join(", ")} found` };
  const pkgs = [...new Set(missing.flatMap((t) => (t.pkg ? [t.pkg] : [])))];
  const fixes = [
    ...(pkgs.length > 0 ? [`sudo dnf install ${pkgs.join(" ")}`] : []),
    ...missing.flatMap((t) => (t.download ? [`${t.name}: ${t.download}`] : [])),
  ];
  return {
    check,
    status: "fail",
    detail: missing.map((t) => `${t.name} is missing (${t.why})`).join("; "),
    fix: fixes.join("; "),
  };
}

/** The Node.js major version the program needs (package.json engines). */
export const NODE_MAJOR = 20;

/** `dnf install nodejs` on Rocky 9 gives Node 16: the module stream gives a current one. */
export const NODE_FIX = `sudo dnf module reset -y nodejs && sudo dnf module install -y nodejs:${NODE_MAJOR}/common`;

/** `node --version` on PATH (the Node.js Pulumi runs the program with) is at least {@link NODE_MAJOR}. */
export function checkNode(_ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "node";
  const result = probe.run("node", ["--version"]);
  if (result === undefined) return { check, status: "fail", detail: "node is not on PATH; Pulumi runs the program with it", fix: NODE_FIX };
  const version = result.stdout.trim();
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major)) return { check, status: "warn", detail: `cannot read a version from 'node --version' (${oneLine(version).slice(0, 40)})` };
  if (major < NODE_MAJOR) {
    return { check, status: "fail", detail: `node ${version} is older than ${NODE_MAJOR}, which the program needs`, fix: NODE_FIX };
  }
  return { check, status: "ok", detail: `node ${version}` };
}

/** The SELinux mode from `getenforce`, or undefined on a host without SELinux. */
function selinuxMode(probe: HostProbe): "Enforcing" | "Permissive" | "Disabled" | undefined {
  const result = probe.run("getenforce", []);
  const mode = result?.status === 0 ? result.stdout.trim() : undefined;
  return mode === "Enforcing" || mode === "Permissive" || mode === "Disabled" ? mode : undefined;
}

function appArmorEnabled(probe: HostProbe): boolean {
  return probe.readFile("/sys/module/apparmor/parameters/enabled")?.trim() === "Y";
}

/** The commands that give `dir` the SELinux type of libvirt images. */
function selinuxLabelFix(dir: string, create: boolean): string {
  const mkdir = create ? `sudo mkdir -p ${dir} && ` : "";
  // Inside /var/lib/libvirt/images the policy already maps paths to virt_image_t.
  const fcontext = insideImagesDir(dir) ? "" : `sudo semanage fcontext -a -t virt_image_t '${dir}(/.*)?' && `;
  return `${fcontext}${mkdir}sudo restorecon -Rv ${dir}`;
}

/**
 * The pool directory: a directory (libvirt's pool build creates it when missing), with a label QEMU
 * may read. libvirt relabels disks but not the Ignition file it passes with `-fw_cfg`, so the
 * directory's own SELinux type or AppArmor rules decide (FACTS §2, Ignition).
 */
export function checkPool(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "pool";
  const remote = notCheckedRemote(check, ctx);
  if (remote) return remote;
  const dir = ctx.config.pool.path;
  const info = probe.stat(dir);
  if (info && info.kind !== "directory") {
    return {
      check,
      status: "fail",
      detail: `${dir} exists but is not a directory`,
      fix: `remove it, or set okd-lab:pool.path to a directory under ${LIBVIRT_IMAGES_DIR}`,
    };
  }
  const selinux = selinuxMode(probe);
  if (selinux === "Enforcing" || selinux === "Permissive") {
    if (!info) {
      return {
        check,
        status: "warn",
        detail: `${dir} does not exist yet, so its SELinux label cannot be checked (libvirt creates it when it builds the pool)`,
        fix: `${selinuxLabelFix(dir, true)}, then run preflight again`,
      };
    }
    const context = probe.run("stat", ["-c", "%C", dir]);
    const type = context?.status === 0 ? context.stdout.trim().split(":")[2] : undefined;
    if (type === undefined) {
      return { check, status: "warn", detail: `${dir} exists but its SELinux label could not be read`, fix: `ls -Zd ${dir} should show virt_image_t` };
    }
    if (type === "virt_image_t") return { check, status: "ok", detail: `${dir} is labelled virt_image_t (SELinux ${selinux.toLowerCase()})` };
    return {
      check,
      status: selinux === "Enforcing" ? "fail" : "warn",
      detail:
        `${dir} has SELinux type ${type}, not virt_image_t: QEMU cannot read the Ignition files there` +
        (selinux === "Permissive" ? " once SELinux enforces" : ""),
      fix: selinuxLabelFix(dir, false),
    };
  }
  const exists = info ? "exists" : "does not exist yet (libvirt creates it when it builds the pool)";
  if (appArmorEnabled(probe)) {
    if (insideImagesDir(dir))
      return { check, status: "ok", detail: `${dir} ${exists}; inside ${LIBVIRT_IMAGES_DIR}, which libvirt's AppArmor profile lets QEMU read` };
    return {
      check,
      status: "warn",
      detail: `${dir} ${exists}; it is outside ${LIBVIRT_IMAGES_DIR} and AppArmor may stop QEMU reading the Ignition files there`,
      fix: `set okd-lab:pool.path under ${LIBVIRT_IMAGES_DIR}, or add the line '  ${dir}/** rk,' to /etc/apparmor.d/local/abstractions/libvirt-qemu`,
    };
  }
  return { check, status: "ok", detail: `${dir} ${exists}; no SELinux or AppArmor confinement found` };
}

/**
 * The libvirt host's CPU has the level the boot image needs (x86-64-v2 for Fedora CoreOS and
 * CentOS Stream CoreOS 9, x86-64-v3 for CentOS Stream CoreOS 10). Read from /proc/cpuinfo when
 * libvirt is local, from libvirt itself (`virsh capabilities`, `cpu-baseline --features`) when not.
 */
export function checkCpu(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "cpu";
  const image = bootImageOf(ctx, probe);
  // Without a known image the lab still needs x86-64-v2 (its AlmaLinux 9 infra node).
  const [needed, what] = "error" in image ? (["x86-64-v2", "the lab (its AlmaLinux 9 infra node)"] as const) : [image.cpuLevel, describeRecord(image)];
  const cpu = readHostCpu(ctx.libvirtUri, ctx.remoteHost, probe);
  if ("error" in cpu) return { check, status: "warn", detail: `${cpu.error}; the CPU was not checked against ${what} (${needed})` };
  const shortfall = cpuShortfall(cpu, needed, what);
  if (shortfall !== undefined) return { check, status: "fail", detail: shortfall, fix: cpuFix(needed) };
  const level = cpuLevelOf(cpu.flags);
  const note = level === "x86-64-v2" ? "; not x86-64-v3, so the newest OKD release it can run is 4.19 (4.20 and later boot CentOS Stream CoreOS 10)" : "";
  return { check, status: "ok", detail: `${level} (${cpu.source}), enough for ${what}${note}` };
}

/**
 * KVM is usable: `/dev/kvm` exists. The provider's domains are of type `kvm` (its default), which
 * libvirt refuses to start without it.
 */
export function checkKvm(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "kvm";
  const remote = notCheckedRemote(check, ctx);
  if (remote) return remote;
  const flags = flagsFromCpuinfo(probe.readFile("/proc/cpuinfo") ?? "") ?? new Set<string>();
  const vendor = flags.has("vmx") ? "vmx" : flags.has("svm") ? "svm" : undefined;
  if (probe.stat("/dev/kvm")) return { check, status: "ok", detail: `/dev/kvm present${vendor ? ` (${vendor})` : ""}` };
  if (vendor) {
    const module = vendor === "vmx" ? "kvm_intel" : "kvm_amd";
    return { check, status: "fail", detail: `the CPU has ${vendor} but /dev/kvm is missing: the KVM module is not loaded`, fix: `sudo modprobe ${module}` };
  }
  return {
    check,
    status: "fail",
    detail: "/dev/kvm is missing and the CPU shows neither vmx nor svm: hardware virtualization is off",
    fix: "enable Intel VT-x / AMD-V in the firmware setup (HPE ProLiant: System Options > Processor Options > Intel Virtualization Technology), then reboot",
  };
}

/** The openshift-install release from the first line of `openshift-install version`. */
export function parseInstallerVersion(stdout: string): { version: string; major: number; minor: number; okd: boolean } | undefined {
  const match = /^openshift-install v?((\d+)\.(\d+)\.\d+\S*)/m.exec(stdout);
  if (!match) return undefined;
  // OKD builds read 4.y.z-0.okd-<date> (Fedora CoreOS releases) or 4.y.z-okd-scos.<n>.
  return { version: match[1], major: Number(match[2]), minor: Number(match[3]), okd: /okd/.test(match[1]) };
}

/** The installer, resolved: a path when it contains a slash, otherwise looked up on PATH. */
function resolveInstaller(installer: string, probe: HostProbe): string | undefined {
  if (installer.includes("/")) return probe.stat(installer)?.kind === "file" ? installer : undefined;
  return probe.which(installer);
}

/** openshift-install is there, and its release boots the configured boot image (when one is configured). */
export function checkInstaller(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "installer";
  const { installer, assetsDir } = ctx.config.okd;
  const { image, key } = ctx.config.bootImage;
  const printStream = (bin: string) =>
    `unset okd-lab:${key}.image to boot the image the installer names, or set okd-lab:bootImage.image and .sha256 to what '${bin} coreos print-stream-json | jq -r '${STREAM_IMAGE_JQ}'' prints`;
  const resolved = resolveInstaller(installer, probe);
  if (resolved === undefined) {
    const where = installer.includes("/") ? `${installer} does not exist` : `${installer} is not on PATH`;
    const fix =
      "download openshift-install for your OKD release from https://github.com/okd-project/okd/releases and put it on PATH, or set okd-lab:okd.installer to its path";
    // The installer step reuses recorded assets without running the installer.
    if (probe.stat(path.posix.join(assetsDir, RECORD_DIR, "install-config.sha256"))) {
      return {
        check,
        status: "warn",
        detail: `${where}; the assets in ${assetsDir} are reused, so up does not need it, but 'wait-for' and a new cluster do`,
        fix,
      };
    }
    return { check, status: "fail", detail: `${where}; it generates the cluster's Ignition configs`, fix };
  }
  const result = probe.run(resolved, ["version"]);
  if (result === undefined || result.status !== 0) {
    return {
      check,
      status: "fail",
      detail: `'${resolved} version' failed: ${result ? oneLine(result.stderr) || `exit status ${result.status}` : "it cannot be run"}`,
      fix: `check that ${resolved} is an openshift-install binary for linux/amd64 and executable (chmod +x)`,
    };
  }
  const version = parseInstallerVersion(result.stdout);
  if (version === undefined) {
    return {
      check,
      status: "warn",
      detail: `cannot read a version from '${resolved} version' (${oneLine(result.stdout).slice(0, 80)})`,
      fix: printStream(resolved),
    };
  }
  const name = `openshift-install ${version.version}`;
  if (!version.okd) {
    return {
      check,
      status: "warn",
      detail: `${resolved} is ${name}, which does not look like an OKD build (OKD versions read 4.y.z-0.okd-<date>)`,
      fix: "use the OKD installer from https://github.com/okd-project/okd/releases",
    };
  }
  const release = okdBootImage(version.major, version.minor);
  if (release === undefined) {
    return { check, status: "warn", detail: `no known boot image for ${name} (known: OKD 4.12 and later)`, fix: printStream(resolved) };
  }
  const boots = `${name} boots ${describeOs(release.boot)}${release.pivot ? ` and pivots the nodes to ${describeOs(release.pivot)}` : ""}`;
  if (image === undefined) {
    const named = bootImageOf(ctx, probe);
    if ("error" in named) return { check, status: "warn", detail: `${boots}; it names no usable boot image (see boot-image)` };
    const matches = named.os?.family === release.boot.family && named.os.major === release.boot.major;
    return matches
      ? { check, status: "ok", detail: `${resolved}: ${boots}; the boot image comes from it: ${describeRecord(named)}` }
      : { check, status: "warn", detail: `${boots}, but it names ${describeRecord(named)}: a release this table does not know yet; its own image is used` };
  }
  const imageName = path.posix.basename(isUrl(image) ? new URL(image).pathname : image);
  const os = osOfImage(image);
  if (os === undefined) {
    return {
      check,
      status: "warn",
      detail: `${boots}, but the release of ${imageName} (okd-lab:${key}.image) cannot be read from its name`,
      fix: `keep the released file name (e.g. ${release.boot.family === "fcos" ? `fedora-coreos-${release.boot.major}.<date>.3.0-qemu.x86_64.qcow2` : `scos-${release.boot.major}.0.<date>-0-qemu.x86_64.qcow2`}), or ${printStream(resolved)}`,
    };
  }
  if (os.family !== release.boot.family || os.major !== release.boot.major) {
    return {
      check,
      status: "fail",
      detail: `${boots}, but okd-lab:${key}.image is ${describeOs(os)} (${imageName})`,
      fix: printStream(resolved),
    };
  }
  return { check, status: "ok", detail: `${resolved}: ${name} pairs with ${describeOs(os)} (${imageName})` };
}

/** A boot image: a readable host file, or a URL that answers. */
function checkImage(check: string, key: string, image: string, probe: HostProbe, download: string): PreflightResult {
  if (isUrl(image)) {
    const answer = probe.headUrl(image);
    if (answer.ok) return { check, status: "ok", detail: `${image} answers${answer.status ? ` (HTTP ${answer.status})` : ""}` };
    const why = answer.error ?? (answer.status ? `HTTP ${answer.status}` : "no answer");
    return {
      check,
      status: "fail",
      detail: `${image} is not reachable: ${why}`,
      fix: `check the URL and this machine's network or proxy, or download the image and set okd-lab:${key} to its path`,
    };
  }
  const info = probe.stat(image);
  if (info === undefined) return { check, status: "fail", detail: `${image} does not exist`, fix: download };
  if (info.kind !== "file") return { check, status: "fail", detail: `${image} is not a file`, fix: `set okd-lab:${key} to the qcow2 file` };
  if (!info.readable) {
    return { check, status: "fail", detail: `${image} is not readable by this user, and the provider uploads it as this user`, fix: `sudo chmod a+r ${image}` };
  }
  return { check, status: "ok", detail: `${image} is readable` };
}

/** The AlmaLinux 9 image of the infra node. */
export function checkInfraImage(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  return checkImage(
    "infra-image",
    "infra.image",
    ctx.config.infra.image,
    probe,
    "download the pinned AlmaLinux 9 GenericCloud image (README) to that path, or set okd-lab:infra.image to its URL and okd-lab:infra.imageSha256 to its sha256",
  );
}

/** The boot image of the cluster nodes: the configured file or URL, or the one the installer names. */
export function checkBootImage(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "boot-image";
  const { installer, assetsDir } = ctx.config.okd;
  const { image, key } = ctx.config.bootImage;
  if (image !== undefined) {
    const unpack = "unxz (or gunzip)";
    return checkImage(
      check,
      `${key}.image`,
      image,
      probe,
      `download the qemu image '${installer} coreos print-stream-json' names, ${unpack} it to that path, or set okd-lab:${key}.image to its URL and okd-lab:${key}.sha256`,
    );
  }
  const named = bootImageOf(ctx, probe);
  if ("error" in named) {
    // A lab whose assets exist keeps the image recorded in its stack outputs.
    const reused = probe.stat(path.posix.join(assetsDir, RECORD_DIR, "install-config.sha256")) !== undefined;
    const [sentence, fix] = named.error.split(" Fix: ");
    const detail = sentence.replace(/\.$/, "");
    return reused
      ? {
          check,
          status: "warn",
          detail: `${detail}; fine for the existing lab in ${assetsDir}, which keeps the image recorded in its stack outputs`,
          fix: fix?.replace(/\.$/, ""),
        }
      : { check, status: "fail", detail, fix: fix?.replace(/\.$/, "") };
  }
  const result = checkImage(check, `${key}.image`, named.image, probe, "");
  return { ...result, detail: `${describeRecord(named)} from the installer: ${result.detail}` };
}

/** The lab's VMs that do not exist (disk) or run (memory) yet: only they take new resources. */
function pendingVms(plan: LabPlan, existing: string[] | undefined): { name: string; memoryMiB: number; diskGiB: number }[] {
  const all = [plan.infra, ...plan.nodes].map((vm) => ({ name: vm.domainName, memoryMiB: vm.memoryMiB, diskGiB: vm.diskGiB }));
  const taken = new Set(existing ?? []);
  return all.filter((vm) => !taken.has(vm.name));
}

/** MemAvailable from /proc/meminfo, in MiB. */
function memAvailableMiB(probe: HostProbe): number | undefined {
  const kib = /^MemAvailable:\s+(\d+) kB$/m.exec(probe.readFile("/proc/meminfo") ?? "")?.[1];
  return kib === undefined ? undefined : Math.floor(Number(kib) / 1024);
}

/** The memory of every VM still to start fits into MemAvailable. */
export function checkMemory(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "memory";
  const remote = notCheckedRemote(check, ctx);
  if (remote) return remote;
  const available = memAvailableMiB(probe);
  if (available === undefined) return { check, status: "warn", detail: "/proc/meminfo has no MemAvailable line; memory not checked" };
  const pending = pendingVms(ctx.plan, ctx.domains?.running);
  const total = [ctx.plan.infra, ...ctx.plan.nodes].length;
  const running = total - pending.length;
  const needed = pending.reduce((sum, vm) => sum + vm.memoryMiB, 0);
  const already = running > 0 ? ` (${running} already running, not counted)` : "";
  const detail = `${pending.length} VM${pending.length === 1 ? "" : "s"} to start need ${needed} MiB${already}; ${available} MiB available`;
  if (needed > available) {
    const minimums = `OKD minimums: ${ROLE_MINIMUMS.master.memoryMiB} MiB for bootstrap and masters, ${ROLE_MINIMUMS.worker.memoryMiB} MiB for workers`;
    const bootstrap = ctx.plan.nodes.some((n) => n.role === "bootstrap")
      ? "; after bootstrap-complete, okd-lab:bootstrap.enabled: false frees the bootstrap's memory"
      : "";
    return { check, status: "fail", detail, fix: `stop other VMs or lower memoryMiB in the stack (${minimums})${bootstrap}` };
  }
  if (needed > available * MEMORY_WARN_RATIO) {
    return {
      check,
      status: "warn",
      detail: `${detail}: less than ${Math.round((1 - MEMORY_WARN_RATIO) * 100)}% left for the host`,
      fix: "stop other VMs or lower memoryMiB in the stack",
    };
  }
  return { check, status: "ok", detail };
}

/** The root disks of VMs still to create, against the free space of the pool's filesystem. */
export function checkDisk(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "disk";
  const remote = notCheckedRemote(check, ctx);
  if (remote) return remote;
  const dir = ctx.config.pool.path;
  const free = probe.freeDiskBytes(dir);
  if (free === undefined) return { check, status: "warn", detail: `cannot read the free space of ${dir}` };
  const pending = pendingVms(ctx.plan, ctx.domains?.defined);
  const neededGiB = pending.reduce((sum, vm) => sum + vm.diskGiB, 0);
  const freeGiB = Math.floor(free / GIB);
  // Root disks are qcow2 overlays on the base images: they start small and grow with use.
  const detail = `root disks of ${pending.length} new VM${pending.length === 1 ? "" : "s"} can grow to ${neededGiB} GiB (thin qcow2 overlays); ${freeGiB} GiB free for ${dir}`;
  if (neededGiB * GIB > free) {
    return {
      check,
      status: "warn",
      detail: `${detail}: they start small but can fill the filesystem as the cluster runs`,
      fix: "free space on that filesystem, or lower diskGiB in the stack",
    };
  }
  return { check, status: "ok", detail };
}

/** A libvirt object by kind and name; volumes also by pool. */
export interface LibvirtObject {
  kind: "domain" | "volume" | "network" | "pool";
  name: string;
  /** The pool of a volume. */
  pool?: string;
  /** A domain that runs (it must be stopped before it can be undefined). */
  running?: boolean;
}

/** libvirt resource types of the provider and the kind of object each one owns. */
const STATE_KINDS: Record<string, LibvirtObject["kind"]> = {
  "libvirt:index/domain:Domain": "domain",
  "libvirt:index/volume:Volume": "volume",
  "libvirt:index/ignition:Ignition": "volume",
  "libvirt:index/cloudInitDisk:CloudInitDisk": "volume",
  "libvirt:index/network:Network": "network",
  "libvirt:index/pool:Pool": "pool",
};

const objectKey = (o: LibvirtObject) => `${o.kind}:${o.pool ?? ""}:${o.name}`;

/**
 * The libvirt objects a `pulumi stack export` names (`deployment.resources[].outputs.name`, and
 * `pool` for volumes; apitype DeploymentV3/ResourceV3). Interrupted creates sit only in
 * `pending_operations`: Pulumi does not own them, so they are not listed.
 */
export function objectsInState(exported: string): LibvirtObject[] {
  const doc = JSON.parse(exported) as { deployment?: { resources?: { type?: string; outputs?: Record<string, unknown> }[] } };
  const objects: LibvirtObject[] = [];
  for (const r of doc.deployment?.resources ?? []) {
    const kind = r.type ? STATE_KINDS[r.type] : undefined;
    const name = r.outputs?.name;
    if (kind === undefined || typeof name !== "string") continue;
    const pool = r.outputs?.pool;
    objects.push({ kind, name, ...(kind === "volume" && typeof pool === "string" ? { pool } : {}) });
  }
  return objects;
}

/** Volume names from `virsh vol-list --pool P` (a table: header, dashes, then `name path`). */
export function parseVolList(stdout: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => /^-{3,}/.test(l.trim()));
  return lines
    .slice(start + 1)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n !== undefined && n !== "");
}

/** A word as the shell reads it: quoted unless it is plainly safe. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9._:/+@=-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The exact virsh commands that remove `objects` (domains first, the pool last). */
export function removalCommands(uri: string, objects: LibvirtObject[]): string[] {
  const virsh = (...args: string[]) => ["virsh", "-c", uri, ...args].map(shellWord).join(" ");
  const order: LibvirtObject["kind"][] = ["domain", "volume", "network", "pool"];
  return [...objects]
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
    .flatMap((o) => {
      switch (o.kind) {
        case "domain":
          return [...(o.running ? [virsh("destroy", o.name)] : []), virsh("undefine", o.name)];
        case "volume":
          return [virsh("vol-delete", o.name, "--pool", o.pool ?? "")];
        case "network":
          return [virsh("net-destroy", o.name), virsh("net-undefine", o.name)];
        case "pool":
          // pool-undefine keeps the directory and anything left in it.
          return [virsh("pool-destroy", o.name), virsh("pool-undefine", o.name)];
        default: {
          const unreachable: never = o.kind;
          return unreachable;
        }
      }
    });
}

function describeObject(o: LibvirtObject): string {
  return o.kind === "volume" ? `volume ${o.name} (pool ${o.pool})` : `${o.kind} ${o.name}`;
}

/**
 * libvirt objects that carry this lab's names (its domains, also those of nodes no longer in the
 * config whose disks are in the pool, its network and pool, and every volume in its pool: root
 * disks, `.ign` files, the cloud-init ISO, base images) but are not in the stack's
 * state. A failed run leaves them: the provider defines and starts a domain before it records
 * it, and creates Ignition and cloud-init volumes before uploading them (resource_libvirt_domain.go
 * create, provider issue #1150). The next `pulumi up` then fails with "already exists", or, for a
 * `libvirt_volume`, silently adopts the old volume (resource_libvirt_volume.go create).
 */
export function checkOrphans(ctx: PreflightContext, probe: HostProbe): PreflightResult {
  const check = "orphans";
  const uri = ctx.libvirtUri;
  if (uri === undefined || ctx.domains === undefined) return { check, status: "warn", detail: "not checked: libvirt did not answer" };
  const stack = ctx.config.stack;
  const exported = probe.run("pulumi", ["stack", "export", "--stack", stack]);
  let owned: LibvirtObject[];
  if (exported === undefined) {
    return {
      check,
      status: "fail",
      detail: `the Pulumi CLI is not on PATH, so the state of stack ${stack} cannot be read`,
      fix: "run npm ci, then run preflight through npm run (npm puts node_modules/.bin/pulumi, the pinned CLI, first on PATH)",
    };
  } else if (exported.status === 0) {
    try {
      owned = objectsInState(exported.stdout);
    } catch (err) {
      return { check, status: "fail", detail: `'pulumi stack export --stack ${stack}' printed no state: ${err instanceof Error ? err.message : String(err)}` };
    }
  } else if (/no stack named '[^']*' found/.test(exported.stderr)) {
    owned = [];
  } else {
    return {
      check,
      status: "fail",
      detail: `cannot read the state of stack ${stack}: ${oneLine(exported.stderr) || `pulumi exited with ${exported.status}`}`,
      fix: "run preflight through npm run up (it selects the local file backend), or export PULUMI_BACKEND_URL as npm run up does",
    };
  }

  const list = (args: string[]) => {
    const result = probe.run("virsh", ["-c", uri, ...args]);
    return result?.status === 0
      ? result.stdout
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l !== "")
      : [];
  };
  const pool = ctx.config.pool.name;
  const running = new Set(ctx.domains.running);
  const pools = list(["pool-list", "--all", "--name"]);
  const volumes = pools.includes(pool) ? parseVolList(probe.run("virsh", ["-c", uri, "vol-list", "--pool", pool])?.stdout ?? "") : [];
  // The lab's domains, and those of nodes no longer in the config whose volumes are in the pool.
  const fromVolumes = volumes.map((v) => /^(.+?)(-root\.qcow2|\.ign|-cloudinit\.iso)$/.exec(v)?.[1]).filter((d): d is string => d !== undefined);
  const domainNames = [...new Set([ctx.plan.infra.domainName, ...ctx.plan.nodes.map((n) => n.domainName), ...fromVolumes])];
  const present: LibvirtObject[] = [
    ...domainNames.filter((d) => ctx.domains!.defined.includes(d)).map((name): LibvirtObject => ({ kind: "domain", name, running: running.has(name) })),
    ...volumes.map((name): LibvirtObject => ({ kind: "volume", name, pool })),
    ...(list(["net-list", "--all", "--name"]).includes(ctx.plan.network.name) ? [{ kind: "network" as const, name: ctx.plan.network.name }] : []),
    ...(pools.includes(pool) ? [{ kind: "pool" as const, name: pool }] : []),
  ];
  const inState = new Set(owned.map(objectKey));
  const orphans = present.filter((o) => !inState.has(objectKey(o)));
  if (orphans.length === 0) {
    return {
      check,
      status: "ok",
      detail:
        present.length === 0
          ? `no libvirt object with the lab's names yet`
          : `${present.length} libvirt object${present.length === 1 ? "" : "s"} with the lab's names, all in the state of stack ${stack}`,
    };
  }
  return {
    check,
    status: "fail",
    detail:
      `${orphans.map(describeObject).join(", ")} ${orphans.length === 1 ? "exists" : "exist"} in libvirt but not in the state of stack ${stack} (left by a failed run or another lab): ` +
      `'pulumi up' would fail with "already exists" or reuse a stale volume`,
    fix: `remove them: ${removalCommands(uri, orphans).join("; ")}`,
  };
}

export const PREFLIGHT_CHECKS: readonly ((ctx: PreflightContext, probe: HostProbe) => PreflightResult)[] = [
  checkLibvirt,
  checkProviderSocket,
  checkOrphans,
  checkIsoTool,
  checkNode,
  checkHostTools,
  checkPool,
  checkCpu,
  checkKvm,
  checkInstaller,
  checkInfraImage,
  checkBootImage,
  checkMemory,
  checkDisk,
];

/**
 * Runs every check against the host.
 * @param config the validated stack configuration.
 * @param libvirtUri `libvirt:uri` from the stack, else LIBVIRT_DEFAULT_URI; undefined when neither is set.
 * @param probe the host, real or fake.
 * @returns one result per check, in {@link PREFLIGHT_CHECKS} order.
 */
export function runPreflight(config: LabConfig, libvirtUri: string | undefined, probe: HostProbe): PreflightResult[] {
  const ctx: PreflightContext = {
    config,
    plan: buildLabPlan(config),
    libvirtUri,
    remoteHost: libvirtUri === undefined ? undefined : remoteHostOf(libvirtUri),
  };
  const [libvirt, ...rest] = PREFLIGHT_CHECKS;
  const first = libvirt(ctx, probe);
  if (first.status === "ok" && libvirtUri !== undefined) ctx.domains = listDomains(libvirtUri, probe);
  ctx.bootImage = resolveBootImage(config, probe);
  return [first, ...rest.map((check) => check(ctx, probe))];
}

const LABELS: Record<PreflightStatus, string> = { ok: "ok", warn: "warn", fail: "FAIL" };

/**
 * One printed line.
 * @example formatResult({ check: "kvm", status: "fail", detail: "…", fix: "sudo modprobe kvm_intel" }) // "FAIL  kvm: …. Fix: sudo modprobe kvm_intel"
 */
export function formatResult(result: PreflightResult): string {
  const fix = result.fix ? `. Fix: ${result.fix}` : "";
  return `${LABELS[result.status].padEnd(6)}${result.check}: ${result.detail}${fix}`;
}

/** The closing line: counts per status, and what a failure means for `npm run up`. */
export function formatSummary(results: PreflightResult[]): string {
  const count = (status: PreflightStatus) => results.filter((r) => r.status === status).length;
  const fails = count("fail");
  const counts = `preflight: ${count("ok")} ok, ${count("warn")} warn, ${fails} FAIL`;
  return fails > 0 ? `${counts}; fix the FAIL lines before npm run up` : `${counts}; the host is ready for npm run up`;
}
