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
  checkFcosImage,
  checkHostTools,
  checkInfraImage,
  checkInstaller,
  checkIsoTool,
  checkKvm,
  checkLibvirt,
  checkMemory,
  checkPool,
  CommandResult,
  fcosReleaseOf,
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
import { seedRawConfig } from "../fixtures/labs";

const URI = "qemu:///system";
const POOL = "/var/lib/libvirt/images/okd-lab";
const FCOS_38 = "/var/lib/libvirt/images/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2";
const ALMA_URL = "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2";
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
    },
    onPath: {
      mkisofs: "/usr/bin/mkisofs",
      genisoimage: "/usr/bin/genisoimage",
      dig: "/usr/bin/dig",
      curl: "/usr/bin/curl",
      sha256sum: "/usr/bin/sha256sum",
      xz: "/usr/bin/xz",
      openssl: "/usr/bin/openssl",
      oc: "/usr/bin/oc",
      "openshift-install": INSTALLER,
    },
    files: { "/proc/cpuinfo": cpuinfo(WESTMERE_FLAGS), "/proc/meminfo": meminfo(90 * 1024 * 1024) },
    paths: { [POOL]: dir, "/dev/kvm": { kind: "other", readable: false }, [FCOS_38]: file, [INSTALLER]: file },
    freeBytes: 800 * GIB,
    urls: { [ALMA_URL]: { ok: true, status: 200 } },
  };
}

/** A probe answering from `host`, recording every command it ran. */
function probeOf(host: FakeHost): HostProbe & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    run: (cmd, args) => {
      const line = [cmd, ...args].join(" ");
      ran.push(line);
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
        "Fix: sudo dnf install libvirt qemu-kvm && sudo systemctl enable --now libvirtd; as a non-root user also sudo usermod -aG libvirt $USER and log in again",
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
      "FAIL  mkisofs: not found on PATH; the libvirt provider runs 'mkisofs' to build the infra node's cloud-init ISO. Fix: sudo dnf install genisoimage",
    );
  });
});

describe("tools", () => {
  const urlConfig = () => seedWith((raw) => (raw.fcos = { image: FCOS_URL, sha256: "a".repeat(64) }));

  it("needs only dig when the FCOS image is a host path", () => {
    expect(line(checkHostTools(ctxOf(), probeOf(rockyHost())))).toBe("ok    tools: dig found");
  });

  it("needs curl, sha256sum and xz when the FCOS image is a .xz URL", () => {
    expect(line(checkHostTools(ctxOf(urlConfig()), probeOf(rockyHost())))).toBe("ok    tools: dig, curl, sha256sum, xz found");
  });

  it("does not need xz for an uncompressed URL", () => {
    const config = seedWith((raw) => (raw.fcos = { image: FCOS_URL.replace(/\.xz$/, ""), sha256: "a".repeat(64) }));
    const host = hostWith((h) => delete h.onPath.xz);
    expect(checkHostTools(ctxOf(config), probeOf(host)).status).toBe("ok");
  });

  it("fails naming bind-utils when dig is missing", () => {
    const host = hostWith((h) => delete h.onPath.dig);
    expect(line(checkHostTools(ctxOf(), probeOf(host)))).toBe(
      "FAIL  tools: dig is missing (the readiness gate resolves api-int at the infra node with it). Fix: sudo dnf install bind-utils",
    );
  });

  it("needs oc and openssl when approveCsrs is on", () => {
    const config = seedWith((raw) => (raw.approveCsrs = true));
    const host = hostWith((h) => delete h.onPath.oc);
    expect(line(checkHostTools(ctxOf(config), probeOf(host)))).toBe(
      "FAIL  tools: oc is missing (approveCsrs is on: the approval runs on this machine). Fix: sudo dnf install openshift-clients",
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
    ["cpu", checkCpu],
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
  it("passes a Westmere and says that x86-64-v3 content cannot run there", () => {
    expect(line(checkCpu(ctxOf(), probeOf(rockyHost())))).toBe(
      "ok    cpu: x86-64-v2, enough for Fedora CoreOS and EL9; not x86-64-v3 (missing avx avx2 bmi1 bmi2 f16c fma abm movbe xsave), so EL10 / CentOS Stream 10 based content cannot run here",
    );
  });

  it("passes a v3 CPU without the note", () => {
    const host = hostWith((h) => (h.files["/proc/cpuinfo"] = cpuinfo(EPYC_FLAGS)));
    expect(line(checkCpu(ctxOf(), probeOf(host)))).toBe("ok    cpu: x86-64-v2 and x86-64-v3");
  });

  it("fails a Penryn, which lacks POPCNT and SSE4.2", () => {
    const host = hostWith((h) => (h.files["/proc/cpuinfo"] = cpuinfo(PENRYN_FLAGS)));
    expect(line(checkCpu(ctxOf(), probeOf(host)))).toBe(
      "FAIL  cpu: the CPU lacks x86-64-v2 (missing popcnt sse4_2); Fedora CoreOS and AlmaLinux 9 do not start without it. " +
        "Fix: run the lab on a Nehalem (2008) or newer CPU; on a nested host give this VM the host CPU (host-passthrough)",
    );
  });

  it("requires SSE3, which /proc/cpuinfo calls pni", () => {
    const host = hostWith((h) => (h.files["/proc/cpuinfo"] = cpuinfo(WESTMERE_FLAGS.replace(" pni", ""))));
    expect(checkCpu(ctxOf(), probeOf(host)).detail).toContain("(missing pni)");
  });

  it("warns when /proc/cpuinfo cannot be read", () => {
    const host = hostWith((h) => delete h.files["/proc/cpuinfo"]);
    expect(line(checkCpu(ctxOf(), probeOf(host)))).toBe("warn  cpu: /proc/cpuinfo has no flags line; x86-64-v2 not checked");
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
  const PRINT_STREAM = `set okd-lab:fcos.image to the image the installer names: ${INSTALLER} coreos print-stream-json | jq -r '.architectures.x86_64.artifacts.qemu.formats["qcow2.xz"].disk'`;
  const withInstaller = (version: string) =>
    hostWith((h) => (h.commands[`${INSTALLER} version`] = ok(`openshift-install ${version}\nrelease architecture amd64\n`)));
  const withImage = (image: string) => seedWith((raw) => (raw.fcos = { image }));
  const fcosPath = (release: number) => `/var/lib/libvirt/images/fedora-coreos-${release}.20240101.3.0-qemu.x86_64.qcow2`;

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

  it.each([
    ["4.16.0-0.okd-scos-2024-09-24-151747", "4.16"],
    ["4.14.0-0.okd-scos-2024-01-30-032525", "okd-scos 4.14"],
  ])("fails %s (%s) with a Fedora CoreOS image: CentOS Stream CoreOS does not pair with it", (version) => {
    expect(line(checkInstaller(ctxOf(), probeOf(withInstaller(version))))).toBe(
      `FAIL  installer: openshift-install ${version} boots CentOS Stream CoreOS (OKD 4.16+ and okd-scos builds); the Fedora CoreOS 38 image fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2 does not pair with it. ` +
        `Fix: use an OKD 4.12-4.15 installer, or ${PRINT_STREAM}`,
    );
  });

  it("warns when the installer is not an OKD build", () => {
    expect(line(checkInstaller(ctxOf(), probeOf(withInstaller("4.13.12"))))).toBe(
      "warn  installer: /usr/local/bin/openshift-install is openshift-install 4.13.12, which does not look like an OKD build (OKD versions read 4.y.z-0.okd-<date>). Fix: use the OKD installer from https://github.com/okd-project/okd/releases",
    );
  });

  it("warns for an OKD release outside the pairing table", () => {
    expect(checkInstaller(ctxOf(), probeOf(withInstaller("4.11.0-0.okd-2022-12-02-145640"))).detail).toBe(
      "no known Fedora CoreOS pairing for openshift-install 4.11.0-0.okd-2022-12-02-145640 (known: OKD 4.12-4.15)",
    );
  });

  it("warns when the image name does not tell the Fedora CoreOS release", () => {
    expect(line(checkInstaller(ctxOf(withImage("/var/lib/libvirt/images/fcos.qcow2")), probeOf(rockyHost())))).toBe(
      "warn  installer: openshift-install 4.13.0-0.okd-2023-09-30-084937 boots Fedora CoreOS 38, but the release of fcos.qcow2 cannot be read from its name. " +
        `Fix: keep the released file name (fedora-coreos-38.<date>.<n>.<n>-qemu.x86_64.qcow2), or ${PRINT_STREAM}`,
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
    [
      "openshift-install 4.13.0-0.okd-2023-09-30-084937\nbuilt from commit x\n",
      { version: "4.13.0-0.okd-2023-09-30-084937", minor: 13, okd: true, scos: false },
    ],
    ["openshift-install v4.1.0\n", { version: "4.1.0", minor: 1, okd: false, scos: false }],
    ["openshift-install 4.17.0-0.okd-scos-2024-11-04-111805\n", { version: "4.17.0-0.okd-scos-2024-11-04-111805", minor: 17, okd: true, scos: true }],
    ["oc 4.13\n", undefined],
  ])("parseInstallerVersion(%j)", (stdout, expected) => {
    expect(parseInstallerVersion(stdout)).toEqual(expected);
  });

  it.each([
    [FCOS_38, 38],
    [FCOS_URL, 38],
    ["https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/39.20231101.3.0/x86_64/fcos-qemu.qcow2.xz", 39],
    ["/images/fcos.qcow2", undefined],
  ])("fcosReleaseOf(%s) is %s", (image, release) => {
    expect(fcosReleaseOf(image)).toBe(release);
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
    expect(line(checkFcosImage(ctxOf(config), probeOf(host)))).toBe(`ok    fcos-image: ${FCOS_URL} answers (HTTP 200)`);
  });

  it("is ok when the FCOS file is readable", () => {
    expect(line(checkFcosImage(ctxOf(), probeOf(rockyHost())))).toBe(`ok    fcos-image: ${FCOS_38} is readable`);
  });

  it("fails when the FCOS file does not exist, saying where to get it", () => {
    const host = hostWith((h) => delete h.paths[FCOS_38]);
    expect(line(checkFcosImage(ctxOf(), probeOf(host)))).toBe(
      `FAIL  fcos-image: ${FCOS_38} does not exist. ` +
        "Fix: download the qemu image 'openshift-install coreos print-stream-json' names, unxz it to that path, or set okd-lab:fcos.image to its URL and okd-lab:fcos.sha256",
    );
  });

  it("fails when the FCOS file is not readable by the user that uploads it", () => {
    const host = hostWith((h) => (h.paths[FCOS_38] = { kind: "file", readable: false }));
    expect(line(checkFcosImage(ctxOf(), probeOf(host)))).toBe(
      `FAIL  fcos-image: ${FCOS_38} is not readable by this user, and the provider uploads it as this user. Fix: sudo chmod a+r ${FCOS_38}`,
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
      "orphans:ok",
      "mkisofs:ok",
      "tools:ok",
      "pool:ok",
      "cpu:ok",
      "kvm:ok",
      "installer:ok",
      "infra-image:ok",
      "fcos-image:ok",
      "memory:ok",
      "disk:ok",
    ]);
    expect(formatSummary(results)).toBe("preflight: 12 ok, 0 warn, 0 FAIL; the host is ready for npm run up");
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
