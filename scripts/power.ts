/**
 * npm run stop  -- [--stack NAME] [--force] [--timeout SECONDS]
 * npm run start -- [--stack NAME] [--readiness-timeout SECONDS] [--csr-timeout SECONDS]
 *
 * Powers the stack's VMs off and on in the order the cluster needs (host/labPower.ts), through
 * `virsh -c <libvirt:uri>`. The VMs are those of the stack's `nodes` output; the stack defaults to
 * OKD_LAB_STACK, else `dev`. Exit status: 0 done, 1 something did not power off / come up in time
 * (the message says what), 2 a usage or configuration error, 3 stop refused (young cluster).
 *
 * scripts/power.sh runs this after asking for the stack's passphrase once (scripts/pulumiEnv.sh).
 */
import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import { HelpRequest, runCli, UsageError } from "../offline/cli";
import { assetsInstallTime } from "../host/clusterAge";
import { readLabInventory, ReadOutputs } from "../host/labInventory";
import { realClock, READINESS_TIMEOUT_SECONDS } from "../host/infraReadiness";
import { csrNodes, OcRun, PowerHost, startLab, stopLab } from "../host/labPower";
import { approveLabCsrs } from "../host/csrApproval";
import { Virsh, VirshError } from "../host/virsh";
import { HostProbe } from "../verify/hostProbe";

/** Seconds until every node is Ready: the bound of the opt-in approval during `pulumi up` (lab.ts). */
export const CSR_TIMEOUT_SECONDS = 3600;

const USAGE = [
  "usage: npm run stop  -- [--stack NAME] [--force] [--timeout SECONDS]",
  "       npm run start -- [--stack NAME] [--readiness-timeout SECONDS] [--csr-timeout SECONDS]",
  "  --stack              the Pulumi stack (default: OKD_LAB_STACK, else dev)",
  "  --force              stop a cluster younger than its first certificate rotation (24 h) anyway",
  "  --timeout            seconds each group of VMs may take to power off (default 300)",
  "  --readiness-timeout  seconds the infra node may take to serve DNS, the load balancer and NTP (default 900)",
  `  --csr-timeout        seconds until every node is Ready (default ${CSR_TIMEOUT_SECONDS})`,
].join("\n");

/** Seconds each group may take to power off: libvirt-guests' SHUTDOWN_TIMEOUT default. */
export const STOP_TIMEOUT_SECONDS = 300;

export type PowerCommand =
  | { command: "stop"; stack: string; force: boolean; timeoutSeconds: number }
  | { command: "start"; stack: string; readinessTimeoutSeconds: number; csrTimeoutSeconds: number };

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`--${flag} ${value}: give a whole number of seconds, e.g. --${flag} ${fallback}`);
  return Number(value);
}

/** Reads the command (`stop` or `start`) and its flags. */
export function parsePowerArgs(argv: string[], env: NodeJS.ProcessEnv): PowerCommand {
  const [command, ...rest] = argv;
  if (command !== "stop" && command !== "start") throw new UsageError(`unknown command ${command ?? "(none)"}: use stop or start`);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options:
        command === "stop"
          ? { stack: { type: "string" }, force: { type: "boolean" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } }
          : { stack: { type: "string" }, "readiness-timeout": { type: "string" }, "csr-timeout": { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new HelpRequest();
  const stack = (values.stack as string | undefined) ?? (env.OKD_LAB_STACK || "dev");
  if (command === "stop") {
    return { command, stack, force: values.force === true, timeoutSeconds: seconds("timeout", values.timeout as string | undefined, STOP_TIMEOUT_SECONDS) };
  }
  return {
    command,
    stack,
    readinessTimeoutSeconds: seconds("readiness-timeout", values["readiness-timeout"] as string | undefined, READINESS_TIMEOUT_SECONDS),
    csrTimeoutSeconds: seconds("csr-timeout", values["csr-timeout"] as string | undefined, CSR_TIMEOUT_SECONDS),
  };
}

/** Runs a program without a shell, bounded; never throws. */
function run(file: string, args: string[], timeoutMs: number): Promise<OcRun> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (e.code === "ENOENT") return resolve({ code: null, stdout, stderr, error: "ENOENT" });
      if (e.killed) return resolve({ code: null, stdout, stderr, error: "timeout" });
      resolve({ code: typeof e.code === "number" ? e.code : null, stdout, stderr });
    });
  });
}

/** `pulumi stack output --json` by name (npm run puts node_modules/.bin first); pulumi's complaint as a UsageError. */
function stackOutputs(stack: string): ReadOutputs {
  return async () => {
    const args = ["stack", "output", "--json", "--stack", stack, "--non-interactive"];
    const r = await run("pulumi", args, 120000);
    if (r.error === "ENOENT") throw new UsageError("the Pulumi CLI is not installed: run npm ci (npm run puts node_modules/.bin/pulumi first on PATH)");
    if (r.code !== 0) throw new UsageError(`'pulumi ${args.join(" ")}' failed: ${r.stderr.trim() || r.error || `exit ${r.code}`}`);
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new UsageError(`'pulumi ${args.join(" ")}' did not print JSON: ${r.stdout.trim().split("\n")[0] ?? ""}`);
    }
  };
}

async function main(): Promise<number> {
  const options = parsePowerArgs(process.argv.slice(2), process.env);
  const lab = await readLabInventory(options.stack, stackOutputs(options.stack), process.cwd(), process.env);
  const log = (line: string) => console.log(line);
  const virsh = new Virsh({ uri: lab.libvirtUri });
  const oc = (args: string[]) => run("oc", ["--kubeconfig", lab.kubeconfig, "--request-timeout=20s", ...args], 30000);
  const host: PowerHost = {
    virsh,
    probe: new HostProbe(),
    oc,
    approve: (nodes, timeoutSeconds) => approveLabCsrs({ oc: "oc", kubeconfig: lab.kubeconfig, nodes: csrNodes(nodes), timeoutSeconds, log }),
    assetsInstallTime,
    clock: realClock,
    log,
  };
  log(`okd-lab ${options.command}: stack ${lab.stack}, ${lab.vms.length} VMs at ${lab.libvirtUri}`);
  try {
    if (options.command === "stop") return await stopLab(lab, host, { force: options.force, timeoutSeconds: options.timeoutSeconds });
    return await startLab(lab, host, { readinessTimeoutSeconds: options.readinessTimeoutSeconds, csrTimeoutSeconds: options.csrTimeoutSeconds });
  } catch (err) {
    // libvirt unreachable, or a VM the stack lists that libvirt lacks: the message says what to do.
    if (!(err instanceof VirshError)) throw err;
    console.error(`okd-lab ${options.command}: ${err.message}`);
    return 1;
  }
}

runCli(module, USAGE, main);
