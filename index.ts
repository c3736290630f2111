/**
 * okd-lab: the Pulumi entry point. The program awaits what it must know about the host and the
 * stack before it registers anything (previous outputs, the boot image, the CPU); configuration
 * errors, a boot image the host cannot run and refused changes end the run with their message,
 * before any resource is registered, and without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabConfigError } from "./config/labConfig";
import { BootImageError } from "./host/bootImageChoice";
import { createLab } from "./lab";

async function main(): Promise<Record<string, unknown>> {
  try {
    return await createLab();
  } catch (err) {
    if (err instanceof LabConfigError || err instanceof BootImageError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

export = main();
