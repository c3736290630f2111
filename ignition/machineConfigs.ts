/**
 * Manifests this program adds to the installer's asset directory between `openshift-install create
 * manifests` and `create ignition-configs`: chrony MachineConfigs and the default IngressController.
 *
 * Pure: the plan in, YAML texts out.
 */
import { stringify } from "yaml";
import { LabPlan } from "../plan/labPlan";
import { renderChronyClientConf } from "../render/chronyConf";
import { IGNITION_VERSION } from "./nodeIgnition";

/** A file to write into the asset directory; `path` is relative to it, e.g. `openshift/99-master-chrony.yaml`. */
export interface InstallerManifest {
  /** Path relative to the asset directory, e.g. `manifests/cluster-ingress-default-ingresscontroller.yaml`. */
  path: string;
  /** YAML text. */
  content: string;
}

/** The machine-config pools a MachineConfig can target here. */
export type MachineConfigRole = "master" | "worker";

/**
 * Renders the MachineConfig `99-<role>-chrony` that writes `/etc/chrony.conf` on every node of a pool.
 *
 * Shape from openshift-docs (installation-special-config-chrony): Ignition 3.2.0 inside
 * `spec.config`, mode 420 (0644), `overwrite: true` because FCOS ships its own chrony.conf.
 * @param role the pool, `master` or `worker`.
 * @param chronyConf the chrony.conf text, e.g. `server 10.56.0.10 iburst\n...`.
 * @returns the YAML text of the MachineConfig, e.g. `apiVersion: machineconfiguration.openshift.io/v1\n...`.
 */
export function renderChronyMachineConfig(role: MachineConfigRole, chronyConf: string): string {
  const machineConfig = {
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfig",
    metadata: {
      name: `99-${role}-chrony`,
      // The machine-config operator selects configs for a pool by this label.
      labels: { "machineconfiguration.openshift.io/role": role },
    },
    spec: {
      config: {
        ignition: { version: IGNITION_VERSION },
        storage: {
          files: [
            {
              path: "/etc/chrony.conf",
              mode: 0o644,
              overwrite: true,
              contents: { source: `data:text/plain;charset=utf-8;base64,${Buffer.from(chronyConf, "utf8").toString("base64")}` },
            },
          ],
        },
      },
    },
  };
  return stringify(machineConfig, { lineWidth: 0 });
}

/**
 * Whether masters accept ordinary workloads: only when the lab has no workers.
 *
 * With `compute.replicas: 0` the installer marks masters schedulable; when workers exist the
 * scheduler manifest is set to `mastersSchedulable: false` (openshift-docs, UPI bare metal).
 * @param plan the lab plan.
 * @returns `true` for a lab without workers, e.g. `false` for the seed lab.
 */
export function mastersSchedulable(plan: LabPlan): boolean {
  return !plan.nodes.some((n) => n.role === "worker");
}

/**
 * Number of router replicas: one per node that serves ingress, i.e. per backend HAProxy sends
 * port 80 to (workers, or masters when there are none). Read from the plan so the router count and
 * the load balancer's backends cannot disagree.
 */
function routerReplicas(plan: LabPlan): number {
  const ingress = plan.loadBalancer.services.find((s) => s.name === "ingress-http");
  if (!ingress || ingress.servers.length === 0) throw new Error("the lab plan has no ingress-http backends");
  return ingress.servers.length;
}

/**
 * Renders the default IngressController with one router per ingress node.
 *
 * The operator's default is 2 replicas; with a single worker the second router never schedules and
 * the ingress cluster operator stays degraded, so the count is set at install time.
 */
function renderDefaultIngressController(plan: LabPlan): string {
  const ingressController = {
    apiVersion: "operator.openshift.io/v1",
    kind: "IngressController",
    metadata: { name: "default", namespace: "openshift-ingress-operator" },
    spec: { replicas: routerReplicas(plan) },
  };
  return stringify(ingressController, { lineWidth: 0 });
}

/**
 * The files to write into the asset directory after `create manifests`.
 *
 * MachineConfigs go to `openshift/` and cluster manifests to `manifests/`, as openshift-docs place
 * them; chrony on every node points at the infra node, the lab's NTP server.
 * @param plan the lab plan.
 * @returns e.g. `[{path: "openshift/99-master-chrony.yaml", content: "..."}, ...]`.
 */
export function installerManifests(plan: LabPlan): InstallerManifest[] {
  const chronyConf = renderChronyClientConf(plan.infra.ip);
  return [
    { path: "openshift/99-master-chrony.yaml", content: renderChronyMachineConfig("master", chronyConf) },
    { path: "openshift/99-worker-chrony.yaml", content: renderChronyMachineConfig("worker", chronyConf) },
    { path: "manifests/cluster-ingress-default-ingresscontroller.yaml", content: renderDefaultIngressController(plan) },
  ];
}
