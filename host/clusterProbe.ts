/**
 * What the cluster's API says about the install, through `oc --kubeconfig`: the facts `npm run up`
 * resumes from (with the stack's outputs and the asset folder), never a marker file of its own.
 *
 * - Bootstrap complete: the bootstrap node creates the ConfigMap `bootstrap` in `kube-system` with
 *   `data.status: complete` once the control plane runs without it (openshift/installer
 *   data/data/bootstrap/files/usr/local/bin/report-progress.sh); `wait-for bootstrap-complete`
 *   waits for exactly that. The ConfigMap stays after the bootstrap is gone.
 * - Install complete: the ClusterVersion `version` is Available, what `wait-for install-complete`
 *   waits for (openshift/installer cmd/openshift-install/create.go, waitForInitializedCluster).
 */
import { ProgramResult, runProgram } from "./runProgram";

/** An answer from the API, or why there is none (`error`, one line). */
export interface ApiAnswer<T> {
  value?: T;
  error?: string;
}

/** The cluster questions `npm run up` asks; {@link OcClusterProbe} asks them with `oc`. */
export interface ClusterProbe {
  bootstrapComplete(): Promise<ApiAnswer<boolean>>;
  installComplete(): Promise<ApiAnswer<boolean>>;
  /** Node names whose Ready condition is True. */
  readyNodes(): Promise<ApiAnswer<string[]>>;
}

export interface OcOptions {
  oc: string;
  kubeconfig: string;
  env?: NodeJS.ProcessEnv;
  /** Seconds one `oc` call may take before it is stopped; default 30. */
  requestTimeoutSeconds?: number;
}

function oneLine(result: ProgramResult): string {
  const text = (result.stderr || result.stdout).trim().split("\n").filter(Boolean);
  return text[text.length - 1] ?? `oc exited with ${result.code}`;
}

/** {@link ClusterProbe} through `oc --kubeconfig K get ... -o json`. */
export class OcClusterProbe implements ClusterProbe {
  constructor(private readonly options: OcOptions) {}

  /** The object as JSON, `null` when the API says NotFound, or the error. */
  private async get(args: string[]): Promise<ApiAnswer<Record<string, unknown> | null>> {
    const timeout = this.options.requestTimeoutSeconds ?? 30;
    const result = await runProgram(this.options.oc, ["--kubeconfig", this.options.kubeconfig, "get", ...args, "-o", "json"], {
      env: this.options.env,
      timeoutMs: timeout * 1000,
    });
    if (result.code !== 0) {
      // NotFound is an answer: e.g. the bootstrap has not reported yet.
      if (/\(NotFound\)/.test(result.stderr)) return { value: null };
      return { error: result.code === 124 ? `oc get ${args.join(" ")}: no answer within ${timeout} s` : oneLine(result) };
    }
    try {
      return { value: JSON.parse(result.stdout) as Record<string, unknown> };
    } catch {
      return { error: `oc get ${args.join(" ")} printed no JSON` };
    }
  }

  async bootstrapComplete(): Promise<ApiAnswer<boolean>> {
    const answer = await this.get(["configmap", "bootstrap", "-n", "kube-system"]);
    if (answer.error) return { error: answer.error };
    const data = (answer.value?.data ?? {}) as { status?: string };
    return { value: data.status === "complete" };
  }

  async installComplete(): Promise<ApiAnswer<boolean>> {
    const answer = await this.get(["clusterversion", "version"]);
    if (answer.error) return { error: answer.error };
    const conditions = ((answer.value?.status ?? {}) as { conditions?: { type?: string; status?: string }[] }).conditions ?? [];
    return { value: conditions.some((c) => c.type === "Available" && c.status === "True") };
  }

  async readyNodes(): Promise<ApiAnswer<string[]>> {
    const answer = await this.get(["nodes"]);
    if (answer.error) return { error: answer.error };
    const items = ((answer.value?.items ?? []) as { metadata?: { name?: string }; status?: { conditions?: { type?: string; status?: string }[] } }[]).filter(
      (n) => (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    );
    return { value: items.map((n) => n.metadata?.name ?? "").filter((n) => n !== "") };
  }
}
