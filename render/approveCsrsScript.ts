/**
 * The opt-in CSR approval (`okd-lab:approveCsrs: true`): a bounded host command that approves
 * only the pending certificate signing requests of the nodes this stack created, in the two
 * rounds OKD needs, until those nodes are Ready.
 *
 * OKD's rounds (openshift-docs, "Approving the certificate signing requests for your machines"):
 * first the kubelet's client CSR, requested by the node-bootstrapper service account for
 * `CN=system:node:<node>`; then its serving CSR, requested by `system:node:<node>` itself for the
 * same subject. A CSR whose subject or requestor names any other node is never approved.
 */

/** The service account that requests a new node's first (client) certificate. */
export const NODE_BOOTSTRAPPER = "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper";

/** Seconds the approval waits for every node to be Ready. */
export const APPROVAL_TIMEOUT_SECONDS = 3600;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface ApproveCsrsArgs {
  /** Node names as the kubelet registers them (the nodes' FQDNs, see nodeIgnition.ts). */
  nodes: string[];
  kubeconfig: string;
  /** `oc` binary; default `oc` on PATH. */
  oc?: string;
  timeoutSeconds?: number;
  /** Seconds between rounds. */
  intervalSeconds?: number;
}

/** Bash for a `command.local.Command`; exits 1 naming the nodes that did not join in time. */
export function renderApproveCsrsScript(args: ApproveCsrsArgs): string {
  const oc = args.oc ?? "oc";
  const timeout = args.timeoutSeconds ?? APPROVAL_TIMEOUT_SECONDS;
  const interval = args.intervalSeconds ?? 15;
  return [
    "set -uo pipefail",
    `export KUBECONFIG=${shellQuote(args.kubeconfig)}`,
    `oc=${shellQuote(oc)}`,
    `nodes=(${args.nodes.map(shellQuote).join(" ")})`,
    `deadline=$((SECONDS + ${timeout}))`,
    "# oc's last complaint (an unreachable API, a wrong kubeconfig) is shown if the nodes never join.",
    "errors=$(mktemp)",
    "trap 'rm -f \"$errors\"' EXIT",
    "log() { printf 'okd-lab approve-csrs: %s\\n' \"$*\" >&2; }",
    'is_ours() { local n; for n in "${nodes[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }',
    "# Approves the pending CSRs whose subject and requestor both name a node of ours.",
    "approve_round() {",
    "  local name user request cn node",
    `  "$oc" get csr -o go-template='{{range .items}}{{if not .status.conditions}}{{.metadata.name}} {{.spec.username}} {{.spec.request}}{{"\\n"}}{{end}}{{end}}' 2>"$errors" |`,
    "  while read -r name user request; do",
    '    [ -n "$name" ] || continue',
    "    cn=$(printf '%s' \"$request\" | base64 -d 2>/dev/null | openssl req -noout -subject -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p')",
    "    node=${cn#system:node:}",
    '    if [ "$node" = "$cn" ] || ! is_ours "$node"; then continue; fi',
    `    if [ "$user" != ${shellQuote(NODE_BOOTSTRAPPER)} ] && [ "$user" != "system:node:$node" ]; then`,
    '      log "not approving $name: requested by $user for $cn"',
    "      continue",
    "    fi",
    '    "$oc" adm certificate approve "$name" >/dev/null && log "approved $name ($cn, requested by $user)"',
    "  done",
    "}",
    "not_ready() {",
    "  local n status",
    '  for n in "${nodes[@]}"; do',
    '    status=$("$oc" get node "$n" -o jsonpath=\'{.status.conditions[?(@.type=="Ready")].status}\' 2>/dev/null)',
    '    [ "$status" = True ] || printf \'%s \' "$n"',
    "  done",
    "}",
    "while :; do",
    "  approve_round",
    "  waiting=$(not_ready)",
    '  if [ -z "$waiting" ]; then log "all nodes Ready: ${nodes[*]}"; exit 0; fi',
    '  if [ "$SECONDS" -ge "$deadline" ]; then',
    `    log "not Ready after ${timeout}s: $waiting- check 'oc get csr' and the nodes' consoles (virsh console okd-<name>)"`,
    '    if [ -s "$errors" ]; then log "last oc error: $(tail -n 3 "$errors")"; fi',
    "    exit 1",
    "  fi",
    `  sleep ${interval}`,
    "done",
    "",
  ].join("\n");
}
