/**
 * npm run up -- [--stack NAME] [--vms-only] [--skip-preflight]
 *               [--bootstrap-timeout MIN] [--install-timeout MIN] [--csr-timeout MIN]
 *
 * From a bare libvirt host to a running OKD cluster, resumable (host/labUp.ts). scripts/up.sh
 * runs it after setting the local file backend and the passphrase (scripts/pulumiEnv.sh). Exit
 * status 0 when the lab is up and verify passed, 1 when a phase failed, 2 on a usage or
 * configuration error.
 */
import { spawnSync } from "node:child_process";
import { promises as dns } from "node:dns";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseLabConfig } from "../config/labConfig";
import { OcClusterProbe } from "../host/clusterProbe";
import { approveLabCsrs } from "../host/csrApproval";
import { realHostProbe } from "../host/hostProbe";
import { applyHostDnsSetup } from "../host/hostDns";
import { waitForInstaller } from "../host/installerWait";
import { DEFAULT_TIMEOUTS, runLabUp, UpHost, UpOptions } from "../host/labUp";
import { createPhaseDisplay, PhaseDisplay } from "../host/phaseDisplay";
import { formatResult, PreflightResult, runPreflight } from "../host/preflight";
import { PulumiCli } from "../host/pulumiCli";
import { checkPulumiCli, pinnedPulumiVersion } from "../host/pulumiCliCheck";
import { runProgram } from "../host/runProgram";
import { runCli, UsageError } from "../offline/cli";
import { readStackConfig, splitStackConfig } from "../offline/stackFile";
import { buildLabPlan } from "../plan/labPlan";

const USAGE = [
  "usage: npm run up -- [--stack NAME] [--vms-only] [--skip-preflight]",
  "                     [--bootstrap-timeout MIN] [--install-timeout MIN] [--csr-timeout MIN]",
  `  --stack NAME           the stack (default: OKD_LAB_STACK, else dev)`,
  "  --vms-only             stop after phase 2: the lab's VMs, no install",
  "  --skip-preflight       skip phase 1 (also OKD_LAB_SKIP_PREFLIGHT=1)",
  `  --bootstrap-timeout    minutes for bootstrap-complete, all attempts (default ${DEFAULT_TIMEOUTS.bootstrapMinutes})`,
  `  --install-timeout      minutes for install-complete, all attempts (default ${DEFAULT_TIMEOUTS.installMinutes})`,
  `  --csr-timeout          minutes for the nodes to be Ready (default ${DEFAULT_TIMEOUTS.csrMinutes})`,
].join("\n");

/** What the command line asks for. */
export interface UpArgs {
  stack: string;
  vmsOnly: boolean;
  skipPreflight: boolean;
  bootstrapTimeoutMinutes: number;
  installTimeoutMinutes: number;
  csrTimeoutMinutes: number;
}

function minutes(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`--${flag} must be a whole number of minutes above 0, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Reads the flags with node:util parseArgs; `env` gives OKD_LAB_STACK and OKD_LAB_SKIP_PREFLIGHT. */
export function parseUpArgs(argv: string[], env: NodeJS.ProcessEnv): UpArgs | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        "vms-only": { type: "boolean" },
        "skip-preflight": { type: "boolean" },
        "bootstrap-timeout": { type: "string" },
        "install-timeout": { type: "string" },
        "csr-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return "help";
  const stack = (values.stack as string | undefined) ?? (env.OKD_LAB_STACK || "dev");
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack must be a stack name (letters, digits, _ . -), not ${JSON.stringify(stack)}`);
  return {
    stack,
    vmsOnly: values["vms-only"] === true,
    skipPreflight: values["skip-preflight"] === true || !!env.OKD_LAB_SKIP_PREFLIGHT,
    bootstrapTimeoutMinutes: minutes("bootstrap-timeout", values["bootstrap-timeout"] as string | undefined, DEFAULT_TIMEOUTS.bootstrapMinutes),
    installTimeoutMinutes: minutes("install-timeout", values["install-timeout"] as string | undefined, DEFAULT_TIMEOUTS.installMinutes),
    csrTimeoutMinutes: minutes("csr-timeout", values["csr-timeout"] as string | undefined, DEFAULT_TIMEOUTS.csrMinutes),
  };
}

/** The lab's config and plan from `Pulumi.<stack>.yaml` (encrypted values are not needed here). */
export function readLab(stack: string, cwd: string): Pick<UpOptions, "config" | "plan"> & { warnings: string[]; libvirtUri?: string } {
  const { config: stackConfig } = readStackConfig(`${cwd}/Pulumi.${stack}.yaml`);
  const { raw, libvirtUri } = splitStackConfig(stackConfig);
  const { config, warnings } = parseLabConfig(raw, stack);
  return { config, plan: buildLabPlan(config), warnings, libvirtUri };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `npm run verify -- --stack S` as its own process (what that npm script runs: scripts/verify.ts
 * under ts-node), in the program's directory, its lines collected.
 */
async function runVerify(stack: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ lines: string[]; code: number }> {
  const args = ["-r", require.resolve("ts-node/register/transpile-only"), path.join(__dirname, "verify.ts"), "--stack", stack];
  const result = await runProgram(process.execPath, args, { cwd, env });
  const lines = `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.trim() !== "");
  return { lines, code: result.code };
}

/** How {@link createUpHost} reaches the host; tests replace the programs and the parts that touch the lab's addresses. */
export interface UpHostOptions {
  stack: string;
  /** The project directory (Pulumi.yaml, Pulumi.<stack>.yaml). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  lab: ReturnType<typeof readLab>;
  display: PhaseDisplay;
  /** Programs by name or path; defaults `pulumi` and `oc` on PATH. */
  pulumi?: string;
  oc?: string;
  /** Seconds between the CSR approval's polls (default its own). */
  csrPollSeconds?: number;
  /** Pause between two installer attempts. */
  installerRetryDelayMs?: number;
  /** True once the user pressed Ctrl+C. */
  interrupted?: () => boolean;
  /** Replacements for what would reach the lab's addresses or change the host. */
  overrides?: Partial<Pick<UpHost, "resolve" | "applyHostDns" | "verify" | "preflight" | "sleep">>;
}

/** The real {@link UpHost}: the Pulumi CLI, openshift-install, oc, the host resolver and npm run verify. */
export function createUpHost(options: UpHostOptions): UpHost {
  const { env, lab, display } = options;
  const oc = options.oc ?? "oc";
  const pause = options.overrides?.sleep ?? sleep;
  const host: UpHost = {
    display,
    now: Date.now,
    sleep: pause,
    interrupted: options.interrupted,
    stack: new PulumiCli({ stack: options.stack, cwd: options.cwd, env, pulumi: options.pulumi }),
    async preflight() {
      const probe = realHostProbe();
      const results: PreflightResult[] = [
        ...lab.warnings.map((w): PreflightResult => ({ check: "config", status: "warn", detail: w })),
        checkPulumiCli(env, pinnedPulumiVersion(), probe),
        ...runPreflight(lab.config, lab.libvirtUri ?? (env.LIBVIRT_DEFAULT_URI || undefined), probe),
      ];
      return { lines: results.map(formatResult), failed: results.some((r) => r.status === "fail") };
    },
    fileExists: (file) => fs.existsSync(file),
    cluster: (kubeconfig) => new OcClusterProbe({ oc, kubeconfig, env }),
    waitForInstaller: (target, budgetMs, onLine) =>
      waitForInstaller({
        installer: lab.config.okd.installer,
        assetsDir: lab.config.okd.assetsDir,
        target,
        budgetMs,
        maxAttempts: 6,
        retryDelayMs: options.installerRetryDelayMs ?? 30_000,
        run: runProgram,
        onLine,
        now: Date.now,
        sleep: pause,
        env,
        stop: options.interrupted,
        secrets: () => {
          const file = path.join(lab.config.okd.assetsDir, "auth", "kubeadmin-password");
          return fs.existsSync(file) ? [fs.readFileSync(file, "utf8").trim()] : [];
        },
      }),
    async approveCsrs(request) {
      const result = await approveLabCsrs({
        oc,
        kubeconfig: request.kubeconfig,
        nodes: request.nodes,
        timeoutSeconds: request.timeoutSeconds,
        pollSeconds: options.csrPollSeconds,
        log: request.log,
        env,
      });
      request.log(`approved ${result.approved.length} CSR(s); Ready: ${result.ready.join(", ")}`);
    },
    async resolve(name) {
      try {
        return (await dns.lookup(name, { all: true, family: 4 })).map((a) => a.address);
      } catch {
        return [];
      }
    },
    applyHostDns: (commands, onLine) =>
      applyHostDnsSetup(commands, {
        isRoot: process.getuid?.() === 0,
        interactive: process.stdin.isTTY === true,
        run: runProgram,
        sudoValidate: () => {
          display.close();
          return spawnSync("sudo", ["-v"], { stdio: "inherit" }).status ?? 1;
        },
        onLine,
      }),
    verify: () => runVerify(options.stack, options.cwd, env),
  };
  return { ...host, ...options.overrides };
}

async function main(): Promise<number> {
  const args = parseUpArgs(process.argv.slice(2), process.env);
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  const cwd = process.cwd();
  if (!fs.existsSync(`${cwd}/Pulumi.${args.stack}.yaml`)) throw new UsageError(`stack file Pulumi.${args.stack}.yaml not found in ${cwd}`);
  const lab = readLab(args.stack, cwd);
  const display = createPhaseDisplay({ write: (t) => process.stdout.write(t), now: Date.now, live: process.stdout.isTTY === true });
  // Ctrl+C reaches the running program too (same process group): let it stop cleanly (pulumi
  // cancels its update), start nothing new, and report where the lab is. A second one stops at once.
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    display.print("okd-lab up: interrupted, stopping once the running program ends (Ctrl+C again to stop at once)");
  });
  const host = createUpHost({ stack: args.stack, cwd, env: process.env, lab, display, interrupted: () => interrupted });
  const options: UpOptions = {
    ...args,
    config: lab.config,
    plan: lab.plan,
    libvirtUri: lab.libvirtUri ?? (process.env.LIBVIRT_DEFAULT_URI || "qemu:///system"),
    dnsSettleSeconds: DEFAULT_TIMEOUTS.dnsSettleSeconds,
  };
  const code = await runLabUp(options, host);
  return interrupted ? 130 : code;
}

runCli(module, USAGE, main);
