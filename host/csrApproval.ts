/**
 * Approves the certificate signing requests of joining nodes with `oc`, and nothing else: every
 * pending request goes through the policy (csrPolicy.ts); refused ones are logged once with the
 * reason and left alone. Finishes when every node it approves for is Ready and its serving
 * certificate is dealt with; throws {@link CsrApprovalTimeout} otherwise.
 *
 * `oc` is called with exactly three command lines, each with `--kubeconfig`:
 * `get csr -o json`, `get nodes -o json` and `adm certificate approve <name>` (kubectl
 * pkg/cmd/certificates/certificates.go, which oc ships as `oc adm certificate`: it prints
 * `certificatesigningrequest.certificates.k8s.io/<name> approved`, and refuses a denied request).
 */
import { execFile } from "node:child_process";
import { CsrKind, CsrNode, CsrParseError, decideCsrRound, KUBELET_SERVING_SIGNER, parseCsrRequest, ParsedCsr } from "./csrPolicy";

export interface CsrApprovalOptions {
  /** The `oc` binary: a path or a name on PATH, e.g. `oc`. */
  oc: string;
  /** Path of the cluster's admin kubeconfig, e.g. `<assets>/auth/kubeconfig`. */
  kubeconfig: string;
  /** The nodes to approve for; bootstrap nodes never join and are skipped. */
  nodes: CsrNode[];
  /** Seconds to wait for every node to be Ready with its certificates approved, e.g. 3600. */
  timeoutSeconds: number;
  /** Seconds between polls; default 10. */
  pollSeconds?: number;
  /** Receives one line per approval, refusal, `oc` failure and the final state. */
  log: (line: string) => void;
  /** Environment of `oc`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface CsrApprovalResult {
  /** Names of the CSRs this run approved. */
  approved: string[];
  /** Pending CSRs this run left alone, with the reason (the last one given for each). */
  refused: { name: string; reason: string }[];
  /** FQDNs of the nodes that are Ready. */
  ready: string[];
}

/** The nodes did not finish joining in time; the message names what it waited for and saw last. */
export class CsrApprovalTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsrApprovalTimeout";
  }
}

/** The plain-data part of {@link CsrApprovalOptions}, as the stack passes it to scripts/approveCsrs.ts. */
export interface CsrApprovalRequest {
  oc: string;
  kubeconfig: string;
  nodes: CsrNode[];
  timeoutSeconds: number;
  pollSeconds?: number;
}

const ROLES = ["bootstrap", "master", "worker"];

/** Checks a JSON request; returns it or the list of problems. */
export function parseCsrApprovalRequest(text: string): CsrApprovalRequest | string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return ["the argument is not JSON"];
  }
  const r = raw as Partial<Record<keyof CsrApprovalRequest, unknown>>;
  const problems: string[] = [];
  if (typeof raw !== "object" || raw === null) return ["the argument is not a JSON object"];
  if (typeof r.oc !== "string" || r.oc === "") problems.push("oc must be a program name or path");
  if (typeof r.kubeconfig !== "string" || r.kubeconfig === "") problems.push("kubeconfig must be a path");
  if (typeof r.timeoutSeconds !== "number" || !(r.timeoutSeconds > 0)) problems.push("timeoutSeconds must be a positive number");
  if (r.pollSeconds !== undefined && (typeof r.pollSeconds !== "number" || !(r.pollSeconds > 0))) problems.push("pollSeconds must be a positive number");
  const nodes = Array.isArray(r.nodes) ? (r.nodes as Partial<CsrNode>[]) : undefined;
  if (!nodes) problems.push("nodes must be a list");
  for (const [i, n] of (nodes ?? []).entries()) {
    const ok =
      typeof n === "object" && n !== null && [n.name, n.fqdn, n.ip].every((v) => typeof v === "string" && v !== "") && ROLES.includes(n.role as string);
    if (!ok) problems.push(`nodes[${i}] must be {name, fqdn, ip, role: bootstrap|master|worker}`);
  }
  return problems.length > 0 ? problems : (raw as CsrApprovalRequest);
}

const DEFAULT_POLL_SECONDS = 10;

interface CsrItem {
  metadata?: { name?: string };
  spec?: { signerName?: string; username?: string; usages?: string[]; request?: string };
  status?: { conditions?: { type?: string }[] };
}

interface NodeItem {
  metadata?: { name?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}

class OcError extends Error {}

function runOc(opts: CsrApprovalOptions, args: string[]): Promise<string> {
  const argv = ["--kubeconfig", opts.kubeconfig, ...args];
  return new Promise((resolve, reject) => {
    execFile(opts.oc, argv, { env: opts.env ?? process.env, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const detail = (stderr || err.message).trim().split("\n").slice(-3).join(" / ");
        reject(new OcError(`oc ${args.join(" ")}: ${detail}`));
      } else resolve(stdout);
    });
  });
}

async function listItems<T>(opts: CsrApprovalOptions, resource: "csr" | "nodes"): Promise<T[]> {
  const text = await runOc(opts, ["get", resource, "-o", "json"]);
  let list: { items?: T[] };
  try {
    list = JSON.parse(text) as { items?: T[] };
  } catch {
    throw new OcError(`oc get ${resource} -o json printed no JSON: ${text.slice(0, 200)}`);
  }
  if (!Array.isArray(list.items)) throw new OcError(`oc get ${resource} -o json printed no item list`);
  return list.items;
}

function conditionTypes(item: CsrItem): string[] {
  return (item.status?.conditions ?? []).map((c) => c.type ?? "");
}

/** A CSR is pending until it has an Approved or Denied condition. */
function isPending(item: CsrItem): boolean {
  return !conditionTypes(item).some((t) => t === "Approved" || t === "Denied");
}

function toParsed(item: CsrItem): ParsedCsr | { name: string; error: string } {
  const name = item.metadata?.name ?? "(unnamed)";
  try {
    const pem = Buffer.from(item.spec?.request ?? "", "base64").toString("utf8");
    return {
      name,
      signerName: item.spec?.signerName ?? "",
      username: item.spec?.username ?? "",
      usages: item.spec?.usages ?? [],
      request: parseCsrRequest(pem),
    };
  } catch (err) {
    if (err instanceof CsrParseError) return { name, error: err.message };
    throw err;
  }
}

function readyNodes(items: NodeItem[]): string[] {
  return items
    .filter((n) => (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"))
    .map((n) => n.metadata?.name ?? "")
    .filter((n) => n !== "");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Approves the pending CSRs that the policy accepts for `opts.nodes` until each of those nodes is
 * Ready and has its serving certificate approved (by this run, earlier, or before the run began
 * with the node Ready), with no acceptable request of theirs left pending.
 *
 * @throws CsrApprovalTimeout after `opts.timeoutSeconds`, naming the nodes still waited for, what
 *   was seen of them last and the last `oc` error.
 */
export async function approveLabCsrs(opts: CsrApprovalOptions): Promise<CsrApprovalResult> {
  const nodes = opts.nodes.filter((n) => n.role !== "bootstrap");
  for (const skipped of opts.nodes.filter((n) => n.role === "bootstrap")) {
    opts.log(`skipping ${skipped.fqdn}: the bootstrap node never joins the cluster`);
  }
  const pollMs = (opts.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const approved: { fqdn: string; kind: CsrKind; name: string }[] = [];
  const refused = new Map<string, string>();
  const readyAtStart = new Set<string>();
  let firstRound = true;
  let lastOcError: string | undefined;
  let ready: string[] = [];
  let waitingFor: string[] = nodes.map((n) => n.fqdn);
  let lastSeen = "nothing yet (oc never answered)";

  for (;;) {
    try {
      const csrs = await listItems<CsrItem>(opts, "csr");
      const nodeItems = await listItems<NodeItem>(opts, "nodes");
      ready = readyNodes(nodeItems).filter((name) => nodes.some((n) => n.fqdn === name));
      if (firstRound) for (const name of ready) readyAtStart.add(name);
      firstRound = false;

      const pending: ParsedCsr[] = [];
      for (const item of csrs.filter(isPending)) {
        const parsed = toParsed(item);
        if ("error" in parsed) {
          if (refused.get(parsed.name) !== parsed.error) opts.log(`leaving ${parsed.name} alone: ${parsed.error}`);
          refused.set(parsed.name, parsed.error);
        } else pending.push(parsed);
      }
      const decisions = decideCsrRound(pending, { nodes, ready, approved });
      const stillPending = new Set<string>();
      for (const { name, decision } of decisions) {
        if (!decision.approve) {
          if (refused.get(name) !== decision.reason) opts.log(`leaving ${name} alone: ${decision.reason}`);
          refused.set(name, decision.reason);
          continue;
        }
        try {
          await runOc(opts, ["adm", "certificate", "approve", name]);
          approved.push({ fqdn: decision.node.fqdn, kind: decision.kind, name });
          refused.delete(name);
          opts.log(`approved ${name}: ${decision.kind} certificate of ${decision.node.fqdn}`);
        } catch (err) {
          if (!(err instanceof OcError)) throw err;
          lastOcError = err.message;
          opts.log(err.message);
          stillPending.add(decision.node.fqdn);
        }
      }

      // A serving request approved before this run (still listed) counts as dealt with.
      const servingApprovedEarlier = new Set(
        csrs
          .filter((c) => c.spec?.signerName === KUBELET_SERVING_SIGNER && conditionTypes(c).includes("Approved"))
          .map((c) => (c.spec?.username ?? "").replace(/^system:node:/, "")),
      );
      const status = nodes.map((n) => {
        const isReady = ready.includes(n.fqdn);
        const serving = approved.some((a) => a.fqdn === n.fqdn && a.kind === "serving") || servingApprovedEarlier.has(n.fqdn) || readyAtStart.has(n.fqdn);
        return { fqdn: n.fqdn, isReady, serving, done: isReady && serving && !stillPending.has(n.fqdn) };
      });
      waitingFor = status.filter((s) => !s.done).map((s) => s.fqdn);
      lastSeen = status
        .filter((s) => !s.done)
        .map((s) => `${s.fqdn} ${s.isReady ? "Ready" : "not Ready"}, serving certificate ${s.serving ? "approved" : "not approved"}`)
        .join("; ");
      if (waitingFor.length === 0) {
        opts.log(`all nodes Ready with their certificates: ${nodes.map((n) => n.fqdn).join(", ") || "(none)"}`);
        return { approved: approved.map((a) => a.name), refused: [...refused].map(([name, reason]) => ({ name, reason })), ready };
      }
    } catch (err) {
      if (!(err instanceof OcError)) throw err;
      if (err.message !== lastOcError) opts.log(err.message);
      lastOcError = err.message;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }

  const refusals = [...refused].map(([name, reason]) => `${name} (${reason})`);
  throw new CsrApprovalTimeout(
    [
      `waited ${opts.timeoutSeconds}s for ${waitingFor.join(", ")} to be Ready with approved certificates; last seen: ${lastSeen}.`,
      refusals.length > 0 ? `Left alone: ${refusals.join("; ")}.` : "",
      lastOcError ? `Last oc error: ${lastOcError}.` : "",
      "Check 'oc get csr' and the nodes' consoles (virsh console <domain>).",
    ]
      .filter((s) => s !== "")
      .join(" "),
  );
}
