/**
 * What `npm run stop` and `npm run start` act on: the VMs the stack deployed (its `nodes`
 * output, the record of what exists), the libvirt connection of its config (`libvirt:uri`), the
 * kubeconfig and installer assets, and the plan for the infra node's readiness checks.
 *
 * Nothing outside the stack's `nodes` output is ever touched: a VM that is not listed there is
 * not ours, whatever its name.
 */
import * as path from "node:path";
import { parseLabConfig } from "../config/labConfig";
import { libvirtUriProblem } from "../config/libvirtUri";
import { UsageError } from "../offline/cli";
import { NODES_OUTPUT } from "../plan/changeGuard";
import { readStackConfig, splitStackConfig } from "../offline/stackFile";
import { buildLabPlan, LabPlan } from "../plan/labPlan";

/** A VM's role in the lab, as the `nodes` output spells it. */
export type LabVmRole = "infra" | "bootstrap" | "master" | "worker";

const ROLES: readonly LabVmRole[] = ["infra", "bootstrap", "master", "worker"];

/** One VM of the stack's `nodes` output. */
export interface LabVm {
  /** libvirt domain name, e.g. `okd-master`. */
  name: string;
  role: LabVmRole;
  /** e.g. `10.56.0.12`. */
  ip: string;
  /** The node name the kubelet registers, e.g. `master.okd-lab.okd.local`. */
  fqdn: string;
}

/** The deployed lab as stop and start see it, read from the stack. */
export interface LabInventory {
  stack: string;
  /** libvirt connection URI (`libvirt:uri`, else `LIBVIRT_DEFAULT_URI`). */
  libvirtUri: string;
  /** Every VM of the stack, in the `nodes` output's order. */
  vms: LabVm[];
  /** Absolute path of the cluster's admin kubeconfig. */
  kubeconfig: string;
  /** Absolute path of the installer's asset directory (`okd-lab:okd.assetsDir`). */
  assetsDir: string;
  /** The plan of the stack's config: infra address, cluster zone, NTP network. */
  plan: LabPlan;
}

/**
 * Reads the stack's outputs (`pulumi stack output --json`, secrets as `[secret]`): the parsed
 * document, or undefined when the stack does not exist; throws UsageError with pulumi's complaint.
 */
export type ReadOutputs = () => Promise<unknown>;

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * The VMs of a `nodes` output (`pulumi stack output --json`'s `nodes`).
 * @throws UsageError naming the stack and the entry when the output is missing or malformed.
 */
export function parseNodesOutput(stack: string, outputs: unknown): LabVm[] {
  // Strict, unlike the change guard's reader (plan/changeGuard.ts), which leaves out entries it
  // cannot read: a VM skipped here would be left running, or started out of order.
  const nodes = (outputs as Record<string, unknown> | null)?.[NODES_OUTPUT];
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new UsageError(`stack ${stack} has no 'nodes' output: nothing was deployed yet (npm run up), or the stack name is wrong`);
  }
  return nodes.map((entry, i) => {
    const n = entry as Partial<Record<keyof LabVm, unknown>>;
    const ok =
      typeof n?.name === "string" &&
      n.name !== "" &&
      typeof n.role === "string" &&
      (ROLES as readonly string[]).includes(n.role) &&
      typeof n.ip === "string" &&
      typeof n.fqdn === "string";
    if (!ok) throw new UsageError(`stack ${stack}: nodes[${i}] = ${describe(entry)} is not {name, role, ip, fqdn} with role ${ROLES.join("|")}`);
    return { name: n.name as string, role: n.role as LabVmRole, ip: n.ip as string, fqdn: n.fqdn as string };
  });
}

/**
 * Reads the deployed lab of `stack`: its outputs through `readOutputs`, its config from
 * `<cwd>/Pulumi.<stack>.yaml`.
 * @throws UsageError when the stack has no outputs, no libvirt URI, or its config no longer
 *   describes the infra node that was deployed.
 */
export async function readLabInventory(stack: string, readOutputs: ReadOutputs, cwd: string, env: NodeJS.ProcessEnv): Promise<LabInventory> {
  const { config } = readStackConfig(path.join(cwd, `Pulumi.${stack}.yaml`));
  const { raw, libvirtUri: configUri } = splitStackConfig(config);
  const libvirtUri = configUri ?? (env.LIBVIRT_DEFAULT_URI || undefined);
  if (!libvirtUri) {
    throw new UsageError(
      `libvirt:uri is not set in Pulumi.${stack}.yaml and LIBVIRT_DEFAULT_URI is empty. Fix: pulumi config set libvirt:uri qemu:///system --stack ${stack}`,
    );
  }
  const uriProblem = libvirtUriProblem(libvirtUri, configUri ? "libvirt:uri" : "LIBVIRT_DEFAULT_URI");
  if (uriProblem) throw new UsageError(uriProblem);
  const labConfig = parseLabConfig(raw, stack).config;
  const plan = buildLabPlan(labConfig);
  const outputs = await readOutputs();
  const vms = parseNodesOutput(stack, outputs);
  const infra = vms.filter((vm) => vm.role === "infra");
  if (infra.length !== 1) throw new UsageError(`stack ${stack}: the nodes output lists ${infra.length} infra nodes, expected 1`);
  if (infra[0].ip !== plan.infra.ip || infra[0].name !== plan.infra.domainName) {
    throw new UsageError(
      `stack ${stack}: the deployed infra node is ${infra[0].name} at ${infra[0].ip}, but Pulumi.${stack}.yaml now describes ${plan.infra.domainName} at ${plan.infra.ip}. ` +
        "Fix: run 'npm run up' to apply the config first, or restore the config.",
    );
  }
  const assetsDir = path.resolve(cwd, labConfig.okd.assetsDir);
  const kubeconfigOutput = (outputs as { kubeconfig?: unknown }).kubeconfig;
  const kubeconfig = typeof kubeconfigOutput === "string" && kubeconfigOutput !== "" ? kubeconfigOutput : path.join(assetsDir, "auth", "kubeconfig");
  return { stack, libvirtUri, vms, kubeconfig, assetsDir, plan };
}
