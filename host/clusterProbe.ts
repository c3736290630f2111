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
  /** Seconds `oc` may wait for one answer (`--request-timeout`). */
  requestTimeoutSeconds?: number;
}

function oneLine(result: ProgramResult): string {
  const text = (result.stderr || result.stdout).trim().split("\n").filter(Boolean);
  return text[text.length - 1] ?? `oc exited with ${result.code}`;
}

/** {@link ClusterProbe} through `oc`. */
export class OcClusterProbe implements ClusterProbe {
  constructor(private readonly options: OcOptions) {}

  private async get(args: string[]): Promise<ApiAnswer<string>> {
    const timeout = this.options.requestTimeoutSeconds ?? 15;
    const result = await runProgram(this.options.oc, ["--kubeconfig", this.options.kubeconfig, `--request-timeout=${timeout}s`, ...args], {
      env: this.options.env,
      timeoutMs: (timeout + 15) * 1000,
    });
    if (result.code !== 0) return { error: oneLine(result) };
    return { value: result.stdout.trim() };
  }

  async bootstrapComplete(): Promise<ApiAnswer<boolean>> {
    const answer = await this.get(["get", "configmap", "bootstrap", "-n", "kube-system", "-o", "jsonpath={.data.status}"]);
    // NotFound is an answer: the bootstrap has not reported yet.
    if (answer.error && /NotFound|not found/.test(answer.error)) return { value: false };
    return answer.error ? { error: answer.error } : { value: answer.value === "complete" };
  }

  async installComplete(): Promise<ApiAnswer<boolean>> {
    const answer = await this.get(["get", "clusterversion", "version", "-o", 'jsonpath={.status.conditions[?(@.type=="Available")].status}']);
    if (answer.error && /NotFound|not found/.test(answer.error)) return { value: false };
    return answer.error ? { error: answer.error } : { value: answer.value === "True" };
  }

  async readyNodes(): Promise<ApiAnswer<string[]>> {
    const answer = await this.get([
      "get",
      "nodes",
      "-o",
      'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    if (answer.error) return { error: answer.error };
    const ready = (answer.value ?? "")
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter(([name, status]) => name && status === "True")
      .map(([name]) => name);
    return { value: ready };
  }
}
