/**
 * `npm run stop` end to end through scripts/power.ts with stand-ins for virsh, pulumi and oc (see
 * powerStandIns.ts): the order, the bounded wait and its message, the young-cluster refusal and
 * --force, a VM outside the stack left alone, a domain libvirt lacks. No network: stop never
 * talks to the lab's addresses (start's readiness wait runs in the e2e suite's namespaces).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { renderLabOutputs } from "../../render/labOutputs";
import { planFor, seedRawConfig } from "../fixtures/labs";
import { makeStandIns, StandIns } from "./powerStandIns";

const REPO = path.resolve(__dirname, "../..");
const URI = "qemu+ssh://root@kvm1/system";
const DOMAINS = ["okd-infra", "okd-bootstrap", "okd-master", "okd-worker"];

let s: StandIns;
let project: string;
let assets: string;

function power(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(REPO, "scripts/power.ts"), ...args], {
    cwd: project,
    env: { ...s.env, TS_NODE_PROJECT: path.join(REPO, "tsconfig.json") },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function installedHoursAgo(hours: number): string {
  const at = new Date(Date.now() - hours * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  fs.mkdirSync(path.join(assets, ".okd-lab"), { recursive: true });
  fs.writeFileSync(path.join(assets, ".okd-lab", "generated-at"), `${at}\n`);
  return at;
}

beforeEach(() => {
  s = makeStandIns(URI);
  project = path.join(s.dir, "project");
  assets = path.join(project, ".okd", "lab");
  fs.mkdirSync(path.join(assets, "auth"), { recursive: true });
  fs.writeFileSync(path.join(assets, "auth", "kubeconfig"), "apiVersion: v1\n");
  const raw = { ...seedRawConfig(), okd: { assetsDir: assets } };
  const config = { "libvirt:uri": URI, ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`okd-lab:${k}`, v])) };
  fs.writeFileSync(path.join(project, "Pulumi.lab.yaml"), stringify({ config }));
  const outputs = renderLabOutputs(planFor(raw, "lab"), {
    assetsDir: assets,
    installer: "openshift-install",
    approveCsrs: false,
    libvirtUri: "qemu:///system",
  });
  fs.writeFileSync(
    path.join(s.pulumiDir, "lab.json"),
    JSON.stringify({ ...outputs, kubeconfig: path.join(assets, "auth", "kubeconfig"), sshPrivateKey: "[secret]" }),
  );
  fs.writeFileSync(path.join(s.ocDir, "state.json"), JSON.stringify({ csrs: [], nodes: [] }));
  for (const d of DOMAINS) s.domain(d, "running");
  s.domain("someone-elses-vm", "running");
});

afterEach(() => fs.rmSync(s.dir, { recursive: true, force: true }));

describe("npm run stop", () => {
  it("powers off workers, masters, the bootstrap and the infra node last, and nothing else", () => {
    installedHoursAgo(48);
    const r = power(["stop", "--stack", "lab"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(s.virshCalls().filter((c) => !c.includes(" domstate "))).toEqual([
      `-c ${URI} shutdown okd-worker --mode acpi`,
      `-c ${URI} shutdown okd-master --mode acpi`,
      `-c ${URI} shutdown okd-bootstrap --mode acpi`,
      `-c ${URI} shutdown okd-infra --mode acpi`,
    ]);
    expect(DOMAINS.map((d) => s.state(d))).toEqual(["shut off", "shut off", "shut off", "shut off"]);
    expect(s.state("someone-elses-vm")).toBe("running");
    expect(s.virshCalls().some((c) => c.includes("someone-elses-vm"))).toBe(false);
    expect(r.out).toContain(`okd-lab stop: stack lab, 4 VMs at ${URI}\n`);
    expect(r.out).toContain("shutting down the workers: okd-worker\nworkers shut off\nshutting down the masters: okd-master\nmasters shut off\n");
    expect(r.out.trimEnd().split("\n").pop()).toBe("stack lab: 4 VMs shut off, nothing deleted; npm run start brings the lab back");
  });

  it("refuses a cluster installed 2 hours ago, touching no VM, and stops it with --force", () => {
    const at = installedHoursAgo(2);
    const r = power(["stop", "--stack", "lab"]);
    expect(r.code).toBe(3);
    expect(s.virshCalls().filter((c) => !c.includes(" domstate "))).toEqual([]);
    expect(r.out).toContain(
      `okd-lab stop: refused: the cluster is younger than its first certificate rotation: installed ${new Date(at).toISOString()} (${path.join(assets, ".okd-lab", "generated-at")}), 2.0 h ago.`,
    );
    // The API did not answer (the stand-in's server is down): noted, the assets decide.
    expect(r.out).toContain("note: the cluster API did not say when it was installed (The connection to the server api.okd-lab.okd.local:6443 was refused");
    const forced = power(["stop", "--stack", "lab", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/^warning: the cluster is younger than its first certificate rotation: .* Stopping anyway \(--force\)\.$/m);
    expect(DOMAINS.map((d) => s.state(d))).toEqual(["shut off", "shut off", "shut off", "shut off"]);
  });

  it("gives up on a worker that ignores the power button within the bound, names it, and leaves the rest running", () => {
    installedHoursAgo(48);
    s.domain("okd-worker", "running", { ignoresAcpi: true });
    const started = Date.now();
    const r = power(["stop", "--stack", "lab", "--timeout", "1"]);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(1);
    expect(r.out).toContain("okd-lab stop: okd-worker did not power off within 1 s (state: running).\n");
    expect(r.out).toContain("Still running, not asked to stop: okd-master, okd-bootstrap, okd-infra.\n");
    expect(r.out).toContain(`to cut its power instead (like pulling the plug): virsh -c ${URI} destroy okd-worker.`);
    expect(["okd-master", "okd-bootstrap", "okd-infra"].map((d) => s.state(d))).toEqual(["running", "running", "running"]);
  });

  it("changes nothing when libvirt lacks a VM of the stack", () => {
    installedHoursAgo(48);
    fs.rmSync(path.join(s.virshDir, "domains", "okd-master"));
    const r = power(["stop", "--stack", "lab"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `okd-lab stop: cannot read the state of the stack's VMs at ${URI}; nothing was changed:\n` +
        `  okd-master: 'virsh -c ${URI} domstate okd-master' failed: failed to get domain 'okd-master'\n` +
        `Fix: check the connection (virsh -c ${URI} list --all); a VM the stack lists but libvirt lacks is recreated by npm run up.\n`,
    );
    expect(s.virshCalls().filter((c) => !c.includes(" domstate "))).toEqual([]);
  });

  it("names a stack that was never deployed", () => {
    fs.rmSync(path.join(s.pulumiDir, "lab.json"));
    const r = power(["stop", "--stack", "lab"]);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe("'pulumi stack output --json --stack lab --non-interactive' failed: error: no stack named 'lab' found");
  });
});

describe("npm run stop|start wrapper", () => {
  it("runs the command after the passphrase is known, and leaves no passphrase file behind", () => {
    const tmp = path.join(s.dir, "tmp");
    fs.mkdirSync(tmp);
    const r = spawnSync("bash", [path.join(REPO, "scripts/power.sh"), "stop", "--help"], { env: { ...s.env, TMPDIR: tmp }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("usage: npm run stop  -- [--stack NAME] [--force] [--timeout SECONDS]");
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith("okd-lab-passphrase"))).toEqual([]);
  });
});
