/**
 * The preflight check for the Pulumi CLI that `npm ci` brings: the npm package `pulumi` is a
 * wrapper that runs `$PULUMI_HOME/versions/<version>/bin/pulumi` (PULUMI_HOME defaults to
 * ~/.pulumi; <version> is PULUMI_VERSION or the package's own) and, when that file is missing,
 * downloads get.pulumi.com/install.sh and runs it with `--install-root` that folder, which needs
 * curl and tar (npm package pulumi@3.250.0 lib/resolve.js, lib/cache.js, lib/download.js).
 */
import * as os from "node:os";
import * as path from "node:path";
import { HostProbe, PreflightResult } from "./preflight";

/** The version of the npm package `pulumi` installed beside the program, e.g. `3.250.0`. */
export function pinnedPulumiVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("pulumi/package.json") as { version: string }).version;
}

/** Where the wrapper looks for the CLI of `version`. */
export function pulumiCliPath(env: NodeJS.ProcessEnv, version: string): string {
  const home = env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
  return path.join(home, "versions", env.PULUMI_VERSION || version, "bin", "pulumi");
}

/** The CLI is there, or can be fetched on first use (curl and tar present). */
export function checkPulumiCli(env: NodeJS.ProcessEnv, version: string, probe: HostProbe): PreflightResult {
  const check = "pulumi-cli";
  const cli = pulumiCliPath(env, version);
  const wanted = env.PULUMI_VERSION || version;
  if (probe.stat(cli)?.kind === "file") return { check, status: "ok", detail: `${cli} (Pulumi CLI ${wanted}, run by the npm package pulumi)` };
  const missing = ["curl", "tar"].filter((t) => probe.which(t) === undefined);
  if (missing.length > 0) {
    return {
      check,
      status: "fail",
      detail: `${cli} is missing and ${missing.join(" and ")} (needed to fetch it on first use) ${missing.length > 1 ? "are" : "is"} not installed`,
      fix: `sudo dnf install ${missing.join(" ")}, or pre-seed ${path.dirname(cli)} from pulumi-v${wanted}-linux-x64.tar.gz (README, "The Pulumi CLI")`,
    };
  }
  return {
    check,
    status: "warn",
    detail: `${cli} is missing: the first pulumi command downloads Pulumi CLI ${wanted} from get.pulumi.com`,
    fix: `offline hosts: pre-seed ${path.dirname(cli)} from pulumi-v${wanted}-linux-x64.tar.gz (README, "The Pulumi CLI")`,
  };
}
