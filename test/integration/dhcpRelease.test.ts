/**
 * The DHCP reservation cleanup a node's deletion runs on the host (libvirt leaves reservations
 * behind, terraform-provider-libvirt #834), against a stand-in virsh.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runLabUnderMocks } from "../../offline/labMocks";
import { TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { run } from "./tools";

let script: string;
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
  script = lab.resources.find((r) => r.name === "bootstrap-bootstrap-dhcp-release")!.inputs.delete as string;
}, 30000);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-dhcp-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the delete script with a virsh that logs its arguments and answers `answer` (exit 1 unless empty). */
function release(answer: string) {
  fs.writeFileSync(path.join(dir, "virsh"), `#!/bin/bash\necho "$*" >> ${dir}/calls\n${answer ? `echo "${answer}" >&2; exit 1` : "exit 0"}\n`, { mode: 0o755 });
  return run("/bin/bash", ["-c", script], { env: { PATH: `${dir}:${process.env.PATH}` } });
}
const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

it("removes the node's reservation from the live and persistent network", () => {
  const result = release("");
  expect(result.status).toBe(0);
  expect(result.stderr).toBe("");
  expect(calls()).toEqual([
    "-c qemu:///system net-update okd-net delete ip-dhcp-host <host mac='52:54:00:38:00:0b' name='bootstrap' ip='10.56.0.11'/> --live --config",
  ]);
});

it("is quiet when the reservation is already gone", () => {
  const result = release("error: Requested operation is not valid: couldn't locate a matching dhcp host entry in network 'okd-net'");
  expect(result.status).toBe(0);
  expect(result.stderr).toBe("");
  expect(calls()).toHaveLength(2);
});

it("reports any other failure without failing the destroy", () => {
  const result = release("error: failed to connect to the hypervisor");
  expect(result.status).toBe(0);
  expect(result.stderr).toContain(
    "okd-lab: could not remove the DHCP reservation <host mac='52:54:00:38:00:0b' name='bootstrap' ip='10.56.0.11'/>: error: failed to connect to the hypervisor",
  );
});
