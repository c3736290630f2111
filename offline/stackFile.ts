/**
 * Reads a stack file (`Pulumi.<stack>.yaml`) without Pulumi: the offline render, preflight, bench
 * and verify take the stack's configuration from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** A mistake in a command's arguments or files: printed as a message, never a stack trace. */
export class UsageError extends Error {}

/** Reads a stack file's `config:` map. Encrypted values cannot be read offline and are dropped. */
export function readStackConfig(file: string): { config: Record<string, unknown>; notes: string[] } {
  if (!fs.existsSync(file)) throw new UsageError(`stack file ${file} not found`);
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const notes: string[] = [];
  const strip = (key: string, value: unknown): unknown => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      if (typeof obj.secure === "string" && Object.keys(obj).length === 1) {
        notes.push(`${key} is encrypted in ${file}; the offline render uses its default instead`);
        return undefined;
      }
      return Object.fromEntries(
        Object.entries(obj)
          .map(([k, v]) => [k, strip(`${key}.${k}`, v)])
          .filter(([, v]) => v !== undefined),
      );
    }
    if (Array.isArray(value)) return value.map((v, i) => strip(`${key}[${i}]`, v));
    return value;
  };
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const v = strip(key, value);
    if (v !== undefined) config[key] = v;
  }
  return { config, notes };
}

/** The `okd-lab:*` values keyed without the namespace, and `libvirt:uri`. */
export function splitStackConfig(config: Record<string, unknown>): { raw: Record<string, unknown>; libvirtUri?: string } {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith("okd-lab:")) raw[key.slice("okd-lab:".length)] = value;
  }
  const uri = config["libvirt:uri"];
  return { raw, libvirtUri: typeof uri === "string" && uri !== "" ? uri : undefined };
}

/** The stack name and its file from `--stack NAME` or `--stack-file PATH` (`Pulumi.<name>.yaml`). */
export function stackAndFile(stack: string | undefined, stackFile: string | undefined): { stack: string; stackFile: string } {
  if (stack && stackFile) throw new UsageError("give --stack or --stack-file, not both");
  if (!stack && !stackFile) throw new UsageError("give --stack NAME or --stack-file PATH");
  const file = stackFile ?? `Pulumi.${stack}.yaml`;
  const name =
    stack ??
    path
      .basename(file)
      .replace(/^Pulumi\./, "")
      .replace(/\.ya?ml$/, "");
  return { stack: name, stackFile: file };
}
