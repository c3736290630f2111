/**
 * What the command-line scripts (render, preflight, verify) share: reading their flags and running
 * `main` so that expected errors print a message and an exit code, never a stack trace.
 */
import { LabConfigError } from "../config/labConfig";
import { BootImageError } from "../host/bootImageChoice";
import { UsageError } from "./stackFile";

export { UsageError };

/** `--help` or `-h`: print the usage and exit 0. */
export class HelpRequest extends Error {}

export interface ParsedFlags {
  /** Flags that take a value, by name without the dashes. */
  values: Record<string, string>;
  /** Flags without a value that were given. */
  switches: Set<string>;
}

/**
 * Reads `--name value` and `--switch` arguments.
 * @throws UsageError for an unknown argument or a missing value; HelpRequest for --help / -h.
 */
export function readFlags(argv: readonly string[], spec: { values: readonly string[]; switches?: readonly string[] }): ParsedFlags {
  const parsed: ParsedFlags = { values: {}, switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new HelpRequest();
    const name = arg.replace(/^--/, "");
    if (arg.startsWith("--") && spec.values.includes(name)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      parsed.values[name] = value;
    } else if (arg.startsWith("--") && spec.switches?.includes(name)) {
      parsed.switches.add(name);
    } else {
      throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return parsed;
}

/**
 * Runs a script's `main` when the file is executed: usage and configuration errors print their
 * message (with the usage line) and exit 2; anything else is a bug and keeps its stack trace.
 */
export function runCli(module: NodeJS.Module, usage: string, main: () => Promise<number> | number): void {
  if (require.main !== module) return;
  Promise.resolve()
    .then(main)
    .then(
      (code) => process.exit(code),
      (err: unknown) => {
        if (err instanceof HelpRequest) {
          console.log(usage);
          process.exit(0);
        }
        if (err instanceof UsageError) {
          console.error(`${err.message}\n${usage}`);
          process.exit(2);
        }
        // Pulumi's RunError (an expected failure, e.g. assets that do not match) carries this marker.
        const isRunError = typeof err === "object" && err !== null && (err as { __pulumiRunError?: boolean }).__pulumiRunError === true;
        if (err instanceof LabConfigError || err instanceof BootImageError || isRunError) {
          console.error((err as Error).message);
          process.exit(2);
        }
        console.error(err);
        process.exit(1);
      },
    );
}
