/**
 * The readiness gate against one port at a time, in a network namespace of its own (`unshare -n`,
 * loopback only): DNS answers (a `dig` stand-in), 6443 accepts, 22623 does not. The FCOS nodes
 * fetch their Ignition from 22623 in the initramfs, so the gate must wait for it too.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PORTS } from "../../plan/labPlan";
import { renderReadinessGateScript } from "../../render/readinessGate";
import { planFor, seedRawConfig } from "../fixtures/labs";

const seed = planFor(seedRawConfig());
const plan = { ...seed, infra: { ...seed.infra, ip: "127.0.0.1" } };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-e2e-gate-"));
  fs.writeFileSync(path.join(dir, "dig"), "#!/bin/sh\necho 127.0.0.1\n", { mode: 0o755 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the gate (3 s timeout) in a fresh network namespace where only `ports` accept connections. */
function gateWith(ports: number[]): { status: number | null; stderr: string; stdout: string } {
  const listeners = ports.map((p) => `"${process.execPath}" -e 'require("net").createServer((s) => s.end()).listen(${p}, "127.0.0.1")' &`).join("\n");
  // The listeners end with the script, whatever its exit: nothing outlives the namespace's test.
  const script = [
    "set -e",
    "trap 'kill $(jobs -p) 2>/dev/null' EXIT",
    "ip link set lo up",
    listeners,
    "sleep 1",
    `export PATH="${dir}:$PATH"`,
    "set +e",
    renderReadinessGateScript(plan, 3),
  ].join("\n");
  const result = spawnSync("unshare", ["-n", "--kill-child", "bash", "-c", script], { encoding: "utf8", timeout: 60000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("readiness gate", () => {
  it("passes when api-int resolves and both 6443 and 22623 accept", () => {
    const result = gateWith([PORTS.api, PORTS.machineConfig]);
    expect(result.stdout).toContain("infra node 127.0.0.1 serves api-int.okd-lab.okd.local, :6443 and :22623");
    expect(result.status).toBe(0);
  });

  it("fails naming 22623 when only 6443 accepts", () => {
    const result = gateWith([PORTS.api]);
    expect(result.stderr).toContain("okd-lab: the infra node is not serving the lab after 3s: 127.0.0.1:22623 does not accept connections (HAProxy).");
    expect(result.status).toBe(1);
  });
});
