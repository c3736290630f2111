/**
 * `npm run stop` and `npm run start`: power the stack's VMs off and on in the order the cluster
 * needs, without deleting anything and without touching a VM the stack does not hold.
 *
 * Stop: workers, masters, the bootstrap, the infra node last; each group gets an ACPI shutdown and
 * a bounded wait for "shut off"; a cluster younger than its first certificate rotation is refused
 * unless forced. Start: the infra node first, until it serves DNS, the load balancer and NTP; then
 * the bootstrap and the masters, then the workers; then the CSR approval of this stack's nodes
 * until every node is Ready; then what is not available yet.
 *
 * Everything on the outside (virsh, the probe, oc, the CSR approval, the clock) comes in through
 * {@link PowerHost}, so the order, the waits and the refusals are tested with stand-ins.
 */
import { CsrApprovalResult } from "./csrApproval";
import { CsrNode } from "./csrPolicy";
import { LabInventory, LabVm, LabVmRole } from "./labInventory";
import { ClusterAge, CLUSTER_CREATED_ARGS, InstallTime, judgeClusterAge, parseClusterCreated } from "./clusterAge";
import { Clock, InfraNotReady, waitForInfra } from "./infraReadiness";
import { DomainState, RUNNING, SHUT_OFF, VirshError } from "./virsh";
import { Probe } from "../verify/checks";

/** The virsh operations the lifecycle uses (host/virsh.ts `Virsh`). */
export interface VirshLike {
  readonly uri: string;
  commandLine(...args: string[]): string;
  domainState(name: string): Promise<DomainState>;
  shutdown(name: string): Promise<void>;
  start(name: string): Promise<void>;
}

/** What one `oc` run left behind (`--kubeconfig` already given by the host). */
export interface OcRun {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** The stack's cluster nodes for the CSR approval; the infra node is no cluster node. */
export function csrNodes(vms: LabVm[]): CsrNode[] {
  return vms.flatMap((vm) => (vm.role === "infra" ? [] : [{ name: vm.fqdn.split(".")[0], fqdn: vm.fqdn, ip: vm.ip, role: vm.role }]));
}

/** Everything the lifecycle needs from the host. */
export interface PowerHost {
  virsh: VirshLike;
  /** Reaches the infra node for the readiness checks. */
  probe: Probe;
  /** Runs `oc --kubeconfig <lab kubeconfig> ARGS`, bounded. */
  oc(args: string[]): Promise<OcRun>;
  /** Approves the pending CSRs of `nodes` until they are Ready; throws when time runs out. */
  approve(nodes: LabVm[], timeoutSeconds: number): Promise<CsrApprovalResult>;
  /** When the installer assets say the cluster was installed (host/clusterAge.ts `assetsInstallTime`). */
  assetsInstallTime(assetsDir: string): InstallTime | undefined;
  clock: Clock;
  log(line: string): void;
}

export interface StopOptions {
  /** Stop a cluster younger than its first certificate rotation anyway. */
  force: boolean;
  /** Seconds each group (workers, masters, bootstrap, infra) may take to power off. */
  timeoutSeconds: number;
  /** Seconds between state polls; default 5. */
  pollSeconds?: number;
}

export interface StartOptions {
  /** Seconds the infra node may take to serve DNS, the load balancer and NTP. */
  readinessTimeoutSeconds: number;
  /** Seconds the CSR approval may take until every node is Ready. */
  csrTimeoutSeconds: number;
  /** Seconds a started VM may take to report `running`; default 60. */
  bootTimeoutSeconds?: number;
  /** Seconds between polls; default 5. */
  pollSeconds?: number;
}

/** Shutdown order: the infra node serves DNS and the load balancer to everyone else, so it goes last. */
export const STOP_ORDER: readonly LabVmRole[] = ["worker", "master", "bootstrap", "infra"];
/** Start order after the infra node: the bootstrap serves the masters' machine config, the masters serve the workers. */
export const START_ORDER: readonly LabVmRole[] = ["infra", "bootstrap", "master", "worker"];

const GROUP_NAMES: Record<LabVmRole, string> = { worker: "workers", master: "masters", bootstrap: "bootstrap", infra: "infra node" };

/** Reads every VM's state; a VM libvirt does not know (or a dead connection) ends the command before it acts. */
async function readStates(lab: LabInventory, host: PowerHost): Promise<Map<string, DomainState>> {
  const states = new Map<string, DomainState>();
  const problems: string[] = [];
  await Promise.all(
    lab.vms.map(async (vm) => {
      try {
        states.set(vm.name, await host.virsh.domainState(vm.name));
      } catch (err) {
        problems.push(`${vm.name}: ${(err as Error).message}`);
      }
    }),
  );
  if (problems.length > 0) {
    throw new VirshError(
      `cannot read the state of the stack's VMs at ${lab.libvirtUri}; nothing was changed:\n${problems
        .sort()
        .map((p) => `  ${p}`)
        .join(
          "\n",
        )}\nFix: check the connection (${host.virsh.commandLine("list", "--all")}); a VM the stack lists but libvirt lacks is recreated by npm run up.`,
    );
  }
  return states;
}

/** Polls until every named VM is in `want`; returns the ones that are not, with their last state. */
async function waitForState(
  host: PowerHost,
  names: string[],
  want: DomainState,
  timeoutSeconds: number,
  pollSeconds: number,
): Promise<{ name: string; state: string }[]> {
  const deadline = host.clock.now() + timeoutSeconds * 1000;
  let pending = names;
  const last = new Map<string, string>();
  for (;;) {
    const next: string[] = [];
    for (const name of pending) {
      let state: string;
      try {
        state = await host.virsh.domainState(name);
      } catch (err) {
        state = `unknown (${(err as Error).message})`;
      }
      last.set(name, state);
      if (state !== want) next.push(name);
    }
    pending = next;
    if (pending.length === 0 || host.clock.now() >= deadline) return pending.map((name) => ({ name, state: last.get(name) ?? "unknown" }));
    await host.clock.sleep(pollSeconds * 1000);
  }
}

/** Reads the cluster's install time from the API; an error becomes a note, never a failure. */
async function apiInstallTime(host: PowerHost): Promise<{ time?: InstallTime; note?: string }> {
  const run = await host.oc(CLUSTER_CREATED_ARGS);
  if (run.error === "ENOENT") return { note: "oc is not installed: the install time comes from the installer assets alone" };
  const time = run.code === 0 ? parseClusterCreated(run.stdout) : undefined;
  if (time) return { time };
  const why = run.error === "timeout" ? "no answer in time" : (run.stderr.trim().split("\n").pop() ?? "") || run.stdout.trim() || `exit ${run.code}`;
  return { note: `the cluster API did not say when it was installed (${why}): the install time comes from the installer assets alone` };
}

/** The cluster's age from both witnesses. */
export async function readClusterAge(lab: LabInventory, host: PowerHost): Promise<{ age: ClusterAge; notes: string[] }> {
  const assets = host.assetsInstallTime(lab.assetsDir);
  const api = await apiInstallTime(host);
  const notes = api.note ? [api.note] : [];
  return { age: judgeClusterAge({ assets, api: api.time }, new Date(host.clock.now())), notes };
}

/** The VMs of one role, in the output's order. */
function ofRole(lab: LabInventory, role: LabVmRole): LabVm[] {
  return lab.vms.filter((vm) => vm.role === role);
}

/**
 * Shuts the lab down in {@link STOP_ORDER}. Returns the exit code: 0 stopped (or already off),
 * 1 a VM did not power off in time or refused the request, 3 refused: the cluster is too young.
 */
export async function stopLab(lab: LabInventory, host: PowerHost, options: StopOptions): Promise<number> {
  const poll = options.pollSeconds ?? 5;
  const states = await readStates(lab, host);
  const running = lab.vms.filter((vm) => states.get(vm.name) !== SHUT_OFF);
  if (running.length === 0) {
    host.log(`stack ${lab.stack}: all ${lab.vms.length} VMs are already shut off`);
    return 0;
  }
  // The certificates live on the cluster nodes: with those already off, the infra node stops freely.
  const clusterRunning = running.some((vm) => vm.role !== "infra");
  const { age, notes } = clusterRunning ? await readClusterAge(lab, host) : { age: undefined, notes: [] };
  for (const note of notes) host.log(`note: ${note}`);
  if (age === undefined) {
    host.log("cluster nodes: already shut off");
  } else if (age.kind === "young") {
    const warning =
      `the cluster is younger than its first certificate rotation: ${age.detail}. The installer's kubelet certificates expire at ` +
      `${age.rotationDue.toISOString()} and the cluster renews them only while it runs; stopped now and started after that, its nodes ` +
      `come back with expired certificates (openshift/installer #818).`;
    if (!options.force) {
      host.log(`okd-lab stop: refused: ${warning}`);
      host.log(
        `Fix: leave it running until ${age.rotationDue.toISOString()}, or stop it anyway with 'npm run stop -- --stack ${lab.stack} --force' (npm run start approves the nodes' new CSRs).`,
      );
      return 3;
    }
    host.log(`warning: ${warning} Stopping anyway (--force).`);
  } else {
    host.log(`cluster: ${age.detail}`);
  }
  for (const role of STOP_ORDER) {
    const group = ofRole(lab, role).filter((vm) => states.get(vm.name) !== SHUT_OFF);
    if (group.length === 0) continue;
    const names = group.map((vm) => vm.name);
    host.log(`shutting down the ${GROUP_NAMES[role]}: ${names.join(", ")}`);
    const refused: string[] = [];
    for (const name of names) {
      try {
        await host.virsh.shutdown(name);
      } catch (err) {
        refused.push(`${name}: ${(err as Error).message}`);
      }
    }
    const left = await waitForState(host, names, SHUT_OFF, options.timeoutSeconds, poll);
    if (left.length > 0 || refused.length > 0) {
      const later = STOP_ORDER.slice(STOP_ORDER.indexOf(role) + 1)
        .flatMap((r) => ofRole(lab, r))
        .filter((vm) => states.get(vm.name) !== SHUT_OFF)
        .map((vm) => vm.name);
      host.log(
        `okd-lab stop: ${left.map((l) => `${l.name} did not power off within ${options.timeoutSeconds} s (state: ${l.state})`).join("; ")}` +
          `${refused.length > 0 ? `${left.length > 0 ? "; " : ""}the shutdown request failed for ${refused.join("; ")}` : ""}.`,
      );
      if (later.length > 0) host.log(`Still running, not asked to stop: ${later.join(", ")}.`);
      const first = left[0]?.name ?? names[0];
      host.log(
        `Fix: look at its console (${host.virsh.commandLine("console", first)}) and run npm run stop again; ` +
          `to cut its power instead (like pulling the plug): ${host.virsh.commandLine("destroy", first)}.`,
      );
      return 1;
    }
    host.log(`${GROUP_NAMES[role]} shut off`);
  }
  host.log(`stack ${lab.stack}: ${running.length} VMs shut off, nothing deleted; npm run start brings the lab back`);
  return 0;
}

/** The cluster operators whose Available condition is not True, from `oc get clusteroperators -o json`. */
export function unavailableOperators(json: string): { name: string; why: string }[] {
  const doc = JSON.parse(json) as {
    items?: { metadata?: { name?: string }; status?: { conditions?: { type?: string; status?: string; message?: string }[] } }[];
  };
  return (doc.items ?? [])
    .map((op) => {
      const available = op.status?.conditions?.find((c) => c.type === "Available");
      return { name: op.metadata?.name ?? "?", available };
    })
    .filter((op) => op.available?.status !== "True")
    .map((op) => ({
      name: op.name,
      why: op.available ? `Available=${op.available.status}${op.available.message ? `: ${op.available.message}` : ""}` : "no Available condition yet",
    }));
}

/** Boots the VMs of one group that are shut off and waits until each reports running. */
async function startGroup(lab: LabInventory, host: PowerHost, role: LabVmRole, states: Map<string, DomainState>, options: StartOptions): Promise<boolean> {
  const group = ofRole(lab, role);
  if (group.length === 0) return true;
  const already = group.filter((vm) => states.get(vm.name) === RUNNING).map((vm) => vm.name);
  const odd = group.filter((vm) => ![RUNNING, SHUT_OFF].includes(states.get(vm.name) ?? ""));
  if (odd.length > 0) {
    host.log(
      `okd-lab start: ${odd.map((vm) => `${vm.name} is ${states.get(vm.name)}`).join("; ")}: it must be running or shut off. ` +
        `Fix: ${host.virsh.commandLine("resume", odd[0].name)} (paused) or ${host.virsh.commandLine("destroy", odd[0].name)} (stuck), then npm run start again.`,
    );
    return false;
  }
  const toStart = group.filter((vm) => states.get(vm.name) === SHUT_OFF).map((vm) => vm.name);
  if (already.length > 0) host.log(`${GROUP_NAMES[role]}: already running: ${already.join(", ")}`);
  if (toStart.length === 0) return true;
  host.log(`starting the ${GROUP_NAMES[role]}: ${toStart.join(", ")}`);
  for (const name of toStart) {
    try {
      await host.virsh.start(name);
    } catch (err) {
      host.log(`okd-lab start: ${(err as Error).message}`);
      return false;
    }
  }
  const left = await waitForState(host, toStart, RUNNING, options.bootTimeoutSeconds ?? 60, options.pollSeconds ?? 5);
  if (left.length > 0) {
    host.log(`okd-lab start: ${left.map((l) => `${l.name} is ${l.state}, not running, ${options.bootTimeoutSeconds ?? 60} s after virsh start`).join("; ")}.`);
    return false;
  }
  return true;
}

/** Prints `oc get nodes` and the cluster operators that are not available yet. */
async function reportCluster(host: PowerHost): Promise<void> {
  const nodes = await host.oc(["get", "nodes", "-o", "wide"]);
  if (nodes.code === 0) for (const line of nodes.stdout.trimEnd().split("\n")) host.log(line);
  else host.log(`oc get nodes failed: ${nodes.stderr.trim() || nodes.error || `exit ${nodes.code}`}`);
  const ops = await host.oc(["get", "clusteroperators", "-o", "json"]);
  let down: { name: string; why: string }[];
  try {
    if (ops.code !== 0) throw new Error(ops.stderr.trim() || ops.error || `exit ${ops.code}`);
    down = unavailableOperators(ops.stdout);
  } catch (err) {
    host.log(`cluster operators: could not read them (${(err as Error).message})`);
    return;
  }
  if (down.length === 0) {
    host.log("cluster operators: all available");
    return;
  }
  host.log(`cluster operators not available yet (${down.length}; they settle within minutes of a restart; watch with 'oc get clusteroperators'):`);
  for (const op of down) host.log(`  ${op.name}: ${op.why}`);
}

/**
 * Starts the lab in {@link START_ORDER}, waiting for the infra node to serve before the control
 * plane boots, then approves this stack's nodes until they are Ready. Returns the exit code:
 * 0 every node Ready, 1 something did not come up in time (the message says what).
 */
export async function startLab(lab: LabInventory, host: PowerHost, options: StartOptions): Promise<number> {
  const states = await readStates(lab, host);
  for (const role of START_ORDER) {
    if (!(await startGroup(lab, host, role, states, options))) return 1;
    if (role === "infra") {
      try {
        await waitForInfra(host.probe, lab.plan, {
          timeoutSeconds: options.readinessTimeoutSeconds,
          pollSeconds: options.pollSeconds,
          clock: host.clock,
          log: host.log,
        });
      } catch (err) {
        if (!(err instanceof InfraNotReady)) throw err;
        host.log(`okd-lab start: ${err.message}`);
        host.log(
          `The control plane was not started. Fix: look at ${lab.plan.infra.domainName} (${host.virsh.commandLine("console", lab.plan.infra.domainName)}), then npm run start again.`,
        );
        return 1;
      }
      host.log(`${lab.plan.infra.domainName} serves DNS, the load balancer and NTP`);
    }
  }
  const nodes = lab.vms.filter((vm) => vm.role === "master" || vm.role === "worker");
  host.log(`approving the pending CSRs of ${nodes.map((n) => n.fqdn).join(", ")} until they are Ready (${options.csrTimeoutSeconds} s at most)`);
  let code = 0;
  try {
    const outcome = await host.approve(nodes, options.csrTimeoutSeconds);
    // The approval logged each refusal with its reason as it happened.
    if (outcome.refused.length > 0) host.log(`left alone: ${outcome.refused.map((r) => r.name).join(", ")}`);
    host.log(`Ready: ${outcome.ready.join(", ")}${outcome.approved.length > 0 ? `; approved ${outcome.approved.length} CSRs` : "; no CSR needed approval"}`);
  } catch (err) {
    host.log(`okd-lab start: ${(err as Error).message}`);
    code = 1;
  }
  await reportCluster(host);
  return code;
}
