/**
 * The check every `pulumi up` of `npm run up` passes first: the preview's steps, read as data,
 * against what the phase expects. Pure.
 *
 * The steps come from `pulumi preview --json`, whose document is the CLI's `PreviewDigest`
 * (pulumi v3.250.0 pkg/display/json.go: `steps[].op`, `.urn`, `.replaceReasons`, `.diffReasons`),
 * and whose operation names are the engine's `StepOp` values (pkg/resource/deploy/step.go).
 */

/** One step of a preview, as `pulumi preview --json` prints it. */
export interface PreviewStep {
  /** e.g. `create`, `update`, `delete`, `replace`, `create-replacement`, `delete-replaced`, `same`. */
  op: string;
  /** e.g. `urn:pulumi:dev::okd-lab::okd-lab:nodes:FcosNode$libvirt:index/domain:Domain::bootstrap-bootstrap-domain`. */
  urn: string;
  /** Inputs forcing a replacement (replace steps only). */
  replaceReasons?: string[];
  /** Inputs that differ (update steps). */
  diffReasons?: string[];
}

/** What a phase's update may do besides creating resources and leaving others alone. */
export interface UpdatePolicy {
  /** Phase name used in messages, e.g. `stack` or `drop-bootstrap`. */
  phase: string;
  /** Whether a resource may be created. */
  mayCreate: boolean;
  /** Whether a resource may be deleted (never replaced). */
  mayDelete(urn: string): boolean;
  /** Whether a resource may be updated in place. */
  mayUpdate(urn: string): boolean;
  /** Whether a resource may be replaced (e.g. a node listed in `okd-lab:recreateNodes`). */
  mayReplace(urn: string): boolean;
  /** One line saying what the phase expects, e.g. `only the bootstrap's resources are deleted`. */
  expects: string;
}

/** Operations that leave a resource as it is (or only read it). */
const NO_CHANGE = new Set(["same", "read", "refresh", "discard", "diff"]);
const CREATES = new Set(["create", "import"]);
/** Every step of a replacement: none is expected by any phase of `npm run up`. */
const REPLACES = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "read-replacement",
  "import-replacement",
  "discard-replaced",
  "remove-pending-replace",
]);

/** A step the guard refuses, with the reason printed to the user. */
export interface RefusedStep {
  step: PreviewStep;
  reason: string;
}

/** The resource's type and name from its URN: `libvirt:index/domain:Domain::bootstrap-bootstrap-domain`. */
export function describeUrn(urn: string): string {
  const parts = urn.split("::");
  if (parts.length < 4) return urn;
  const types = parts[2].split("$");
  return `${types[types.length - 1]}::${parts.slice(3).join("::")}`;
}

/** The resource's name, the URN's last part. */
export function urnName(urn: string): string {
  const parts = urn.split("::");
  return parts.slice(3).join("::");
}

/** The resource's own type (without its parents' types). */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  const types = (parts[2] ?? "").split("$");
  return types[types.length - 1];
}

/** Steps the policy does not allow; empty when the update may go ahead. */
export function refusedSteps(steps: readonly PreviewStep[], policy: UpdatePolicy): RefusedStep[] {
  const refused: RefusedStep[] = [];
  for (const step of steps) {
    // The root stack resource shows up as `same` or `update` when only outputs change.
    if (urnType(step.urn) === "pulumi:pulumi:Stack") continue;
    if (NO_CHANGE.has(step.op)) continue;
    if (CREATES.has(step.op)) {
      if (!policy.mayCreate) refused.push({ step, reason: "creates a resource" });
    } else if (step.op === "update") {
      if (!policy.mayUpdate(step.urn)) refused.push({ step, reason: `updates ${step.diffReasons?.length ? step.diffReasons.join(", ") : "it"}` });
    } else if (step.op === "delete") {
      if (!policy.mayDelete(step.urn)) refused.push({ step, reason: "deletes it" });
    } else if (REPLACES.has(step.op)) {
      if (!policy.mayReplace(step.urn))
        refused.push({ step, reason: `replaces it${step.replaceReasons?.length ? ` (${step.replaceReasons.join(", ")} changed)` : ""}` });
    } else {
      refused.push({ step, reason: `an operation this command does not know (${step.op})` });
    }
  }
  return refused;
}

/** Counts of the preview's changing steps by operation, e.g. `3 to create, 1 to update`. */
export function describeChanges(steps: readonly PreviewStep[]): string {
  const counts = new Map<string, number>();
  for (const step of steps) {
    if (NO_CHANGE.has(step.op) || urnType(step.urn) === "pulumi:pulumi:Stack") continue;
    counts.set(step.op, (counts.get(step.op) ?? 0) + 1);
  }
  if (counts.size === 0) return "no changes";
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${n} to ${op}`)
    .join(", ");
}

/** libvirt's domain type: what `okd-lab:recreateNodes` lets an update replace. */
const DOMAIN_TYPE = "libvirt:index/domain:Domain";

/**
 * Phase 2 (`pulumi up` of the stack): new resources and in-place updates; a deletion or a
 * replacement means the config changed under a running lab, which is for plain `pulumi up` (it
 * shows the diff and asks). The one replacement it accepts is the one the user asked for:
 * the domains of the nodes listed in `okd-lab:recreateNodes` (`recreateDomains`, resource names),
 * and with the infra VM its files, delivered again to the new VM (`infraRecreated`).
 */
export function stackUpPolicy(recreateDomains: readonly string[] = [], infraRecreated = false): UpdatePolicy {
  const domains = new Set(recreateDomains);
  return {
    phase: "stack",
    mayCreate: true,
    mayDelete: () => false,
    mayUpdate: () => true,
    mayReplace: (urn) =>
      (urnType(urn) === DOMAIN_TYPE && domains.has(urnName(urn))) ||
      (infraRecreated && urnType(urn) === INFRA_FILE_TYPE && urnName(urn).startsWith("infra-config-")),
    expects:
      domains.size > 0
        ? `resources are created or updated in place, never deleted, and only ${[...domains].join(", ")} replaced (okd-lab:recreateNodes)`
        : "resources are created or updated in place, never deleted or replaced",
  };
}

/** Resource type of the per-file infra deliveries (components/InfraConfig.ts). */
const INFRA_FILE_TYPE = "command:remote:Command";

/**
 * Phase 4 (drop the bootstrap): deletes only the resources of the bootstrap's node component
 * (`<fcosNodeResourceName>` and its `<name>-*` children) and updates only the infra files (the
 * zones and haproxy.cfg lose the bootstrap's records and backends). Nothing is created.
 */
export function dropBootstrapPolicy(bootstrapResourceName: string): UpdatePolicy {
  const ours = (urn: string) => {
    const name = urnName(urn);
    return name === bootstrapResourceName || name.startsWith(`${bootstrapResourceName}-`);
  };
  return {
    phase: "drop-bootstrap",
    mayCreate: false,
    mayDelete: ours,
    mayUpdate: (urn) => urnType(urn) === INFRA_FILE_TYPE && urnName(urn).includes("-file:"),
    mayReplace: () => false,
    expects: `only the bootstrap's resources (${bootstrapResourceName}*) are deleted and only the infra files updated`,
  };
}

/** The message printed when the guard refuses: what the preview wanted and what to do. */
export function formatRefusal(policy: UpdatePolicy, refused: readonly RefusedStep[], stack: string): string {
  return [
    `the preview of phase ${policy.phase} wants changes this phase does not make (${policy.expects}):`,
    ...refused.map((r) => `  ${r.step.op.padEnd(18)} ${describeUrn(r.step.urn)}: ${r.reason}`),
    "Nothing was applied. If these changes are what you want, review and apply them with plain Pulumi,",
    `then run npm run up again: npm run pulumi -- up --stack ${stack}`,
  ].join("\n");
}
