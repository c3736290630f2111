/**
 * What the program runs on the host outside the provider, against real libvirt: `npm run
 * preflight` (its libvirt, existing-object, pool, KVM, memory and disk checks through the real
 * host probe, with the printed virsh commands run for real) and the DHCP reservation cleanup a
 * node's deletion runs (components/vmDefaults.ts), on a running and a stopped network.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { addReservations, createNetwork, createNodeVolumes, createPool, PlannedLab, TEST_IMAGES, writeStackFile } from "./labObjects";
import { MODULAR_SOCKET, PROVIDER_SOCKET, PrivateLibvirt, RunResult, SYSTEM_URI } from "./privateLibvirt";
import { dhcpHostXml, domainXml } from "./providerXml";

const REPO = path.resolve(__dirname, "../..");
const NODE = "okd-okdlab-bootstrap";

let host: PrivateLibvirt;
let lab: PlannedLab;
let stackFile: string;

beforeAll(async () => {
  lab = await PlannedLab.render();
  host = await PrivateLibvirt.start();
  stackFile = writeStackFile(host.dir);
  // The stack's boot images: small readable files where the config says they are.
  for (const image of Object.values(TEST_IMAGES)) fs.writeFileSync(host.hostPath(image), "stand-in image\n", { mode: 0o644 });
}, 60000);

afterAll(async () => {
  const failures = await host?.stop();
  expect(failures ?? []).toEqual([]);
}, 60000);

interface PreflightLine {
  status: "ok" | "warn" | "FAIL";
  detail: string;
  fix?: string;
}

/** `npm run preflight -- --stack-file <test stack>` inside the private libvirt's namespaces: one entry per check. */
function preflight(): Record<string, PreflightLine> {
  const result = host.run([path.join(REPO, "node_modules/.bin/ts-node"), "--transpile-only", "scripts/preflight.ts", "--stack-file", stackFile], {
    cwd: REPO,
    env: { ...process.env, LIBVIRT_DEFAULT_URI: "" },
    timeoutMs: 120000,
  });
  const lines: Record<string, PreflightLine> = {};
  for (const line of result.stdout.split("\n")) {
    const m = /^(ok|warn|FAIL)\s+([\w-]+): (.*?)(?:\. Fix: (.*))?$/.exec(line);
    if (m) lines[m[2]] = { status: m[1] as PreflightLine["status"], detail: m[3], fix: m[4] };
  }
  if (!lines.libvirt) throw new Error(`preflight printed no libvirt line (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return lines;
}

/**
 * The virsh commands a preflight fix prints, as the user would run them: exact commands
 * (`virsh -c <uri> undefine okd-x; virsh ...`) word by word, or a template such as
 * `virsh destroy/undefine <domain>` expanded for every `domain okd-x` its detail names.
 */
function printedRemovalCommands(line: PreflightLine): string[][] {
  const fix = line.fix ?? "";
  const exact = fix
    .split(/;\s*|:\s+/)
    .map((part) => part.trim())
    .filter((part) => part.startsWith("virsh ") && !part.includes("<"));
  if (exact.length > 0) return exact.map((command) => command.split(/\s+/).map((word) => word.replace(/^'(.*)'$/, "$1")));
  const found = [...line.detail.matchAll(/\b(domain|network|pool) ([\w.-]+)/g)].map((m) => ({ kind: m[1], name: m[2] }));
  const commands: string[][] = [];
  for (const template of fix.matchAll(/virsh ([\w-]+(?:\/[\w-]+)*) <(domain|network|pool)>/g)) {
    for (const object of found.filter((f) => f.kind === template[2])) {
      for (const sub of template[1].split("/")) commands.push(["virsh", "-c", SYSTEM_URI, sub, object.name]);
    }
  }
  return commands;
}

describe("npm run preflight against real libvirt", () => {
  it("finds libvirt answering at the stack's URI, no lab objects yet, and says whether KVM is there", () => {
    const lines = preflight();
    expect(lines.libvirt).toEqual({ status: "ok", detail: expect.stringMatching(/^qemu:\/\/\/system answers \(libvirt \d+\.\d+\.\d+, QEMU \d+\.\d+\.\d+\)$/) });
    expect(lines.existing).toEqual({ status: "ok", detail: "no network, pool or domain with the lab's names yet" });
    expect(lines.pool.detail).toMatch(/^\/var\/lib\/libvirt\/images\/okdlab-pool does not exist yet \(libvirt creates it when it builds the pool\)/);
    // The kvm check and libvirt agree on this machine.
    expect(lines.kvm.status).toBe(host.virtType() === "kvm" ? "ok" : "FAIL");
    expect(lines.memory.detail).toMatch(/^4 VMs to start need 45056 MiB; \d+ MiB available$/);
  }, 60000);

  it("warns about the lab's network, pool and domains left by an earlier lab, and the printed virsh commands remove them", () => {
    createNetwork(host, lab);
    createPool(host, lab);
    // Two nodes defined (not running) with their volumes and reservations, as a failed run leaves them.
    for (const name of [NODE, "okd-okdlab-master"]) {
      const dom = lab.domain(name);
      const volumes = createNodeVolumes(host, lab, name, "{}");
      addReservations(host, lab, name);
      host.define(
        "define",
        domainXml(dom, {
          type: host.virtType(),
          cpuMode: host.virtType() === "kvm" ? undefined : "maximum",
          networks: [lab.network.name],
          disks: [{ path: volumes.root, format: "qcow2" }],
          ignitionPath: volumes.ignition,
          boot: { kernel: "/nonexistent", initrd: "/nonexistent", cmdline: "" },
        }),
      );
    }
    const before = preflight();
    expect(before.existing.status).toBe("warn");
    expect(before.existing.detail).toBe(
      `network okdlab-net, pool okdlab-pool, domain ${NODE}, domain okd-okdlab-master already defined in libvirt: fine if this stack created them; otherwise 'pulumi up' fails with "already exists"`,
    );
    expect(before.pool.detail).toMatch(/^\/var\/lib\/libvirt\/images\/okdlab-pool exists;/);
    // Defined but stopped domains hold disk, not memory.
    expect(before.memory.detail).toMatch(/^4 VMs to start need 45056 MiB; \d+ MiB available$/);
    expect(before.disk.detail).toMatch(/^root disks of 2 new VMs can grow to 120 GiB/);

    const commands = printedRemovalCommands(before.existing);
    expect(commands.map((c) => c.slice(3).join(" "))).toEqual([
      `destroy ${NODE}`,
      `undefine ${NODE}`,
      "destroy okd-okdlab-master",
      "undefine okd-okdlab-master",
      "net-destroy okdlab-net",
      "net-undefine okdlab-net",
      "pool-destroy okdlab-pool",
      "pool-undefine okdlab-pool",
    ]);
    const results = commands.map((c): [string, RunResult] => [c.slice(3).join(" "), host.run(c)]);
    // `destroy` of a domain that is not running is the one expected refusal.
    const refused = results.filter(([, r]) => r.status !== 0).map(([c, r]) => `${c}: ${r.stderr.trim()}`);
    expect(refused).toEqual([
      `destroy ${NODE}: error: Failed to destroy domain '${NODE}'\nerror: Requested operation is not valid: domain is not running`,
      expect.stringMatching(/^destroy okd-okdlab-master: /),
    ]);
    expect(host.ownObjects()).toEqual([]);
  }, 120000);

  it("reaches the daemon through the modular socket while the provider's socket is absent, as on an EL9 host without virtproxyd", () => {
    const moved = host.run(["mv", PROVIDER_SOCKET, MODULAR_SOCKET]);
    expect(moved.status).toBe(0);
    try {
      expect(host.run(["test", "-S", PROVIDER_SOCKET]).status).not.toBe(0);
      expect(host.virshOk(["version"])).toMatch(/Running hypervisor: QEMU/);
    } finally {
      host.run(["mv", MODULAR_SOCKET, PROVIDER_SOCKET]);
    }
    expect(host.run(["test", "-S", PROVIDER_SOCKET]).status).toBe(0);
  });
});

describe("the DHCP reservation cleanup against real libvirt", () => {
  const nic = () => lab.reservation(NODE);
  const release = () => host.run(["/bin/bash", "-c", lab.dhcpReleaseScript(NODE)]);
  const reserved = (flags: string[]) =>
    host
      .virshOk(["net-dumpxml", lab.network.name, ...flags])
      .toLowerCase()
      .includes(`ip='${nic().ip}'`);
  const hostsFile = () => fs.readFileSync(host.hostPath(`/var/lib/libvirt/dnsmasq/${lab.network.name}.hostsfile`), "utf8");

  beforeAll(() => {
    if (!host.names(["net-list", "--all", "--name"]).includes(lab.network.name)) createNetwork(host, lab);
  });

  const providerReservation = (flags: string[]) =>
    host.virshOk([
      "net-update",
      lab.network.name,
      "add-last",
      "ip-dhcp-host",
      dhcpHostXml({ mac: nic().mac, hostname: nic().hostname, ip: nic().ip }),
      ...flags,
    ]);

  it("removes a reservation made the provider's way (upper-case MAC) from the running network, live and persistent, and from dnsmasq", () => {
    providerReservation(["--live", "--config"]);
    expect(hostsFile()).toContain(`${nic().mac.toUpperCase()},${nic().ip},${nic().hostname}`);
    const result = release();
    expect(result).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(reserved([])).toBe(false);
    expect(reserved(["--inactive"])).toBe(false);
    expect(hostsFile()).not.toContain(nic().ip);
  });

  it("is quiet when the reservation is already gone from the running network", () => {
    expect(reserved(["--inactive"])).toBe(false);
    expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("removes the reservation from a stopped network's persistent definition", () => {
    host.virshOk(["net-destroy", lab.network.name]);
    host.virshOk([
      "net-update",
      lab.network.name,
      "add-last",
      "ip-dhcp-host",
      dhcpHostXml({ mac: nic().mac, hostname: nic().hostname, ip: nic().ip }),
      "--config",
    ]);
    expect(reserved(["--inactive"])).toBe(true);
    expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(reserved(["--inactive"])).toBe(false);
  });

  it("is quiet when the reservation is already gone from the stopped network", () => {
    expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("is quiet when the network itself is gone", () => {
    host.virshOk(["net-undefine", lab.network.name]);
    expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("reports, without failing the destroy, when libvirt does not answer", () => {
    expect(host.run(["mv", PROVIDER_SOCKET, `${PROVIDER_SOCKET}.away`]).status).toBe(0);
    let result: RunResult;
    try {
      result = release();
    } finally {
      host.run(["mv", `${PROVIDER_SOCKET}.away`, PROVIDER_SOCKET]);
    }
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `^okd-lab: could not remove the DHCP reservation <host mac='${nic().mac}' name='${nic().hostname}' ip='${nic().ip}'/>: error: failed to connect to the hypervisor`,
      ),
    );
  });
});
