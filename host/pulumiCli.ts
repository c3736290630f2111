/**
 * The Pulumi CLI as `npm run up` (and any other script) drives it: `pulumi` by name, with the
 * local file backend of scripts/pulumiEnv.sh, one stack, and the preview read as data.
 *
 * `pulumi` by name: under `npm run`, node_modules/.bin comes first on PATH, so the pinned npm
 * package `pulumi` answers (see the README, "The Pulumi CLI").
 */
import { PreviewStep } from "./previewGuard";
import { ProgramResult, runProgram } from "./runProgram";

/** A pulumi command that failed: its arguments, exit status and last words. */
export class PulumiCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: ProgramResult,
  ) {
    super(`pulumi ${args.join(" ")} exited with ${result.code}: ${lastLines(result.stderr || result.stdout, 5) || "(no output)"}`);
  }
}

/** The last `n` non-empty lines of a text, joined with "; ". */
export function lastLines(text: string, n: number): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-n)
    .join("; ");
}

/**
 * The environment every pulumi command of this project runs with: the local file backend unless
 * one is set (as scripts/pulumiEnv.sh does) and no update check against api.pulumi.com (offline
 * hosts; the version is pinned anyway). The passphrase stays whatever the caller has.
 */
export function pulumiEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL || "file://~", PULUMI_SKIP_UPDATE_CHECK: "true" };
}

/** What a preview found: its steps and the messages of its error and warning diagnostics. */
export interface PreviewResult {
  steps: PreviewStep[];
  errors: string[];
  /** e.g. the program's own warnings, or Pulumi's about pending operations of an interrupted update. */
  warnings?: string[];
}

/** The stack operations `npm run up` needs; {@link PulumiCli} runs them with the CLI. */
export interface LabStack {
  /** The stack's name, e.g. `dev`. */
  readonly name: string;
  /**
   * Selects the stack, creating it (passphrase secrets provider) when it does not exist. The first
   * pulumi command on a host is also where the npm wrapper downloads the CLI: its lines are streamed.
   */
  ensure(onLine?: (line: string) => void): Promise<void>;
  /** The stack's outputs, secrets as `[secret]`; undefined when the stack does not exist. */
  outputs(): Promise<Record<string, unknown> | undefined>;
  preview(onLine: (line: string) => void): Promise<PreviewResult>;
  /** Applies the update without a second preview; streams Pulumi's progress. */
  up(onLine: (line: string) => void): Promise<void>;
  /** `pulumi config set --path key value` in the stack's config file. */
  setConfig(path: string, value: string): Promise<void>;
}

/** Reads the `PreviewDigest` document `pulumi preview --json` prints (pulumi pkg/display/json.go). */
export function parsePreviewDigest(stdout: string): PreviewResult {
  let doc: { steps?: PreviewStep[]; diagnostics?: { message?: string; severity?: string }[] };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new Error(`pulumi preview --json printed no JSON document: ${lastLines(stdout, 3) || "(nothing)"}`);
  }
  const steps = (doc.steps ?? []).map((s) => ({ op: s.op, urn: s.urn, replaceReasons: s.replaceReasons, diffReasons: s.diffReasons }));
  const messages = (severity: string) => (doc.diagnostics ?? []).filter((d) => d.severity === severity && d.message).map((d) => d.message!.trim());
  return { steps, errors: messages("error"), warnings: messages("warning") };
}

export interface PulumiCliOptions {
  stack: string;
  /** The project directory (Pulumi.yaml). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The CLI to run; default `pulumi` on PATH. */
  pulumi?: string;
}

/** {@link LabStack} through the Pulumi CLI. */
export class PulumiCli implements LabStack {
  readonly name: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly pulumi: string;

  constructor(private readonly options: PulumiCliOptions) {
    this.name = options.stack;
    this.env = pulumiEnv(options.env);
    this.pulumi = options.pulumi ?? "pulumi";
  }

  /** Runs `pulumi args` and returns its result, whatever its exit status. */
  run(args: string[], onLine?: (line: string) => void): Promise<ProgramResult> {
    return runProgram(this.pulumi, args, { env: this.env, cwd: this.options.cwd, onLine: onLine && ((line) => onLine(line)) });
  }

  private async ok(args: string[], onLine?: (line: string) => void): Promise<ProgramResult> {
    const result = await this.run(args, onLine);
    if (result.code !== 0) throw new PulumiCommandError(args, result);
    return result;
  }

  async ensure(onLine?: (line: string) => void): Promise<void> {
    const args = ["stack", "select", this.name, "--non-interactive"];
    // A missing stack is expected on the first run: that line is not shown, the creation is.
    const select = await this.run(args, onLine && ((line) => /no stack named/.test(line) || onLine(line)));
    if (select.code === 0) return;
    if (select.code === 127) {
      throw new Error(`the Pulumi CLI (${this.pulumi}) is not on PATH: run npm ci, then npm run up (npm run puts node_modules/.bin/pulumi first on PATH)`);
    }
    // Only a missing stack is created; anything else (the CLI's first-use download, the backend) is reported as it is.
    if (!/no stack named/.test(select.stderr)) throw new PulumiCommandError(args, select);
    await this.ok(["stack", "init", this.name, "--secrets-provider", "passphrase", "--non-interactive"], onLine);
  }

  async outputs(): Promise<Record<string, unknown> | undefined> {
    const result = await this.run(["stack", "output", "--json", "--stack", this.name, "--non-interactive"]);
    if (result.code !== 0) {
      if (/no stack named|not found/i.test(result.stderr)) return undefined;
      throw new PulumiCommandError(["stack", "output", "--json", "--stack", this.name], result);
    }
    return JSON.parse(result.stdout || "{}") as Record<string, unknown>;
  }

  async preview(onLine: (line: string) => void): Promise<PreviewResult> {
    const args = ["preview", "--json", "--stack", this.name, "--non-interactive"];
    // stdout is the JSON document; stderr carries the engine's own messages, streamed.
    const result = await this.run(args, undefined);
    for (const line of result.stderr.split("\n")) if (line.trim() !== "") onLine(line);
    let parsed: PreviewResult | undefined;
    try {
      parsed = parsePreviewDigest(result.stdout);
    } catch (err) {
      if (result.code === 0) throw err;
    }
    if (result.code !== 0) {
      const why = parsed?.errors.length ? parsed.errors.join("; ") : lastLines(result.stderr || result.stdout, 5);
      throw new PulumiCommandError(args, { ...result, stderr: why });
    }
    return parsed!;
  }

  async up(onLine: (line: string) => void): Promise<void> {
    await this.ok(["up", "--yes", "--skip-preview", "--stack", this.name, "--non-interactive"], onLine);
  }

  async setConfig(path: string, value: string): Promise<void> {
    // With --path, "true" and "false" are stored as booleans (pulumi pkg/cmd/pulumi/config/config.go, `config set` help).
    await this.ok(["config", "set", "--path", path, value, "--stack", this.name, "--non-interactive"]);
  }
}
