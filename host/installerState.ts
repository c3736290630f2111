/**
 * What the host already holds for this cluster: the install-config the assets were generated
 * from, and when. Read before any resource is registered, so a change that would need new assets
 * fails (or warns) up front instead of half-way through an update.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { RECORD_DIR } from "../ignition/installerScript";

export type InstallConfigDrift =
  /** No assets yet: the installer step will generate them. */
  | { kind: "none" }
  | { kind: "same"; generatedAt?: Date }
  /** Only the control-plane size changed: the new masters get DNS and backends, etcd is the user's job. */
  | { kind: "masters"; was: number; now: number; generatedAt?: Date }
  | { kind: "changed"; fields: string[] };

/** The parts of install-config.yaml that cannot change under a live cluster (sshKey is the lab's own key). */
function comparable(text: string): Record<string, unknown> {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const { sshKey: _sshKey, ...rest } = doc;
  return rest;
}

function replicas(doc: Record<string, unknown>): number {
  const cp = doc.controlPlane as { replicas?: number } | undefined;
  return cp?.replicas ?? 0;
}

/** Top-level keys whose values differ between two parsed documents. */
function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Compares the recorded install-config (if any) in `assetsDir` with the one the stack renders now. */
export function installConfigDrift(assetsDir: string, installConfig: string): InstallConfigDrift {
  const recordDir = path.join(assetsDir, RECORD_DIR);
  const recordedPath = path.join(recordDir, "install-config.yaml");
  if (!fs.existsSync(recordedPath)) return { kind: "none" };
  const stamp = path.join(recordDir, "generated-at");
  const generatedAt = fs.existsSync(stamp) ? new Date(fs.readFileSync(stamp, "utf8").trim()) : undefined;
  const was = comparable(fs.readFileSync(recordedPath, "utf8"));
  const now = comparable(installConfig);
  const fields = differingFields(was, now);
  if (fields.length === 0) return { kind: "same", generatedAt };
  const wasNoReplicas = { ...was, controlPlane: { ...(was.controlPlane as object), replicas: 0 } };
  const nowNoReplicas = { ...now, controlPlane: { ...(now.controlPlane as object), replicas: 0 } };
  if (differingFields(wasNoReplicas, nowNoReplicas).length === 0) {
    return { kind: "masters", was: replicas(was), now: replicas(now), generatedAt };
  }
  return { kind: "changed", fields };
}

/**
 * The installer step writes, and on a fresh generation removes, `manifests/`, `openshift/` and
 * `install-config.yaml` in `okd.assetsDir`: it must be a folder of its own, absent, empty or
 * holding this lab's record (`.okd-lab/`, written first by the installer script).
 *
 * @param stack the stack name, for the example in the fix.
 * @returns the error message, or undefined when the folder is fit.
 */
export function assetsDirProblem(assetsDir: string, stack: string): string | undefined {
  const key = `okd-lab:okd.assetsDir = ${JSON.stringify(assetsDir)}`;
  const fix = `Fix: point okd-lab:okd.assetsDir at a new or empty folder, e.g. .okd/${stack}.`;
  if (!fs.existsSync(assetsDir)) return undefined;
  if (!fs.statSync(assetsDir).isDirectory()) return `${key}: is not a folder. ${fix}`;
  const entries = fs.readdirSync(assetsDir).sort();
  if (entries.length === 0 || entries.includes(RECORD_DIR)) return undefined;
  const shown = entries.length > 5 ? [...entries.slice(0, 5), `and ${entries.length - 5} more`] : entries;
  return (
    `${key}: holds files that are not this lab's installer assets (${shown.join(", ")}); ` +
    `the installer step writes and removes manifests/, openshift/ and install-config.yaml there. ${fix}`
  );
}
