/**
 * The test guest, built at test time from Debian packages: Debian's kernel (linux-image-amd64,
 * booted directly) and an initramfs holding busybox (busybox-static) and the few kernel modules a
 * guest of the provider's shape needs. Its init:
 * - loads virtio-net (the provider's NIC model), the ACPI button and evdev (the power button is an
 *   input device; busybox acpid reads it), qemu_fw_cfg (to read the Ignition blob QEMU was given);
 * - prints `OKDLAB-BOOTED`, the sha256 of the fw_cfg entry `opt/com.coreos/config` when present,
 *   then takes its address by DHCP with udhcpc and prints one `OKDLAB-DHCP <key> <value>` line per
 *   lease value. udhcpc asks for udhcpc's defaults only (subnet, router, DNS, host and domain
 *   name...), not for the search list (option 119): a search list reaches it only when the
 *   network sends it unasked (dnsmasq `dhcp-option-force`);
 * - powers off (`poweroff -f`, ACPI off) when acpid reports the power button, printing
 *   `OKDLAB-POWER-BUTTON` first; with `okdlab.noacpi` on the kernel command line it ignores the
 *   button (a guest that hangs on shutdown).
 * Everything goes to the serial console, which the domain logs to a file.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Modules the init loads (with their dependencies, resolved from modules.dep). */
export const GUEST_MODULES = ["virtio_pci", "virtio_net", "button", "evdev", "qemu_fw_cfg"];

/** Kernel command line: serial console only, quiet so the console log stays short. */
export const GUEST_CMDLINE = "console=ttyS0 quiet";

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "$*" >/dev/ttyS0; }
for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m" || say "OKDLAB-INSMOD-FAILED $m"; done
say OKDLAB-BOOTED
ign=/sys/firmware/qemu_fw_cfg/by_name/opt/com.coreos/config/raw
[ -r $ign ] && say "OKDLAB-FWCFG $(sha256sum $ign | cut -d' ' -f1)"
# busybox acpid runs /etc/acpi/PWRF/00000080 for the ACPI power button's input event;
# okdlab.noacpi on the kernel command line makes a guest that ignores the button.
grep -qw okdlab.noacpi /proc/cmdline || acpid -c /etc/acpi -l /dev/null
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -s /etc/udhcpc.script -t 30 -T 1 -n -q -f || say OKDLAB-NO-LEASE
while true; do sleep 3600; done
`;

const UDHCPC_SCRIPT = `#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
for key in ip mask router dns domain search hostname; do
  eval "value=\\$$key"
  echo "OKDLAB-DHCP $key $value" >/dev/ttyS0
done
echo OKDLAB-LEASED >/dev/ttyS0
`;

const POWER_BUTTON = `#!/bin/sh
echo OKDLAB-POWER-BUTTON >/dev/ttyS0
poweroff -f
`;

/** A kernel with modules installed for it: the newest `/boot/vmlinuz-<v>` with `/lib/modules/<v>/modules.dep`. */
export function findKernel(): { version: string; image: string; modulesDir: string } {
  const versions = fs
    .readdirSync("/boot")
    .filter((f) => f.startsWith("vmlinuz-"))
    .map((f) => f.slice("vmlinuz-".length))
    .filter((v) => fs.existsSync(`/lib/modules/${v}/modules.dep`))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const version = versions.pop();
  if (version === undefined) throw new Error("no /boot/vmlinuz-<version> with /lib/modules/<version>: install Debian package linux-image-amd64 (.ci/run does)");
  return { version, image: `/boot/vmlinuz-${version}`, modulesDir: `/lib/modules/${version}` };
}

/**
 * The module files to load for `names`, dependencies first, from a modules.dep text.
 * @example moduleLoadOrder("a/virtio_net.ko: a/net_failover.ko a/failover.ko\na/net_failover.ko: a/failover.ko\na/failover.ko:\n", ["virtio_net"])
 *   // ["a/failover.ko", "a/net_failover.ko", "a/virtio_net.ko"]
 */
export function moduleLoadOrder(modulesDep: string, names: string[]): string[] {
  const deps = new Map<string, string[]>();
  for (const line of modulesDep.split("\n")) {
    const [file, rest] = line.split(":");
    if (file && rest !== undefined) deps.set(file.trim(), rest.trim() === "" ? [] : rest.trim().split(/\s+/));
  }
  const byName = new Map(
    [...deps.keys()].map((file) => [
      path
        .basename(file)
        .replace(/\.ko(\.\w+)?$/, "")
        .replace(/-/g, "_"),
      file,
    ]),
  );
  const order: string[] = [];
  const visit = (file: string) => {
    if (order.includes(file)) return;
    for (const dep of deps.get(file) ?? []) visit(dep);
    order.push(file);
  };
  for (const name of names) {
    const file = byName.get(name.replace(/-/g, "_"));
    if (file === undefined) throw new Error(`kernel module ${name} is not in modules.dep`);
    visit(file);
  }
  return order;
}

/**
 * Writes `vmlinuz` and `initrd.gz` into `dir` (readable by QEMU's user).
 * @returns their paths and the kernel version.
 */
export function buildGuestImage(dir: string): { kernel: string; initrd: string; version: string } {
  const kernel = findKernel();
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
  if (busybox === undefined) throw new Error("busybox not found: install Debian package busybox-static (.ci/run does)");
  const root = path.join(dir, "initramfs");
  for (const sub of ["bin", "dev", "proc", "sys", "etc/acpi/PWRF", "lib/modules"]) fs.mkdirSync(path.join(root, sub), { recursive: true });
  fs.copyFileSync(busybox, path.join(root, "bin", "busybox"));
  fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
  const order = moduleLoadOrder(fs.readFileSync(path.join(kernel.modulesDir, "modules.dep"), "utf8"), GUEST_MODULES);
  const loaded: string[] = [];
  for (const file of order) {
    const source = path.join(kernel.modulesDir, file);
    const base = path.basename(file);
    if (base.endsWith(".ko")) {
      fs.copyFileSync(source, path.join(root, "lib", "modules", base));
    } else if (base.endsWith(".ko.xz")) {
      // busybox insmod takes plain modules only: newer Debian kernels ship them xz-compressed.
      const plain = spawnSync("xz", ["-dc", source], { maxBuffer: 64 * 1024 * 1024 });
      if (plain.status !== 0) throw new Error(`xz -dc ${source} failed: ${plain.stderr}`);
      fs.writeFileSync(path.join(root, "lib", "modules", base.replace(/\.xz$/, "")), plain.stdout);
    } else {
      throw new Error(`kernel module ${source}: only .ko and .ko.xz are handled`);
    }
    loaded.push(base.replace(/\.xz$/, ""));
  }
  fs.writeFileSync(path.join(root, "etc", "modules.order"), `${loaded.join("\n")}\n`);
  fs.writeFileSync(path.join(root, "init"), INIT, { mode: 0o755 });
  fs.writeFileSync(path.join(root, "etc", "udhcpc.script"), UDHCPC_SCRIPT, { mode: 0o755 });
  fs.writeFileSync(path.join(root, "etc", "acpi", "PWRF", "00000080"), POWER_BUTTON, { mode: 0o755 });
  const initrd = path.join(dir, "initrd.gz");
  const cpio = spawnSync("sh", ["-c", 'cd "$1" && find . | cpio -o -H newc --quiet | gzip -1 > "$2"', "sh", root, initrd], { encoding: "utf8" });
  if (cpio.status !== 0) throw new Error(`building the initramfs failed (cpio and gzip are needed): ${cpio.stderr}`);
  fs.rmSync(root, { recursive: true, force: true });
  const vmlinuz = path.join(dir, "vmlinuz");
  fs.copyFileSync(kernel.image, vmlinuz);
  fs.chmodSync(vmlinuz, 0o644);
  fs.chmodSync(initrd, 0o644);
  return { kernel: vmlinuz, initrd, version: kernel.version };
}

/** The guest's report from its console log: booted, fw_cfg digest, DHCP values, power button. */
export interface GuestReport {
  booted: boolean;
  leased: boolean;
  noLease: boolean;
  powerButton: boolean;
  fwCfgSha256?: string;
  dhcp: Record<string, string>;
  insmodFailures: string[];
}

export function parseGuestConsole(log: string): GuestReport {
  const lines = log.split(/\r?\n/);
  const dhcp: Record<string, string> = {};
  for (const line of lines) {
    const m = /^OKDLAB-DHCP (\w+) ?(.*)$/.exec(line.trim());
    if (m) dhcp[m[1]] = m[2].trim();
  }
  return {
    booted: lines.some((l) => l.trim() === "OKDLAB-BOOTED"),
    leased: lines.some((l) => l.trim() === "OKDLAB-LEASED"),
    noLease: lines.some((l) => l.trim() === "OKDLAB-NO-LEASE"),
    powerButton: lines.some((l) => l.trim() === "OKDLAB-POWER-BUTTON"),
    fwCfgSha256: lines.map((l) => /^OKDLAB-FWCFG ([0-9a-f]{64})/.exec(l.trim())?.[1]).find((v) => v !== undefined),
    dhcp,
    insmodFailures: lines.map((l) => /^OKDLAB-INSMOD-FAILED (\S+)/.exec(l.trim())?.[1]).filter((v): v is string => v !== undefined),
  };
}
