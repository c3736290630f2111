/**
 * npm run preflight -- [--stack NAME | --stack-file PATH]
 *
 * Checks this machine before `pulumi up` (scripts/up.sh runs it first): prints one line per check
 * with the fix, then a summary. Exit status 0 when nothing failed (warnings allowed), 1 when a
 * check failed, 2 when the arguments or the stack configuration are invalid.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LabConfigError, parseLabConfig, RawLabConfig } from "../config/labConfig";
import { realHostProbe } from "../host/hostProbe";
import { formatResult, formatSummary, PreflightResult, runPreflight } from "../host/preflight";
import { readStackConfig, UsageError } from "../offline/stackFile";

const USAGE = "usage: npm run preflight -- [--stack NAME | --stack-file PATH]   (default: --stack dev)";

class HelpRequest extends Error {}

export interface PreflightOptions {
  stack: string;
  stackFile: string;
}

export function parseArgs(argv: string[]): PreflightOptions {
  let stack: string | undefined;
  let stackFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--stack":
        stack = value();
        break;
      case "--stack-file":
        stackFile = value();
        break;
      case "--help":
      case "-h":
        throw new HelpRequest(USAGE);
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  if (stack && stackFile) throw new UsageError("give --stack or --stack-file, not both");
  const file = stackFile ?? `Pulumi.${stack ?? "dev"}.yaml`;
  const name =
    stack ??
    path
      .basename(file)
      .replace(/^Pulumi\./, "")
      .replace(/\.ya?ml$/, "");
  return { stack: name, stackFile: file };
}

/** The `okd-lab:*` values keyed without the namespace, and `libvirt:uri`. */
export function splitStackConfig(config: Record<string, unknown>): { raw: RawLabConfig; libvirtUri?: string } {
  const raw: RawLabConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith("okd-lab:")) raw[key.slice("okd-lab:".length)] = value;
  }
  const uri = config["libvirt:uri"];
  return { raw, libvirtUri: typeof uri === "string" && uri !== "" ? uri : undefined };
}

function main(): number {
  let options: PreflightOptions;
  try {
    options = parseArgs(process.argv.slice(2));
    if (!fs.existsSync(options.stackFile)) throw new UsageError(`stack file ${options.stackFile} not found`);
    let stackConfig: Record<string, unknown>;
    try {
      // Encrypted values (the pull secret) are dropped: no check reads them.
      stackConfig = readStackConfig(options.stackFile).config;
    } catch (err) {
      throw new UsageError(`cannot read ${options.stackFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const { raw, libvirtUri } = splitStackConfig(stackConfig);
    const { config, warnings } = parseLabConfig(raw, options.stack);
    // The provider falls back to LIBVIRT_DEFAULT_URI when the stack sets no libvirt:uri.
    const uri = libvirtUri ?? (process.env.LIBVIRT_DEFAULT_URI || undefined);
    const results: PreflightResult[] = [
      ...warnings.map((w): PreflightResult => ({ check: "config", status: "warn", detail: w })),
      ...runPreflight(config, uri, realHostProbe()),
    ];
    console.log(`preflight for stack ${options.stack} (${options.stackFile})`);
    for (const result of results) console.log(formatResult(result));
    console.log(formatSummary(results));
    return results.some((r) => r.status === "fail") ? 1 : 0;
  } catch (err) {
    if (err instanceof HelpRequest) {
      console.log(err.message);
      return 0;
    }
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof LabConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  try {
    process.exit(main());
  } catch (err) {
    console.error(err instanceof Error ? `preflight: ${err.message}` : err);
    process.exit(1);
  }
}
