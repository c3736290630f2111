/**
 * approveLabCsrs against the stand-in `oc` (test/fixtures/fake-oc) whose CSRs are real openssl
 * requests and whose kubelets react to approvals as on a cluster: only what the policy accepts is
 * approved, through exactly `oc --kubeconfig K adm certificate approve NAME`; the stand-in fails on
 * any other verb, resource or output format, so a wrong command line fails these tests.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { approveLabCsrs, CsrApprovalOptions, CsrApprovalTimeout } from "../../host/csrApproval";
import { CsrNode } from "../../host/csrPolicy";
import { kubeletClientCsr, kubeletServingCsr, nodeObject, readFakeOcState, writeFakeOcState } from "../fixtures/csrs";
import { requireTool, run } from "./tools";

// Every oc call starts a node process; on a busy machine a test takes seconds.
jest.setTimeout(60000);
const fakeOc = path.join(__dirname, "..", "fixtures", "fake-oc");
const worker: CsrNode = { name: "worker", fqdn: "worker.okd-lab.okd.local", ip: "10.56.0.13", role: "worker" };
const worker2: CsrNode = { name: "worker2", fqdn: "worker2.okd-lab.okd.local", ip: "10.56.0.14", role: "worker" };
let dir: string;
let kubeconfig: string;
let lines: string[];

beforeEach(() => {
  requireTool("openssl", "openssl");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-csr-"));
  kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
  lines = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function options(nodes: CsrNode[], timeoutSeconds: number, over: Partial<CsrApprovalOptions> = {}): CsrApprovalOptions {
  return { oc: fakeOc, kubeconfig, nodes, timeoutSeconds, pollSeconds: 0.2, log: (l) => lines.push(l), env: { ...process.env, FAKE_OC_DIR: dir }, ...over };
}

function calls(): string[][] {
  return fs
    .readFileSync(path.join(dir, "calls.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as string[]);
}

function conditions(name: string): string[] {
  const csr = readFakeOcState(dir).csrs.find((c) => (c.metadata as { name: string }).name === name) as { status: { conditions?: { type: string }[] } };
  return (csr.status.conditions ?? []).map((c) => c.type);
}

it("approves each node's client request, then its serving request, until the nodes are Ready", async () => {
  writeFakeOcState(dir, {
    csrs: [kubeletClientCsr("csr-a", worker.fqdn), kubeletClientCsr("csr-b", worker2.fqdn)],
    nodes: [],
    kubelets: { [worker.fqdn]: worker.ip, [worker2.fqdn]: worker2.ip },
  });
  const result = await approveLabCsrs(options([worker, worker2], 30));
  expect(result).toEqual({ approved: ["csr-a", "csr-b", "serving-worker", "serving-worker2"], refused: [], ready: [worker.fqdn, worker2.fqdn] });
  expect(lines).toContain("approved csr-a: client certificate of worker.okd-lab.okd.local");
  expect(lines).toContain("approved serving-worker: serving certificate of worker.okd-lab.okd.local");
  expect(lines[lines.length - 1]).toBe("all nodes Ready with their certificates: worker.okd-lab.okd.local, worker2.okd-lab.okd.local");
  const approvals = calls().filter((c) => c.includes("adm"));
  expect(approvals).toContainEqual(["--kubeconfig", kubeconfig, "adm", "certificate", "approve", "csr-a"]);
  expect(new Set(calls().map((c) => c.slice(2, 4).join(" ")))).toEqual(new Set(["get csr", "get nodes", "adm certificate"]));
});

it("leaves hostile requests pending and says why, and approves only the kubelet's", async () => {
  writeFakeOcState(dir, {
    csrs: [
      kubeletClientCsr("csr-masters", worker.fqdn, { subj: `/O=system:masters/CN=system:node:${worker.fqdn}` }),
      kubeletClientCsr("csr-intruder", "intruder.okd-lab.okd.local"),
      kubeletServingCsr("csr-stolen", worker.fqdn, worker.ip, { username: `system:node:${worker2.fqdn}` }),
      kubeletClientCsr("csr-ours", worker.fqdn),
    ],
    nodes: [],
    kubelets: { [worker.fqdn]: worker.ip },
  });
  const result = await approveLabCsrs(options([worker], 30));
  expect(result.approved).toEqual(["csr-ours", "serving-worker"]);
  expect(result.refused.map((r) => r.name).sort()).toEqual(["csr-intruder", "csr-masters", "csr-stolen"]);
  expect(lines).toContain(
    `leaving csr-masters alone: subject O=system:masters, CN=system:node:${worker.fqdn} is not exactly O=system:nodes, CN=system:node:<node>`,
  );
  for (const name of ["csr-masters", "csr-intruder", "csr-stolen"]) expect(conditions(name)).toEqual([]);
});

it("counts nothing but an approval: a denied request stays denied and the node is waited for", async () => {
  writeFakeOcState(dir, { csrs: [kubeletClientCsr("csr-a", worker.fqdn, { conditions: [{ type: "Denied", status: "True" }] })], nodes: [], kubelets: {} });
  const attempt = approveLabCsrs(options([worker], 1));
  await expect(attempt).rejects.toThrow(CsrApprovalTimeout);
  await expect(attempt).rejects.toThrow(
    "waited 1s for worker.okd-lab.okd.local to be Ready with approved certificates; last seen: worker.okd-lab.okd.local not Ready, serving certificate not approved. " +
      "Check 'oc get csr' and the nodes' consoles (virsh console <domain>).",
  );
  expect(conditions("csr-a")).toEqual(["Denied"]);
});

it("finishes for a node that was Ready before the run without approving anything", async () => {
  writeFakeOcState(dir, { csrs: [], nodes: [nodeObject(worker.fqdn, true)], kubelets: {} });
  expect(await approveLabCsrs(options([worker], 5))).toEqual({ approved: [], refused: [], ready: [worker.fqdn] });
});

it("reports a node whose kubelet never turns Ready after its client approval", async () => {
  writeFakeOcState(dir, { csrs: [kubeletClientCsr("csr-a", worker.fqdn)], nodes: [nodeObject(worker.fqdn, false)], kubelets: {} });
  await expect(approveLabCsrs(options([worker], 1))).rejects.toThrow("last seen: worker.okd-lab.okd.local not Ready, serving certificate not approved.");
});

it("says what oc said when the cluster does not answer", async () => {
  writeFakeOcState(dir, { csrs: [], nodes: [], kubelets: {}, apiDown: true });
  await expect(approveLabCsrs(options([worker], 1))).rejects.toThrow(
    "Last oc error: oc get csr -o json: The connection to the server api.okd-lab.okd.local:6443 was refused - did you specify the right host or port?.",
  );
});

it("names a missing kubeconfig", async () => {
  writeFakeOcState(dir, { csrs: [], nodes: [], kubelets: {} });
  await expect(approveLabCsrs(options([worker], 0, { kubeconfig: path.join(dir, "nope") }))).rejects.toThrow(`no such file or directory`);
});

describe("the stand-in oc refuses what the approval never asks", () => {
  beforeEach(() => writeFakeOcState(dir, { csrs: [kubeletClientCsr("csr-a", worker.fqdn)], nodes: [], kubelets: {} }));
  it.each([
    [["get", "csr", "-o", "go-template={{range .items}}{{.metadata.name}}{{end}}"]],
    [["get", "csr", "-o", "jsonpath={.items[*].metadata.name}"]],
    [["get", "node", "worker", "-o", "json"]],
    [["adm", "certificate", "sign", "csr-a"]],
    [["adm", "certificate", "approve", "--force", "csr-a"]],
  ])("oc --kubeconfig K %j exits 2", (args) => {
    const result = run(fakeOc, ["--kubeconfig", kubeconfig, ...args], { env: { FAKE_OC_DIR: dir } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^fake oc: unsupported: /);
  });
  it("requires --kubeconfig", () => {
    expect(run(fakeOc, ["get", "csr", "-o", "json"], { env: { FAKE_OC_DIR: dir } }).status).toBe(2);
  });
  it("answers approve and deny as kubectl's certificate command does", () => {
    const env = { env: { FAKE_OC_DIR: dir } };
    expect(run(fakeOc, ["--kubeconfig", kubeconfig, "adm", "certificate", "deny", "csr-a"], env).stdout).toBe(
      "certificatesigningrequest.certificates.k8s.io/csr-a denied\n",
    );
    const again = run(fakeOc, ["--kubeconfig", kubeconfig, "adm", "certificate", "approve", "csr-a"], env);
    expect([again.status, again.stderr]).toEqual([1, 'error: certificate signing request "csr-a" is already Denied\n']);
    const missing = run(fakeOc, ["--kubeconfig", kubeconfig, "adm", "certificate", "approve", "csr-zz"], env);
    expect(missing.stderr).toBe('Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "csr-zz" not found\n');
  });
});

describe("the stack's approve-csrs command (scripts/approveCsrs.ts)", () => {
  const root = path.join(__dirname, "..", "..");
  // The interpreter and argument the program gives its approve-csrs local command (program.test.ts).
  const interpreter = ["--require", "ts-node/register/transpile-only", "scripts/approveCsrs.ts"];
  function runCommand(request: unknown, bin: string) {
    return run(process.execPath, [...interpreter, JSON.stringify(request)], {
      cwd: root,
      env: { FAKE_OC_DIR: dir, PATH: `${bin}:${process.env.PATH}` },
      timeoutMs: 60000,
    });
  }
  let bin: string;
  beforeEach(() => {
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(fakeOc, path.join(bin, "oc"));
  });

  it("approves the stack's nodes through oc on PATH and reports", () => {
    writeFakeOcState(dir, { csrs: [kubeletClientCsr("csr-a", worker.fqdn)], nodes: [], kubelets: { [worker.fqdn]: worker.ip } });
    const result = runCommand({ oc: "oc", kubeconfig, nodes: [worker], timeoutSeconds: 30, pollSeconds: 0.2 }, bin);
    expect(result.stderr).toContain("okd-lab approve-csrs: approved 2, left alone 0, Ready: worker.okd-lab.okd.local");
    expect(result.status).toBe(0);
  });

  it("exits 1 with the reason when the nodes do not join", () => {
    writeFakeOcState(dir, { csrs: [], nodes: [], kubelets: {} });
    const result = runCommand({ oc: "oc", kubeconfig, nodes: [worker], timeoutSeconds: 1, pollSeconds: 0.2 }, bin);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("okd-lab approve-csrs: waited 1s for worker.okd-lab.okd.local to be Ready with approved certificates");
  });

  it("exits 2 naming every problem of a malformed request", () => {
    const result = runCommand({ oc: "", nodes: [{ name: "w" }], timeoutSeconds: 0 }, bin);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      [
        "okd-lab approve-csrs: bad request: oc must be a program name or path",
        "okd-lab approve-csrs: bad request: kubeconfig must be a path",
        "okd-lab approve-csrs: bad request: timeoutSeconds must be a positive number",
        "okd-lab approve-csrs: bad request: nodes[0] must be {name, fqdn, ip, role: bootstrap|master|worker}",
        "",
      ].join("\n"),
    );
  });
});
