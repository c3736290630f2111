/**
 * npm run verify -- [--stack NAME] [--stats-url URL]
 *
 * Checks the live lab from this host: DNS forward and reverse, the *.apps wildcard, nothing at the
 * apex, the infra node's TCP ports, which HAProxy servers are UP (stats CSV) and an NTP answer.
 * The stats page listens on the infra node's loopback: verify reaches it through an `ssh -L` tunnel
 * it opens itself with the stack's key and the infra node's pinned host key (verify/statsTunnel.ts),
 * or, with `--stats-url`, through the local end of a tunnel the user opened (the statsTunnel output).
 * One line per check, with what to fix; exits 1 when any check fails, 2 on a usage or config error.
 *
 * The lab is read from the stack file (Pulumi.<stack>.yaml) with the same parsing as the program
 * and the offline render; the stats password from OKD_LAB_STATS_PASSWORD or, when unset, the
 * stack's outputs (`pulumi stack output --show-secrets --json`, read once, with the tunnel's key). The checks are those of the e2e suite
 * (verify/checks.ts).
 */
import { spawnSync } from "node:child_process";
import { parseLabConfig } from "../config/labConfig";
import { readFlags, runCli, UsageError } from "../offline/cli";
import { splitStackConfig } from "../offline/stackFile";
import { buildLabPlan, LabPlan } from "../plan/labPlan";
import { STATS_PASSWORD_ENV } from "../render/haproxyCfg";
import { formatResult, Probe, runChecks, VerifyTarget } from "../verify/checks";
import { HostProbe } from "../verify/hostProbe";
import { openStatsTunnel, StatsTunnel, StatsTunnelError, StatsTunnelRequest } from "../verify/statsTunnel";
import { readStackConfig } from "../offline/stackFile";

const USAGE =
  "usage: npm run verify -- [--stack NAME] [--stats-url URL]   (default: the selected Pulumi stack; the stats page through an ssh tunnel verify opens, or at --stats-url, the local end of your own statsTunnel)";

export { UsageError };

/** Parsed command line; `stack` undefined means the currently selected Pulumi stack. */
export interface VerifyOptions {
  stack?: string;
  /** The local end of the `ssh -L` tunnel to the stats page, e.g. `http://127.0.0.1:19000/`. */
  statsUrl?: string;
}

export function parseVerifyArgs(argv: string[]): VerifyOptions {
  const { values } = readFlags(argv, { values: ["stack", "stats-url"] });
  const statsUrl = values["stats-url"];
  // No user:password@ part: the URL is printed in the report.
  if (statsUrl !== undefined && !/^https?:\/\/[^/\s@]+\/?$/.test(statsUrl)) {
    throw new UsageError(
      `--stats-url ${statsUrl} is not an http(s) URL of a host and port: give the local end of the ssh -L tunnel, e.g. http://127.0.0.1:9000/`,
    );
  }
  return { ...(values.stack === undefined ? {} : { stack: values.stack }), ...(statsUrl === undefined ? {} : { statsUrl }) };
}

/** What `pulumi ARGS` printed, or why it gave nothing (its first error line, or that it is missing). */
export type PulumiResult = { stdout: string } | { error: string };

/** What verify needs from its surroundings; replaced by fakes in the unit tests. */
export interface VerifyHost {
  probe: Probe;
  env: Record<string, string | undefined>;
  pulumi(args: string[]): PulumiResult;
  /** Opens the ssh tunnel to the stats page (verify/statsTunnel.ts). */
  openTunnel(request: StatsTunnelRequest): Promise<StatsTunnel>;
  /** Directory holding Pulumi.<stack>.yaml. */
  cwd: string;
}

function realPulumi(args: string[]): PulumiResult {
  // --non-interactive: a missing passphrase or login is an error, never a prompt nobody sees.
  const result = spawnSync("pulumi", [...args, "--non-interactive"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60000 });
  if (result.error) return { error: (result.error as NodeJS.ErrnoException).code === "ENOENT" ? "pulumi is not installed (run npm ci)" : result.error.message };
  if (result.status !== 0) {
    // Pulumi's error lines name what failed (passphrase, stack, backend), never an output's value.
    const line = result.stderr.split("\n").find((l) => l.trim() !== "");
    return { error: line?.trim() ?? `exit status ${result.status}` };
  }
  return { stdout: result.stdout };
}

const OUTPUTS_COMMAND = "pulumi stack output --show-secrets --json";

/** The stack's outputs with their secrets, or why there are none. */
type StackOutputs = { outputs: Record<string, unknown> } | { error: string };

/** Reads the stack's outputs once, and only when first needed. */
function stackOutputs(stack: string, host: VerifyHost): () => StackOutputs {
  let outputs: StackOutputs | undefined;
  return () => {
    if (outputs === undefined) {
      const result = host.pulumi(["stack", "output", "--stack", stack, "--show-secrets", "--json"]);
      if ("error" in result) {
        outputs = { error: result.error };
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(result.stdout);
        } catch {
          parsed = undefined;
        }
        const isRecord = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
        outputs = isRecord ? { outputs: parsed as Record<string, unknown> } : { error: "its answer is not a JSON object" };
      }
    }
    return outputs;
  };
}

/** A non-empty string output, or why there is none. */
function stringOutput(read: StackOutputs, name: string): string | { missing: string } {
  if ("error" in read) return { missing: `'${OUTPUTS_COMMAND}' failed: ${read.error}` };
  const value = read.outputs[name];
  return typeof value === "string" && value.trim() !== "" ? value : { missing: `the stack has no ${name} output` };
}

/** The lab to check: the plan of `stack`'s config, nodes dropped from it, and the stats password. */
export function verifyTarget(
  stack: string,
  host: VerifyHost,
  outputs: () => StackOutputs = stackOutputs(stack, host),
): { target: VerifyTarget; notes: string[] } {
  const { config, notes } = readStackConfig(`${host.cwd}/Pulumi.${stack}.yaml`);
  const { raw } = splitStackConfig(config);
  const labConfig = parseLabConfig(raw, stack).config;
  const plan = buildLabPlan(labConfig);
  // A dropped bootstrap node must be gone from DNS too (its backends are checked by the stats).
  const absent = labConfig.bootstrap.enabled ? [] : [{ name: labConfig.bootstrap.name, ip: labConfig.bootstrap.ip }];
  const fromEnv = host.env[STATS_PASSWORD_ENV];
  const password = fromEnv ? fromEnv : stringOutput(outputs(), "statsPassword");
  if (typeof password !== "string") notes.push(`no stats password: ${STATS_PASSWORD_ENV} is unset and ${password.missing}`);
  return { target: { plan, absent, ...(typeof password === "string" ? { statsPassword: password } : {}) }, notes };
}

/**
 * Where the stats page answers from here: `--stats-url` (the user's own tunnel) as given, otherwise
 * the socket of a tunnel verify opens with the stack's key and known_hosts outputs; `statsTunnelError`
 * says why there is none.
 */
async function statsEndpoint(
  options: VerifyOptions,
  plan: LabPlan,
  host: VerifyHost,
  outputs: () => StackOutputs,
): Promise<{ statsUrl?: string; statsSocket?: string; statsTunnelError?: string; tunnel?: StatsTunnel }> {
  if (options.statsUrl !== undefined) return { statsUrl: options.statsUrl };
  const sshPrivateKey = stringOutput(outputs(), "sshPrivateKey");
  const knownHosts = stringOutput(outputs(), "knownHosts");
  if (typeof sshPrivateKey !== "string" || typeof knownHosts !== "string") {
    const why = [sshPrivateKey, knownHosts].flatMap((o) => (typeof o === "string" ? [] : [o.missing]));
    return { statsTunnelError: `no SSH key and known_hosts line to open the ssh tunnel with: ${[...new Set(why)].join("; ")}` };
  }
  try {
    const tunnel = await host.openTunnel({ plan, sshPrivateKey, knownHosts, env: host.env });
    return { statsSocket: tunnel.socketPath, tunnel };
  } catch (err) {
    const reason = err instanceof StatsTunnelError ? err.message : `could not start it: ${err instanceof Error ? err.message : String(err)}`;
    return { statsTunnelError: `the ssh tunnel to the infra node did not open: ${reason}` };
  }
}

/** Runs every check; returns the report lines and the exit code (0 all ok, 1 any failure). */
export async function runVerify(options: VerifyOptions, host: VerifyHost): Promise<{ lines: string[]; code: number }> {
  const selected = options.stack === undefined ? host.pulumi(["stack", "--show-name"]) : undefined;
  const stack = options.stack ?? (selected && "stdout" in selected ? selected.stdout.trim() : undefined);
  if (!stack) throw new UsageError("no stack given and no Pulumi stack selected: pass --stack NAME");
  const outputs = stackOutputs(stack, host);
  const { target, notes } = verifyTarget(stack, host, outputs);
  const { tunnel, ...stats } = await statsEndpoint(options, target.plan, host, outputs);
  let results;
  try {
    results = await runChecks(host.probe, { ...target, ...stats });
  } finally {
    // ssh gone before the end: the stats line's failure is its doing; say what it said.
    const ended = tunnel?.ended();
    if (ended !== undefined) notes.push(`verify's ssh tunnel ended early; ssh said: ${ended}`);
    await tunnel?.close();
  }
  const failed = results.filter((r) => !r.ok).length;
  const lines = [
    `verifying stack ${stack}: infra node ${target.plan.infra.ip}, ${target.plan.nodes.length} nodes`,
    ...notes.map((n) => `note: ${n}`),
    ...results.map(formatResult),
    failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`,
  ];
  return { lines, code: failed === 0 ? 0 : 1 };
}

async function main(): Promise<number> {
  const host: VerifyHost = { probe: new HostProbe(), env: process.env, pulumi: realPulumi, openTunnel: openStatsTunnel, cwd: process.cwd() };
  const { lines, code } = await runVerify(parseVerifyArgs(process.argv.slice(2)), host);
  for (const line of lines) console.log(line);
  return code;
}

runCli(module, USAGE, main);
