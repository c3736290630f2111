/**
 * Real guests on real libvirt: a node of the program's plan (network, pool, volumes, DHCP
 * reservation, domain shaped like the provider's) boots the test guest, leases through libvirt's
 * own dnsmasq what the lab network hands out, reads its Ignition through fw_cfg, and powers off on
 * the ACPI power button.
 */
import * as fs from "node:fs";
import { buildGuestImage, GuestReport, parseGuestConsole } from "./guestImage";
import { createNetwork, createPool, PlannedLab, startNode, StartedNode } from "./labObjects";
import { ip } from "../e2e/netns";
import { PrivateLibvirt } from "./privateLibvirt";
import { networkIpConfig } from "./providerXml";

const NODE = "okd-okdlab-bootstrap";

let host: PrivateLibvirt;
let lab: PlannedLab;
let node: StartedNode;
/** This machine's own IPv4 addresses before the tier started. */
let rootAddresses: string;

beforeAll(async () => {
  lab = await PlannedLab.render();
  rootAddresses = ip(["-4", "-o", "addr", "show"]);
  host = await PrivateLibvirt.start();
  const guest = buildGuestImage(host.dir);
  createNetwork(host, lab);
  createPool(host, lab);
  node = startNode(host, lab, NODE, guest);
  process.stderr.write(
    `libvirt tier: guests run under ${node.virtType === "kvm" ? "KVM" : "TCG software emulation (libvirt offers no KVM here: /dev/kvm missing or unusable)"}; kernel ${guest.version}\n`,
  );
}, 120000);

afterAll(async () => {
  const failures = await host?.stop();
  expect(failures ?? []).toEqual([]);
}, 60000);

function consoleReport(): GuestReport {
  return parseGuestConsole(fs.existsSync(node.consoleLog) ? fs.readFileSync(node.consoleLog, "utf8") : "");
}

/** Waits until the guest's console satisfies `done`; fails with the console log after `timeoutMs`. */
async function waitForConsole(what: string, done: (r: GuestReport) => boolean, timeoutMs: number): Promise<GuestReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = consoleReport();
    if (done(report)) return report;
    if (report.noLease || report.insmodFailures.length > 0 || Date.now() > deadline) {
      const log = fs.existsSync(node.consoleLog) ? fs.readFileSync(node.consoleLog, "utf8") : "(no console log)";
      throw new Error(`${NODE}: ${what} not seen. Console:\n${log}\nlibvirt:\n${host.daemonLog().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * What the lab network hands a node, from the plan: the reserved address, the gateway as router,
 * and each DHCP option of the network's dnsmasq options as udhcpc names it. An option this table
 * does not know fails the test, so a new option cannot go unchecked.
 */
function expectedLease(): Record<string, string> {
  const reservation = lab.reservation(NODE);
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

it("boots the plan's node and leases its reserved address and the network's DHCP options through libvirt's dnsmasq", async () => {
  const report = await waitForConsole("a DHCP lease", (r) => r.leased, 150000);
  const expected = expectedLease();
  expect(expected.dns).toBe("10.56.0.10");
  expect(report.dhcp).toEqual(expected);
  const leases = host.virshOk(["net-dhcp-leases", lab.network.name]);
  expect(leases).toMatch(new RegExp(`${lab.reservation(NODE).mac}\\s+ipv4\\s+${expected.ip}/24\\s+${expected.hostname}\\b`, "i"));
}, 180000);

it("keeps the lab network inside the tier's namespace: no route out, only libvirt's bridge and the guest's tap, nothing in this machine's namespace", () => {
  expect(host.routesOut()).toEqual([]);
  const links = ip(["-n", host.ns, "-o", "link", "show"])
    .trim()
    .split("\n")
    .map((l) => l.split(":")[1].trim().split("@")[0]);
  expect(links.filter((l) => !/^(lo|virbr\d+|vnet\d+)$/.test(l))).toEqual([]);
  expect(links).toContain("vnet0");
  const gateway = networkIpConfig(lab.network.addresses[0]).address;
  expect(ip(["-n", host.ns, "-4", "-o", "addr", "show"])).toContain(` ${gateway}/`);
  expect(ip(["-4", "-o", "addr", "show"]).includes(` ${gateway}/`)).toBe(rootAddresses.includes(` ${gateway}/`));
  expect(fs.existsSync(`/run/libvirt/network/${lab.network.name}.xml`)).toBe(false);
});

it("hands the node its Ignition file through QEMU fw_cfg (opt/com.coreos/config), as coreosIgnition does", async () => {
  const report = await waitForConsole("the fw_cfg Ignition digest", (r) => r.fwCfgSha256 !== undefined, 30000);
  expect(report.fwCfgSha256).toBe(node.ignitionSha256);
});

it("powers off on the ACPI power button: virsh shutdown leaves the domain shut off", async () => {
  expect(host.virshOk(["domstate", NODE]).trim()).toBe("running");
  host.virshOk(["shutdown", NODE]);
  await waitForConsole("the power button", (r) => r.powerButton, 60000);
  const deadline = Date.now() + 30000;
  while (host.virshOk(["domstate", NODE]).trim() !== "shut off" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  expect(host.virshOk(["domstate", NODE]).trim()).toBe("shut off");
}, 120000);
