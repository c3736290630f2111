/**
 * Real guests on real libvirt: every VM of the program's plan (network, pool, volumes, DHCP
 * reservations, domains shaped like the provider's) boots the test guest, leases through
 * libvirt's own dnsmasq what the lab network hands out, reads its Ignition through fw_cfg, and
 * powers off on the ACPI power button; then `npm run start` and `npm run stop` (scripts/power.ts,
 * real virsh, stand-ins for pulumi and oc) act on those guests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { renderLabOutputs } from "../../render/labOutputs";
import { ip } from "../e2e/netns";
import { planFor } from "../fixtures/labs";
import { makeStandIns } from "../integration/powerStandIns";
import { buildGuestImage, GuestReport, parseGuestConsole } from "./guestImage";
import { createNetwork, createPool, PlannedLab, startNode, StartedNode, TEST_STACK, TEST_STACK_CONFIG } from "./labObjects";
import { PrivateLibvirt, SYSTEM_URI } from "./privateLibvirt";
import { networkIpConfig } from "./providerXml";

/** The plan's VMs in the order the cluster stops them: workers, masters, bootstrap, infra. */
const VMS = ["okd-okdlab-worker", "okd-okdlab-master", "okd-okdlab-bootstrap", "okdlab-infra"];
const FCOS_VMS = VMS.slice(0, 3);
const REPO = path.resolve(__dirname, "../..");

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

describe("npm run start and npm run stop on the tier's guests", () => {
  let project: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    // Stand-ins for pulumi (the stack's outputs) and oc (the cluster's install time); virsh is the real one.
    const s = makeStandIns(SYSTEM_URI);
    fs.rmSync(path.join(s.bin, "virsh"));
    project = path.join(host.dir, "power-project");
    const assets = path.join(project, ".okd", "lab");
    fs.mkdirSync(path.join(assets, "auth"), { recursive: true });
    fs.mkdirSync(path.join(assets, ".okd-lab"));
    fs.writeFileSync(path.join(assets, "auth", "kubeconfig"), "apiVersion: v1\n");
    // Installed two days ago: past the first certificate rotation, so stop does not refuse.
    const installed = new Date(Date.now() - 48 * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    fs.writeFileSync(path.join(assets, ".okd-lab", "generated-at"), `${installed}\n`);
    fs.writeFileSync(path.join(s.ocDir, "cluster-created"), installed);
    const config = { ...TEST_STACK_CONFIG, "okd-lab:okd": { assetsDir: assets } };
    fs.writeFileSync(path.join(project, `Pulumi.${TEST_STACK}.yaml`), stringify({ config }));
    const raw = Object.fromEntries(Object.entries(config).flatMap(([k, v]) => (k.startsWith("okd-lab:") ? [[k.slice("okd-lab:".length), v]] : [])));
    const outputs = renderLabOutputs(planFor(raw, TEST_STACK), {
      assetsDir: assets,
      installer: "openshift-install",
      approveCsrs: false,
      libvirtUri: SYSTEM_URI,
    });
    fs.writeFileSync(path.join(s.pulumiDir, `${TEST_STACK}.json`), JSON.stringify({ ...outputs, kubeconfig: path.join(assets, "auth", "kubeconfig") }));
    env = { ...s.env, TS_NODE_PROJECT: path.join(REPO, "tsconfig.json") };
  });

  /** scripts/power.ts inside the tier's namespaces (what `npm run stop|start` runs): its exit code and output lines. */
  function power(args: string[]): { status: number; lines: string[] } {
    const r = host.run(
      [process.execPath, "-r", require.resolve("ts-node/register/transpile-only"), path.join(REPO, "scripts/power.ts"), ...args, "--stack", TEST_STACK],
      {
        cwd: project,
        env,
        timeoutMs: 240000,
      },
    );
    return { status: r.status, lines: `${r.stdout}${r.stderr}`.trim().split("\n") };
  }
  const states = () => VMS.map((name) => `${name} ${host.virshOk(["domstate", name]).trim()}`);

  it("start boots the infra node first and starts nothing else while the infra node does not serve", async () => {
    expect(states()).toEqual(VMS.map((name) => `${name} shut off`));
    const started = power(["start", "--readiness-timeout", "5"]);
    expect(started.status).toBe(1);
    expect(started.lines).toContain("starting the infra node: okdlab-infra");
    expect(started.lines).toContain(
      "The control plane was not started. Fix: look at okdlab-infra (virsh -c qemu:///system console okdlab-infra), then npm run start again.",
    );
    expect(started.lines.join("\n")).not.toMatch(/starting the (bootstrap|masters|workers)/);
    expect(states()).toEqual([...FCOS_VMS.map((name) => `${name} shut off`), "okdlab-infra running"]);
  }, 120000);

  it("stop names the worker that ignores the power button and stops nothing after it; then powers the rest off in order", async () => {
    // The cluster nodes boot again; the worker's guest ignores ACPI (okdlab.noacpi).
    for (const name of FCOS_VMS) {
      host.virshOk(["undefine", name]);
      nodes.set(name, startNode(host, lab, name, guest, { reuseVolumes: true, ignoreAcpi: name === "okd-okdlab-worker" }));
    }
    for (const name of VMS) await waitForConsole(name, "a DHCP lease", (r) => r.leased, 240000);
    expect(states()).toEqual(VMS.map((name) => `${name} running`));

    const stuck = power(["stop", "--timeout", "20"]);
    expect(stuck.status).toBe(1);
    expect(stuck.lines).toContain("shutting down the workers: okd-okdlab-worker");
    expect(stuck.lines).toContain("okd-lab stop: okd-okdlab-worker did not power off within 20 s (state: running).");
    expect(stuck.lines).toContain("Still running, not asked to stop: okd-okdlab-master, okd-okdlab-bootstrap, okdlab-infra.");
    expect(states()).toEqual(VMS.map((name) => `${name} running`));

    host.virshOk(["destroy", "okd-okdlab-worker"]);
    const stopped = power(["stop"]);
    expect({ status: stopped.status, lines: stopped.lines.filter((l) => /^(shutting down|\w.* shut off$|stack )/.test(l)) }).toEqual({
      status: 0,
      lines: [
        "shutting down the masters: okd-okdlab-master",
        "masters shut off",
        "shutting down the bootstrap: okd-okdlab-bootstrap",
        "bootstrap shut off",
        "shutting down the infra node: okdlab-infra",
        "infra node shut off",
        `stack ${TEST_STACK}: 3 VMs shut off, nothing deleted; npm run start brings the lab back`,
      ],
    });
    for (const name of VMS.slice(1)) expect(parseGuestConsole(consoleLog(name)).powerButton).toBe(true);
    expect(states()).toEqual(VMS.map((name) => `${name} shut off`));
  }, 420000);
});
