/**
 * What the program runs on the host outside the provider, against real libvirt: `npm run
 * preflight` (its libvirt, orphan, pool, KVM, memory and disk checks through the real
 * host probe, with the stack's state from a stand-in `pulumi` and the printed virsh commands run for
 * real) and the DHCP reservation a node's creation adds and its deletion removes
 * (components/vmDefaults.ts), on a running and a stopped network.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseVolList } from "../../host/preflight";
import { buildGuestImage } from "./guestImage";
import { addReservations, createNetwork, createNodeVolumes, createPool, PlannedLab, TEST_IMAGES, TEST_STACK, writeStackFile } from "./labObjects";
import { MODULAR_SOCKET, PROVIDER_SOCKET, PrivateLibvirt, RunResult } from "./privateLibvirt";
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
  fs.mkdirSync(path.join(host.dir, "bin"));
  fs.writeFileSync(path.join(host.dir, "bin", "pulumi"), PULUMI_STAND_IN, { mode: 0o755 });
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

/**
 * The Pulumi CLI's stand-in: `pulumi stack export --stack okdlab` prints the state file when the
 * test wrote one, else answers as pulumi does for a stack that does not exist.
 */
const PULUMI_STAND_IN = `#!/bin/bash
if [ "$*" = "stack export --stack ${TEST_STACK}" ]; then
  [ -f "$OKDLAB_STATE" ] && { cat "$OKDLAB_STATE"; exit 0; }
  echo "error: no stack named '${TEST_STACK}' found" >&2; exit 255
fi
echo "pulumi stand-in: unsupported: $*" >&2; exit 2
`;

/** Writes the stack's state as `pulumi stack export` prints it: these libvirt objects, by provider type. */
function writeState(objects: { type: string; name: string; pool?: string }[]): void {
  const resources = objects.map((o) => ({
    urn: `urn:pulumi:${TEST_STACK}::okd-lab::libvirt:index/${o.type}::${o.name}`,
    type: `libvirt:index/${o.type}`,
    outputs: { name: o.name, ...(o.pool ? { pool: o.pool } : {}) },
  }));
  fs.writeFileSync(path.join(host.dir, "state.json"), JSON.stringify({ version: 3, deployment: { resources } }));
}

/** `npm run preflight -- --stack-file <test stack>` inside the private libvirt's namespaces: one entry per check. */
function preflight(): Record<string, PreflightLine> {
  const result = host.run([path.join(REPO, "node_modules/.bin/ts-node"), "--transpile-only", "scripts/preflight.ts", "--stack-file", stackFile], {
    cwd: REPO,
    env: {
      ...process.env,
      PATH: `${path.join(host.dir, "bin")}:${process.env.PATH}`,
      OKDLAB_STATE: path.join(host.dir, "state.json"),
      LIBVIRT_DEFAULT_URI: "",
    },
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

/** The virsh commands a preflight fix prints (`remove them: virsh -c <uri> undefine okd-x; ...`), word by word as the shell reads them. */
function printedRemovalCommands(line: PreflightLine): string[][] {
  return (line.fix ?? "")
    .replace(/^remove them: /, "")
    .split(/;\s*/)
    .map((command) => command.trim().split(/\s+/))
    .filter((words) => words[0] === "virsh");
}

const NODES = [NODE, "okd-okdlab-master"];

describe("npm run preflight against real libvirt", () => {
  it("finds libvirt answering at the stack's URI, no lab objects yet, and says whether KVM is there", () => {
    const lines = preflight();
    expect(lines.libvirt).toEqual({ status: "ok", detail: expect.stringMatching(/^qemu:\/\/\/system answers \(libvirt \d+\.\d+\.\d+, QEMU \d+\.\d+\.\d+\)$/) });
    expect(lines["libvirt-socket"]).toEqual({ status: "ok", detail: `${PROVIDER_SOCKET} is there for the libvirt provider` });
    expect(lines.orphans).toEqual({ status: "ok", detail: "no libvirt object with the lab's names yet" });
    expect(lines.pool.detail).toMatch(/^\/var\/lib\/libvirt\/images\/okdlab-pool does not exist yet \(libvirt creates it when it builds the pool\)/);
    // The kvm check and libvirt agree on this machine.
    expect(lines.kvm.status).toBe(host.virtType() === "kvm" ? "ok" : "FAIL");
    expect(lines.memory.detail).toMatch(/^4 VMs to start need 45056 MiB; \d+ MiB available$/);
  }, 60000);

  it("fails on the domains and volumes a failed run left outside the stack's state, and the printed virsh commands remove exactly those", () => {
    // A failed first run: the network, the pool and the FCOS base volume are in the state; the
    // bootstrap (running) and the master (defined), their root disks and Ignition volumes are not.
    createNetwork(host, lab);
    createPool(host, lab);
    const guest = buildGuestImage(host.dir);
    for (const name of NODES) {
      const dom = lab.domain(name);
      const volumes = createNodeVolumes(host, lab, name, "{}");
      addReservations(host, lab, name);
      host.define(
        "define",
        domainXml(dom, {
          type: host.virtType(),
          cpuMode: host.virtType() === "kvm" ? undefined : "maximum",
          memoryMiB: 192,
          vcpu: 1,
          networks: [lab.network.name],
          disks: [{ path: volumes.root, format: "qcow2" }],
          ignitionPath: volumes.ignition,
          boot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: "console=ttyS0 quiet" },
        }),
      );
    }
    host.virshOk(["start", NODE]);
    writeState([
      { type: "network:Network", name: lab.network.name },
      { type: "pool:Pool", name: lab.pool.name },
      { type: "volume:Volume", name: "okdlab-fcos-base.qcow2", pool: lab.pool.name },
    ]);
    const volumesBefore = parseVolList(host.virshOk(["vol-list", "--pool", lab.pool.name]));
    expect([...volumesBefore].sort()).toEqual(
      ["okd-okdlab-bootstrap-root.qcow2", "okd-okdlab-bootstrap.ign", "okd-okdlab-master-root.qcow2", "okd-okdlab-master.ign", "okdlab-fcos-base.qcow2"].sort(),
    );

    const before = preflight();
    expect(before.orphans.status).toBe("FAIL");
    const orphanVolumes = volumesBefore.filter((v) => v !== "okdlab-fcos-base.qcow2");
    expect(before.orphans.detail).toBe(
      `domain ${NODE}, domain okd-okdlab-master, ${orphanVolumes.map((v) => `volume ${v} (pool okdlab-pool)`).join(", ")} exist in libvirt but not in the state of stack ${TEST_STACK} ` +
        `(left by a failed run or another lab): 'pulumi up' would fail with "already exists" or reuse a stale volume`,
    );
    expect(before.pool.detail).toMatch(/^\/var\/lib\/libvirt\/images\/okdlab-pool exists;/);
    // The running bootstrap holds memory; both hold their disks.
    expect(before.memory.detail).toMatch(/^3 VMs to start need 28672 MiB \(1 already running, not counted\); \d+ MiB available$/);
    expect(before.disk.detail).toMatch(/^root disks of 2 new VMs can grow to 120 GiB/);

    const commands = printedRemovalCommands(before.orphans);
    expect(commands.map((c) => c.slice(3).join(" "))).toEqual([
      `destroy ${NODE}`,
      `undefine ${NODE}`,
      "undefine okd-okdlab-master",
      ...orphanVolumes.map((v) => `vol-delete ${v} --pool okdlab-pool`),
    ]);
    for (const command of commands) expect({ command: command.join(" "), ...host.run(command) }).toMatchObject({ command: command.join(" "), status: 0 });
    expect(host.ownObjects()).toEqual(["network okdlab-net", "pool okdlab-pool"]);
    expect(parseVolList(host.virshOk(["vol-list", "--pool", lab.pool.name]))).toEqual(["okdlab-fcos-base.qcow2"]);
    expect(fs.readdirSync(host.hostPath(lab.pool.target.path))).toEqual(["okdlab-fcos-base.qcow2"]);
    expect(preflight().orphans).toEqual({ status: "ok", detail: `3 libvirt objects with the lab's names, all in the state of stack ${TEST_STACK}` });
  }, 180000);

  it("fails the provider-socket check while virsh still reaches the daemon through the modular socket, as on an EL9 host without virtproxyd", () => {
    const moved = host.run(["mv", PROVIDER_SOCKET, MODULAR_SOCKET]);
    expect(moved.status).toBe(0);
    try {
      expect(host.run(["test", "-S", PROVIDER_SOCKET]).status).not.toBe(0);
      expect(host.virshOk(["version"])).toMatch(/Running hypervisor: QEMU/);
      const lines = preflight();
      expect(lines.libvirt.status).toBe("ok");
      expect(lines["libvirt-socket"]).toEqual({
        status: "FAIL",
        detail: `${PROVIDER_SOCKET} is missing, and the libvirt provider connects to qemu:///system only there (EL9's modular daemons create it with virtproxyd.socket)`,
        fix: "sudo systemctl enable --now virtqemud.socket virtnetworkd.socket virtstoraged.socket virtproxyd.socket",
      });
    } finally {
      host.run(["mv", MODULAR_SOCKET, PROVIDER_SOCKET]);
    }
    expect(host.run(["test", "-S", PROVIDER_SOCKET]).status).toBe(0);
    expect(preflight()["libvirt-socket"].status).toBe("ok");
  }, 60000);
});

describe("the DHCP reservation scripts against real libvirt", () => {
  const nic = () => lab.reservation(NODE);
  const release = () => host.run(["/bin/bash", "-c", lab.dhcpReleaseScript(NODE)]);
  const reserved = (flags: string[]) =>
    host
      .virshOk(["net-dumpxml", lab.network.name, ...flags])
      .toLowerCase()
      .includes(`ip='${nic().ip}'`);
  const hostsFile = () => fs.readFileSync(host.hostPath(`/var/lib/libvirt/dnsmasq/${lab.network.name}.hostsfile`), "utf8");
  const providerReservation = (flags: string[]) =>
    host.virshOk([
      "net-update",
      lab.network.name,
      "add-last",
      "ip-dhcp-host",
      dhcpHostXml({ mac: nic().mac, hostname: nic().hostname, ip: nic().ip }),
      ...flags,
    ]);

  const hostEntries = (flags: string[]) =>
    host
      .virshOk(["net-dumpxml", lab.network.name, ...flags])
      .split("\n")
      .filter((l) => l.includes(`ip='${nic().ip}'`));

  beforeAll(() => {
    // A fresh lab network, without the reservations the tests above made.
    if (host.names(["net-list", "--name"]).includes(lab.network.name)) host.virshOk(["net-destroy", lab.network.name]);
    if (host.names(["net-list", "--all", "--name"]).includes(lab.network.name)) host.virshOk(["net-undefine", lab.network.name]);
    createNetwork(host, lab);
  });

  it("adds the reservation to the running network, live and persistent, replacing one the provider made (upper-case MAC), and again without a duplicate", () => {
    providerReservation(["--live", "--config"]);
    const add = lab.dhcpAddScript(NODE)!;
    expect(add).toBeDefined();
    for (let round = 0; round < 2; round++) expect(host.run(["/bin/bash", "-c", add])).toEqual({ status: 0, stdout: "", stderr: "" });
    const entry = `<host mac='${nic().mac}' name='${nic().hostname}' ip='${nic().ip}'/>`;
    expect(hostEntries([]).map((l) => l.trim())).toEqual([entry]);
    expect(hostEntries(["--inactive"]).map((l) => l.trim())).toEqual([entry]);
    expect(
      hostsFile()
        .split("\n")
        .filter((l) => l.includes(nic().ip)),
    ).toEqual([`${nic().mac},${nic().ip},${nic().hostname}`]);
    expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("adds the reservation to a stopped network's persistent definition", () => {
    host.virshOk(["net-destroy", lab.network.name]);
    try {
      expect(host.run(["/bin/bash", "-c", lab.dhcpAddScript(NODE)!])).toEqual({ status: 0, stdout: "", stderr: "" });
      expect(hostEntries(["--inactive"])).toHaveLength(1);
      expect(release()).toEqual({ status: 0, stdout: "", stderr: "" });
      expect(hostEntries(["--inactive"])).toHaveLength(0);
    } finally {
      host.virshOk(["net-start", lab.network.name]);
    }
  });

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
