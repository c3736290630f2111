/**
 * The DHCP reservation each VM gets from a host command, against a stand-in virsh: added before
 * the domain (the domain carries no `addresses`, which the provider would read back from leases),
 * removed after it (libvirt leaves reservations behind, terraform-provider-libvirt #834).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runLabUnderMocks } from "../../offline/labMocks";
import { TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { run } from "./tools";

const HOST = "<host mac='52:54:00:38:00:0b' name='bootstrap' ip='10.56.0.11'/>";
let create: string;
let remove: string;
let dir: string;
beforeAll(async () => {
  const lab = await runLabUnderMocks({
    stack: "dev",
    config: {
      "libvirt:uri": "qemu:///system",
      "okd-lab:infra": { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } },
      "okd-lab:fcos": { image: "/var/lib/libvirt/images/fcos.qcow2" },
    },
  });
  const reservation = lab.resources.find((r) => r.name === "bootstrap-bootstrap-dhcp")!;
  create = reservation.inputs.create as string;
  remove = reservation.inputs.delete as string;
}, 30000);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-dhcp-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Runs a script with a virsh that logs its arguments; `answers` maps a net-update action plus
 * flags (e.g. `add-last --live --config`) to the error it prints (exit 1); others succeed.
 */
function runScript(script: string, answers: Record<string, string> = {}) {
  const cases = Object.entries(answers)
    .map(([key, err]) => `  *"${key.split(" ")[0]} ip-dhcp-host"*"${key.split(" ").slice(1).join(" ")}") echo "${err}" >&2; exit 1 ;;`)
    .join("\n");
  fs.writeFileSync(path.join(dir, "virsh"), `#!/bin/bash\necho "$*" >> ${dir}/calls\ncase "$*" in\n${cases}\nesac\nexit 0\n`, { mode: 0o755 });
  return run("/bin/bash", ["-c", script], { env: { PATH: `${dir}:${process.env.PATH}` } });
}
const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

describe("on create", () => {
  it("replaces any reservation for the node with its own, live and persistent", () => {
    const result = runScript(create);
    expect(result.status).toBe(0);
    expect(calls()).toEqual([
      `-c qemu:///system net-update okd-net delete ip-dhcp-host ${HOST} --live --config`,
      `-c qemu:///system net-update okd-net add-last ip-dhcp-host ${HOST} --live --config`,
    ]);
  });

  it("adds it to the persistent definition alone when the network is not running", () => {
    const result = runScript(create, { "add-last --live --config": "error: Requested operation is not valid: network is not active" });
    expect(result.status).toBe(0);
    expect(calls().slice(2)).toEqual([
      `-c qemu:///system net-update okd-net delete ip-dhcp-host ${HOST} --config`,
      `-c qemu:///system net-update okd-net add-last ip-dhcp-host ${HOST} --config`,
    ]);
  });

  it("fails the update with libvirt's answer when the reservation cannot be added", () => {
    const answer = "error: failed to connect to the hypervisor";
    const result = runScript(create, { "add-last --live --config": answer, "add-last --config": answer });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`okd-lab: could not add the DHCP reservation ${HOST} to network okd-net: ${answer}`);
  });
});

describe("on delete", () => {
  it("removes the node's reservation from the live and persistent network", () => {
    const result = runScript(remove);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(calls()).toEqual([`-c qemu:///system net-update okd-net delete ip-dhcp-host ${HOST} --live --config`]);
  });

  it("is quiet when the reservation is already gone", () => {
    const gone = "error: Requested operation is not valid: couldn't locate a matching dhcp host entry in network 'okd-net'";
    const result = runScript(remove, { "delete --live --config": gone, "delete --config": gone });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(calls()).toHaveLength(2);
  });

  it("reports any other failure without failing the destroy", () => {
    const answer = "error: failed to connect to the hypervisor";
    const result = runScript(remove, { "delete --live --config": answer, "delete --config": answer });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`okd-lab: could not remove the DHCP reservation ${HOST}: ${answer}`);
  });
});
