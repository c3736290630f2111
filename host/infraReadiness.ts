/**
 * The infra node serves the lab again: what `npm run start` waits for before it boots the control
 * plane. The same conditions as the readiness gate before the first boot (render/readinessGate.ts:
 * `api-int` resolves at the infra node, 6443 and 22623 accept connections), plus NTP, checked with
 * the shared checks of `npm run verify` (verify/checks.ts) through a {@link Probe}: the host's own
 * (dig, sockets, chronyd -Q), the e2e suite's inside a network namespace, or a fake.
 */
import { LabPlan, PORTS } from "../plan/labPlan";
import { CheckResult, checkForwardRecord, checkNtp, formatResult, Probe } from "../verify/checks";

/** Seconds `npm run start` waits for the infra node by default (the readiness gate's bound). */
export { READINESS_TIMEOUT_SECONDS } from "../render/readinessGate";

/** One round of the checks: DNS for api-int, the API and machine-config ports, NTP. */
export async function infraReadinessChecks(probe: Probe, plan: LabPlan): Promise<CheckResult[]> {
  const ip = plan.infra.ip;
  const dns = await checkForwardRecord(probe, ip, plan.dns.zone, "api-int", ip);
  const ports = await Promise.all(
    [PORTS.api, PORTS.machineConfig].map(async (port): Promise<CheckResult> => {
      const name = `tcp ${ip}:${port}`;
      const r = await probe.connect(ip, port);
      return r.ok
        ? { name, ok: true, detail: "accepts connections", fix: "" }
        : { name, ok: false, detail: r.error ?? "closed", fix: `check systemctl status haproxy on ${plan.infra.name} and that firewalld opens ${port}` };
    }),
  );
  const ntp = await checkNtp(probe, plan);
  return [dns, ...ports, ntp];
}

/** Clock and sleep, injectable so tests do not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** The infra node did not serve the lab in time; `message` lists the checks that still fail. */
export class InfraNotReady extends Error {}

/**
 * Repeats {@link infraReadinessChecks} until all pass.
 * @throws InfraNotReady after `timeoutSeconds`, naming each failing check and its fix.
 */
export async function waitForInfra(
  probe: Probe,
  plan: LabPlan,
  options: { timeoutSeconds: number; pollSeconds?: number; clock?: Clock; log?: (line: string) => void },
): Promise<CheckResult[]> {
  const clock = options.clock ?? realClock;
  const deadline = clock.now() + options.timeoutSeconds * 1000;
  let reported = "";
  for (;;) {
    const results = await infraReadinessChecks(probe, plan);
    const failing = results.filter((r) => !r.ok);
    if (failing.length === 0) return results;
    const summary = failing.map((r) => r.name).join(", ");
    if (summary !== reported) options.log?.(`waiting for ${plan.infra.name}: ${summary}`);
    reported = summary;
    if (clock.now() >= deadline) {
      throw new InfraNotReady(
        `${plan.infra.name} does not serve the lab after ${options.timeoutSeconds} s:\n${failing.map((r) => `  ${formatResult(r)}`).join("\n")}`,
      );
    }
    await clock.sleep((options.pollSeconds ?? 5) * 1000);
  }
}
