/**
 * okd-lab: the Pulumi entry point. Configuration errors end the run with the list of problems,
 * before any resource is registered, and without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabConfigError } from "./config/labConfig";
import { createLab } from "./lab";

function main(): Record<string, unknown> {
  try {
    return createLab();
  } catch (err) {
    if (err instanceof LabConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

export = main();
