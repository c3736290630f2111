/**
 * npm run up with its real adapters (host/pulumiCli.ts, the bounded installer wait, oc through
 * host/clusterProbe.ts and host/csrApproval.ts) against local stand-ins of the programs that
 * cannot run here: test/fixtures/fake-pulumi, fake-openshift-install and fake-oc(-cluster). The host
 * resolver, the host DNS setup and npm run verify would reach the lab's addresses or change this
 * machine: they are replaced, and nothing here sends traffic anywhere.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { DEFAULT_TIMEOUTS, runLabUp, UpOptions } from "../../host/labUp";
import { createPhaseDisplay, PhaseOutcome } from "../../host/phaseDisplay";
import { renderHostDns } from "../../render/labOutputs";
import { createUpHost, readLab } from "../../scripts/up";
import { kubeletClientCsr, readFakeOcState, writeFakeOcState } from "../fixtures/csrs";
import { requireTool } from "./tools";

const root = path.resolve(__dirname, "..", "..");
const fixtures = path.join(root, "test", "fixtures");
const API = "api.okd-lab.okd.local";
const INFRA_IP = "10.56.0.10";
const MASTER = "master.okd-lab.okd.local";
const WORKER = "worker.okd-lab.okd.local";

let tmp: string;
let project: string;
let pulumiDir: string;
let ocDir: string;
let env: NodeJS.ProcessEnv;
/** What the stand-in host resolver answers for the API name (the host DNS setup turns it on). */
let hostDns: boolean;
let applied: string[][];

beforeEach(() => {
  requireTool("openssl", "openssl");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-up-"));
  project = path.join(tmp, "project");
  pulumiDir = path.join(tmp, "pulumi");
  ocDir = path.join(tmp, "oc");
  for (const d of [project, pulumiDir, ocDir]) fs.mkdirSync(d);
  fs.copyFileSync(path.join(root, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  // The dev stack file with the asset folder and the installer of this test.
  const doc = YAML.parseDocument(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"));
  doc.setIn(["config", "okd-lab:okd", "assetsDir"], path.join(project, ".okd", "dev"));
  doc.setIn(["config", "okd-lab:okd", "installer"], path.join(fixtures, "fake-openshift-install"));
  fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), String(doc));
  // The cluster as it is once the nodes boot: each kubelet has filed its client CSR.
  writeFakeOcState(ocDir, {
    csrs: [kubeletClientCsr("csr-master", MASTER), kubeletClientCsr("csr-worker", WORKER)],
    nodes: [],
    kubelets: { [MASTER]: "10.56.0.12", [WORKER]: "10.56.0.13" },
  });
  env = { ...process.env, FAKE_PULUMI_DIR: pulumiDir, FAKE_OC_DIR: ocDir, PULUMI_CONFIG_PASSPHRASE: "test", PULUMI_BACKEND_URL: "file://" + tmp };
  hostDns = false;
  applied = [];
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function setCluster(change: (state: Record<string, unknown>) => void): void {
  const state = readFakeOcState(ocDir) as unknown as Record<string, unknown>;
  change(state);
  fs.writeFileSync(path.join(ocDir, "state.json"), JSON.stringify(state, null, 2));
}

function pulumiCalls(): string[] {
  return fs
    .readFileSync(path.join(pulumiDir, "calls.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as string[]).filter((a) => a !== "--non-interactive").join(" "));
}

async function up(over: Partial<UpOptions> = {}): Promise<{ code: number; text: string; outcomes: Record<string, PhaseOutcome> }> {
  const lab = readLab("dev", project);
  const out: string[] = [];
  const display = createPhaseDisplay({ write: (t) => out.push(t), now: Date.now, live: false });
  const host = createUpHost({
    stack: "dev",
    cwd: project,
    env,
    lab,
    display,
    pulumi: path.join(fixtures, "fake-pulumi"),
    oc: path.join(fixtures, "fake-oc-cluster"),
    csrPollSeconds: 0.2,
    installerRetryDelayMs: 10,
    overrides: {
      preflight: async () => ({ lines: ["ok   (preflight stand-in)"], failed: false }),
      resolve: async (name) => (hostDns && name === API ? [INFRA_IP] : []),
      applyHostDns: async (commands) => {
        applied.push(commands);
        hostDns = true;
        return { ok: true, detail: "applied" };
      },
      verify: async () => ({ lines: ["all 24 checks passed (verify stand-in)"], code: 0 }),
      sleep: async () => undefined,
    },
  });
  const options: UpOptions = {
    stack: "dev",
    libvirtUri: "qemu:///system",
    config: lab.config,
    plan: lab.plan,
    vmsOnly: false,
    skipPreflight: false,
    bootstrapTimeoutMinutes: 2,
    installTimeoutMinutes: 2,
    csrTimeoutMinutes: 1,
    dnsSettleSeconds: DEFAULT_TIMEOUTS.dnsSettleSeconds,
    ...over,
  };
  const code = await runLabUp(options, host);
  if (process.env.OKD_LAB_TEST_DEBUG) fs.appendFileSync("/tmp/i13-up.log", out.join(""));
  return { code, text: out.join(""), outcomes: Object.fromEntries(display.records.map((r) => [r.id, r.outcome])) };
}

it("goes from an empty stack to an installed cluster, then reconciles without changes", async () => {
  const first = await up();
  expect(first.text).not.toContain("failed.");
  expect(first.code).toBe(0);
  expect(Object.values(first.outcomes)).toEqual(Array(8).fill("done"));
  expect(pulumiCalls()).toEqual([
    "stack select dev",
    "stack init dev --secrets-provider passphrase",
    "stack output --json --stack dev",
    "preview --json --stack dev",
    "up --yes --skip-preview --stack dev",
    "stack output --json --stack dev",
    "config set --path okd-lab:bootstrap.enabled false --stack dev",
    "preview --json --stack dev",
    "up --yes --skip-preview --stack dev",
  ]);
  // The drop set a boolean in the stack file, and the update removed exactly the bootstrap.
  expect(YAML.parse(fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8")).config["okd-lab:bootstrap"].enabled).toBe(false);
  expect(first.text).toContain("   | preview: 5 to delete, 2 to update\n");
  expect(first.text).toContain("   |     - okd-lab:nodes:FcosNode$libvirt:index/domain:Domain::bootstrap-bootstrap-domain deleted\n");
  // Phase 2b applies the stack's own hostDnsSetup output, the one script, as it was deployed.
  expect(applied).toEqual([[renderHostDns(readLab("dev", project).plan, "qemu:///system").hostDnsSetup]]);
  expect(first.text).toContain('   | level=info msg="It is now safe to remove the bootstrap resources"\n');
  expect(first.text).toContain("   | approved csr-master: client certificate of master.okd-lab.okd.local\n");
  expect(first.text).toContain('   | level=info msg="Install complete!"\n');
  // The installer prints the kubeadmin password (before 4.16); npm run up never shows it.
  const password = fs.readFileSync(path.join(project, ".okd", "dev", "auth", "kubeadmin-password"), "utf8").trim();
  expect(first.text).toContain('   | level=info msg="Login to the console with user: \\"kubeadmin\\", and password: \\"[secret]\\""\n');
  expect(first.text).not.toContain(password);
  expect(first.text).toContain("  console:            https://console-openshift-console.apps.okd-lab.okd.local\n");
  expect(
    readFakeOcState(ocDir)
      .nodes.map((n) => (n.metadata as { name: string }).name)
      .sort(),
  ).toEqual([MASTER, WORKER]);

  // Again: only a reconcile with no changes, every wait skipped from what the API says.
  fs.rmSync(path.join(pulumiDir, "calls.log"));
  const second = await up();
  expect(second.code).toBe(0);
  expect(second.outcomes).toEqual({
    preflight: "done",
    stack: "done",
    hostDns: "done",
    bootstrap: "skipped",
    dropBootstrap: "skipped",
    csrs: "skipped",
    install: "skipped",
    summary: "done",
  });
  expect(second.text).toContain("   | preview: no changes\n");
  expect(pulumiCalls()).toEqual([
    "stack select dev",
    "stack output --json --stack dev",
    "preview --json --stack dev",
    "up --yes --skip-preview --stack dev",
    "stack output --json --stack dev",
  ]);
}, 120000);

it("retries a wait-for that hits the installer's own timeout, and resumes after a failed update", async () => {
  setCluster((s) => (s.waitFailures = 1));
  fs.writeFileSync(path.join(pulumiDir, "fail-up"), "libvirt: virtproxyd socket not found");
  const failed = await up();
  expect(failed.code).toBe(1);
  expect(failed.outcomes.stack).toBe("failed");
  expect(failed.text).toContain("pulumi up --yes --skip-preview --stack dev --non-interactive exited with 255: error: update failed");

  const resumed = await up();
  expect(resumed.code).toBe(0);
  expect(resumed.text).toContain('   | level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"\n');
  expect(resumed.text).toContain("   | okd-lab: wait-for bootstrap-complete, attempt 2 of at most 6, 2 min left\n");
  expect(resumed.text).toMatch(/== 3 wait for bootstrap-complete: done at .* \(2 attempt\(s\)\)\n/);
}, 120000);

it("resumes after a failed bootstrap-complete from the ConfigMap the bootstrap left, without waiting again", async () => {
  setCluster((s) => (s.waitFailures = 99));
  const failed = await up();
  expect(failed.code).toBe(1);
  expect(failed.outcomes.bootstrap).toBe("failed");
  expect(failed.text).toContain('  saw last:   level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"\n');
  expect(failed.text).toContain(
    `    ${path.join(fixtures, "fake-openshift-install")} gather bootstrap --dir ${path.join(project, ".okd", "dev")} --bootstrap 10.56.0.11 --master 10.56.0.12 --key okd-lab.key\n`,
  );

  // Meanwhile the bootstrap finished and reported it.
  setCluster((s) => {
    s.bootstrapStatus = "complete";
    s.waitFailures = 0;
  });
  fs.rmSync(path.join(ocDir, "calls.log"), { force: true });
  const resumed = await up();
  expect(resumed.code).toBe(0);
  expect(resumed.text).toContain("== 3 wait for bootstrap-complete: skipped");
  expect(resumed.text).toContain("(the API reports bootstrap complete (ConfigMap kube-system/bootstrap))");
  expect(resumed.outcomes).toMatchObject({ bootstrap: "skipped", dropBootstrap: "done", csrs: "done", install: "done" });
}, 180000);

it("refuses an update whose preview replaces a node, and applies nothing", async () => {
  expect((await up({ vmsOnly: true })).code).toBe(0);
  fs.writeFileSync(path.join(pulumiDir, "replace"), "worker-worker-domain");
  fs.rmSync(path.join(pulumiDir, "calls.log"));
  const refused = await up();
  expect(refused.code).toBe(1);
  expect(pulumiCalls()).not.toContain("up --yes --skip-preview --stack dev");
  expect(refused.text).toContain("                replace            libvirt:index/domain:Domain::worker-worker-domain: replaces it (memory changed)\n");
}, 120000);

it("the npm run up command line stops after phase 2 with --vms-only and prints plain lines off a terminal", () => {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  fs.symlinkSync(path.join(fixtures, "fake-pulumi"), path.join(bin, "pulumi"));
  // scripts/up.sh runs this in the program's own directory; here the test's project is the directory.
  const result = spawnSync(
    process.execPath,
    ["-r", path.join(root, "node_modules", "ts-node", "register", "transpile-only"), path.join(root, "scripts", "up.ts"), "--vms-only", "--skip-preflight"],
    {
      cwd: project,
      encoding: "utf8",
      env: { ...env, PATH: `${bin}${path.delimiter}${env.PATH}`, OKD_LAB_STACK: "dev", TS_NODE_PROJECT: path.join(root, "tsconfig.json") },
    },
  );
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(result.stdout).not.toMatch(/\x1b|\r/);
  expect(result.stdout).toMatch(/^== 1 preflight \(started \d\d:\d\d:\d\dZ\)\n== 1 preflight: skipped at/);
  expect(result.stdout).toContain("== 2 pulumi up (network, infra node, installer assets, nodes): done at");
  expect(result.stdout).toContain("Stopped after phase 2 (--vms-only)");
}, 60000);
