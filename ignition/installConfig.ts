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
 * @param sshPublicKeys OpenSSH public key lines, e.g. `["ssh-ed25519 AAAA... you@host"]`; every one is
 *   authorized for `core` on every node.
 * @returns the YAML text, e.g. `apiVersion: v1\nbaseDomain: okd.local\n...`.
 */
export function renderInstallConfig(plan: LabPlan, okd: OkdConfig, sshPublicKeys: readonly string[]): string {
  if (sshPublicKeys.length === 0) throw new Error("renderInstallConfig: at least one SSH public key is needed (the lab's own)");
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
    // One key per line: the installer writes sshKey as is into the MachineConfigs 99-master-ssh and
    // 99-worker-ssh, from which the machine-config daemon rewrites core's authorized_keys, so a
    // key only in a node's own Ignition disappears. OKD 4.x validates each line
    // (openshift/installer #9770 splits sshKey on newlines).
    sshKey: sshPublicKeys.map((k) => k.trim()).join("\n"),
  };
  // lineWidth 0: never fold the pull secret or the SSH key across lines.
  return stringify(config, { lineWidth: 0 });
}
