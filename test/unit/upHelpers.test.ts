/**
 * The helpers of npm run up with stand-ins: the bounded installer wait, the host DNS setup, the
 * flags, and the Pulumi CLI check of preflight.
 */
import { applyHostDnsSetup } from "../../host/hostDns";
import { ProgramRunner, redactInstallerLine, waitForInstaller } from "../../host/installerWait";
import { HostProbe } from "../../host/preflight";
import { checkPulumiCli, pinnedPulumiVersion, pulumiCliPath } from "../../host/pulumiCliCheck";
import { PulumiCli, pulumiEnv } from "../../host/pulumiCli";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ProgramResult, runProgram } from "../../host/runProgram";
import { UsageError } from "../../offline/cli";
import { parseUpArgs } from "../../scripts/up";

describe("waitForInstaller", () => {
  function scripted(results: Partial<ProgramResult>[], clock: { t: number }, minutesEach = 50): { run: ProgramRunner; calls: string[][] } {
    const calls: string[][] = [];
    const run: ProgramRunner = async (cmd, args, options) => {
      calls.push([cmd, ...args, `timeout=${options.timeoutMs}`]);
      const r = results.shift() ?? { code: 1 };
      options.onLine?.(r.lastLine ?? "", "stderr");
      clock.t += minutesEach * 60000;
      return { code: r.code ?? 1, stdout: "", stderr: "", lastLine: r.lastLine };
    };
    return { run, calls };
  }

  const base = (run: ProgramRunner, clock: { t: number }, lines: string[]) => ({
    installer: "/opt/okd/openshift-install",
    assetsDir: ".okd/dev",
    target: "bootstrap-complete" as const,
    budgetMs: 90 * 60000,
    maxAttempts: 6,
    retryDelayMs: 30000,
    run,
    onLine: (l: string) => lines.push(l),
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  });

  it("retries after the installer's own timeout and succeeds on a later attempt", async () => {
    const clock = { t: 0 };
    const lines: string[] = [];
    const { run, calls } = scripted(
      [
        { code: 5, lastLine: 'level=fatal msg="Bootstrap failed to complete: timed out waiting for the condition"' },
        { code: 0, lastLine: 'level=info msg="It is now safe to remove the bootstrap resources"' },
      ],
      clock,
      30,
    );
    const result = await waitForInstaller(base(run, clock, lines));
    expect(result).toEqual({ ok: true, attempts: 2, lastLine: 'level=info msg="It is now safe to remove the bootstrap resources"' });
    expect(calls[0]).toEqual([
      "/opt/okd/openshift-install",
      "wait-for",
      "bootstrap-complete",
      "--dir",
      ".okd/dev",
      "--log-level",
      "info",
      `timeout=${90 * 60000}`,
    ]);
    // The second attempt gets what is left of the budget: 90 - 30 - 0.5 minutes.
    expect(calls[1][calls[1].length - 1]).toBe(`timeout=${(90 - 30.5) * 60000}`);
    expect(lines).toContain("okd-lab: wait-for bootstrap-complete, attempt 2 of at most 6, 60 min left");
  });

  it("stops when the budget is spent and reports the installer's last line", async () => {
    const clock = { t: 0 };
    const { run, calls } = scripted([{ code: 5, lastLine: "a" }, { code: 5, lastLine: "b" }, { code: 0 }], clock, 50);
    const result = await waitForInstaller(base(run, clock, []));
    expect(result).toEqual({ ok: false, attempts: 2, lastLine: "b" });
    expect(calls).toHaveLength(2);
  });

  it("does not retry an installer that is not there", async () => {
    const clock = { t: 0 };
    const { run, calls } = scripted([{ code: 127, lastLine: "openshift-install: spawn openshift-install ENOENT" }], clock, 0);
    const result = await waitForInstaller(base(run, clock, []));
    expect(result).toEqual({ ok: false, attempts: 1, lastLine: "openshift-install: spawn openshift-install ENOENT" });
    expect(calls).toHaveLength(1);
  });

  it("starts no attempt once the user interrupted", async () => {
    const clock = { t: 0 };
    const { run, calls } = scripted([{ code: 130, lastLine: "x" }], clock, 0);
    let stop = false;
    const result = await waitForInstaller({ ...base(run, clock, []), run: async (c, a, o) => ((stop = true), run(c, a, o)), stop: () => stop });
    expect(result).toEqual({ ok: false, attempts: 1, lastLine: "x; interrupted (Ctrl+C)" });
    expect(calls).toHaveLength(1);
  });

  it("never shows the kubeadmin password the installer prints", async () => {
    // logrus's text format of create.go's logComplete line (OKD 4.12-4.15 print it unconditionally).
    const line = 'level=info msg="Login to the console with user: \\"kubeadmin\\", and password: \\"PUTRg-vb4Sx-XAUaW-kgRue\\""';
    expect(redactInstallerLine(line)).toBe('level=info msg="Login to the console with user: \\"kubeadmin\\", and password: \\"[secret]\\""');
    expect(redactInstallerLine("run 'oc login -u kubeadmin -p azsvQ-7chno-A6KSa-6cta2 https://api:6443'")).toBe(
      "run 'oc login -u kubeadmin -p [secret] https://api:6443'",
    );
    expect(redactInstallerLine("pw azsvQ-7chno elsewhere", ["azsvQ-7chno"])).toBe("pw [secret] elsewhere");
    const clock = { t: 0 };
    const lines: string[] = [];
    const { run } = scripted([{ code: 0, lastLine: "secret-value-1 printed" }], clock, 0);
    const result = await waitForInstaller({ ...base(run, clock, lines), secrets: () => ["secret-value-1"] });
    expect(lines).toEqual(["[secret] printed"]);
    expect(result.lastLine).toBe("[secret] printed");
  });

  it("stops at the attempt limit", async () => {
    const clock = { t: 0 };
    const { run, calls } = scripted([], clock, 0);
    const result = await waitForInstaller({ ...base(run, clock, []), maxAttempts: 3 });
    expect(result.ok).toBe(false);
    expect(calls).toHaveLength(3);
  });
});

describe("applyHostDnsSetup", () => {
  const commands = ["printf 'a' | sudo tee /etc/x.conf", "sudo systemctl reload NetworkManager"];

  function recorder(fail?: string): { run: ProgramRunner; calls: string[][] } {
    const calls: string[][] = [];
    const run: ProgramRunner = async (cmd, args) => {
      calls.push([cmd, ...args]);
      const failed = fail !== undefined && args.join(" ").includes(fail);
      return { code: failed ? 1 : 0, stdout: "", stderr: "", lastLine: failed ? "Failed to reload NetworkManager.service" : undefined };
    };
    return { run, calls };
  }

  it("as root runs each command with sudo standing for the command itself", async () => {
    const { run, calls } = recorder();
    const result = await applyHostDnsSetup(commands, { isRoot: true, interactive: false, run, sudoValidate: () => 1, onLine: () => undefined });
    expect(result).toEqual({ ok: true, detail: "2 commands applied" });
    expect(calls).toEqual(commands.map((c) => ["bash", "-c", `set -euo pipefail\nsudo() { "$@"; }\n${c}`]));
  });

  it("as a user on a terminal asks sudo for the password once, then runs the commands", async () => {
    const { run, calls } = recorder();
    let asked = 0;
    const result = await applyHostDnsSetup(commands, { isRoot: false, interactive: true, run, sudoValidate: () => (asked++, 0), onLine: () => undefined });
    expect(result.ok).toBe(true);
    expect(asked).toBe(1);
    expect(calls).toEqual(commands.map((c) => ["bash", "-c", `set -euo pipefail\n${c}`]));
  });

  it("without a terminal uses only a sudo that needs no password", async () => {
    const run: ProgramRunner = async (cmd, args) => ({ code: cmd === "sudo" && args.join(" ") === "-n true" ? 1 : 0, stdout: "", stderr: "" });
    const result = await applyHostDnsSetup(commands, { isRoot: false, interactive: false, run, sudoValidate: () => 0, onLine: () => undefined });
    expect(result).toEqual({ ok: false, detail: "not root, and sudo needs a password but there is no terminal to ask for it" });
  });

  it("names the command that failed", async () => {
    const { run, calls } = recorder("reload");
    const result = await applyHostDnsSetup(commands, { isRoot: true, interactive: false, run, sudoValidate: () => 0, onLine: () => undefined });
    expect(result).toEqual({ ok: false, detail: "'sudo systemctl reload NetworkManager' exited with 1: Failed to reload NetworkManager.service" });
    expect(calls).toHaveLength(2);
  });
});

describe("parseUpArgs (node:util parseArgs)", () => {
  it("defaults to OKD_LAB_STACK, else dev, and the documented timeouts", () => {
    expect(parseUpArgs([], {})).toEqual({
      stack: "dev",
      vmsOnly: false,
      skipPreflight: false,
      bootstrapTimeoutMinutes: 90,
      installTimeoutMinutes: 120,
      csrTimeoutMinutes: 60,
    });
    expect(parseUpArgs([], { OKD_LAB_STACK: "lab2", OKD_LAB_SKIP_PREFLIGHT: "1" })).toMatchObject({ stack: "lab2", skipPreflight: true });
  });

  it("reads every flag", () => {
    expect(
      parseUpArgs(["--stack", "x", "--vms-only", "--skip-preflight", "--bootstrap-timeout", "30", "--install-timeout", "45", "--csr-timeout", "5"], {}),
    ).toEqual({
      stack: "x",
      vmsOnly: true,
      skipPreflight: true,
      bootstrapTimeoutMinutes: 30,
      installTimeoutMinutes: 45,
      csrTimeoutMinutes: 5,
    });
    expect(parseUpArgs(["--help"], {})).toBe("help");
  });

  it.each([
    [["--yes"], "Unknown option '--yes'"],
    [["--install-timeout", "0"], '--install-timeout must be a whole number of minutes above 0, not "0"'],
    [["--csr-timeout", "1h"], '--csr-timeout must be a whole number of minutes above 0, not "1h"'],
    [["--stack", "a b"], '--stack must be a stack name (letters, digits, _ . -), not "a b"'],
  ])("rejects %j", (argv, message) => {
    expect(() => parseUpArgs(argv, {})).toThrow(UsageError);
    expect(() => parseUpArgs(argv, {})).toThrow(message);
  });
});

describe("the Pulumi CLI (npm package pulumi)", () => {
  const probe = (files: string[], tools: string[]): HostProbe => ({
    run: () => undefined,
    which: (n) => (tools.includes(n) ? `/usr/bin/${n}` : undefined),
    readFile: () => undefined,
    stat: (f) => (files.includes(f) ? { kind: "file", readable: true } : undefined),
    freeDiskBytes: () => undefined,
    headUrl: () => ({ ok: false }),
  });

  it("is pinned to the version package.json names exactly", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require("../../package.json") as { dependencies: Record<string, string> };
    expect(pkg.dependencies.pulumi).toBe("3.250.0");
    expect(pinnedPulumiVersion()).toBe("3.250.0");
  });

  it("lives where the wrapper looks: $PULUMI_HOME/versions/<PULUMI_VERSION or its own>/bin/pulumi (lib/cache.js, lib/resolve.js)", () => {
    expect(pulumiCliPath({ PULUMI_HOME: "/p" }, "3.250.0")).toBe("/p/versions/3.250.0/bin/pulumi");
    expect(pulumiCliPath({ PULUMI_HOME: "/p", PULUMI_VERSION: "3.262.0" }, "3.250.0")).toBe("/p/versions/3.262.0/bin/pulumi");
  });

  it("passes when the CLI is in place, warns about the first-use download, fails without curl or tar", () => {
    const env = { PULUMI_HOME: "/h/.pulumi" };
    const cli = "/h/.pulumi/versions/3.250.0/bin/pulumi";
    expect(checkPulumiCli(env, "3.250.0", probe([cli], [])).status).toBe("ok");
    expect(checkPulumiCli(env, "3.250.0", probe([], ["curl", "tar"]))).toEqual({
      check: "pulumi-cli",
      status: "warn",
      detail: `${cli} is missing: the first pulumi command downloads Pulumi CLI 3.250.0 from get.pulumi.com`,
      fix: 'offline hosts: pre-seed /h/.pulumi/versions/3.250.0/bin from pulumi-v3.250.0-linux-x64.tar.gz (README, "The Pulumi CLI")',
    });
    expect(checkPulumiCli(env, "3.250.0", probe([], ["tar"]))).toEqual({
      check: "pulumi-cli",
      status: "fail",
      detail: `${cli} is missing and curl (needed to fetch it on first use) is not installed`,
      fix: 'sudo dnf install curl, or pre-seed /h/.pulumi/versions/3.250.0/bin from pulumi-v3.250.0-linux-x64.tar.gz (README, "The Pulumi CLI")',
    });
  });

  it("runs with the local file backend unless another is set, and without an update check", () => {
    expect(pulumiEnv({ A: "1" })).toEqual({ A: "1", PULUMI_BACKEND_URL: "file://~", PULUMI_SKIP_UPDATE_CHECK: "true" });
    expect(pulumiEnv({ PULUMI_BACKEND_URL: "file:///srv/state" }).PULUMI_BACKEND_URL).toBe("file:///srv/state");
  });
});

describe("PulumiCli.ensure", () => {
  it("says how to get the CLI when pulumi is not on PATH", async () => {
    const cli = new PulumiCli({ stack: "dev", cwd: os.tmpdir(), env: {}, pulumi: "/nonexistent/pulumi" });
    await expect(cli.ensure()).rejects.toThrow(
      "the Pulumi CLI (/nonexistent/pulumi) is not on PATH: run npm ci, then npm run up (npm run puts node_modules/.bin/pulumi first on PATH)",
    );
  });

  it("creates the stack only when it is missing, and reports any other failure as it is", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-pulumi-"));
    try {
      const script = path.join(dir, "pulumi");
      fs.writeFileSync(script, `#!/bin/sh\necho "$*" >> ${dir}/calls\necho "pulumi: fetch failed: get.pulumi.com" >&2\nexit 1\n`, { mode: 0o755 });
      const cli = new PulumiCli({ stack: "dev", cwd: dir, env: {}, pulumi: script });
      await expect(cli.ensure()).rejects.toThrow("pulumi stack select dev --non-interactive exited with 1: pulumi: fetch failed: get.pulumi.com");
      expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("stack select dev --non-interactive\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("runProgram", () => {
  it("streams lines from both streams and keeps the last one", async () => {
    const lines: string[] = [];
    const result = await runProgram("bash", ["-c", "echo one; echo two >&2; printf three"], { onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(result.code).toBe(0);
    expect(lines.sort()).toEqual(["stderr:two", "stdout:one", "stdout:three"]);
    expect(result.lastLine).toBe("three");
  });

  it("reports a program that is not installed with 127", async () => {
    const result = await runProgram("/nonexistent/okd-lab-tool", []);
    expect(result.code).toBe(127);
    expect(result.lastLine).toBe("/nonexistent/okd-lab-tool: spawn /nonexistent/okd-lab-tool ENOENT");
  });

  it("stops a program that outlives its timeout with 124", async () => {
    const result = await runProgram("sleep", ["5"], { timeoutMs: 100 });
    expect(result.code).toBe(124);
  });
});
