/**
 * The preflight checks against a fake host: a healthy Rocky Linux 9 libvirt host on an HPE DL380 G7
 * (Westmere: x86-64-v2, no AVX) that each test breaks in one way. No test touches the real host.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LabConfig, parseLabConfig, RawLabConfig } from "../../config/labConfig";
import {
  checkCpu,
  checkDisk,
  checkBootImage,
  checkHostTools,
  checkInfraImage,
  checkInstaller,
  checkIsoTool,
  checkKvm,
  checkLibvirt,
  checkMemory,
  checkNode,
  checkProviderSocket,
  providerSocketOf,
  checkPool,
  CommandResult,
  formatResult,
  formatSummary,
  HostProbe,
  parseInstallerVersion,
  parseVolList,
  PathInfo,
  PreflightContext,
  PreflightResult,
  remoteHostOf,
  runPreflight,
  UrlAnswer,
} from "../../host/preflight";
import { buildLabPlan } from "../../plan/labPlan";
import { parseArgs, splitStackConfig } from "../../scripts/preflight";
import { seedRawConfig, STREAM_IMAGES } from "../fixtures/labs";

const URI = "qemu:///system";
const POOL = "/var/lib/libvirt/images/okd-lab";
const FCOS_38 = "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2";
const ALMA_URL = "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.7-20251118.x86_64.qcow2";
const FCOS_URL = "https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/38.20230918.3.0/x86_64/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2.xz";
const INSTALLER = "/usr/local/bin/openshift-install";
const GIB = 1024 ** 3;

/** A Xeon X5650 (Westmere, the DL380 G7): x86-64-v2 with VT-x, no AVX. */
const WESTMERE_FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx " +
  "pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc aperfmperf pni pclmulqdq dtes64 monitor " +
  "ds_cpl vmx smx est tm2 ssse3 cx16 xtpr pdcm pcid dca sse4_1 sse4_2 popcnt aes lahf_lm epb pti tpr_shadow vnmi flexpriority ept vpid dtherm ida arat";
/** A Xeon X5450 (Penryn): SSE4.1 but no SSE4.2 or POPCNT, so no x86-64-v2. */
const PENRYN_FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm pni monitor vmx ssse3 cx16 sse4_1 lahf_lm";
/** An EPYC: every x86-64-v3 flag and AMD-V. */
const EPYC_FLAGS = `${WESTMERE_FLAGS.replace(" vmx", " svm")} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave`;

/** The host CPU element of `virsh capabilities` on a DL380 G7: a model plus the features beyond it. */
const WESTMERE_HOST_CPU =
  "<cpu>\n      <arch>x86_64</arch>\n      <model>Westmere</model>\n      <vendor>Intel</vendor>\n      <feature name='vmx'/>\n    </cpu>";
/** Its expansion: the features `virsh cpu-baseline --features` (libvirt 9.0) printed for the Westmere model here. */
const baseline = (features: string) =>
  `<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n${features
    .split(" ")
    .map((f) => `  <feature policy='require' name='${f}'/>\n`)
    .join("")}</cpu>\n`;
const WESTMERE_BASELINE = baseline(
  "aes apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pdpe1gb pge pni popcnt pse pse36 sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc vmx",
);
/** A Haswell host: libvirt's Haswell-noTSX expansion plus the extra f16c and abm its capabilities list. */
const HASWELL_BASELINE = baseline(
  "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq " +
    "pdpe1gb pge pni popcnt pse pse36 rdtscp sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vmx x2apic xsave f16c abm",
);

function streamJson(family: string): string {
  const { stream, release, url } = STREAM_IMAGES[family as keyof typeof STREAM_IMAGES];
  const format = url.endsWith(".xz") ? "qcow2.xz" : "qcow2.gz";
  const disk = { location: url, sha256: "e".repeat(64), "uncompressed-sha256": "f".repeat(64) };
  return JSON.stringify({ stream, architectures: { x86_64: { artifacts: { qemu: { release, formats: { [format]: { disk } } } } } } });
}

/** The seed lab without an image: the installer names it. */
function withoutImage(): RawLabConfig {
  const { fcos: _fcos, ...raw } = seedRawConfig();
  return raw;
}

const cpuinfo = (flags: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: test CPU\nflags\t\t: ${flags}\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;
const meminfo = (availableKiB: number) => `MemTotal:       98947072 kB\nMemFree:        1000000 kB\nMemAvailable:   ${availableKiB} kB\n`;
const ok = (stdout: string): CommandResult => ({ status: 0, stdout, stderr: "" });

const VIRSH_VERSION = ok("Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\n");
const INSTALLER_413 = ok(
  "openshift-install 4.13.0-0.okd-2023-09-30-084937\nbuilt from commit 0b1e4e2\nrelease image quay.io/openshift/okd@sha256:7d8356\nrelease architecture amd64\n",
);

/** Everything the fake host answers; tests change one part of it. */
interface FakeHost {
  /** Keyed by the command line, e.g. `getenforce` or `virsh -c qemu:///system version`; absent = program not installed. */
  commands: Record<string, CommandResult>;
  onPath: Record<string, string>;
  files: Record<string, string>;
  paths: Record<string, PathInfo>;
  freeBytes?: number;
  urls: Record<string, UrlAnswer>;
}

const dir: PathInfo = { kind: "directory", readable: true };
const file: PathInfo = { kind: "file", readable: true };

/** A Rocky Linux 9 host with libvirt, SELinux enforcing, the OKD 4.13 installer and the FCOS 38 image. */
function rockyHost(): FakeHost {
  return {
    commands: {
      [`virsh -c ${URI} version`]: VIRSH_VERSION,
      [`virsh -c ${URI} list --name --state-running`]: ok("\n"),
      [`virsh -c ${URI} list --name --all`]: ok("\n"),
      [`virsh -c ${URI} net-list --all --name`]: ok("default\n"),
      [`virsh -c ${URI} pool-list --all --name`]: ok("default\n"),
      "pulumi stack export --stack dev": { status: 255, stdout: "", stderr: "error: no stack named 'dev' found\n" },
      getenforce: ok("Enforcing\n"),
      [`stat -c %C ${POOL}`]: ok("system_u:object_r:virt_image_t:s0\n"),
      [`${INSTALLER} version`]: INSTALLER_413,
      "node --version": ok("v20.18.1\n"),
    },
    onPath: {
      mkisofs: "/usr/bin/mkisofs",
      genisoimage: "/usr/bin/genisoimage",
      dig: "/usr/bin/dig",
      curl: "/usr/bin/curl",
      sha256sum: "/usr/bin/sha256sum",
      xz: "/usr/bin/xz",
      openssl: "/usr/bin/openssl",
      oc: "/usr/local/bin/oc",
      xsltproc: "/usr/bin/xsltproc",
      ssh: "/usr/bin/ssh",
      "openshift-install": INSTALLER,
    },
    files: { "/proc/cpuinfo": cpuinfo(WESTMERE_FLAGS), "/proc/meminfo": meminfo(90 * 1024 * 1024) },
    paths: {
      [POOL]: dir,
      "/dev/kvm": { kind: "other", readable: false },
      // EL9's modular daemons with virtproxyd.socket running.
      "/var/run/libvirt/libvirt-sock": { kind: "other", readable: true },
      [FCOS_38]: file,
      [INSTALLER]: file,
    },
    freeBytes: 800 * GIB,
    urls: { [ALMA_URL]: { ok: true, status: 200 } },
  };
}

/** A probe answering from `host`, recording every command it ran and what it got on stdin. */
function probeOf(host: FakeHost): HostProbe & { ran: string[]; inputs: Record<string, string> } {
  const ran: string[] = [];
  const inputs: Record<string, string> = {};
  return {
    ran,
    inputs,
    run: (cmd, args, input) => {
      const line = [cmd, ...args].join(" ");
      ran.push(line);
      if (input !== undefined) inputs[line] = input;
      return host.commands[line];
    },
    which: (name) => host.onPath[name],
    readFile: (f) => host.files[f],
    stat: (p) => host.paths[p],
    freeDiskBytes: () => host.freeBytes,
    headUrl: (url) => {
      const answer = host.urls[url];
      if (!answer) throw new Error(`unexpected HEAD ${url}`);
      return answer;
    },
  };
}

function configOf(raw: RawLabConfig = seedRawConfig()): LabConfig {
  return parseLabConfig(raw, "dev").config;
}

function seedWith(change: (raw: RawLabConfig) => void): LabConfig {
  const raw = seedRawConfig();
  change(raw);
  return configOf(raw);
}

function ctxOf(config: LabConfig = configOf(), extra: Partial<PreflightContext> = {}): PreflightContext {
  return { config, plan: buildLabPlan(config), libvirtUri: URI, ...extra };
}

/** `host` after `change`. */
function hostWith(change: (host: FakeHost) => void): FakeHost {
  const host = rockyHost();
  change(host);
  return host;
}

const line = (result: PreflightResult) => formatResult(result);

describe("libvirt", () => {
  it("reports the libvirt and QEMU versions when virsh connects", () => {
    expect(line(checkLibvirt(ctxOf(), probeOf(rockyHost())))).toBe("ok    libvirt: qemu:///system answers (libvirt 9.0.0, QEMU 7.2.0)");
    expect(line(checkProviderSocket(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    libvirt-socket: /var/run/libvirt/libvirt-sock is there for the libvirt provider",
    );
  });

  // terraform-provider-libvirt v0.8.1 libvirt/uri/unix.go dials /var/run/libvirt/libvirt-sock only;
  // on EL9's modular daemons virsh reaches virtqemud without it (provider issue #1025).
  it("fails with the modular sockets fix when virsh answers but the provider's socket is missing", () => {
    const host = hostWith((h) => delete h.paths["/var/run/libvirt/libvirt-sock"]);
    expect(checkLibvirt(ctxOf(), probeOf(host)).status).toBe("ok");
    expect(line(checkProviderSocket(ctxOf(), probeOf(host)))).toBe(
      "FAIL  libvirt-socket: /var/run/libvirt/libvirt-sock is missing, and the libvirt provider connects to qemu:///system only there " +
        "(EL9's modular daemons create it with virtproxyd.socket). Fix: sudo systemctl enable --now virtqemud.socket virtnetworkd.socket virtstoraged.socket virtproxyd.socket",
    );
  });

  it.each([
    ["qemu:///system", "/var/run/libvirt/libvirt-sock"],
    ["qemu+unix:///system?socket=/run/libvirt/virtqemud-sock", "/run/libvirt/virtqemud-sock"],
    ["qemu://localhost/system", undefined],
    ["qemu+ssh://root@rack1/system", undefined],
  ])("the provider dials, for %s, the socket %s", (uri, socket) => {
    expect(providerSocketOf(uri)).toBe(socket);
  });

  it("fails with the config command when no URI is configured", () => {
    expect(line(checkLibvirt(ctxOf(configOf(), { libvirtUri: undefined }), probeOf(rockyHost())))).toBe(
      "FAIL  libvirt: libvirt:uri is not set in the stack and LIBVIRT_DEFAULT_URI is empty; the libvirt provider needs a connection URI. Fix: pulumi config set libvirt:uri qemu:///system",
    );
  });

  it("fails naming libvirt-client when virsh is not installed", () => {
    const host = hostWith((h) => delete h.commands[`virsh -c ${URI} version`]);
    expect(line(checkLibvirt(ctxOf(), probeOf(host)))).toBe(
      "FAIL  libvirt: virsh is not installed: preflight asks libvirt at qemu:///system with it, and the program removes DHCP reservations with it. Fix: sudo dnf install libvirt-client",
    );
  });

  it("fails with virsh's own error and the libvirtd and group fix when the daemon does not answer", () => {
    const host = hostWith((h) => {
      h.commands[`virsh -c ${URI} version`] = {
        status: 1,
        stdout: "",
        stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
      };
    });
    expect(line(checkLibvirt(ctxOf(), probeOf(host)))).toBe(
      "FAIL  libvirt: qemu:///system does not answer: failed to connect to the hypervisor; Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory. " +
        "Fix: sudo dnf install libvirt qemu-kvm && sudo systemctl enable --now virtqemud.socket virtnetworkd.socket virtstoraged.socket virtproxyd.socket; as a non-root user also sudo usermod -aG libvirt $USER and log in again",
    );
  });

  it("points at SSH and the remote daemon when a remote URI does not answer", () => {
    const uri = "qemu+ssh://root@rack1/system";
    const host = hostWith((h) => (h.commands[`virsh -c ${uri} version`] = { status: 1, stdout: "", stderr: "error: Cannot recv data: Connection refused\n" }));
    const result = checkLibvirt(ctxOf(configOf(), { libvirtUri: uri, remoteHost: "rack1" }), probeOf(host));
    expect(line(result)).toBe(
      "FAIL  libvirt: qemu+ssh://root@rack1/system does not answer: Cannot recv data: Connection refused. Fix: check that 'virsh -c qemu+ssh://root@rack1/system version' works from this machine (SSH access, libvirtd running on rack1)",
    );
  });

  it.each([
    ["qemu:///system", undefined],
    ["qemu:///session", undefined],
    ["qemu+unix:///system", undefined],
    ["qemu+ssh://localhost/system", undefined],
    ["qemu+ssh://root@rack1/system", "rack1"],
    ["qemu+tls://10.0.0.5:16514/system", "10.0.0.5"],
    ["qemu+ssh://[fd00::5]/system?keyfile=/k", "[fd00::5]"],
  ])("remoteHostOf(%s) is %s", (uri, host) => {
    expect(remoteHostOf(uri)).toBe(host);
  });
});

describe("mkisofs", () => {
  it("is ok when mkisofs is on PATH", () => {
    expect(line(checkIsoTool(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    mkisofs: /usr/bin/mkisofs (the libvirt provider runs 'mkisofs' to build the infra node's cloud-init ISO)",
    );
  });

  it.each([
    ["genisoimage", "/usr/bin/genisoimage"],
    ["xorrisofs", "/usr/bin/xorrisofs"],
  ])("fails when only %s is installed, because the provider runs mkisofs by that name", (name, where) => {
    const host = hostWith((h) => {
      h.onPath = { [name]: where };
    });
    expect(line(checkIsoTool(ctxOf(), probeOf(host)))).toBe(
      `FAIL  mkisofs: ${where} is installed but not as 'mkisofs', and the libvirt provider runs 'mkisofs' to build the infra node's cloud-init ISO. Fix: sudo ln -s ${where} /usr/local/bin/mkisofs`,
    );
  });

  it("fails with the dnf command when no ISO tool is installed", () => {
    const host = hostWith((h) => (h.onPath = {}));
    expect(line(checkIsoTool(ctxOf(), probeOf(host)))).toBe(
      "FAIL  mkisofs: not found on PATH; the libvirt provider runs 'mkisofs' to build the infra node's cloud-init ISO. Fix: sudo dnf install xorriso",
    );
  });
});

describe("node", () => {
  it("is ok with Node.js 20", () => {
    expect(line(checkNode(ctxOf(), probeOf(rockyHost())))).toBe("ok    node: node v20.18.1");
  });

  // Rocky 9's default `dnf install nodejs` is Node 16.
  it("fails with the module stream command for Rocky 9's default Node 16", () => {
    const host = hostWith((h) => (h.commands["node --version"] = ok("v16.20.2\n")));
    expect(line(checkNode(ctxOf(), probeOf(host)))).toBe(
      "FAIL  node: node v16.20.2 is older than 20, which the program needs. Fix: sudo dnf module reset -y nodejs && sudo dnf module install -y nodejs:20/common",
    );
  });
});

describe("tools", () => {
  const urlConfig = () => seedWith((raw) => (raw.fcos = { image: FCOS_URL, sha256: "a".repeat(64) }));

  it("needs dig, xsltproc, oc and ssh when the FCOS image is a host path", () => {
    expect(line(checkHostTools(ctxOf(), probeOf(rockyHost())))).toBe("ok    tools: dig, xsltproc, oc, ssh found");
  });

  it("needs curl, sha256sum and xz too when the FCOS image is a .xz URL", () => {
    expect(line(checkHostTools(ctxOf(urlConfig()), probeOf(rockyHost())))).toBe("ok    tools: dig, xsltproc, oc, ssh, curl, sha256sum, xz found");
  });

  it("always needs oc, which comes from the OKD release's client tarball, not from dnf", () => {
    const host = hostWith((h) => delete h.onPath.oc);
    expect(line(checkHostTools(ctxOf(), probeOf(host)))).toBe(
      "FAIL  tools: oc is missing (every install needs it (nextSteps, CSR approval)). Fix: oc: download openshift-client-linux-<release>.tar.gz of your OKD release " +
        "from https://github.com/okd-project/okd/releases and 'tar -xzf' it to put oc on PATH",
    );
  });

  it("does not need xz for an uncompressed URL", () => {
    const config = seedWith((raw) => (raw.fcos = { image: FCOS_URL.replace(/\.xz$/, ""), sha256: "a".repeat(64) }));
    const host = hostWith((h) => delete h.onPath.xz);
    expect(checkHostTools(ctxOf(config), probeOf(host)).status).toBe("ok");
  });

  it("needs curl, sha256sum and gzip for the .gz image the installer names", () => {
    const host = hostWith((h) => {
      h.commands["openshift-install coreos print-stream-json"] = ok(streamJson("scos-9"));
      delete h.onPath.gzip;
    });
    expect(line(checkHostTools(ctxOf(configOf(withoutImage())), probeOf(host)))).toBe(
      "FAIL  tools: gzip is missing (the boot image the installer names is a .gz, decompressed on this machine). Fix: sudo dnf install gzip",
    );
  });

  it("fails naming bind-utils when dig is missing", () => {
    const host = hostWith((h) => delete h.onPath.dig);
    expect(line(checkHostTools(ctxOf(), probeOf(host)))).toBe(
      "FAIL  tools: dig is missing (the readiness gate resolves api-int at the infra node with it). Fix: sudo dnf install bind-utils",
    );
  });

  it("needs no openssl when approveCsrs is on: the requests are parsed in-process", () => {
    const config = seedWith((raw) => (raw.approveCsrs = true));
    const host = hostWith((h) => delete h.onPath.openssl);
    expect(line(checkHostTools(ctxOf(config), probeOf(host)))).toBe("ok    tools: dig, xsltproc, oc, ssh found");
  });

  it("needs ssh for verify's tunnel to the stats page", () => {
    const host = hostWith((h) => delete h.onPath.ssh);
    expect(line(checkHostTools(ctxOf(), probeOf(host)))).toBe(
      "FAIL  tools: ssh is missing (npm run verify reads HAProxy's stats through an ssh tunnel to the infra node). Fix: sudo dnf install openssh-clients",
    );
  });

  it("lists every missing tool and installs each package once", () => {
    const host = hostWith((h) => {
      delete h.onPath.curl;
      delete h.onPath.xz;
    });
    expect(line(checkHostTools(ctxOf(urlConfig()), probeOf(host)))).toBe(
      "FAIL  tools: curl is missing (fcos.image is a URL, fetched on this machine); xz is missing (fcos.image is a .xz, decompressed on this machine). Fix: sudo dnf install curl xz",
    );
  });
});

describe("pool", () => {
  const outside = "/srv/okd-lab";
  const outsideConfig = () => seedWith((raw) => (raw.pool = { path: outside }));

  it("is ok when the pool directory carries virt_image_t under SELinux enforcing", () => {
    expect(line(checkPool(ctxOf(), probeOf(rockyHost())))).toBe("ok    pool: /var/lib/libvirt/images/okd-lab is labelled virt_image_t (SELinux enforcing)");
  });

  it("fails with semanage and restorecon when a directory outside the images folder has another label", () => {
    const host = hostWith((h) => {
      h.paths[outside] = dir;
      h.commands[`stat -c %C ${outside}`] = ok("unconfined_u:object_r:var_t:s0\n");
    });
    expect(line(checkPool(ctxOf(outsideConfig()), probeOf(host)))).toBe(
      "FAIL  pool: /srv/okd-lab has SELinux type var_t, not virt_image_t: QEMU cannot read the Ignition files there. " +
        "Fix: sudo semanage fcontext -a -t virt_image_t '/srv/okd-lab(/.*)?' && sudo restorecon -Rv /srv/okd-lab",
    );
  });

  it("only restores the label inside /var/lib/libvirt/images, where the policy already maps virt_image_t", () => {
    const host = hostWith((h) => (h.commands[`stat -c %C ${POOL}`] = ok("unconfined_u:object_r:default_t:s0\n")));
    expect(checkPool(ctxOf(), probeOf(host)).fix).toBe("sudo restorecon -Rv /var/lib/libvirt/images/okd-lab");
  });

  it("warns instead of failing when SELinux is permissive", () => {
    const host = hostWith((h) => {
      h.commands.getenforce = ok("Permissive\n");
      h.commands[`stat -c %C ${POOL}`] = ok("unconfined_u:object_r:default_t:s0\n");
    });
    expect(line(checkPool(ctxOf(), probeOf(host)))).toBe(
      "warn  pool: /var/lib/libvirt/images/okd-lab has SELinux type default_t, not virt_image_t: QEMU cannot read the Ignition files there once SELinux enforces. Fix: sudo restorecon -Rv /var/lib/libvirt/images/okd-lab",
    );
  });

  it("warns that a missing directory's label cannot be checked under SELinux, with commands that create and label it", () => {
    const host = hostWith((h) => delete h.paths[outside]);
    expect(line(checkPool(ctxOf(outsideConfig()), probeOf(host)))).toBe(
      "warn  pool: /srv/okd-lab does not exist yet, so its SELinux label cannot be checked (libvirt creates it when it builds the pool). " +
        "Fix: sudo semanage fcontext -a -t virt_image_t '/srv/okd-lab(/.*)?' && sudo mkdir -p /srv/okd-lab && sudo restorecon -Rv /srv/okd-lab, then run preflight again",
    );
  });

  it("warns when the label cannot be read", () => {
    const host = hostWith((h) => (h.commands[`stat -c %C ${POOL}`] = { status: 1, stdout: "", stderr: "stat: permission denied" }));
    expect(checkPool(ctxOf(), probeOf(host)).status).toBe("warn");
  });

  it("fails when the pool path is a file", () => {
    const host = hostWith((h) => (h.paths[POOL] = file));
    expect(line(checkPool(ctxOf(), probeOf(host)))).toBe(
      "FAIL  pool: /var/lib/libvirt/images/okd-lab exists but is not a directory. Fix: remove it, or set okd-lab:pool.path to a directory under /var/lib/libvirt/images",
    );
  });

  /** An Ubuntu host: no getenforce, AppArmor on. */
  const ubuntu = (pool?: string) =>
    hostWith((h) => {
      delete h.commands.getenforce;
      h.files["/sys/module/apparmor/parameters/enabled"] = "Y\n";
      if (pool) h.paths[pool] = dir;
    });

  it("warns under AppArmor when the pool is outside /var/lib/libvirt/images", () => {
    expect(line(checkPool(ctxOf(outsideConfig()), probeOf(ubuntu(outside))))).toBe(
      "warn  pool: /srv/okd-lab exists; it is outside /var/lib/libvirt/images and AppArmor may stop QEMU reading the Ignition files there. " +
        "Fix: set okd-lab:pool.path under /var/lib/libvirt/images, or add the line '  /srv/okd-lab/** rk,' to /etc/apparmor.d/local/abstractions/libvirt-qemu",
    );
  });

  it("is ok under AppArmor inside /var/lib/libvirt/images", () => {
    expect(line(checkPool(ctxOf(), probeOf(ubuntu())))).toBe(
      "ok    pool: /var/lib/libvirt/images/okd-lab exists; inside /var/lib/libvirt/images, which libvirt's AppArmor profile lets QEMU read",
    );
  });

  it("is ok when the directory is missing and nothing confines QEMU, because libvirt's pool build creates it", () => {
    const host = hostWith((h) => {
      delete h.commands.getenforce;
      delete h.paths[POOL];
    });
    expect(line(checkPool(ctxOf(), probeOf(host)))).toBe(
      "ok    pool: /var/lib/libvirt/images/okd-lab does not exist yet (libvirt creates it when it builds the pool); no SELinux or AppArmor confinement found",
    );
  });

  it("treats SELinux disabled like no SELinux", () => {
    const host = hostWith((h) => (h.commands.getenforce = ok("Disabled\n")));
    expect(checkPool(ctxOf(), probeOf(host)).detail).toBe("/var/lib/libvirt/images/okd-lab exists; no SELinux or AppArmor confinement found");
  });
});

describe("checks that read this machine only", () => {
  const remote = ctxOf(configOf(), { libvirtUri: "qemu+ssh://root@rack1/system", remoteHost: "rack1" });

  it.each([
    ["pool", checkPool],
    ["kvm", checkKvm],
    ["memory", checkMemory],
    ["disk", checkDisk],
  ])("%s warns that it was not checked when libvirt runs on another host", (name, check) => {
    expect(line(check(remote, probeOf(rockyHost())))).toBe(
      `warn  ${name}: not checked: libvirt runs on rack1 (qemu+ssh://root@rack1/system) and this check reads this machine only`,
    );
  });
});

describe("cpu", () => {
  const SCOS10 = "CentOS Stream CoreOS 10 (scos-10.0.20250628-0-qemu.x86_64.qcow2.gz)";
  const withInstallerStream = (h: FakeHost, version: string, family: string) => {
    h.commands[`${INSTALLER} version`] = ok(`openshift-install ${version}\n`);
    h.commands[`openshift-install coreos print-stream-json`] = ok(streamJson(family));
  };
  const noImage = () => configOf(withoutImage());

  it("passes a Westmere for the seed's Fedora CoreOS 38 and names 4.19 as its newest release", () => {
    expect(line(checkCpu(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    cpu: x86-64-v2 (/proc/cpuinfo), enough for Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2); " +
        "not x86-64-v3, so the newest OKD release it can run is 4.19 (4.20 and later boot CentOS Stream CoreOS 10)",
    );
  });

  it.each([
    ["4.15.0-0.okd-2024-03-10-010116", "fcos-39", "ok"],
    ["4.18.0-okd-scos.5", "fcos-39", "ok"],
    ["4.19.0-okd-scos.1", "scos-9", "ok"],
    ["4.20.0-okd-scos.6", "scos-10", "fail"],
  ])("a Westmere with the OKD %s installer's image (%s): %s", (version, family, status) => {
    const host = hostWith((h) => withInstallerStream(h, version, family));
    expect(checkCpu(ctxOf(noImage()), probeOf(host)).status).toBe(status);
  });

  it("fails a Westmere for CentOS Stream CoreOS 10, naming the missing flags and OKD 4.19", () => {
    const host = hostWith((h) => withInstallerStream(h, "4.20.0-okd-scos.6", "scos-10"));
    expect(line(checkCpu(ctxOf(noImage()), probeOf(host)))).toBe(
      `FAIL  cpu: ${SCOS10} needs x86-64-v3, and the libvirt host's CPU (/proc/cpuinfo) lacks avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; ` +
        "this CPU is x86-64-v2: the newest OKD release it can run is 4.19. " +
        "Fix: use the openshift-install of OKD 4.19 (okd-lab:okd.installer) with okd-lab:bootImage.image unset, or run the lab on a host with x86-64-v3 (Intel Haswell, AMD Zen or newer)",
    );
  });

  it("passes a v3 CPU for CentOS Stream CoreOS 10", () => {
    const host = hostWith((h) => {
      withInstallerStream(h, "4.20.0-okd-scos.6", "scos-10");
      h.files["/proc/cpuinfo"] = cpuinfo(EPYC_FLAGS);
    });
    expect(line(checkCpu(ctxOf(noImage()), probeOf(host)))).toBe(`ok    cpu: x86-64-v3 (/proc/cpuinfo), enough for ${SCOS10}`);
  });

  it("fails a Penryn, which lacks POPCNT and SSE4.2, for any release", () => {
    const host = hostWith((h) => (h.files["/proc/cpuinfo"] = cpuinfo(PENRYN_FLAGS)));
    expect(line(checkCpu(ctxOf(), probeOf(host)))).toBe(
      "FAIL  cpu: Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2) needs x86-64-v2, and the libvirt host's CPU (/proc/cpuinfo) lacks popcnt sse4_2; " +
        "this CPU is below x86-64-v2 and can run no OKD release (the infra node's AlmaLinux 9 needs x86-64-v2 too). " +
        "Fix: run the lab on a Nehalem (2008) or newer CPU; on a nested host give this VM the host CPU (host-passthrough)",
    );
  });

  it("requires SSE3, which /proc/cpuinfo calls pni", () => {
    const host = hostWith((h) => (h.files["/proc/cpuinfo"] = cpuinfo(WESTMERE_FLAGS.replace(" pni", ""))));
    expect(checkCpu(ctxOf(), probeOf(host)).detail).toContain("lacks pni;");
  });

  it("warns when /proc/cpuinfo cannot be read", () => {
    const host = hostWith((h) => delete h.files["/proc/cpuinfo"]);
    expect(line(checkCpu(ctxOf(), probeOf(host)))).toBe(
      "warn  cpu: /proc/cpuinfo has no flags line; the CPU was not checked against Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2) (x86-64-v2)",
    );
  });

  describe("of a remote libvirt host, read through libvirt", () => {
    const REMOTE = "qemu+ssh://root@rack1/system";
    const remoteCtx = (config: LabConfig) => ctxOf(config, { libvirtUri: REMOTE, remoteHost: "rack1" });
    const withRemoteCpu = (h: FakeHost, baseline: string) => {
      // This machine's own CPU must not matter.
      h.files["/proc/cpuinfo"] = cpuinfo(EPYC_FLAGS);
      h.commands[`virsh -c ${REMOTE} capabilities`] = ok(`<capabilities>\n  <host>\n    ${WESTMERE_HOST_CPU}\n  </host>\n</capabilities>\n`);
      h.commands[`virsh -c ${REMOTE} cpu-baseline --features /dev/stdin`] = ok(baseline);
    };

    it("fails a remote Westmere for CentOS Stream CoreOS 10 although this machine has x86-64-v3", () => {
      const host = hostWith((h) => {
        withInstallerStream(h, "4.20.0-okd-scos.6", "scos-10");
        withRemoteCpu(h, WESTMERE_BASELINE);
      });
      const probe = probeOf(host);
      const result = checkCpu(remoteCtx(noImage()), probe);
      expect(result.status).toBe("fail");
      expect(result.detail).toBe(
        `${SCOS10} needs x86-64-v3, and the libvirt host's CPU (libvirt at ${REMOTE}) lacks avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; this CPU is x86-64-v2: the newest OKD release it can run is 4.19`,
      );
      // The host CPU element of the capabilities is what cpu-baseline expands.
      expect(probe.inputs[`virsh -c ${REMOTE} cpu-baseline --features /dev/stdin`]).toBe(WESTMERE_HOST_CPU);
    });

    it("passes a remote Haswell for CentOS Stream CoreOS 10", () => {
      const host = hostWith((h) => {
        withInstallerStream(h, "4.20.0-okd-scos.6", "scos-10");
        withRemoteCpu(h, HASWELL_BASELINE);
      });
      expect(line(checkCpu(remoteCtx(noImage()), probeOf(host)))).toBe(`ok    cpu: x86-64-v3 (libvirt at ${REMOTE}), enough for ${SCOS10}`);
    });

    it("warns when libvirt cannot be asked", () => {
      const host = hostWith((h) => (h.commands[`virsh -c ${REMOTE} capabilities`] = { status: 1, stdout: "", stderr: "error: failed to connect\n" }));
      expect(line(checkCpu(remoteCtx(configOf()), probeOf(host)))).toBe(
        `warn  cpu: 'virsh -c ${REMOTE} capabilities' failed: error: failed to connect; the CPU was not checked against Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2) (x86-64-v2)`,
      );
    });
  });
});

describe("kvm", () => {
  it("is ok when /dev/kvm exists", () => {
    expect(line(checkKvm(ctxOf(), probeOf(rockyHost())))).toBe("ok    kvm: /dev/kvm present (vmx)");
  });

  it.each([
    [WESTMERE_FLAGS, "vmx", "kvm_intel"],
    [EPYC_FLAGS, "svm", "kvm_amd"],
  ])("fails with modprobe when the CPU has virtualization but /dev/kvm is missing (%#)", (flags, vendor, module) => {
    const host = hostWith((h) => {
      delete h.paths["/dev/kvm"];
      h.files["/proc/cpuinfo"] = cpuinfo(flags);
    });
    expect(line(checkKvm(ctxOf(), probeOf(host)))).toBe(
      `FAIL  kvm: the CPU has ${vendor} but /dev/kvm is missing: the KVM module is not loaded. Fix: sudo modprobe ${module}`,
    );
  });

  it("fails pointing at the firmware setting when virtualization is off", () => {
    const host = hostWith((h) => {
      delete h.paths["/dev/kvm"];
      h.files["/proc/cpuinfo"] = cpuinfo(WESTMERE_FLAGS.replace(" vmx", ""));
    });
    expect(line(checkKvm(ctxOf(), probeOf(host)))).toBe(
      "FAIL  kvm: /dev/kvm is missing and the CPU shows neither vmx nor svm: hardware virtualization is off. " +
        "Fix: enable Intel VT-x / AMD-V in the firmware setup (HPE ProLiant: System Options > Processor Options > Intel Virtualization Technology), then reboot",
    );
  });
});

describe("installer", () => {
  // `.disk` is an object {location, signature, sha256, uncompressed-sha256}: print two of its fields.
  const PRINT_STREAM =
    "unset okd-lab:fcos.image to boot the image the installer names, or set okd-lab:bootImage.image and .sha256 to what " +
    `'${INSTALLER} coreos print-stream-json | jq -r '.architectures.x86_64.artifacts.qemu.formats | to_entries[] | .value.disk | .location + " " + .sha256'' prints`;
  const withInstaller = (version: string) =>
    hostWith((h) => (h.commands[`${INSTALLER} version`] = ok(`openshift-install ${version}\nrelease architecture amd64\n`)));
  const withImage = (image: string) => seedWith((raw) => (raw.fcos = { image }));
  const fcosPath = (release: number) => `/var/lib/libvirt/images/fedora-coreos-${release}.20240101.3.0-qemu.x86_64.qcow2`;
  const scosPath = (major: number) => `/var/lib/libvirt/images/scos-${major}.0.20250515-0-qemu.x86_64.qcow2`;

  it.each([
    ["4.12.0-0.okd-2023-04-16-041331", fcosPath(37)],
    ["4.14.0-0.okd-2024-01-26-175629", fcosPath(38)],
    ["4.15.0-0.okd-2024-03-10-010116", fcosPath(39)],
    ["4.16.0-okd-scos.1", fcosPath(39)],
    ["4.17.0-okd-scos.3", fcosPath(39)],
    ["4.18.0-okd-scos.10", fcosPath(39)],
    ["4.19.0-okd-scos.1", scosPath(9)],
    ["4.20.0-okd-scos.6", scosPath(10)],
    ["4.22.0-okd-scos.ec.1", scosPath(10)],
    ["5.0.0-okd-scos.ec.1", scosPath(10)],
  ])("accepts the right pairing: OKD %s with %s", (version, image) => {
    expect(checkInstaller(ctxOf(withImage(image)), probeOf(withInstaller(version))).status).toBe("ok");
  });

  it.each([
    ["4.16.0-okd-scos.1", scosPath(9), "OKD 4.16.0-okd-scos.1 boots Fedora CoreOS 39 and pivots the nodes to CentOS Stream CoreOS 9", "CentOS Stream CoreOS 9"],
    ["4.18.0-okd-scos.10", fcosPath(38), "OKD 4.18.0-okd-scos.10 boots Fedora CoreOS 39 and pivots the nodes to CentOS Stream CoreOS 9", "Fedora CoreOS 38"],
    ["4.19.0-okd-scos.1", fcosPath(39), "OKD 4.19.0-okd-scos.1 boots CentOS Stream CoreOS 9", "Fedora CoreOS 39"],
    ["4.19.0-okd-scos.1", scosPath(10), "OKD 4.19.0-okd-scos.1 boots CentOS Stream CoreOS 9", "CentOS Stream CoreOS 10"],
    ["4.20.0-okd-scos.6", scosPath(9), "OKD 4.20.0-okd-scos.6 boots CentOS Stream CoreOS 10", "CentOS Stream CoreOS 9"],
  ])("fails a mismatch with the command that prints the right image: OKD %s with %s", (version, image, boots, is) => {
    expect(line(checkInstaller(ctxOf(withImage(image)), probeOf(withInstaller(version))))).toBe(
      `FAIL  installer: openshift-install ${boots.replace(/^OKD /, "")}, but okd-lab:fcos.image is ${is} (${path.posix.basename(image)}). Fix: ${PRINT_STREAM}`,
    );
  });

  it("is ok without a configured image: the image comes from the installer", () => {
    const host = hostWith((h) => {
      h.commands[`${INSTALLER} version`] = ok("openshift-install 4.19.0-okd-scos.1\n");
      h.commands["openshift-install coreos print-stream-json"] = ok(streamJson("scos-9"));
    });
    expect(line(checkInstaller(ctxOf(configOf(withoutImage())), probeOf(host)))).toBe(
      "ok    installer: /usr/local/bin/openshift-install: openshift-install 4.19.0-okd-scos.1 boots CentOS Stream CoreOS 9; the boot image comes from it: CentOS Stream CoreOS 9 (scos-9.0.20250515-0-qemu.x86_64.qcow2.gz)",
    );
  });

  it("is ok when OKD 4.13 meets a Fedora CoreOS 38 image", () => {
    expect(line(checkInstaller(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    installer: /usr/local/bin/openshift-install: openshift-install 4.13.0-0.okd-2023-09-30-084937 pairs with Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2)",
    );
  });

  it.each([
    ["4.12.0-0.okd-2023-04-16-041331", 37],
    ["4.13.0-0.okd-2023-09-30-084937", 38],
    ["4.14.0-0.okd-2024-01-26-175629", 38],
    ["4.15.0-0.okd-2024-03-10-010116", 39],
  ])("pairs %s with Fedora CoreOS %i", (version, release) => {
    expect(checkInstaller(ctxOf(withImage(fcosPath(release))), probeOf(withInstaller(version))).status).toBe("ok");
  });

  it("fails an OKD 4.13 installer with a Fedora CoreOS 37 image, naming print-stream-json", () => {
    expect(line(checkInstaller(ctxOf(withImage(fcosPath(37))), probeOf(rockyHost())))).toBe(
      "FAIL  installer: openshift-install 4.13.0-0.okd-2023-09-30-084937 boots Fedora CoreOS 38, but okd-lab:fcos.image is Fedora CoreOS 37 (fedora-coreos-37.20240101.3.0-qemu.x86_64.qcow2). " +
        `Fix: ${PRINT_STREAM}`,
    );
  });

  it("reads the Fedora CoreOS release of a URL image", () => {
    const config = seedWith((raw) => (raw.fcos = { image: FCOS_URL.replace(/38\./g, "39."), sha256: "a".repeat(64) }));
    expect(checkInstaller(ctxOf(config), probeOf(rockyHost())).detail).toContain(
      "but okd-lab:fcos.image is Fedora CoreOS 39 (fedora-coreos-39.20230918.3.0-qemu.x86_64.qcow2.xz)",
    );
  });

  it("fails OKD 4.16 with the seed's Fedora CoreOS 38: 4.16-4.18 boot Fedora CoreOS 39, not CentOS Stream CoreOS", () => {
    expect(line(checkInstaller(ctxOf(), probeOf(withInstaller("4.16.0-okd-scos.1"))))).toBe(
      "FAIL  installer: openshift-install 4.16.0-okd-scos.1 boots Fedora CoreOS 39 and pivots the nodes to CentOS Stream CoreOS 9, " +
        `but okd-lab:fcos.image is Fedora CoreOS 38 (fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2). Fix: ${PRINT_STREAM}`,
    );
  });

  it("warns when the installer is not an OKD build", () => {
    expect(line(checkInstaller(ctxOf(), probeOf(withInstaller("4.13.12"))))).toBe(
      "warn  installer: /usr/local/bin/openshift-install is openshift-install 4.13.12, which does not look like an OKD build (OKD versions read 4.y.z-0.okd-<date>). Fix: use the OKD installer from https://github.com/okd-project/okd/releases",
    );
  });

  it("warns for an OKD release outside the pairing table", () => {
    expect(checkInstaller(ctxOf(), probeOf(withInstaller("4.11.0-0.okd-2022-12-02-145640"))).detail).toBe(
      "no known boot image for openshift-install 4.11.0-0.okd-2022-12-02-145640 (known: OKD 4.12 and later)",
    );
  });

  it("warns when the image name does not tell the release", () => {
    expect(line(checkInstaller(ctxOf(withImage("/var/lib/libvirt/images/fcos.qcow2")), probeOf(rockyHost())))).toBe(
      "warn  installer: openshift-install 4.13.0-0.okd-2023-09-30-084937 boots Fedora CoreOS 38, but the release of fcos.qcow2 (okd-lab:fcos.image) cannot be read from its name. " +
        `Fix: keep the released file name (e.g. fedora-coreos-38.<date>.3.0-qemu.x86_64.qcow2), or ${PRINT_STREAM}`,
    );
  });

  it("fails when openshift-install is not on PATH and no assets exist", () => {
    const host = hostWith((h) => delete h.onPath["openshift-install"]);
    expect(line(checkInstaller(ctxOf(), probeOf(host)))).toBe(
      "FAIL  installer: openshift-install is not on PATH; it generates the cluster's Ignition configs. " +
        "Fix: download openshift-install for your OKD release from https://github.com/okd-project/okd/releases and put it on PATH, or set okd-lab:okd.installer to its path",
    );
  });

  it("only warns about a missing installer when recorded assets will be reused", () => {
    const host = hostWith((h) => {
      delete h.onPath["openshift-install"];
      h.paths[".okd/dev/.okd-lab/install-config.sha256"] = file;
    });
    const result = checkInstaller(ctxOf(), probeOf(host));
    expect(result.status).toBe("warn");
    expect(result.detail).toBe(
      "openshift-install is not on PATH; the assets in .okd/dev are reused, so up does not need it, but 'wait-for' and a new cluster do",
    );
  });

  it("looks a configured path up as a file, not on PATH", () => {
    const config = seedWith((raw) => (raw.okd = { installer: "/opt/okd/openshift-install" }));
    expect(checkInstaller(ctxOf(config), probeOf(rockyHost())).detail).toBe(
      "/opt/okd/openshift-install does not exist; it generates the cluster's Ignition configs",
    );
  });

  it("fails when 'openshift-install version' fails", () => {
    const host = hostWith((h) => (h.commands[`${INSTALLER} version`] = { status: 126, stdout: "", stderr: "cannot execute binary file: Exec format error\n" }));
    expect(line(checkInstaller(ctxOf(), probeOf(host)))).toBe(
      "FAIL  installer: '/usr/local/bin/openshift-install version' failed: cannot execute binary file: Exec format error. " +
        "Fix: check that /usr/local/bin/openshift-install is an openshift-install binary for linux/amd64 and executable (chmod +x)",
    );
  });

  it("warns when the version cannot be read", () => {
    const host = hostWith((h) => (h.commands[`${INSTALLER} version`] = ok("something else\n")));
    expect(checkInstaller(ctxOf(), probeOf(host)).status).toBe("warn");
  });

  it.each([
    ["openshift-install 4.13.0-0.okd-2023-09-30-084937\nbuilt from commit x\n", { version: "4.13.0-0.okd-2023-09-30-084937", major: 4, minor: 13, okd: true }],
    ["openshift-install v4.1.0\n", { version: "4.1.0", major: 4, minor: 1, okd: false }],
    ["openshift-install 4.19.0-okd-scos.1\n", { version: "4.19.0-okd-scos.1", major: 4, minor: 19, okd: true }],
    ["openshift-install 5.0.0-okd-scos.ec.1\n", { version: "5.0.0-okd-scos.ec.1", major: 5, minor: 0, okd: true }],
    ["oc 4.13\n", undefined],
  ])("parseInstallerVersion(%j)", (stdout, expected) => {
    expect(parseInstallerVersion(stdout)).toEqual(expected);
  });
});

describe("images", () => {
  it("is ok when the AlmaLinux URL answers", () => {
    expect(line(checkInfraImage(ctxOf(), probeOf(rockyHost())))).toBe(`ok    infra-image: ${ALMA_URL} answers (HTTP 200)`);
  });

  it("fails with curl's error when the URL cannot be reached", () => {
    const host = hostWith((h) => (h.urls[ALMA_URL] = { ok: false, error: "curl: (6) Could not resolve host: repo.almalinux.org" }));
    expect(line(checkInfraImage(ctxOf(), probeOf(host)))).toBe(
      `FAIL  infra-image: ${ALMA_URL} is not reachable: curl: (6) Could not resolve host: repo.almalinux.org. ` +
        "Fix: check the URL and this machine's network or proxy, or download the image and set okd-lab:infra.image to its path",
    );
  });

  it("fails with the status when the URL answers 404", () => {
    const host = hostWith((h) => (h.urls[ALMA_URL] = { ok: false, status: 404 }));
    expect(checkInfraImage(ctxOf(), probeOf(host)).detail).toBe(`${ALMA_URL} is not reachable: HTTP 404`);
  });

  it("checks a FCOS URL with a HEAD request", () => {
    const config = seedWith((raw) => (raw.fcos = { image: FCOS_URL, sha256: "a".repeat(64) }));
    const host = hostWith((h) => (h.urls[FCOS_URL] = { ok: true, status: 200 }));
    expect(line(checkBootImage(ctxOf(config), probeOf(host)))).toBe(`ok    boot-image: ${FCOS_URL} answers (HTTP 200)`);
  });

  it("is ok when the FCOS file is readable", () => {
    expect(line(checkBootImage(ctxOf(), probeOf(rockyHost())))).toBe(`ok    boot-image: ${FCOS_38} is readable`);
  });

  it("checks the image the installer names when none is configured", () => {
    const url = STREAM_IMAGES["scos-9"].url;
    const host = hostWith((h) => {
      h.commands["openshift-install coreos print-stream-json"] = ok(streamJson("scos-9"));
      h.urls[url] = { ok: true, status: 200 };
    });
    expect(line(checkBootImage(ctxOf(configOf(withoutImage())), probeOf(host)))).toBe(
      `ok    boot-image: CentOS Stream CoreOS 9 (scos-9.0.20250515-0-qemu.x86_64.qcow2.gz) from the installer: ${url} answers (HTTP 200)`,
    );
  });

  it("fails without a configured image when the installer cannot name one", () => {
    const host = hostWith(
      (h) => (h.commands["openshift-install coreos print-stream-json"] = { status: 1, stdout: "", stderr: 'level=fatal msg="unknown command"\n' }),
    );
    expect(line(checkBootImage(ctxOf(configOf(withoutImage())), probeOf(host)))).toBe(
      "FAIL  boot-image: okd-lab:bootImage.image is not set, so the boot image comes from 'openshift-install coreos print-stream-json' (okd-lab:okd.installer), " +
        'and it failed: level=fatal msg="unknown command". ' +
        "Fix: check that openshift-install is an OKD openshift-install for linux/amd64, or set okd-lab:bootImage.image and okd-lab:bootImage.sha256 to the qemu image of your OKD release",
    );
  });

  it("fails when the FCOS file does not exist, saying where to get it", () => {
    const host = hostWith((h) => delete h.paths[FCOS_38]);
    expect(line(checkBootImage(ctxOf(), probeOf(host)))).toBe(
      `FAIL  boot-image: ${FCOS_38} does not exist. ` +
        "Fix: download the qemu image 'openshift-install coreos print-stream-json' names, unxz (or gunzip) it to that path, or set okd-lab:fcos.image to its URL and okd-lab:fcos.sha256",
    );
  });

  it("fails when the FCOS file is not readable by the user that uploads it", () => {
    const host = hostWith((h) => (h.paths[FCOS_38] = { kind: "file", readable: false }));
    expect(line(checkBootImage(ctxOf(), probeOf(host)))).toBe(
      `FAIL  boot-image: ${FCOS_38} is not readable by this user, and the provider uploads it as this user. Fix: sudo chmod a+r ${FCOS_38}`,
    );
  });

  it("fails when the infra image path is a directory", () => {
    const image = "/var/lib/libvirt/images/alma";
    const config = seedWith((raw) => ((raw.infra as Record<string, unknown>).image = image));
    const host = hostWith((h) => (h.paths[image] = dir));
    expect(line(checkInfraImage(ctxOf(config), probeOf(host)))).toBe(
      `FAIL  infra-image: ${image} is not a file. Fix: set okd-lab:infra.image to the qcow2 file`,
    );
  });
});

describe("memory", () => {
  // Seed lab: infra 4096 + bootstrap 16384 + master 16384 + worker 8192 = 45056 MiB.
  const withAvailableMiB = (mib: number) => hostWith((h) => (h.files["/proc/meminfo"] = meminfo(mib * 1024)));

  it("is ok when the seed lab fits with room to spare", () => {
    expect(line(checkMemory(ctxOf(), probeOf(withAvailableMiB(92160))))).toBe("ok    memory: 4 VMs to start need 45056 MiB; 92160 MiB available");
  });

  it("warns when less than 10% would be left", () => {
    expect(line(checkMemory(ctxOf(), probeOf(withAvailableMiB(48000))))).toBe(
      "warn  memory: 4 VMs to start need 45056 MiB; 48000 MiB available: less than 10% left for the host. Fix: stop other VMs or lower memoryMiB in the stack",
    );
  });

  it("fails when the VMs need more than MemAvailable, suggesting the bootstrap drop", () => {
    expect(line(checkMemory(ctxOf(), probeOf(withAvailableMiB(40000))))).toBe(
      "FAIL  memory: 4 VMs to start need 45056 MiB; 40000 MiB available. " +
        "Fix: stop other VMs or lower memoryMiB in the stack (OKD minimums: 16384 MiB for bootstrap and masters, 8192 MiB for workers); " +
        "after bootstrap-complete, okd-lab:bootstrap.enabled: false frees the bootstrap's memory",
    );
  });

  it("leaves out the bootstrap once it is disabled", () => {
    const config = seedWith((raw) => (raw.bootstrap = { name: "bootstrap", ip: "10.56.0.11", enabled: false }));
    const result = checkMemory(ctxOf(config), probeOf(withAvailableMiB(20000)));
    expect(result.detail).toBe("3 VMs to start need 28672 MiB; 20000 MiB available");
    expect(result.fix).not.toContain("bootstrap.enabled");
  });

  it("does not count VMs that already run, so re-running up on a live lab passes", () => {
    const ctx = ctxOf(configOf(), { domains: { running: ["okd-infra", "okd-master", "okd-worker", "other-vm"], defined: [] } });
    expect(line(checkMemory(ctx, probeOf(withAvailableMiB(20000))))).toBe(
      "ok    memory: 1 VM to start need 16384 MiB (3 already running, not counted); 20000 MiB available",
    );
  });

  it("warns when /proc/meminfo has no MemAvailable", () => {
    const host = hostWith((h) => delete h.files["/proc/meminfo"]);
    expect(checkMemory(ctxOf(), probeOf(host)).status).toBe("warn");
  });
});

describe("disk", () => {
  it("is ok when the thin overlays' full size fits", () => {
    expect(line(checkDisk(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    disk: root disks of 4 new VMs can grow to 320 GiB (thin qcow2 overlays); 800 GiB free for /var/lib/libvirt/images/okd-lab",
    );
  });

  it("only warns when they could outgrow the filesystem, since overlays start small", () => {
    const host = hostWith((h) => (h.freeBytes = 200 * GIB + 123));
    expect(line(checkDisk(ctxOf(), probeOf(host)))).toBe(
      "warn  disk: root disks of 4 new VMs can grow to 320 GiB (thin qcow2 overlays); 200 GiB free for /var/lib/libvirt/images/okd-lab: they start small but can fill the filesystem as the cluster runs. " +
        "Fix: free space on that filesystem, or lower diskGiB in the stack",
    );
  });

  it("does not count VMs that are already defined", () => {
    const ctx = ctxOf(configOf(), { domains: { running: [], defined: ["okd-infra", "okd-bootstrap", "okd-master"] } });
    expect(checkDisk(ctx, probeOf(rockyHost())).detail).toBe(
      "root disks of 1 new VM can grow to 100 GiB (thin qcow2 overlays); 800 GiB free for /var/lib/libvirt/images/okd-lab",
    );
  });

  it("warns when the free space cannot be read", () => {
    const host = hostWith((h) => (h.freeBytes = undefined));
    expect(line(checkDisk(ctxOf(), probeOf(host)))).toBe("warn  disk: cannot read the free space of /var/lib/libvirt/images/okd-lab");
  });
});

describe("libvirt objects left outside the stack's state", () => {
  const VOLUMES = ["okd-lab-almalinux9-base.qcow2", "okd-lab-fcos-base.qcow2", "okd-infra-root.qcow2", "okd-infra-cloudinit.iso"];
  const NODE_VOLUMES = ["okd-bootstrap-root.qcow2", "okd-bootstrap.ign", "okd-master-root.qcow2", "okd-master.ign", "okd-worker-root.qcow2", "okd-worker.ign"];

  /** `virsh vol-list --pool okd-lab` as virsh prints it. */
  const volList = (names: string[]) => {
    // virsh pads the name column to the longest name.
    const width = Math.max(4, ...names.map((n) => n.length)) + 3;
    const rows = names.map((n) => ` ${n.padEnd(width)}/var/lib/libvirt/images/okd-lab/${n}`);
    return ok(` ${"Name".padEnd(width)}Path\n${"-".repeat(width + 50)}\n${rows.join("\n")}\n\n`);
  };

  /** A `pulumi stack export` whose state holds these libvirt objects (as the provider records them). */
  function exportOf(objects: { type: string; name: string; pool?: string }[]): CommandResult {
    const resources = [
      { urn: "urn:pulumi:dev::okd-lab::pulumi:pulumi:Stack::okd-lab-dev", custom: false, type: "pulumi:pulumi:Stack" },
      ...objects.map((o) => ({
        urn: `urn:pulumi:dev::okd-lab::${o.type}::${o.name}`,
        custom: true,
        id: `${o.name}-id`,
        type: o.type,
        inputs: { name: o.name, ...(o.pool ? { pool: o.pool } : {}) },
        outputs: { name: o.name, ...(o.pool ? { pool: o.pool } : {}), id: `${o.name}-id` },
      })),
    ];
    return ok(JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-01-01T00:00:00Z" }, resources } }));
  }

  const volumeType = (name: string) =>
    name.endsWith(".ign")
      ? "libvirt:index/ignition:Ignition"
      : name.endsWith(".iso")
        ? "libvirt:index/cloudInitDisk:CloudInitDisk"
        : "libvirt:index/volume:Volume";
  const fullState = () => [
    { type: "libvirt:index/network:Network", name: "okd-net" },
    { type: "libvirt:index/pool:Pool", name: "okd-lab" },
    ...[...VOLUMES, ...NODE_VOLUMES].map((name) => ({ type: volumeType(name), name, pool: "okd-lab" })),
    ...["okd-infra", "okd-bootstrap", "okd-master", "okd-worker"].map((name) => ({ type: "libvirt:index/domain:Domain", name })),
  ];

  /** The healthy host running the seed lab; `state` is what the stack's export holds. */
  function labHost(state: { type: string; name: string; pool?: string }[] | "no stack"): FakeHost {
    return hostWith((h) => {
      h.commands[`virsh -c ${URI} net-list --all --name`] = ok("default\nokd-net\n");
      h.commands[`virsh -c ${URI} pool-list --all --name`] = ok("default\nokd-lab\n");
      h.commands[`virsh -c ${URI} list --name --all`] = ok("okd-infra\nokd-bootstrap\nokd-master\nokd-worker\nunrelated\n");
      h.commands[`virsh -c ${URI} list --name --state-running`] = ok("okd-infra\nokd-bootstrap\nokd-master\nokd-worker\n");
      h.commands[`virsh -c ${URI} vol-list --pool okd-lab`] = volList([...VOLUMES, ...NODE_VOLUMES]);
      if (state !== "no stack") h.commands["pulumi stack export --stack dev"] = exportOf(state);
    });
  }
  const orphans = (host: FakeHost) => runPreflight(configOf(), URI, probeOf(host)).find((r) => r.check === "orphans")!;

  it("passes when every object with the lab's names is in the stack's state", () => {
    expect(line(orphans(labHost(fullState())))).toBe("ok    orphans: 16 libvirt objects with the lab's names, all in the state of stack dev");
  });

  it("passes a new lab: no stack and no object with the lab's names", () => {
    expect(line(orphans(rockyHost()))).toBe("ok    orphans: no libvirt object with the lab's names yet");
  });

  it("fails on what a failed run left (a started domain, an Ignition volume) and prints the virsh commands that remove them", () => {
    // The domain was defined and started before the provider recorded it; the Ignition volume
    // was created before its upload failed (provider issue #1150).
    const state = fullState().filter((o) => o.name !== "okd-worker" && o.name !== "okd-worker.ign");
    const result = orphans(labHost(state));
    expect(line(result)).toBe(
      "FAIL  orphans: domain okd-worker, volume okd-worker.ign (pool okd-lab) exist in libvirt but not in the state of stack dev (left by a failed run or another lab): " +
        "'pulumi up' would fail with \"already exists\" or reuse a stale volume. " +
        "Fix: remove them: virsh -c qemu:///system destroy okd-worker; virsh -c qemu:///system undefine okd-worker; virsh -c qemu:///system vol-delete okd-worker.ign --pool okd-lab",
    );
  });

  it("fails on a lab built by hand (no stack): every object, in removal order, the pool last", () => {
    const host = labHost("no stack");
    host.commands[`virsh -c ${URI} list --name --state-running`] = ok("okd-infra\n");
    host.commands[`virsh -c ${URI} list --name --all`] = ok("okd-infra\n");
    host.commands[`virsh -c ${URI} vol-list --pool okd-lab`] = volList(["okd-infra-root.qcow2"]);
    const result = orphans(host);
    expect(result.status).toBe("fail");
    expect(result.detail).toMatch(
      /^domain okd-infra, volume okd-infra-root.qcow2 \(pool okd-lab\), network okd-net, pool okd-lab exist in libvirt but not in the state of stack dev/,
    );
    expect(result.fix).toBe(
      "remove them: " +
        [
          "virsh -c qemu:///system destroy okd-infra",
          "virsh -c qemu:///system undefine okd-infra",
          "virsh -c qemu:///system vol-delete okd-infra-root.qcow2 --pool okd-lab",
          "virsh -c qemu:///system net-destroy okd-net",
          "virsh -c qemu:///system net-undefine okd-net",
          "virsh -c qemu:///system pool-destroy okd-lab",
          "virsh -c qemu:///system pool-undefine okd-lab",
        ].join("; "),
    );
  });

  it("finds the domain of a node no longer in the config by its disks in the pool", () => {
    // A failed run added worker2; the user then took it out of the config.
    const host = labHost(fullState());
    host.commands[`virsh -c ${URI} list --name --all`] = ok("okd-infra\nokd-bootstrap\nokd-master\nokd-worker\nokd-worker2\n");
    host.commands[`virsh -c ${URI} vol-list --pool okd-lab`] = volList([...VOLUMES, ...NODE_VOLUMES, "okd-worker2-root.qcow2", "okd-worker2.ign"]);
    expect(orphans(host).fix).toBe(
      "remove them: virsh -c qemu:///system undefine okd-worker2; virsh -c qemu:///system vol-delete okd-worker2-root.qcow2 --pool okd-lab; virsh -c qemu:///system vol-delete okd-worker2.ign --pool okd-lab",
    );
  });

  it("undefines a stopped leftover domain without destroying it first", () => {
    const host = labHost(fullState().filter((o) => o.name !== "okd-worker"));
    host.commands[`virsh -c ${URI} list --name --state-running`] = ok("okd-infra\n");
    expect(orphans(host).fix).toBe("remove them: virsh -c qemu:///system undefine okd-worker");
  });

  it("reads the state with the Pulumi CLI, and fails with its message when that does not work", () => {
    const host = labHost(fullState());
    host.commands["pulumi stack export --stack dev"] = {
      status: 255,
      stdout: "",
      stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
    };
    expect(line(orphans(host))).toBe(
      "FAIL  orphans: cannot read the state of stack dev: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions. " +
        "Fix: run preflight through npm run up (it selects the local file backend), or export PULUMI_BACKEND_URL as npm run up does",
    );
  });

  it("is not checked when libvirt does not answer", () => {
    const host = hostWith((h) => delete h.commands[`virsh -c ${URI} version`]);
    expect(line(orphans(host))).toBe("warn  orphans: not checked: libvirt did not answer");
  });

  it("reads volume names from virsh's vol-list table", () => {
    expect(parseVolList(volList(["okd-worker.ign", "okd-infra-cloudinit.iso"]).stdout)).toEqual(["okd-worker.ign", "okd-infra-cloudinit.iso"]);
    expect(parseVolList(" Name   Path\n------------\n\n")).toEqual([]);
  });
});

describe("runPreflight", () => {
  it("passes the healthy Rocky host with every check in order", () => {
    const results = runPreflight(configOf(), URI, probeOf(rockyHost()));
    expect(results.map((r) => `${r.check}:${r.status}`)).toEqual([
      "libvirt:ok",
      "libvirt-socket:ok",
      "orphans:ok",
      "mkisofs:ok",
      "node:ok",
      "tools:ok",
      "pool:ok",
      "cpu:ok",
      "kvm:ok",
      "installer:ok",
      "infra-image:ok",
      "boot-image:ok",
      "memory:ok",
      "disk:ok",
    ]);
    expect(formatSummary(results)).toBe("preflight: 14 ok, 0 warn, 0 FAIL; the host is ready for npm run up");
  });

  it("lists the domains only once libvirt answered, and counts running ones out of memory", () => {
    const host = hostWith((h) => {
      h.commands[`virsh -c ${URI} list --name --state-running`] = ok("okd-infra\nokd-bootstrap\nokd-master\nokd-worker\n");
      h.files["/proc/meminfo"] = meminfo(1024 * 1024);
    });
    const memory = runPreflight(configOf(), URI, probeOf(host)).find((r) => r.check === "memory");
    expect(memory?.detail).toBe("0 VMs to start need 0 MiB (4 already running, not counted); 1024 MiB available");

    const down = probeOf(hostWith((h) => delete h.commands[`virsh -c ${URI} version`]));
    runPreflight(configOf(), URI, down);
    expect(down.ran.filter((c) => c.includes(" list "))).toEqual([]);
  });

  it("summarizes failures and warnings", () => {
    const results: PreflightResult[] = [
      { check: "a", status: "ok", detail: "x" },
      { check: "b", status: "warn", detail: "y" },
      { check: "c", status: "fail", detail: "z", fix: "do it" },
    ];
    expect(formatSummary(results)).toBe("preflight: 1 ok, 1 warn, 1 FAIL; fix the FAIL lines before npm run up");
    expect(results.map(formatResult)).toEqual(["ok    a: x", "warn  b: y", "FAIL  c: z. Fix: do it"]);
  });
});

describe("preflight CLI", () => {
  it.each([
    [[], { stack: "dev", stackFile: "Pulumi.dev.yaml" }],
    [["--stack", "lab2"], { stack: "lab2", stackFile: "Pulumi.lab2.yaml" }],
    [["--stack-file", "/tmp/x/Pulumi.big.yaml"], { stack: "big", stackFile: "/tmp/x/Pulumi.big.yaml" }],
  ])("parseArgs(%j)", (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it.each([
    [["--stack"], "--stack needs a value"],
    [["--out", "x"], "unknown argument --out"],
    [["--stack", "a", "--stack-file", "b"], "give --stack or --stack-file, not both"],
  ])("parseArgs(%j) rejects the arguments", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("keeps the okd-lab keys without their namespace and libvirt:uri", () => {
    expect(splitStackConfig({ "libvirt:uri": "qemu:///system", "okd-lab:pool": { path: "/p" }, "command:x": 1 })).toEqual({
      raw: { pool: { path: "/p" } },
      libvirtUri: "qemu:///system",
    });
    expect(splitStackConfig({ "okd-lab:approveCsrs": true }).libvirtUri).toBeUndefined();
  });

  it("prints the configuration problems and exits 2 without a stack trace, before probing the host", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-preflight-"));
    try {
      const stackFile = path.join(tmp, "Pulumi.bad.yaml");
      fs.writeFileSync(stackFile, "config:\n  okd-lab:network:\n    cidr: 10.56.0.1/24\n");
      const root = path.resolve(__dirname, "../..");
      const result = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(root, "scripts/preflight.ts"), "--stack-file", stackFile],
        {
          cwd: root,
          encoding: "utf8",
          // No host tool is reachable: should validation ever pass, no probe could leave the machine.
          env: { ...process.env, PATH: tmp },
        },
      );
      expect(result.status).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain('okd-lab:network.cidr = "10.56.0.1/24": has host bits set (the network address is 10.56.0.0). Fix: use 10.56.0.0/24.');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 30000);
});
