/**
 * The one module that reads Pulumi configuration. Everything else receives a `LabConfig`.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseLabConfig, ParseResult, RawLabConfig } from "./labConfig";

const NAMESPACE = "okd-lab";

/**
 * Collects every `okd-lab:*` key of the stack, parses the structured values and validates them.
 * Raw values are read with `pulumi.runtime.getConfig`-level access so that a key holding a nested
 * secret (e.g. `okd.pullSecret` set with `--secret --path`) is read without Pulumi's plain-read
 * warning; the program wraps the secret parts in `pulumi.secret` itself.
 */
export function readLabConfig(): ParseResult {
  const raw: RawLabConfig = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, key] = splitKey(fullKey);
    if (namespace !== NAMESPACE) continue;
    raw[key] = parseValue(value);
  }
  return parseLabConfig(raw, pulumi.getStack());
}

/** `libvirt:uri`, or undefined to let the provider use LIBVIRT_DEFAULT_URI / its default. */
export function readLibvirtUri(): string | undefined {
  return pulumi.runtime.getConfig("libvirt:uri");
}

function splitKey(fullKey: string): [string, string] {
  // The engine hands keys over as "namespace:key"; older runtimes used "namespace:config:key".
  const parts = fullKey.split(":");
  return [parts[0], parts[parts.length - 1]];
}

/** Structured values arrive as JSON text; plain strings stay strings and fail validation by type. */
function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
