/**
 * npm run preflight -- [--stack NAME | --stack-file PATH]
 *
 * Checks this machine before `pulumi up` (scripts/up.sh runs it first): prints one line per check
 * with the fix, then a summary. Exit status 0 when nothing failed (warnings allowed), 1 when a
 * check failed, 2 when the arguments or the stack configuration are invalid.
 */
import * as fs from "node:fs";
import { parseLabConfig } from "../config/labConfig";
import { realHostProbe } from "../host/hostProbe";
import { formatResult, formatSummary, PreflightResult, runPreflight } from "../host/preflight";
import { checkPulumiCli, pinnedPulumiVersion } from "../host/pulumiCliCheck";
import { readFlags, runCli, UsageError } from "../offline/cli";
import { readStackConfig, splitStackConfig, stackAndFile } from "../offline/stackFile";

const USAGE = "usage: npm run preflight -- [--stack NAME | --stack-file PATH]   (default: --stack dev)";

export interface PreflightOptions {
  stack: string;
  stackFile: string;
}

export function parseArgs(argv: string[]): PreflightOptions {
  const { values } = readFlags(argv, { values: ["stack", "stack-file"] });
  return stackAndFile(values["stack-file"] ? values.stack : (values.stack ?? "dev"), values["stack-file"]);
}

export { splitStackConfig };

function main(): number {
  const options = parseArgs(process.argv.slice(2));
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
  const probe = realHostProbe();
  const results: PreflightResult[] = [
    ...warnings.map((w): PreflightResult => ({ check: "config", status: "warn", detail: w })),
    checkPulumiCli(process.env, pinnedPulumiVersion(), probe),
    ...runPreflight(config, uri, probe),
  ];
  console.log(`preflight for stack ${options.stack} (${options.stackFile})`);
  for (const result of results) console.log(formatResult(result));
  console.log(formatSummary(results));
  return results.some((r) => r.status === "fail") ? 1 : 0;
}

runCli(module, USAGE, main);
