/**
 * `npm run preflight` end to end against stand-ins for virsh and the Pulumi CLI (local scripts on
 * a PATH that holds nothing else): the state comes from `pulumi stack export`, the libvirt objects
 * from virsh, and the printed removal commands run as printed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-orphans-"));
  // Host paths only: no check may send a request anywhere.
  fs.writeFileSync(
    path.join(dir, "Pulumi.lab.yaml"),
    [
      "config:",
      "  libvirt:uri: qemu:///system",
      "  okd-lab:infra:",
      "    image: /nonexistent/alma.qcow2",
      "  okd-lab:fcos:",
      "    image: /nonexistent/fedora-coreos-38.20230918.3.0-qemu.x86_64.qcow2",
      "",
    ].join("\n"),
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in program: logs its arguments to `calls`, answers from a `case` on them. */
function standIn(name: string, cases: string): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/bash\necho "${name} $*" >> ${dir}/calls\ncase "$*" in\n${cases}\n*) exit 0 ;;\nesac\n`, { mode: 0o755 });
}

function preflight() {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/preflight.ts"), "--stack-file", path.join(dir, "Pulumi.lab.yaml")],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { HOME: dir, PATH: dir },
    },
  );
}

it("fails on a domain and an Ignition volume a failed run left, and its removal commands run as printed", () => {
  // The stack's state knows the network, the pool and the master; not the worker and its Ignition.
  const state = {
    version: 3,
    deployment: {
      resources: [
        { urn: "urn:pulumi:lab::okd-lab::libvirt:index/network:Network::lab-network", type: "libvirt:index/network:Network", outputs: { name: "okd-net" } },
        { urn: "urn:pulumi:lab::okd-lab::libvirt:index/pool:Pool::lab-pool", type: "libvirt:index/pool:Pool", outputs: { name: "okd-lab" } },
        { urn: "urn:pulumi:lab::okd-lab::libvirt:index/domain:Domain::master", type: "libvirt:index/domain:Domain", outputs: { name: "okd-master" } },
        {
          urn: "urn:pulumi:lab::okd-lab::libvirt:index/ignition:Ignition::master",
          type: "libvirt:index/ignition:Ignition",
          outputs: { name: "okd-master.ign", pool: "okd-lab" },
        },
      ],
      pending_operations: [{ type: "creating", resource: { type: "libvirt:index/domain:Domain", outputs: { name: "okd-worker" } } }],
    },
  };
  fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(state));
  standIn("pulumi", `"stack export --stack lab") printf "%s" "$(<${dir}/state.json)" ;;`);
  standIn(
    "virsh",
    [
      `"-c qemu:///system version") echo "Using library: libvirt 9.0.0"; echo "Running hypervisor: QEMU 7.2.0" ;;`,
      `"-c qemu:///system list --name --state-running") printf 'okd-master\\nokd-worker\\n' ;;`,
      `"-c qemu:///system list --name --all") printf 'okd-master\\nokd-worker\\n' ;;`,
      `"-c qemu:///system net-list --all --name") printf 'default\\nokd-net\\n' ;;`,
      `"-c qemu:///system pool-list --all --name") printf 'default\\nokd-lab\\n' ;;`,
      `"-c qemu:///system vol-list --pool okd-lab") printf ' Name             Path\\n------------------------------\\n okd-master.ign   /p/okd-master.ign\\n okd-worker.ign   /p/okd-worker.ign\\n\\n' ;;`,
    ].join("\n"),
  );

  const result = preflight();
  expect(result.status).toBe(1);
  const line = result.stdout.split("\n").find((l) => l.includes("orphans:"))!;
  const fix =
    "virsh -c qemu:///system destroy okd-worker; virsh -c qemu:///system undefine okd-worker; virsh -c qemu:///system vol-delete okd-worker.ign --pool okd-lab";
  expect(line).toBe(
    "FAIL  orphans: domain okd-worker, volume okd-worker.ign (pool okd-lab) exist in libvirt but not in the state of stack lab (left by a failed run or another lab): " +
      `'pulumi up' would fail with "already exists" or reuse a stale volume. Fix: remove them: ${fix}`,
  );

  fs.writeFileSync(path.join(dir, "calls"), "");
  const removal = spawnSync("/bin/bash", ["-c", fix], { encoding: "utf8", env: { PATH: dir } });
  expect(removal.status).toBe(0);
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n")).toEqual([
    "virsh -c qemu:///system destroy okd-worker",
    "virsh -c qemu:///system undefine okd-worker",
    "virsh -c qemu:///system vol-delete okd-worker.ign --pool okd-lab",
  ]);
}, 60000);

it("takes a stack that does not exist yet as an empty state", () => {
  standIn("pulumi", `"stack export --stack lab") echo "error: no stack named 'lab' found" >&2; exit 255 ;;`);
  standIn(
    "virsh",
    [
      `"-c qemu:///system version") echo "Using library: libvirt 9.0.0" ;;`,
      `"-c qemu:///system list --name --all") printf 'okd-infra\\n' ;;`,
      `"-c qemu:///system net-list --all --name") printf 'default\\n' ;;`,
      `"-c qemu:///system pool-list --all --name") printf 'default\\n' ;;`,
    ].join("\n"),
  );
  const result = preflight();
  expect(result.stdout).toContain(
    "FAIL  orphans: domain okd-infra exists in libvirt but not in the state of stack lab (left by a failed run or another lab): 'pulumi up' would fail with \"already exists\" or reuse a stale volume. Fix: remove them: virsh -c qemu:///system undefine okd-infra",
  );
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toContain("pulumi stack export --stack lab\n");
}, 60000);
