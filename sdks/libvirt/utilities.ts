// Shared helpers for the hand-written libvirt v0.5.4 bindings.
import * as pulumi from "@pulumi/pulumi";

/** Package name of the provider plugin (`pulumi-resource-libvirt`). */
export const PACKAGE_NAME = "libvirt";

/**
 * Provider plugin version these bindings are written against. Every resource
 * registers with it so the engine selects (and, if missing, downloads) plugin
 * libvirt 0.5.4, whose schema is what the typings here describe.
 */
export const PROVIDER_VERSION = "0.5.4";

/** The option defaults every resource of this package registers with. */
export function resourceOptsDefaults(): { version: string } {
  return { version: PROVIDER_VERSION };
}

/**
 * Returns a copy of `opts` with `version: "0.5.4"` pinned.
 *
 * The version always wins over a caller-supplied one: the typings describe the
 * 0.5.4 schema only. `pluginDownloadURL` is left as the caller gave it (unset by
 * default, so the engine uses the GitHub release of pulumi/pulumi-libvirt).
 */
export function withVersion<T extends pulumi.ResourceOptions>(opts?: T): T {
  const merged = pulumi.mergeOptions(resourceOptsDefaults(), opts ?? {}) as T;
  merged.version = PROVIDER_VERSION;
  return merged;
}

/** First non-empty value among the named environment variables. */
export function getEnv(...vars: string[]): string | undefined {
  for (const v of vars) {
    const value = process.env[v];
    if (value) {
      return value;
    }
  }
  return undefined;
}
