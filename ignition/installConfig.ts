/**
 * install-config.yaml for `openshift-install` on user-provisioned infrastructure, platform `none`.
 *
 * Pure: the plan and the OKD settings in, the YAML text out. The result holds the pull secret, so
 * callers treat it as a secret.
 */
import { stringify } from "yaml";
import { OkdConfig } from "../config/labConfig";
import { LabPlan } from "../plan/labPlan";

/**
 * Renders install-config.yaml for the lab.
 *
 * `controlPlane.replicas` counts the plan's `master` nodes (the bootstrap is never a master);
 * `compute[0].replicas` is 0 because on platform `none` workers are not machines the installer
 * creates: this program boots them itself (openshift-docs, installation-bare-metal-config-yaml).
 * @param plan the lab plan; `cluster`, `network.cidr` and the master count are read.
 * @param okd network type, cluster/service networks and pull secret from stack config.
 * @param sshPublicKey one OpenSSH public key line, e.g. `ssh-ed25519 AAAA... you@host`; installed for `core`.
 * @returns the YAML text, e.g. `apiVersion: v1\nbaseDomain: okd.local\n...`.
 */
export function renderInstallConfig(plan: LabPlan, okd: OkdConfig, sshPublicKey: string): string {
  const masters = plan.nodes.filter((n) => n.role === "master").length;
  const config = {
    apiVersion: "v1",
    baseDomain: plan.cluster.baseDomain,
    // Workers join as UPI nodes; with 0 replicas the installer makes masters schedulable, which
    // the scheduler manifest undoes when the lab has workers (see machineConfigs.ts).
    compute: [{ name: "worker", hyperthreading: "Enabled", replicas: 0 }],
    controlPlane: { name: "master", hyperthreading: "Enabled", replicas: masters },
    metadata: { name: plan.cluster.name },
    networking: {
      // Explicit: the installer's default network type changed between releases.
      networkType: okd.networkType,
      clusterNetwork: okd.clusterNetwork.map((c) => ({ cidr: c.cidr, hostPrefix: c.hostPrefix })),
      serviceNetwork: [...okd.serviceNetwork],
      // The installer defaults to 10.0.0.0/16; node IPs must fall inside machineNetwork.
      machineNetwork: [{ cidr: plan.network.cidr }],
    },
    platform: { none: {} },
    pullSecret: okd.pullSecret,
    sshKey: sshPublicKey,
  };
  // lineWidth 0: never fold the pull secret or the SSH key across lines.
  return stringify(config, { lineWidth: 0 });
}
