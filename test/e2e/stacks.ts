/**
 * Stacks for the e2e suite, rendered by the project's own offline render (scripts/render.ts,
 * the real program under Pulumi mocks) exactly as `npm run render -- --show-secrets` writes them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseLabConfig } from "../../config/labConfig";
import { buildLabPlan, LabPlan } from "../../plan/labPlan";
import { InfraFile, infraFiles } from "../../render/infraFiles";
import { plainValue } from "../../offline/labMocks";
import { artifactsOf, readStackConfig, render } from "../../scripts/render";
import { threeByThreeRawConfig } from "../fixtures/labs";

const REPO = path.resolve(__dirname, "../..");

/** A stack's `config:` map, keys like `okd-lab:workers`. */
export type StackConfig = Record<string, unknown>;

/** One rendered stack. */
export interface RenderedStack {
  label: string;
  stack: string;
  config: StackConfig;
  /** The stack file written for the render, `Pulumi.<stack>.yaml`. */
  stackFile: string;
  plan: LabPlan;
  /** The render's output folder (`out/<stack>` in `npm run render`). */
  outDir: string;
  /** The render's outputs.json: pass it as the next render's previous outputs. */
  outputsFile: string;
  /** The infra files in InfraConfig's installation order, with their content from the render. */
  files: InfraFile<string>[];
  statsPassword: string;
}

/** The dev stack exactly as Pulumi.dev.yaml declares it (the seed lab). */
export function devStackConfig(): StackConfig {
  return readStackConfig(path.join(REPO, "Pulumi.dev.yaml")).config;
}

/** `config` with one more worker appended. */
export function withWorker(config: StackConfig, worker: { name: string; ip: string }): StackConfig {
  const workers = (config["okd-lab:workers"] as unknown[] | undefined) ?? [];
  return { ...config, "okd-lab:workers": [...workers, worker] };
}

/** `config` after bootstrap completed: `okd-lab:bootstrap.enabled` false. */
export function withoutBootstrap(config: StackConfig): StackConfig {
  return { ...config, "okd-lab:bootstrap": { ...(config["okd-lab:bootstrap"] as Record<string, unknown>), enabled: false } };
}

/** `config` with no workers: the routers run on the masters. */
export function withoutWorkers(config: StackConfig): StackConfig {
  return { ...config, "okd-lab:workers": [] };
}

/** The dev stack with the 3 masters (.12-.14) and 3 workers (.15-.17) of the test fixture. */
export function threeByThreeStackConfig(): StackConfig {
  const raw = threeByThreeRawConfig();
  return { ...devStackConfig(), "okd-lab:masters": raw.masters, "okd-lab:workers": raw.workers };
}

function planOf(config: StackConfig, stack: string): LabPlan {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith("okd-lab:")) raw[key.slice("okd-lab:".length)] = value;
  return buildLabPlan(parseLabConfig(raw, stack).config);
}

function read(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`the render did not write ${file}`);
  return fs.readFileSync(file, "utf8");
}

/**
 * Writes `config` as a stack file under `workDir/<label>` and renders it with secrets shown,
 * continuing the zone serials from `previous` as a second `pulumi up` would.
 */
export async function renderStack(workDir: string, label: string, stack: string, config: StackConfig, previous?: RenderedStack): Promise<RenderedStack> {
  const dir = path.join(workDir, label);
  fs.mkdirSync(dir, { recursive: true });
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(stackFile, stringify({ config }));
  const outDir = path.join(dir, "out");
  const { run } = await render({ stack, stackFile, out: outDir, showSecrets: true, previousOutputs: previous?.outputsFile });
  const plan = planOf(config, stack);
  const infra = path.join(outDir, "infra");
  const zones = [plan.dns.zone, ...plan.dns.reverseZones.map((z) => z.zone)].map((zone) => ({
    zone,
    fileName: `${zone}.zone`,
    content: read(path.join(infra, "zones", `${zone}.zone`)),
  }));
  const files = infraFiles<string>({
    corefile: read(path.join(infra, "Corefile")),
    zones,
    haproxyCfg: read(path.join(infra, "haproxy.cfg")),
    chronyConf: read(path.join(infra, "chrony.conf")),
    haproxySecretsEnv: read(path.join(infra, "haproxy-secrets.env")),
  });
  // The files read back are exactly what the program hands to its delivery commands (their stdin).
  const delivered = new Map(artifactsOf(run).map((a) => [a.file, plainValue(a.value, true)]));
  for (const file of files) {
    if (delivered.get(path.join("infra", file.id)) !== file.content) throw new Error(`the render of ${file.id} differs from what the program delivers`);
  }
  const env = parseEnvFile(read(path.join(infra, "haproxy-secrets.env")));
  const statsPassword = env.OKD_LAB_STATS_PASSWORD;
  if (!statsPassword) throw new Error("the render's haproxy-secrets.env has no OKD_LAB_STATS_PASSWORD");
  return { label, stack, config, stackFile, plan, outDir, outputsFile: path.join(outDir, "outputs.json"), files, statsPassword };
}

/** `KEY=VALUE` lines as systemd's EnvironmentFile reads them (no quoting in these files). */
export function parseEnvFile(content: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of content.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
