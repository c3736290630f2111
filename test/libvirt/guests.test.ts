/**
 * Real guests on real libvirt: every VM of the program's plan (network, pool, volumes, DHCP
 * reservations, domains shaped like the provider's) boots the test guest, leases through
 * libvirt's own dnsmasq what the lab network hands out, reads its Ignition through fw_cfg, and
 * powers off on the ACPI power button.
 */
import * as fs from "node:fs";
import { ip } from "../e2e/netns";
import { buildGuestImage, GuestReport, parseGuestConsole } from "./guestImage";
import { createNetwork, createPool, PlannedLab, startNode, StartedNode } from "./labObjects";
import { PrivateLibvirt } from "./privateLibvirt";
import { networkIpConfig } from "./providerXml";

/** The plan's VMs in the order the cluster stops them: workers, masters, bootstrap, infra. */
const VMS = ["okd-okdlab-worker", "okd-okdlab-master", "okd-okdlab-bootstrap", "okdlab-infra"];
const FCOS_VMS = VMS.slice(0, 3);

let host: PrivateLibvirt;
let lab: PlannedLab;
let guest: { kernel: string; initrd: string; version: string };
const nodes = new Map<string, StartedNode>();
/** This machine's own IPv4 addresses before the tier started. */
let rootAddresses: string;
/** This machine's libvirt folders before the tier started. */
let machineLibvirt: string[];

/**
 * Every path under the machine's libvirt folders (what a system libvirt keeps) that is named after
 * the tier's objects (`okdlab`); a system libvirt running beside the tier may change the others.
 */
function libvirtFolders(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = `${dir}/${e.name}`;
      const st = fs.lstatSync(full);
      if (full.includes("okdlab")) out.push(`${full} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(full);
    }
  };
  for (const dir of ["/run/libvirt", "/etc/libvirt", "/var/lib/libvirt", "/var/log/libvirt"]) walk(dir);
  return out.sort();
}

beforeAll(async () => {
  lab = await PlannedLab.render();
  expect([...lab.domainNames()].sort()).toEqual([...VMS].sort());
  rootAddresses = ip(["-4", "-o", "addr", "show"]);
  machineLibvirt = libvirtFolders();
  host = await PrivateLibvirt.start();
  guest = buildGuestImage(host.dir);
  createNetwork(host, lab);
  createPool(host, lab);
  for (const name of VMS) nodes.set(name, startNode(host, lab, name, guest));
  process.stderr.write(
    `libvirt tier: guests run under ${host.virtType() === "kvm" ? "KVM" : "TCG software emulation (libvirt offers no KVM here: /dev/kvm missing or unusable)"}; kernel ${guest.version}\n`,
  );
}, 120000);

afterAll(async () => {
  const failures = await host?.stop();
  expect(failures ?? []).toEqual([]);
}, 60000);

function consoleLog(name: string): string {
  const file = nodes.get(name)!.consoleLog;
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** Waits until a guest's console satisfies `done`; fails with the console log after `timeoutMs`. */
async function waitForConsole(name: string, what: string, done: (r: GuestReport) => boolean, timeoutMs: number): Promise<GuestReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = parseGuestConsole(consoleLog(name));
    if (done(report)) return report;
    if (report.noLease || report.insmodFailures.length > 0 || Date.now() > deadline) {
      throw new Error(`${name}: ${what} not seen. Console:\n${consoleLog(name) || "(empty)"}\nlibvirt:\n${host.daemonLog().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * What the lab network hands a node, from the plan: the reserved address, the gateway as router,
 * and each DHCP option of the network's dnsmasq options as udhcpc names it. An option this table
 * does not know fails the test, so a new option cannot go unchecked.
 */
function expectedLease(name: string): Record<string, string> {
  const reservation = lab.reservation(name);
  const expected: Record<string, string> = {
    ip: reservation.ip,
    mask: String(networkIpConfig(lab.network.addresses[0]).prefix),
    router: networkIpConfig(lab.network.addresses[0]).address,
    hostname: reservation.hostname,
    domain: "",
    search: "",
  };
  // udhcpc's variables per dnsmasq option name (dnsmasq --help dhcp; busybox networking/udhcp/common.c).
  // dnsmasq takes an option by name (`option:domain-search`) or by number (`119`).
  const udhcpcName: Record<string, string> = {
    "dns-server": "dns",
    "6": "dns",
    "domain-name": "domain",
    "15": "domain",
    "domain-search": "search",
    "119": "search",
  };
  for (const option of lab.network.dnsmasqOptions?.options ?? []) {
    if (!/^dhcp-option(-force)?$/.test(option.optionName)) continue;
    const m = /^(?:option:([a-z-]+)|(\d+)),(.*)$/.exec(option.optionValue ?? "");
    const key = m?.[1] ?? m?.[2];
    if (!m || key === undefined || !(key in udhcpcName))
      throw new Error(`dnsmasq option ${option.optionName}=${option.optionValue}: the guest test does not check it yet`);
    // udhcpc prints lists space-separated; dnsmasq takes them comma-separated.
    expected[udhcpcName[key]] = m[3].split(",").join(" ");
  }
  return expected;
}

it.each(VMS)(
  "boots %s, which leases its reserved address and the network's DHCP options through libvirt's dnsmasq",
  async (name) => {
    const report = await waitForConsole(name, "a DHCP lease", (r) => r.leased, 240000);
    const expected = expectedLease(name);
    expect(expected.dns).toBe("10.56.0.10");
    expect(report.dhcp).toEqual(expected);
    const leases = host.virshOk(["net-dhcp-leases", lab.network.name]);
    expect(leases).toMatch(new RegExp(`${lab.reservation(name).mac}\\s+ipv4\\s+${expected.ip}/24\\s+${expected.hostname}\\b`, "i"));
  },
  300000,
);

it("keeps the lab inside the tier's namespaces: no route out, only libvirt's bridge and the guests' taps, nothing in this machine's network or libvirt folders", () => {
  expect(host.routesOut()).toEqual([]);
  const links = ip(["-n", host.ns, "-o", "link", "show"])
    .trim()
    .split("\n")
    .map((l) => l.split(":")[1].trim().split("@")[0]);
  expect(links.filter((l) => !/^(lo|virbr\d+|vnet\d+)$/.test(l))).toEqual([]);
  expect(links.filter((l) => l.startsWith("vnet"))).toHaveLength(VMS.length);
  const gateway = networkIpConfig(lab.network.addresses[0]).address;
  expect(ip(["-n", host.ns, "-4", "-o", "addr", "show"])).toContain(` ${gateway}/`);
  expect(ip(["-4", "-o", "addr", "show"]).includes(` ${gateway}/`)).toBe(rootAddresses.includes(` ${gateway}/`));
  expect(fs.existsSync(`/run/libvirt/network/${lab.network.name}.xml`)).toBe(false);
  // Nothing of the daemon's sockets, definitions, leases, images or logs lands in this machine's folders.
  expect(libvirtFolders()).toEqual(machineLibvirt);
});

it.each(FCOS_VMS)("hands %s its Ignition file through QEMU fw_cfg (opt/com.coreos/config), as coreosIgnition does", async (name) => {
  const report = await waitForConsole(name, "the fw_cfg Ignition digest", (r) => r.fwCfgSha256 !== undefined, 30000);
  expect(report.fwCfgSha256).toBe(nodes.get(name)!.ignitionSha256);
});

it("powers every VM off on the ACPI power button: virsh shutdown leaves the domains shut off", async () => {
  // What the guests cost, for the README's timing: QEMU's CPU time so far (cpu.time, ns).
  const cpuNs = [...host.virshOk(["domstats", "--cpu-total", ...VMS]).matchAll(/cpu\.time=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  process.stderr.write(`libvirt tier: ${VMS.length} guests booted and leased using ${(cpuNs / 1e9).toFixed(1)} s of CPU\n`);
  for (const name of VMS) {
    expect(host.virshOk(["domstate", name]).trim()).toBe("running");
    host.virshOk(["shutdown", name]);
  }
  for (const name of VMS) await waitForConsole(name, "the power button", (r) => r.powerButton, 60000);
  const deadline = Date.now() + 30000;
  const states = () => VMS.map((name) => host.virshOk(["domstate", name]).trim());
  while (states().some((s) => s !== "shut off") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  expect(states()).toEqual(VMS.map(() => "shut off"));
}, 120000);
