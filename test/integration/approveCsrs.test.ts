/**
 * The CSR approval script against a stand-in `oc` (test/fixtures/fake-oc) whose CSRs are real
 * PEM requests made by openssl: only pending requests for the stack's nodes, from the right
 * requestor, are approved, in OKD's two rounds, and a node that never asks is reported by name.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NODE_BOOTSTRAPPER, renderApproveCsrsScript } from "../../render/approveCsrsScript";
import { requireTool, run } from "./tools";

const fakeOc = path.join(__dirname, "..", "fixtures", "fake-oc");
let dir: string;
beforeEach(() => {
  requireTool("openssl", "openssl");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-csr-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function clientCsr(node: string, requestor: string, name: string): void {
  expect(run(fakeOc, ["new-client-csr", "x", node, requestor, name], { env: { FAKE_OC_DIR: dir } }).status).toBe(0);
}

function approve(nodes: string[], timeoutSeconds: number) {
  const script = renderApproveCsrsScript({ nodes, kubeconfig: path.join(dir, "kubeconfig"), oc: fakeOc, timeoutSeconds, intervalSeconds: 1 });
  return run("/bin/bash", ["-c", script], { env: { FAKE_OC_DIR: dir }, timeoutMs: 60000 });
}

function approved(): string[] {
  const log = path.join(dir, "approved.log");
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").sort() : [];
}

const worker = "worker.okd-lab.okd.local";
const worker2 = "worker2.okd-lab.okd.local";

it("approves each node's client CSR, then its serving CSR, until the nodes are Ready", () => {
  clientCsr(worker, NODE_BOOTSTRAPPER, "csr-a");
  clientCsr(worker2, NODE_BOOTSTRAPPER, "csr-b");
  const result = approve([worker, worker2], 30);
  expect(result.stderr).toContain(`all nodes Ready: ${worker} ${worker2}`);
  expect(result.status).toBe(0);
  expect(approved()).toEqual(["csr-a", "csr-b", `serving-${worker}`, `serving-${worker2}`]);
});

it("never approves a CSR for a node it did not create, nor one from an unexpected requestor", () => {
  clientCsr(worker, NODE_BOOTSTRAPPER, "csr-ours");
  clientCsr("intruder.okd-lab.okd.local", NODE_BOOTSTRAPPER, "csr-intruder");
  clientCsr(worker, "system:serviceaccount:default:someone", "csr-spoofed");
  const result = approve([worker], 30);
  expect(result.status).toBe(0);
  expect(approved()).toEqual(["csr-ours", `serving-${worker}`]);
  expect(result.stderr).toContain(`not approving csr-spoofed: requested by system:serviceaccount:default:someone for system:node:${worker}`);
  expect(fs.readFileSync(path.join(dir, "csr", "csr-intruder"), "utf8")).toMatch(/ pending\n$/);
});

it("never approves a CSR again that is already approved", () => {
  clientCsr(worker, NODE_BOOTSTRAPPER, "csr-old");
  expect(run(fakeOc, ["mark", "approved", "csr-old"], { env: { FAKE_OC_DIR: dir } }).status).toBe(0);
  clientCsr(worker, NODE_BOOTSTRAPPER, "csr-new");
  expect(approve([worker], 30).status).toBe(0);
  expect(approved()).toEqual(["csr-new", `serving-${worker}`]);
});

it("gives up after the timeout and names the nodes that did not join", () => {
  clientCsr(worker, NODE_BOOTSTRAPPER, "csr-a");
  const result = approve([worker, worker2], 3);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`not Ready after 3s: ${worker2} -`);
});

it("says why when oc cannot reach the cluster", () => {
  const script = renderApproveCsrsScript({
    nodes: [worker],
    kubeconfig: "/nonexistent",
    oc: "/bin/false-oc-that-fails",
    timeoutSeconds: 1,
    intervalSeconds: 1,
  });
  const result = run("/bin/bash", ["-c", script], { timeoutMs: 30000 });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/last oc error: .*false-oc-that-fails: No such file or directory/);
});
