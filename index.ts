/**
 * okd-lab: the Pulumi entry point. Configuration errors, and a boot image the host cannot run, end
 * the run before any resource is registered, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabConfigError } from "./config/labConfig";
import { BootImageError } from "./host/bootImageChoice";
import { createLab, prepareLab } from "./lab";

async function main(): Promise<Record<string, unknown>> {
  try {
    // Host facts first (the installer's boot image, the CPU), then every resource.
    return createLab(await prepareLab());
  } catch (err) {
    if (err instanceof LabConfigError || err instanceof BootImageError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

export = main();
