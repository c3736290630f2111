/**
 * The host-side wait before any Fedora CoreOS node boots: the nodes fetch their Ignition from
 * `https://api-int.<domain>:22623` in the initramfs, so DNS and HAProxy must already answer.
 */
import { LabPlan, PORTS } from "../plan/labPlan";

/** Seconds the gate waits before failing `pulumi up`. */
export const READINESS_TIMEOUT_SECONDS = 900;

/** Bash that waits until `api-int` resolves at the infra node and 6443/22623 accept connections. */
export function renderReadinessGateScript(plan: LabPlan, timeoutSeconds = READINESS_TIMEOUT_SECONDS): string {
  const ip = plan.infra.ip;
  const name = `api-int.${plan.cluster.domain}`;
  return [
    "set -uo pipefail",
    `deadline=$((SECONDS + ${timeoutSeconds}))`,
    "ready() {",
    `  [ "$(dig +short +time=2 +tries=1 @${ip} ${name} A)" = "${ip}" ] || { why="${name} does not resolve to ${ip} at ${ip}:53 (CoreDNS)"; return 1; }`,
    ...[PORTS.api, PORTS.machineConfig].map(
      (port) => `  timeout 3 bash -c '</dev/tcp/${ip}/${port}' 2>/dev/null || { why="${ip}:${port} does not accept connections (HAProxy)"; return 1; }`,
    ),
    "}",
    "until ready; do",
    '  if [ "$SECONDS" -ge "$deadline" ]; then',
    `    echo "okd-lab: the infra node is not serving the lab after ${timeoutSeconds}s: $why. Check 'systemctl status coredns haproxy' on ${plan.infra.name} and run 'npm run verify'." >&2`,
    "    exit 1",
    "  fi",
    "  sleep 5",
    "done",
    `echo "infra node ${ip} serves ${name}, :${PORTS.api} and :${PORTS.machineConfig}"`,
    "",
  ].join("\n");
}
