/**
 * `npm run up`: from a bare libvirt host to a running OKD cluster, in named phases, resumable.
 *
 *   1  preflight                 host checks (host/preflight.ts)
 *   2  pulumi up                 network, infra node, installer assets, nodes; previewed and guarded
 *   2b host DNS                  the host resolves api.<cluster domain> at the infra node
 *   3  bootstrap-complete        openshift-install wait-for, bounded and retried
 *   4  drop the bootstrap        okd-lab:bootstrap.enabled false, then a guarded pulumi up
 *   5  approve CSRs              this lab's masters and workers, scoped rules, until Ready
 *   6  install-complete          openshift-install wait-for, bounded and retried
 *   7  summary                   console, oc login, password, phase times, npm run verify
 *
 * Where to continue is decided on every run from what is there (the stack's outputs, the asset
 * folder, the cluster's API), never from a file of our own: a phase whose result is already there
 * is skipped with the reason. Everything outside (Pulumi, the installer, oc, DNS, verify) comes in
 * through {@link UpHost}, so the whole path is tested with stand-ins.
 */
import * as path from "node:path";
import { LabConfig } from "../config/labConfig";
import { fcosNodeResourceName, LabPlan } from "../plan/labPlan";
import { renderLabOutputs } from "../render/labOutputs";
import { ClusterProbe } from "./clusterProbe";
import { CsrNode } from "./csrPolicy";
import { InstallerTarget, InstallerWaitResult } from "./installerWait";
import { formatPhaseTable, PhaseDisplay } from "./phaseDisplay";
import { describeChanges, describeUrn, dropBootstrapPolicy, formatRefusal, refusedSteps, stackUpPolicy, UpdatePolicy } from "./previewGuard";
import { LabStack, PulumiCommandError } from "./pulumiCli";

/** The phases in order: id and title. */
export const PHASES = {
  preflight: "1 preflight",
  stack: "2 pulumi up (network, infra node, installer assets, nodes)",
  hostDns: "2b host DNS",
  bootstrap: "3 wait for bootstrap-complete",
  dropBootstrap: "4 drop the bootstrap",
  csrs: "5 approve the nodes' CSRs",
  install: "6 wait for install-complete",
  summary: "7 summary",
} as const;

export type PhaseId = keyof typeof PHASES;

/** A phase that cannot go on: what it waited for, what it saw last and what to run next. */
export class PhaseFailure extends Error {
  constructor(
    readonly phase: PhaseId,
    readonly waitedFor: string,
    readonly sawLast: string,
    readonly next: string[],
  ) {
    super(`${PHASES[phase]}: ${waitedFor}: ${sawLast}`);
  }
}

/** The failure as the user reads it. */
export function formatFailure(failure: PhaseFailure): string {
  return [
    `okd-lab up: phase "${PHASES[failure.phase]}" failed.`,
    `  waited for: ${failure.waitedFor}`,
    `  saw last:   ${failure.sawLast.split("\n").join("\n              ")}`,
    "  next:",
    ...failure.next.map((n) => `    ${n}`),
    "  Then run npm run up again: it continues from the phase the lab is in.",
  ].join("\n");
}

export interface CsrPhaseRequest {
  kubeconfig: string;
  nodes: CsrNode[];
  timeoutSeconds: number;
  log: (line: string) => void;
}

/** The results of `npm run verify`. */
export interface VerifyReport {
  lines: string[];
  code: number;
}

/** Everything `npm run up` touches outside its own logic. */
export interface UpHost {
  display: PhaseDisplay;
  now(): number;
  stack: LabStack;
  /** Runs the host checks; lines to show and whether any failed. */
  preflight(): Promise<{ lines: string[]; failed: boolean }>;
  /** Whether a file exists (the asset folder's kubeconfig). */
  fileExists(file: string): boolean;
  /** The cluster's API through this kubeconfig. */
  cluster(kubeconfig: string): ClusterProbe;
  waitForInstaller(target: InstallerTarget, budgetMs: number, onLine: (line: string) => void): Promise<InstallerWaitResult>;
  /** Approves this lab's CSRs until the nodes are Ready; throws with what it saw last otherwise. */
  approveCsrs(request: CsrPhaseRequest): Promise<void>;
  /** The addresses the host's resolver gives for a name (empty when it does not resolve). */
  resolve(name: string): Promise<string[]>;
  /** Applies the host DNS setup commands; `ok: false` with the reason when it cannot (no sudo, no terminal). */
  applyHostDns(commands: string[], onLine: (line: string) => void): Promise<{ ok: boolean; detail: string }>;
  /** Waits, e.g. between DNS checks. */
  sleep(ms: number): Promise<void>;
  /** True once the user asked to stop (Ctrl+C): no further phase starts. */
  interrupted?(): boolean;
  verify(): Promise<VerifyReport>;
}

export interface UpOptions {
  stack: string;
  /** The stack's libvirt:uri (or LIBVIRT_DEFAULT_URI): the host DNS setup asks it for the lab bridge. */
  libvirtUri: string;
  config: LabConfig;
  plan: LabPlan;
  /** Stop after phase 2: the lab's VMs only. */
  vmsOnly: boolean;
  skipPreflight: boolean;
  bootstrapTimeoutMinutes: number;
  installTimeoutMinutes: number;
  csrTimeoutMinutes: number;
  /** How long phase 2b waits for the host resolver after applying the setup. */
  dnsSettleSeconds: number;
}

/** The infra VM's domain resource (components/InfraNode.ts `${name}-domain` under lab.ts's `infra`). */
const INFRA_DOMAIN_RESOURCE = "infra-domain";

/** Defaults of the bounded waits, in minutes: about twice the installer's own on a fast host. */
export const DEFAULT_TIMEOUTS = { bootstrapMinutes: 90, installMinutes: 120, csrMinutes: 60, dnsSettleSeconds: 30 } as const;

interface NodeRecord {
  name?: string;
  role?: string;
  ip?: string;
  fqdn?: string;
}

function outputNodes(outputs: Record<string, unknown> | undefined): NodeRecord[] | undefined {
  const nodes = outputs?.nodes;
  return Array.isArray(nodes) ? (nodes as NodeRecord[]) : undefined;
}

function hasRole(nodes: NodeRecord[] | undefined, role: string): boolean {
  return (nodes ?? []).some((n) => n.role === role);
}

function outputString(outputs: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = outputs?.[key];
  return typeof value === "string" && value !== "[secret]" ? value : undefined;
}

/** Runs the phases; returns the exit status (0 all done, 1 a phase failed or verify found problems). */
export async function runLabUp(options: UpOptions, host: UpHost): Promise<number> {
  const { display } = host;
  const { config, plan, stack } = options;
  const assetsDir = config.okd.assetsDir;
  const kubeconfig = path.join(assetsDir, "auth", "kubeconfig");
  const rendered = renderLabOutputs(plan, { assetsDir, installer: config.okd.installer, approveCsrs: config.approveCsrs, libvirtUri: options.libvirtUri });
  const bootstrapName = fcosNodeResourceName({ role: "bootstrap", name: config.bootstrap.name });
  const keyCommand = `(umask 077 && npm run -s pulumi -- stack output --stack ${stack} --show-secrets sshPrivateKey > okd-lab.key)`;
  const again = `npm run up -- --stack ${stack}`;
  let phase: PhaseId = "preflight";

  /** Stops before the next phase when the user pressed Ctrl+C (the running program got it too). */
  const checkInterrupt = (next: PhaseId) => {
    if (host.interrupted?.()) throw new PhaseFailure(next, "the next phase", "interrupted (Ctrl+C)", [again]);
  };
  const skip = (id: PhaseId, why: string) => {
    display.start(id, PHASES[id]);
    display.end("skipped", why);
  };

  /** Preview, refuse what the phase does not expect, then apply. */
  const guardedUp = async (policy: UpdatePolicy): Promise<string> => {
    display.line(`pulumi preview --stack ${stack}`);
    let preview;
    try {
      preview = await host.stack.preview((line) => display.line(line));
    } catch (err) {
      throw pulumiFailure(phase, "pulumi preview", err, stack);
    }
    for (const warning of preview.warnings ?? []) for (const line of warning.split("\n")) display.line(`warning: ${line}`);
    const changes = describeChanges(preview.steps);
    display.line(`preview: ${changes}`);
    for (const step of preview.steps) {
      if (step.op !== "same" && !step.urn.includes("pulumi:pulumi:Stack")) display.line(`  ${step.op.padEnd(18)} ${describeUrn(step.urn)}`);
    }
    const refused = refusedSteps(preview.steps, policy);
    if (refused.length > 0) {
      throw new PhaseFailure(phase, `a preview this phase accepts (${policy.expects})`, formatRefusal(policy, refused, stack), [
        `npm run -s pulumi -- preview --stack ${stack} --diff   # the full diff`,
      ]);
    }
    display.line(`pulumi up --stack ${stack}`);
    try {
      await host.stack.up((line) => display.line(line));
    } catch (err) {
      throw pulumiFailure(phase, "pulumi up", err, stack);
    }
    return changes;
  };

  try {
    // 1. preflight
    phase = "preflight";
    if (options.skipPreflight) {
      skip(phase, "--skip-preflight or OKD_LAB_SKIP_PREFLIGHT");
    } else {
      display.start(phase, PHASES[phase]);
      const report = await host.preflight();
      for (const line of report.lines) display.line(line);
      if (report.failed) {
        throw new PhaseFailure(phase, "a host that passes every check", "at least one check failed (above, each with its fix)", [
          `npm run preflight -- --stack ${stack}   # after fixing`,
          "OKD_LAB_SKIP_PREFLIGHT=1 npm run up   # when a check is wrong for your host",
        ]);
      }
      display.end("done");
    }

    // 2. pulumi up of the whole stack
    phase = "stack";
    checkInterrupt(phase);
    display.start(phase, PHASES[phase]);
    if (config.approveCsrs) {
      display.line(
        "note: okd-lab:approveCsrs is on, so this pulumi up waits (up to 1 h) for the new nodes to be Ready before phase 3 starts; " +
          `phase 5 approves them anyway: npm run -s pulumi -- config set --path okd-lab:approveCsrs false --stack ${stack}`,
      );
    }
    try {
      await host.stack.ensure((line) => display.line(line));
    } catch (err) {
      throw pulumiFailure(phase, `the stack ${stack}`, err, stack);
    }
    const before = await readOutputs(host, phase, stack);
    const deployedBefore = outputNodes(before);
    if (
      config.bootstrap.enabled &&
      deployedBefore &&
      hasRole(deployedBefore, "master") &&
      !hasRole(deployedBefore, "bootstrap") &&
      host.fileExists(kubeconfig)
    ) {
      // The bootstrap was dropped from a lab whose assets exist: bringing it back from day-old
      // assets would fail, and from a live cluster's it would rejoin an installed control plane.
      throw new PhaseFailure(
        phase,
        "a stack config that matches the lab",
        `okd-lab:bootstrap.enabled is true, but the stack's last update has no bootstrap node and ${assetsDir} holds this cluster's assets: the bootstrap was dropped and npm run up never brings it back`,
        [
          `npm run -s pulumi -- config set --path okd-lab:bootstrap.enabled false --stack ${stack}   # the lab as it is`,
          `npm run -s pulumi -- up --stack ${stack}   # only if you really want a new bootstrap node (plain Pulumi shows what it does and asks)`,
        ],
      );
    }
    let outputs = before;
    if (!config.bootstrap.enabled && hasRole(deployedBefore, "bootstrap")) {
      // Phase 4 was under way (or the config was changed by hand): deleting the bootstrap is
      // phase 4's update, made under its own guard once bootstrap-complete is confirmed.
      display.end("skipped", "okd-lab:bootstrap.enabled is false and the stack still has the bootstrap: phase 4 drops it");
    } else {
      // The replacements the user asked for with okd-lab:recreateNodes: those nodes' domains.
      const recreate = new Set(config.recreateNodes);
      const recreateDomains = [
        ...(recreate.has(config.infra.name) ? [INFRA_DOMAIN_RESOURCE] : []),
        ...plan.nodes.filter((n) => recreate.has(n.name)).map((n) => `${fcosNodeResourceName(n)}-domain`),
      ];
      const stackChanges = await guardedUp(stackUpPolicy(recreateDomains, recreate.has(config.infra.name)));
      display.end("done", stackChanges);
      outputs = await readOutputs(host, phase, stack);
    }

    if (options.vmsOnly) {
      display.print(`Stopped after phase 2 (--vms-only): the lab's VMs are up. ${again} continues with the install.`);
      display.print("Phases:");
      for (const line of formatPhaseTable(display.records)) display.print(line);
      return 0;
    }

    // 2b. the host resolves the API name at the infra node
    phase = "hostDns";
    checkInterrupt(phase);
    display.start(phase, PHASES[phase]);
    const apiName = `api.${plan.cluster.domain}`;
    const infraIp = plan.infra.ip;
    let addresses = await host.resolve(apiName);
    if (addresses.includes(infraIp)) {
      display.end("done", `${apiName} resolves to ${infraIp}`);
    } else {
      const recorded = outputs?.hostDnsSetup;
      // One bash script (render/labOutputs.ts renderHostDns): its host changes run with sudo.
      const commands = [typeof recorded === "string" ? recorded : rendered.hostDnsSetup];
      const setupByHand = `npm run -s pulumi -- stack output hostDnsSetup --stack ${stack} | bash`;
      display.line(`${apiName} resolves to ${addresses.length ? addresses.join(", ") : "nothing"}, not the infra node ${infraIp}: applying the host DNS setup`);
      const applied = await host.applyHostDns(commands, (line) => display.line(line));
      if (!applied.ok) {
        throw new PhaseFailure(
          phase,
          `${apiName} to resolve to ${infraIp} on this host`,
          `${addresses.join(", ") || "no address"}; the setup was not applied: ${applied.detail}`,
          [setupByHand, `getent hosts ${apiName}   # should print ${infraIp}`],
        );
      }
      const deadline = host.now() + options.dnsSettleSeconds * 1000;
      for (;;) {
        addresses = await host.resolve(apiName);
        if (addresses.includes(infraIp) || host.now() >= deadline) break;
        await host.sleep(2000);
      }
      if (!addresses.includes(infraIp)) {
        throw new PhaseFailure(phase, `${apiName} to resolve to ${infraIp} after the host DNS setup`, addresses.join(", ") || "no address", [
          "resolvectl status; cat /etc/resolv.conf   # systemd-resolved routing the zone, or NetworkManager's dnsmasq (127.0.0.1)",
          `dig @${infraIp} ${apiName}   # the infra node's own answer`,
          setupByHand,
        ]);
      }
      display.end("done", `setup applied; ${apiName} resolves to ${infraIp}`);
    }

    // What the cluster says, asked once the host can reach it.
    if (!host.fileExists(kubeconfig)) {
      phase = "bootstrap";
      throw new PhaseFailure(phase, `the installer assets in ${assetsDir}`, `${kubeconfig} is missing: the assets of this cluster are gone`, [
        `restore ${assetsDir} from a backup, or start over: npm run destroy, move ${assetsDir} away, npm run up`,
      ]);
    }
    const cluster = host.cluster(kubeconfig);
    const bootstrapInStack = hasRole(outputNodes(outputs), "bootstrap");
    const installDone = await cluster.installComplete();

    // 3. bootstrap-complete
    phase = "bootstrap";
    checkInterrupt(phase);
    if (installDone.value) {
      skip(phase, "the cluster's install is complete (ClusterVersion Available)");
    } else if (!bootstrapInStack) {
      skip(phase, "the stack has no bootstrap node (dropped)");
    } else {
      const reported = await cluster.bootstrapComplete();
      if (reported.value) {
        skip(phase, "the API reports bootstrap complete (ConfigMap kube-system/bootstrap)");
      } else {
        display.start(phase, PHASES[phase]);
        const result = await host.waitForInstaller("bootstrap-complete", options.bootstrapTimeoutMinutes * 60000, (line) => display.line(line));
        if (!result.ok) {
          const bootstrap = plan.nodes.find((n) => n.role === "bootstrap");
          const masters = plan.nodes.filter((n) => n.role === "master");
          throw new PhaseFailure(
            phase,
            `bootstrap-complete (at most ${options.bootstrapTimeoutMinutes} min, ${result.attempts} attempt(s) of openshift-install wait-for)`,
            result.lastLine ?? "no output from the installer",
            [
              keyCommand,
              `${config.okd.installer} gather bootstrap --dir ${assetsDir} --bootstrap ${bootstrap?.ip ?? config.bootstrap.ip} ${masters.map((m) => `--master ${m.ip}`).join(" ")} --key okd-lab.key`,
              `ssh -i okd-lab.key core@${bootstrap?.ip ?? config.bootstrap.ip} journalctl -b -u release-image.service -u bootkube.service --no-pager | tail -n 50`,
            ],
          );
        }
        display.end("done", `${result.attempts} attempt(s)`);
      }
    }

    // 4. drop the bootstrap
    phase = "dropBootstrap";
    checkInterrupt(phase);
    if (!bootstrapInStack && !config.bootstrap.enabled) {
      skip(phase, "the stack has no bootstrap node and okd-lab:bootstrap.enabled is false");
    } else {
      display.start(phase, PHASES[phase]);
      if (config.bootstrap.enabled) {
        display.line("pulumi config set --path okd-lab:bootstrap.enabled false");
        try {
          await host.stack.setConfig("okd-lab:bootstrap.enabled", "false");
        } catch (err) {
          throw pulumiFailure(phase, "okd-lab:bootstrap.enabled set to false", err, stack);
        }
      }
      const changes = await guardedUp(dropBootstrapPolicy(bootstrapName));
      display.end("done", changes);
    }

    // 5. CSRs of the masters and workers
    phase = "csrs";
    checkInterrupt(phase);
    const joining = csrNodes(outputs, plan);
    const ready = await cluster.readyNodes();
    const waiting = joining.filter((n) => !(ready.value ?? []).includes(n.fqdn));
    if (ready.value && waiting.length === 0) {
      skip(phase, `every node is Ready: ${joining.map((n) => n.fqdn).join(", ")}`);
    } else {
      display.start(phase, PHASES[phase]);
      try {
        await host.approveCsrs({ kubeconfig, nodes: joining, timeoutSeconds: options.csrTimeoutMinutes * 60, log: (line) => display.line(line) });
      } catch (err) {
        const consoles = waiting.length > 0 ? waiting : joining;
        throw new PhaseFailure(phase, `${waiting.map((n) => n.fqdn).join(", ")} Ready (at most ${options.csrTimeoutMinutes} min)`, errorText(err), [
          `oc --kubeconfig ${kubeconfig} get csr`,
          `oc --kubeconfig ${kubeconfig} get nodes`,
          ...consoles
            .slice(0, 1)
            .map((n) => `sudo virsh console ${plan.nodes.find((p) => p.fqdn === n.fqdn)?.domainName ?? n.name}   # the node's console (Ctrl+] leaves)`),
        ]);
      }
      display.end("done");
    }

    // 6. install-complete
    phase = "install";
    checkInterrupt(phase);
    const installNow = installDone.value ? installDone : await cluster.installComplete();
    if (installNow.value) {
      skip(phase, "the cluster's install is complete (ClusterVersion Available)");
    } else {
      display.start(phase, PHASES[phase]);
      const result = await host.waitForInstaller("install-complete", options.installTimeoutMinutes * 60000, (line) => display.line(line));
      if (!result.ok) {
        throw new PhaseFailure(
          phase,
          `install-complete (at most ${options.installTimeoutMinutes} min, ${result.attempts} attempt(s) of openshift-install wait-for)`,
          result.lastLine ?? "no output from the installer",
          [
            `oc --kubeconfig ${kubeconfig} get clusteroperators   # which operators are not Available`,
            `oc --kubeconfig ${kubeconfig} get nodes`,
            `oc --kubeconfig ${kubeconfig} get csr   # pending CSRs of nodes that did not join`,
            `${config.okd.installer} wait-for install-complete --dir ${assetsDir} --log-level debug`,
          ],
        );
      }
      display.end("done", `${result.attempts} attempt(s)`);
    }

    // 7. summary and verify
    phase = "summary";
    checkInterrupt(phase);
    display.start(phase, PHASES[phase]);
    const report = await host.verify();
    for (const line of report.lines) display.line(line);
    display.end(report.code === 0 ? "done" : "failed", report.code === 0 ? "verify passed" : "verify found problems");
    const lines = [
      "",
      `okd-lab is installed: stack ${stack}, cluster ${plan.cluster.domain}`,
      `  console:            ${outputString(outputs, "consoleUrl") ?? rendered.consoleUrl}`,
      `  oc login:           ${outputString(outputs, "ocLogin") ?? rendered.ocLogin}`,
      `  kubeadmin password: ${path.join(assetsDir, "auth", "kubeadmin-password")} (or: npm run -s pulumi -- stack output --stack ${stack} --show-secrets kubeadminPassword)`,
      `  KUBECONFIG:         ${kubeconfig}`,
      "Phases:",
      ...formatPhaseTable(display.records),
      `npm run verify: ${report.code === 0 ? "every check passed" : "some checks failed (above, each with what to fix)"}`,
    ];
    for (const line of lines) display.print(line);
    return report.code === 0 ? 0 : 1;
  } catch (err) {
    const failure = err instanceof PhaseFailure ? err : new PhaseFailure(phase, "the phase to finish", errorText(err), [again]);
    if (!display.running) display.start(failure.phase, PHASES[failure.phase]);
    display.end("failed", failure.waitedFor);
    display.print(formatFailure(failure));
    display.print("Phases:");
    for (const line of formatPhaseTable(display.records)) display.print(line);
    return 1;
  } finally {
    display.close();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function pulumiFailure(phase: PhaseId, what: string, err: unknown, stack: string): PhaseFailure {
  if (err instanceof PhaseFailure) return err;
  const detail = err instanceof PulumiCommandError ? err.message : errorText(err);
  return new PhaseFailure(phase, what, detail, [
    `npm run -s pulumi -- stack --stack ${stack} --show-urns   # what the stack holds now`,
    `npm run -s pulumi -- preview --stack ${stack} --diff   # what the next update would do`,
    `npm run -s pulumi -- refresh --stack ${stack}   # after an interrupted update: clears its pending operations`,
  ]);
}

async function readOutputs(host: UpHost, phase: PhaseId, stack: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await host.stack.outputs();
  } catch (err) {
    throw pulumiFailure(phase, `the outputs of the stack ${stack}`, err, stack);
  }
}

/** The masters and workers from the stack's outputs (the record of what was deployed), else the plan. */
export function csrNodes(outputs: Record<string, unknown> | undefined, plan: LabPlan): CsrNode[] {
  const fromOutputs = (outputNodes(outputs) ?? []).filter(
    (n): n is Required<NodeRecord> => (n.role === "master" || n.role === "worker") && !!n.name && !!n.fqdn && !!n.ip,
  );
  // The short name is the FQDN's first label (nodes are named by their FQDN, see nodeIgnition.ts).
  if (fromOutputs.length > 0) return fromOutputs.map((n) => ({ name: n.fqdn.split(".")[0], fqdn: n.fqdn, ip: n.ip, role: n.role as CsrNode["role"] }));
  return plan.nodes.filter((n) => n.role !== "bootstrap").map((n) => ({ name: n.name, fqdn: n.fqdn, ip: n.ip, role: n.role }));
}
