/**
 * What an update would do, from two offline runs of the program: the resources it would create
 * and delete, and the inputs that would change on the others (honouring `ignoreChanges`).
 */
import { LabRun, plainValue, RecordedResource } from "./labMocks";

export interface PlanDiff {
  created: string[];
  deleted: string[];
  /** `type::name` -> top-level input names whose values differ. */
  updated: Record<string, string[]>;
}

function key(r: RecordedResource): string {
  return `${r.type}::${r.name}`;
}

export function diffRuns(before: LabRun, after: LabRun): PlanDiff {
  const old = new Map(before.resources.map((r) => [key(r), r]));
  const now = new Map(after.resources.map((r) => [key(r), r]));
  const created = [...now.keys()].filter((k) => !old.has(k)).sort();
  const deleted = [...old.keys()].filter((k) => !now.has(k)).sort();
  const updated: Record<string, string[]> = {};
  for (const [k, r] of [...now.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const o = old.get(k);
    if (!o) continue;
    const names = new Set([...Object.keys(o.inputs), ...Object.keys(r.inputs)]);
    const changed = [...names]
      .filter((n) => !r.ignoreChanges.includes(n))
      .filter((n) => JSON.stringify(plainValue(o.inputs[n], true)) !== JSON.stringify(plainValue(r.inputs[n], true)))
      .sort();
    if (changed.length > 0) updated[k] = changed;
  }
  return { created, deleted, updated };
}
