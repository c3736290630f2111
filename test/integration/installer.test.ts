/**
 * The installer script run for real with bash against test/fixtures/fake-openshift-install, a
 * stand-in for openshift-install (which cannot run here: FACTS §5) with the same file contract.
 * The Ignition configs it yields are checked with ignition-validate.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { parseLabConfig, RawLabConfig } from "../../config/labConfig";
import { renderInstallConfig } from "../../ignition/installConfig";
import { INSTALL_CONFIG_ENV, parseInstallerOutput, renderInstallerScript } from "../../ignition/installerScript";
import { installerManifests, mastersSchedulable } from "../../ignition/machineConfigs";
import { renderNodeIgnition } from "../../ignition/nodeIgnition";
import { REAL_BOOTSTRAP_IGNITION_BYTES } from "../../ignition/offlineAssets";
import { buildLabPlan } from "../../plan/labPlan";
import { seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";
import { requireTool, run, RunResult } from "./tools";

const FAKE_INSTALLER = path.resolve(__dirname, "../fixtures/fake-openshift-install");
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkdLabTestKeyOnly you@host";

interface IgnitionFile {
  path: string;
  contents: { source: string };
}

// Created at load time: describe blocks below prepare their workspaces while being collected.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-installer-"));

beforeAll(() => {
  // The script and the fake installer need these on the host too.
  const packages: [string, string | undefined][] = [
    ["bash", "bash"],
    ["sha256sum", "coreutils"],
    ["base64", "coreutils"],
    ["sed", "sed"],
    ["grep", "grep"],
    ["ignition-validate", undefined],
  ];
  for (const [tool, pkg] of packages) requireTool(tool, pkg);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory for one test's assets and invocation log. */
function workspace(name: string): { assets: string; log: string } {
  const root = fs.mkdtempSync(path.join(tmp, `${name}-`));
  return { assets: path.join(root, "assets"), log: path.join(root, "installer.log") };
}

/** Everything one lab needs: install-config.yaml text and the rendered script. */
function prepare(raw: RawLabConfig, assets: string, installer = FAKE_INSTALLER): { installConfig: string; script: string } {
  const config = parseLabConfig(raw, "dev").config;
  const plan = buildLabPlan(config);
  return {
    installConfig: renderInstallConfig(plan, config.okd, [SSH_KEY]),
    script: renderInstallerScript({ assetsDir: assets, installer, manifests: installerManifests(plan), mastersSchedulable: mastersSchedulable(plan) }),
  };
}

/** Runs the script as local.Command would: bash -c, install-config.yaml in the environment. */
function runScript(script: string, installConfig: string, log: string, extraEnv: Record<string, string> = {}): RunResult {
  return run("/bin/bash", ["-c", script], { env: { [INSTALL_CONFIG_ENV]: installConfig, FAKE_OPENSHIFT_INSTALL_LOG: log, ...extraEnv } });
}

function ignitionValidate(configText: string): RunResult {
  const file = path.join(fs.mkdtempSync(path.join(tmp, "ign-")), "config.ign");
  fs.writeFileSync(file, configText);
  return run(requireTool("ignition-validate"), [file]);
}

const sha256sum = (text: string): string => run(requireTool("sha256sum", "coreutils"), [], { input: text }).stdout.split(" ")[0];

function decodeDataUrl(url: string): string {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) throw new Error(`not a data URL: ${url}`);
  return match[1].endsWith(";base64") ? Buffer.from(match[2], "base64").toString("utf8") : decodeURIComponent(match[2]);
}

/** The files the fake installer packed into bootstrap.ign from manifests/ and openshift/. */
function bootstrapFiles(bootstrap: string): Map<string, string> {
  const config = JSON.parse(bootstrap) as { storage: { files: IgnitionFile[] } };
  return new Map(config.storage.files.map((f) => [f.path, decodeDataUrl(f.contents.source)]));
}

function readLog(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
}

describe("installer script, create path", () => {
  const ws = workspace("create");
  const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
  let result: RunResult;

  beforeAll(() => {
    result = runScript(script, installConfig, ws.log);
  });

  it("exits 0 and prints exactly one JSON line on stdout, progress on stderr", () => {
    expect(result.stderr).toContain("okd-lab installer: running");
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("level=info");
    expect(result.stdout).not.toContain("level=info");
  });

  it("reports the installer's Ignition configs, the password, the kubeconfig path and a UTC time", () => {
    const out = parseInstallerOutput(result.stdout);
    for (const role of ["bootstrap", "master", "worker"] as const) {
      expect(JSON.parse(out[role])).toEqual(JSON.parse(fs.readFileSync(path.join(ws.assets, `${role}.ign`), "utf8")));
    }
    expect(out.kubeadminPassword).toBe(fs.readFileSync(path.join(ws.assets, "auth/kubeadmin-password"), "utf8"));
    expect(out.kubeadminPassword).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    expect(path.isAbsolute(out.kubeconfig)).toBe(true);
    expect(out.kubeconfig).toBe(path.join(fs.realpathSync(ws.assets), "auth/kubeconfig"));
    expect(fs.existsSync(out.kubeconfig)).toBe(true);
    expect(out.generatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(out.generatedAt) - Date.now())).toBeLessThan(10 * 60 * 1000);
  });

  it("runs version, create manifests and create ignition-configs once each, in that order", () => {
    expect(readLog(ws.log)).toEqual(["version", `create manifests --dir ${ws.assets}`, `create ignition-configs --dir ${ws.assets}`]);
  });

  it("keeps the consumed install-config.yaml, its sha256 and the generation time under .okd-lab/", () => {
    const record = path.join(ws.assets, ".okd-lab");
    expect(fs.existsSync(path.join(ws.assets, "install-config.yaml"))).toBe(false);
    expect(fs.readFileSync(path.join(record, "install-config.yaml"), "utf8")).toBe(installConfig);
    expect(fs.readFileSync(path.join(record, "install-config.sha256"), "utf8")).toBe(`${sha256sum(installConfig)}\n`);
    expect(fs.readFileSync(path.join(record, "generated-at"), "utf8").trim()).toBe(parseInstallerOutput(result.stdout).generatedAt);
  });

  // Why InstallerAssets sets addPreviousOutputInEnv: false (see the component): the command
  // provider would otherwise put this stdout into PULUMI_COMMAND_STDOUT on an update.
  it("could not start again with its previous stdout in the environment (E2BIG), as the command provider would pass it", () => {
    expect(() => runScript(script, installConfig, ws.log, { PULUMI_COMMAND_STDOUT: result.stdout })).toThrow(/E2BIG/);
  });

  it("creates the asset directory readable by its owner only", () => {
    expect(fs.statSync(ws.assets).mode & 0o777).toBe(0o700);
  });

  // The script's `umask 077`: the installer writes bootstrap.ign (the cluster's CA keys), the
  // kubeconfig and the kubeadmin password with its own modes, which the umask narrows.
  it("leaves no file or folder in the assets readable by group or others (umask 077)", () => {
    const open: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if ((fs.statSync(full).mode & 0o077) !== 0) open.push(`${path.relative(ws.assets, full)} ${(fs.statSync(full).mode & 0o777).toString(8)}`);
        if (entry.isDirectory()) walk(full);
      }
    };
    walk(ws.assets);
    expect(fs.readdirSync(ws.assets).sort()).toEqual(expect.arrayContaining(["auth", "bootstrap.ign", "master.ign", "worker.ign"]));
    expect(open).toEqual([]);
  });

  // A real bootstrap.ign is hundreds of KB to over 1 MB; the fake's is 1.5 MB. The whole path:
  // installer stdout -> parseInstallerOutput -> the node's wrapper -> ignition-validate.
  it("carries a bootstrap config of real size from stdout into a node Ignition that validates", () => {
    const out = parseInstallerOutput(result.stdout);
    expect(out.bootstrap.length).toBeGreaterThanOrEqual(REAL_BOOTSTRAP_IGNITION_BYTES);
    const plan = buildLabPlan(parseLabConfig(seedRawConfig(), "dev").config);
    const node = plan.nodes.find((n) => n.role === "bootstrap")!;
    const wrapper = renderNodeIgnition({ node, roleConfig: out.bootstrap, sshAuthorizedKeys: [SSH_KEY] });
    expect(wrapper.length).toBeLessThanOrEqual(out.bootstrap.length * 1.02);
    const validated = ignitionValidate(wrapper);
    expect(validated.stdout + validated.stderr).toBe("");
    expect(validated.status).toBe(0);
  });

  it("hands the okd-lab manifests to the installer, which packs them into bootstrap.ign", () => {
    const files = bootstrapFiles(parseInstallerOutput(result.stdout).bootstrap);
    const plan = buildLabPlan(parseLabConfig(seedRawConfig(), "dev").config);
    for (const manifest of installerManifests(plan)) {
      expect(files.get(`/opt/openshift/${manifest.path}`)).toBe(manifest.content);
    }
  });

  it("sets mastersSchedulable: false because the seed lab has a worker", () => {
    const scheduler = bootstrapFiles(parseInstallerOutput(result.stdout).bootstrap).get("/opt/openshift/manifests/cluster-scheduler-02-config.yml")!;
    expect(parse(scheduler).spec.mastersSchedulable).toBe(false);
    // Only that line changed from what the (fake) installer wrote.
    expect(scheduler).toBe(
      [
        "apiVersion: config.openshift.io/v1",
        "kind: Scheduler",
        "metadata:",
        "  creationTimestamp: null",
        "  name: cluster",
        "spec:",
        "  mastersSchedulable: false",
        "  policy:",
        '    name: ""',
        "status: {}",
        "",
      ].join("\n"),
    );
  });

  it.each(["bootstrap", "master", "worker"] as const)("yields a %s config that ignition-validate accepts", (role) => {
    const validation = ignitionValidate(parseInstallerOutput(result.stdout)[role]);
    expect(validation.stdout + validation.stderr).toBe("");
    expect(validation.status).toBe(0);
  });

  it.each(["master", "worker"] as const)("yields a %s pointer config to the machine-config server on api-int:22623", (role) => {
    const config = JSON.parse(parseInstallerOutput(result.stdout)[role]);
    expect(config.ignition.config.merge).toEqual([{ source: `https://api-int.okd-lab.okd.local:22623/config/${role}` }]);
    expect(decodeDataUrl(config.ignition.security.tls.certificateAuthorities[0].source)).toContain("BEGIN CERTIFICATE");
  });
});

describe("installer script, reuse path", () => {
  it("does not call the installer again for the same install-config and prints the same JSON", () => {
    const ws = workspace("reuse");
    const { installConfig, script } = prepare(threeByThreeRawConfig(), ws.assets);
    const first = runScript(script, installConfig, ws.log);
    expect(first.status).toBe(0);
    const calls = readLog(ws.log);
    expect(calls).toHaveLength(3);

    const second = runScript(script, installConfig, ws.log);
    expect(second.status).toBe(0);
    expect(second.stderr).toContain(`okd-lab installer: reusing the assets in ${ws.assets}`);
    expect(readLog(ws.log)).toEqual(calls);
    expect(second.stdout).toBe(first.stdout);
  });

  it("reuses even when the installer has since disappeared", () => {
    const ws = workspace("reuse-no-installer");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
    expect(runScript(script, installConfig, ws.log).status).toBe(0);
    const gone = prepare(seedRawConfig(), ws.assets, path.join(tmp, "no-such-installer")).script;
    const second = runScript(gone, installConfig, ws.log);
    expect(second.status).toBe(0);
  });
});

describe("installer script, refuse path", () => {
  it("exits 1 with instructions when the install-config changed, and leaves the assets alone", () => {
    const ws = workspace("refuse");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
    expect(runScript(script, installConfig, ws.log).status).toBe(0);
    const bootstrapBefore = fs.readFileSync(path.join(ws.assets, "bootstrap.ign"), "utf8");
    const calls = readLog(ws.log);

    const changed = prepare(threeByThreeRawConfig(), ws.assets);
    const result = runScript(changed.script, changed.installConfig, ws.log);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        `okd-lab installer: ERROR: the assets in ${ws.assets} were generated for a different install-config.yaml (recorded sha256 ${sha256sum(installConfig)}, now ${sha256sum(changed.installConfig)}).`,
        "okd-lab installer: Regenerating them would mint a new cluster CA and break the live cluster, so okd-lab refuses.",
        `okd-lab installer: To keep the cluster: restore the settings that produced ${ws.assets}/.okd-lab/install-config.yaml.`,
        `okd-lab installer: To start over: run 'pulumi destroy', move or remove ${ws.assets}, then run 'pulumi up'.`,
        "",
      ].join("\n"),
    );
    expect(readLog(ws.log)).toEqual(calls);
    expect(fs.readFileSync(path.join(ws.assets, "bootstrap.ign"), "utf8")).toBe(bootstrapBefore);
  });

  it("refuses Ignition configs it has no record of generating", () => {
    const ws = workspace("foreign");
    fs.mkdirSync(ws.assets, { recursive: true });
    fs.writeFileSync(path.join(ws.assets, "master.ign"), "{}");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
    const result = runScript(script, installConfig, ws.log);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`ERROR: ${ws.assets}/master.ign exists but okd-lab has no record of generating it`);
    expect(readLog(ws.log)).toEqual([]);
  });
});

describe("installer script, failures and leftovers", () => {
  it("removes manifests left by an interrupted run so stale files never reach the installer", () => {
    const ws = workspace("leftovers");
    fs.mkdirSync(path.join(ws.assets, "openshift"), { recursive: true });
    fs.writeFileSync(path.join(ws.assets, "openshift/99-stale.yaml"), "stale: true\n");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
    const result = runScript(script, installConfig, ws.log);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`removing ${ws.assets}/openshift left by an interrupted generation`);
    expect([...bootstrapFiles(parseInstallerOutput(result.stdout).bootstrap).keys()]).not.toContain("/opt/openshift/openshift/99-stale.yaml");
  });

  it("leaves masters schedulable when the lab has no workers", () => {
    const ws = workspace("no-workers");
    const { installConfig, script } = prepare({ ...seedRawConfig(), workers: [] }, ws.assets);
    const result = runScript(script, installConfig, ws.log);
    expect(result.status).toBe(0);
    const scheduler = bootstrapFiles(parseInstallerOutput(result.stdout).bootstrap).get("/opt/openshift/manifests/cluster-scheduler-02-config.yml")!;
    expect(parse(scheduler).spec.mastersSchedulable).toBe(true);
  });

  it("fails clearly when the scheduler manifest lacks the mastersSchedulable line, before creating Ignition", () => {
    const ws = workspace("scheduler");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets);
    const result = runScript(script, installConfig, ws.log, { FAKE_OPENSHIFT_INSTALL_SCHEDULER: "absent" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`ERROR: ${ws.assets}/manifests/cluster-scheduler-02-config.yml has no line 'mastersSchedulable: true' to change`);
    expect(readLog(ws.log)).not.toContain(`create ignition-configs --dir ${ws.assets}`);
    expect(fs.existsSync(path.join(ws.assets, ".okd-lab/install-config.sha256"))).toBe(false);
  });

  it("fails clearly when the installer cannot be found", () => {
    const ws = workspace("missing");
    const missing = path.join(tmp, "no-such-installer");
    const { installConfig, script } = prepare(seedRawConfig(), ws.assets, missing);
    const result = runScript(script, installConfig, ws.log);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `ERROR: openshift-install not found: '${missing}' is neither an executable path nor a command on PATH. Set okd-lab:okd.installer.`,
    );
  });

  it("fails when the install-config text is missing from the environment", () => {
    const ws = workspace("no-env");
    const { script } = prepare(seedRawConfig(), ws.assets);
    const result = runScript(script, "", ws.log);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${INSTALL_CONFIG_ENV} is empty`);
  });

  it("prints a kubeconfig path with quotes, backslashes and spaces as valid JSON", () => {
    const root = fs.mkdtempSync(path.join(tmp, "odd-"));
    const assets = path.join(root, 'my "lab" \\ assets');
    const { installConfig, script } = prepare(seedRawConfig(), assets);
    const result = runScript(script, installConfig, path.join(root, "log"));
    expect(result.status).toBe(0);
    expect(parseInstallerOutput(result.stdout).kubeconfig).toBe(path.join(fs.realpathSync(assets), "auth/kubeconfig"));
  });

  it.each(["../escape.yaml", "manifests/../../x.yaml", "/etc/x.yaml", "other/x.yaml", "manifests/x.json"])(
    "refuses to render a manifest path outside manifests/ and openshift/ (%s)",
    (p) => {
      expect(() => renderInstallerScript({ assetsDir: "a", installer: "i", manifests: [{ path: p, content: "" }], mastersSchedulable: true })).toThrow(
        `installer manifest path ${JSON.stringify(p)} must be manifests/<file>.yaml or openshift/<file>.yaml`,
      );
    },
  );
});

describe("fake-openshift-install", () => {
  it("fails like the real installer when install-config.yaml is missing", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "fake-"));
    const result = run(FAKE_INSTALLER, ["create", "manifests", "--dir", dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('level=fatal msg="failed to fetch Master Machines: failed to load asset \\"Install Config\\"');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("prints a version", () => {
    const result = run(FAKE_INSTALLER, ["version"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^openshift-install /);
  });
});
