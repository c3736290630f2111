/**
 * When was the cluster installed, and is it still younger than its first certificate rotation?
 *
 * The installer signs the kubelets' first certificates with its `kubelet-signer`, valid one day
 * from the moment the assets are generated (openshift/installer pkg/asset/tls/kubelet.go,
 * `ValidityOneDay`); the cluster replaces them before that. A cluster stopped inside that first day
 * and started after it comes back with expired kubelet certificates and node-bootstrapper CSRs that
 * nobody approves (openshift/installer #818; openshift-docs "Shutting down the cluster
 * gracefully", PR #40238 on the 24-hour note).
 *
 * Two witnesses: the installer assets (okd-lab's own `generated-at` record, else the installer's
 * state file) and the cluster API (`ClusterVersion` `version`'s creationTimestamp: the object
 * cluster-bootstrap creates during bootstrap). The later one wins: it is never earlier than the
 * certificates it implies, so the refusal errs on the safe side.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RECORD_DIR } from "../ignition/installerScript";

/** Hours from asset generation until the installer's first certificates expire. */
export const FIRST_ROTATION_HOURS = 24;

/** One witness of the install time. */
export interface InstallTime {
  at: Date;
  /** Where it was read, e.g. `.okd/dev/.okd-lab/generated-at` or `the cluster API (clusterversion/version created)`. */
  source: string;
}

/** What {@link judgeClusterAge} decided. */
export type ClusterAge =
  /** No installer assets: nothing was installed, no certificates to protect. */
  | { kind: "none"; detail: string }
  | { kind: "young"; installed: InstallTime; rotationDue: Date; detail: string }
  | { kind: "old"; installed: InstallTime; detail: string };

/**
 * The install time the assets in `assetsDir` tell: okd-lab's `generated-at` record, else the
 * modification time of `.openshift_install_state.json`, else of `auth/kubeconfig`.
 */
export function assetsInstallTime(assetsDir: string): InstallTime | undefined {
  const record = path.join(assetsDir, RECORD_DIR, "generated-at");
  if (fs.existsSync(record)) {
    const at = new Date(fs.readFileSync(record, "utf8").trim());
    if (!Number.isNaN(at.getTime())) return { at, source: record };
  }
  for (const file of [path.join(assetsDir, ".openshift_install_state.json"), path.join(assetsDir, "auth", "kubeconfig")]) {
    if (fs.existsSync(file)) return { at: fs.statSync(file).mtime, source: `${file} (modified)` };
  }
  return undefined;
}

/** The `oc` arguments that print when the cluster's ClusterVersion was created. */
export const CLUSTER_CREATED_ARGS = ["get", "clusterversion", "version", "-o", "jsonpath={.metadata.creationTimestamp}"];

/** Reads `oc`'s answer to {@link CLUSTER_CREATED_ARGS}; undefined when it is not an RFC 3339 time. */
export function parseClusterCreated(stdout: string): InstallTime | undefined {
  const text = stdout.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text)) return undefined;
  return { at: new Date(text), source: "the cluster API (clusterversion/version created)" };
}

function hoursBetween(a: Date, b: Date): string {
  return ((b.getTime() - a.getTime()) / 3_600_000).toFixed(1);
}

/**
 * Decides from the witnesses whether the cluster is younger than {@link FIRST_ROTATION_HOURS}.
 * Pure: `now` is given.
 */
export function judgeClusterAge(witnesses: { assets?: InstallTime; api?: InstallTime }, now: Date, hours = FIRST_ROTATION_HOURS): ClusterAge {
  const known = [witnesses.assets, witnesses.api].filter((w): w is InstallTime => w !== undefined);
  if (known.length === 0) return { kind: "none", detail: "no installer assets and no answer from the cluster API: no cluster certificates to protect" };
  const installed = known.reduce((a, b) => (b.at.getTime() > a.at.getTime() ? b : a));
  const rotationDue = new Date(installed.at.getTime() + hours * 3_600_000);
  const detail = `installed ${installed.at.toISOString()} (${installed.source}), ${hoursBetween(installed.at, now)} h ago`;
  if (now.getTime() < rotationDue.getTime()) return { kind: "young", installed, rotationDue, detail };
  return { kind: "old", installed, detail };
}
