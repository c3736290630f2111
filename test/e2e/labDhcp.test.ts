/**
 * The lab network's DHCP with real programs: dnsmasq (Debian's dnsmasq-base) configured the way
 * libvirt configures it for this network, a real DHCP client (ISC dhclient) in the node's
 * namespace, and, where it can run, systemd-resolved (Debian's package, unpacked by
 * scripts/fetchSystemdResolved.sh, never installed) resolving the `.local` cluster name through
 * CoreDNS's stand-in (BIND serving the rendered zone) with the search domain DHCP handed out, and
 * not without it.
 *
 * libvirt's dnsmasq configuration (src/network/bridge_driver.c, networkDnsmasqConfContents):
 * strict-order, the `server=/<zone>/<ip>` forwarders, except-interface=lo, bind-dynamic and
 * interface=<bridge>, dhcp-range (the provider's .2-.254 for a /24), dhcp-no-override,
 * dhcp-authoritative, dhcp-lease-max, dhcp-hostsfile (one `mac,ip,name` line per reservation),
 * addn-hosts, then the `<dnsmasq:options>` verbatim, `name=value` each. One deviation for the test:
 * `no-resolv`, so the stand-in never reads this machine's resolv.conf.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { parseLabConfig } from "../../config/labConfig";
import { buildLabPlan, LabPlan } from "../../plan/labPlan";
import { renderNetworkDnsmasqOptions } from "../../render/networkDnsmasqOptions";
import { renderZones } from "../../render/zoneFiles";
import { seedRawConfig } from "../fixtures/labs";
import { LabNetwork, NsProcess } from "./netns";

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, "../..");
const RESOLVED = [".cache/systemd-resolved/root/lib/systemd/systemd-resolved", ".cache/systemd-resolved/root/usr/lib/systemd/systemd-resolved"]
  .map((p) => path.join(REPO, p))
  .find((p) => fs.existsSync(p));

const plan: LabPlan = buildLabPlan(parseLabConfig(seedRawConfig(), "dev").config);
const node = plan.nodes.find((n) => n.role === "master")!;

/** The libvirt-generated dnsmasq configuration for the lab network, bridge `veth-infra`. */
export function libvirtDnsmasqConf(p: LabPlan, dir: string): string {
  const zones = [p.dns.zone, ...p.dns.reverseZones.map((z) => z.zone)];
  return [
    "strict-order",
    ...zones.map((z) => `server=/${z}/${p.infra.ip}`),
    "no-resolv",
    `pid-file=${dir}/dnsmasq.pid`,
    "except-interface=lo",
    "bind-dynamic",
    "interface=veth-infra",
    `dhcp-range=${p.network.gateway.replace(/\.1$/, ".2")},${p.network.broadcast.replace(/\.255$/, ".254")},${p.network.netmask}`,
    "dhcp-no-override",
    "dhcp-authoritative",
    "dhcp-lease-max=253",
    `dhcp-hostsfile=${dir}/okd-net.hostsfile`,
    `addn-hosts=${dir}/okd-net.addnhosts`,
    ...renderNetworkDnsmasqOptions(p).map((o) => `${o.optionName}=${o.optionValue}`),
    "",
  ].join("\n");
}

let dir: string;
let net: LabNetwork;
let dnsmasq: NsProcess;
let lease: Record<string, string>;

async function waitFor(what: string, ms: number, ok: () => boolean, detail: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-e2e-dhcp-"));
  fs.chmodSync(dir, 0o755);
  // The "infra" namespace plays the host bridge (gateway, libvirt's dnsmasq); the "nodes" one the
  // lab's machines: the infra node (CoreDNS's stand-in on its address) and the DHCP client.
  net = LabNetwork.create({ tag: "dhcp", infraIp: plan.network.gateway, prefix: plan.network.prefix, nodeIps: [plan.infra.ip], folders: [dir] });
  // The node's NIC carries its planned MAC, as the domain's interface does.
  execFileSync("ip", ["-n", net.nodesNs, "link", "set", "veth-nodes", "down"]);
  execFileSync("ip", ["-n", net.nodesNs, "link", "set", "veth-nodes", "address", node.mac]);
  execFileSync("ip", ["-n", net.nodesNs, "link", "set", "veth-nodes", "up"]);

  // CoreDNS's stand-in on the infra address: BIND with the rendered cluster zone, no recursion.
  const zone = renderZones(plan.dns, undefined).files.find((f) => f.zone === plan.dns.zone)!;
  fs.writeFileSync(path.join(dir, "zone.db"), zone.content);
  fs.writeFileSync(
    path.join(dir, "named.conf"),
    [
      `options { directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port 53 { ${plan.infra.ip}; }; listen-on-v6 { none; };`,
      "  recursion no; allow-query { any; }; dnssec-validation no; notify no; };",
      "controls { };",
      `zone "${plan.dns.zone}" { type primary; file "${dir}/zone.db"; };`,
      "",
    ].join("\n"),
  );
  const named = net.spawn(net.nodesNs, ["named", "-g", "-4", "-c", path.join(dir, "named.conf")], { privateRun: [] });
  await waitFor("named", 20000, () => / running$/m.test(named.output()) || named.child.exitCode !== null, named.output);

  // libvirt's dnsmasq with the reservation the domain's interface creates (mac,ip,name).
  fs.writeFileSync(path.join(dir, "okd-net.hostsfile"), plan.nodes.map((n) => `${n.mac},${n.ip},${n.name}`).join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "okd-net.addnhosts"), "");
  fs.writeFileSync(path.join(dir, "okd-net.conf"), libvirtDnsmasqConf(plan, dir));
  dnsmasq = net.spawn(net.infraNs, ["dnsmasq", `--conf-file=${dir}/okd-net.conf`, "--leasefile-ro", "--keep-in-foreground", "--log-facility=-", "--log-dhcp"], {
    privateRun: [],
  });
  await waitFor("dnsmasq", 20000, () => /DHCP, IP range/.test(dnsmasq.output()) || dnsmasq.child.exitCode !== null, dnsmasq.output);

  // dhclient asks for options 1, 3, 6, 12 and 15 only: option 119 must come although unrequested.
  fs.writeFileSync(path.join(dir, "dhclient.conf"), "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;\n");
  fs.writeFileSync(
    path.join(dir, "dhclient-script"),
    [
      "#!/bin/sh",
      'case "$reason" in BOUND|REBOOT)',
      `  ip addr add "$new_ip_address/${plan.network.prefix}" dev "$interface"`,
      `  env | grep '^new_' > "${dir}/lease.env.tmp" && mv "${dir}/lease.env.tmp" "${dir}/lease.env" ;;`,
      "esac",
      "exit 0",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const dhclient = net.spawn(
    net.nodesNs,
    [
      "dhclient",
      "-4",
      "-d",
      "-1",
      "-v",
      "-cf",
      `${dir}/dhclient.conf`,
      "-sf",
      `${dir}/dhclient-script`,
      "-lf",
      `${dir}/dhclient.leases`,
      "-pf",
      `${dir}/dhclient.pid`,
      "veth-nodes",
    ],
    { privateRun: [] },
  );
  await waitFor(
    "a DHCP lease",
    60000,
    () => fs.existsSync(path.join(dir, "lease.env")) || dhclient.child.exitCode !== null,
    () => `${dhclient.output()}\n${dnsmasq.output()}`,
  );
  dhclient.child.kill("SIGTERM");
  lease = Object.fromEntries(
    fs
      .readFileSync(path.join(dir, "lease.env"), "utf8")
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}, 120_000);

afterAll(async () => {
  await net?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the lab's DHCP (dnsmasq configured as libvirt does) to a real DHCP client", () => {
  it("hands the node its reserved address", () => {
    expect(lease.new_ip_address).toBe(node.ip);
  });

  it("hands out the infra node as DNS server (option 6)", () => {
    expect(lease.new_domain_name_servers).toBe(plan.infra.ip);
  });

  it("hands out the cluster zone as domain (option 15) and, unrequested, as search domain (option 119)", () => {
    expect(lease.new_domain_name).toBe(plan.dns.zone);
    expect((lease.new_domain_search ?? "").replace(/\.$/, "")).toBe(plan.dns.zone);
  });
});

/** Runs systemd-resolved in the nodes namespace with the lease's link settings; digs its stub. */
async function resolveThroughResolved(domains: string | undefined): Promise<{ status?: string; answer?: string; output: string }> {
  const run = fs.mkdtempSync(path.join(dir, "resolved-"));
  fs.writeFileSync(path.join(run, "passwd"), `${fs.readFileSync("/etc/passwd", "utf8")}systemd-resolve:x:991:991::/:/usr/sbin/nologin\n`);
  fs.writeFileSync(path.join(run, "group"), `${fs.readFileSync("/etc/group", "utf8")}systemd-resolve:x:991:\n`);
  const ifindex = execFileSync("ip", ["-n", net.nodesNs, "-o", "link", "show", "veth-nodes"], { encoding: "utf8" }).split(":")[0].trim();
  // How networkd hands a DHCP lease's DNS server and domains to resolved: its link state file.
  const state = [
    "ADMIN_STATE=configured",
    "OPER_STATE=routable",
    `DNS=${lease.new_domain_name_servers}`,
    ...(domains ? [`DOMAINS=${domains}`] : []),
    "LLMNR=no",
    "MDNS=no",
    "",
  ].join("\n");
  fs.mkdirSync(path.join(run, "links"));
  fs.writeFileSync(path.join(run, "links", ifindex), state);
  const script = [
    "mount -t tmpfs okdlab-run /run",
    "mkdir -p /run/systemd/netif/links /run/systemd/resolved.conf.d",
    `cp ${run}/links/* /run/systemd/netif/links/`,
    'printf "[Resolve]\\nMulticastDNS=no\\nLLMNR=no\\nDNSSEC=no\\n" > /run/systemd/resolved.conf.d/lab.conf',
    `mount --bind ${run}/passwd /etc/passwd`,
    `mount --bind ${run}/group /etc/group`,
    `exec ${RESOLVED}`,
  ].join(" && ");
  const resolved = net.spawn(net.nodesNs, ["sh", "-c", script], { env: { ...process.env, SYSTEMD_LOG_TARGET: "console", SYSTEMD_LOG_LEVEL: "debug" } });
  try {
    await waitFor(
      "systemd-resolved's stub listener",
      20000,
      () => /stub listener/i.test(resolved.output()) || resolved.child.exitCode !== null,
      resolved.output,
    );
    await new Promise((r) => setTimeout(r, 500));
    const { output } = await net.run(net.nodesNs, ["dig", "+time=3", "+tries=1", "@127.0.0.53", `api-int.${plan.dns.zone}`, "A"]);
    return {
      status: /status: (\w+)/.exec(output)?.[1],
      answer: /ANSWER SECTION:\n\S+\s+\d+\s+IN\s+A\s+(\S+)/.exec(output)?.[1],
      output: `${output}\n${resolved.output().slice(-3000)}`,
    };
  } finally {
    resolved.child.kill("SIGTERM");
    await resolved.exited;
  }
}

describe("systemd-resolved on the node (Debian's build, unpacked, in the node's namespace)", () => {
  it("is available: scripts/fetchSystemdResolved.sh unpacks it (.ci/run does)", () => {
    expect(RESOLVED).toBeDefined();
  });

  it("resolves the .local cluster name through CoreDNS's stand-in with the search domain from DHCP", async () => {
    const result = await resolveThroughResolved((lease.new_domain_search ?? "").replace(/\.$/, ""));
    expect({ status: result.status, answer: result.answer }).toEqual({ status: "NOERROR", answer: plan.infra.ip });
  });

  it("does not send it to unicast DNS without the search domain (it is a multicast DNS name then)", async () => {
    const result = await resolveThroughResolved(undefined);
    expect(result.answer).toBeUndefined();
    expect(result.status).not.toBe("NOERROR");
  });
});
