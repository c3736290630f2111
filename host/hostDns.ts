/**
 * Phase 2b of `npm run up`: applies the stack's `hostDnsSetup` commands (NetworkManager's dnsmasq
 * forwards the lab zones to the infra node) so that openshift-install and oc on this host resolve
 * the cluster's names. As root the commands run as they are; otherwise sudo asks for the password
 * once (`sudo -v`) and caches it for the commands; without a terminal to ask on, only a sudo that
 * needs no password is used, else the caller prints the commands.
 */
import { ProgramRunner } from "./installerWait";

export interface HostDnsOptions {
  /** Running as root (uid 0). */
  isRoot: boolean;
  /** A terminal is attached: sudo may ask for a password. */
  interactive: boolean;
  run: ProgramRunner;
  /** `sudo -v` with the terminal attached (it asks for the password); returns its exit status. */
  sudoValidate(): number;
  onLine: (line: string) => void;
}

/** Runs the setup commands; `ok: false` names why they could not run or which one failed. */
export async function applyHostDnsSetup(commands: readonly string[], options: HostDnsOptions): Promise<{ ok: boolean; detail: string }> {
  if (commands.length === 0) return { ok: false, detail: "the stack has no hostDnsSetup commands" };
  let prefix = "";
  if (options.isRoot) {
    // Root needs no sudo (and a minimal host may not have it): the commands' sudo runs them as they are.
    prefix = 'sudo() { "$@"; }\n';
  } else if (options.interactive) {
    options.onLine("sudo -v   # the host DNS setup changes NetworkManager's configuration");
    const status = options.sudoValidate();
    if (status !== 0) return { ok: false, detail: `sudo -v exited with ${status}` };
  } else {
    const check = await options.run("sudo", ["-n", "true"], {});
    if (check.code !== 0) return { ok: false, detail: "not root, and sudo needs a password but there is no terminal to ask for it" };
  }
  for (const command of commands) {
    options.onLine(`$ ${command}`);
    const result = await options.run("bash", ["-c", `set -euo pipefail\n${prefix}${command}`], { onLine: (line) => options.onLine(line) });
    if (result.code !== 0) return { ok: false, detail: `'${command}' exited with ${result.code}: ${result.lastLine ?? "no output"}` };
  }
  return { ok: true, detail: `${commands.length} commands applied` };
}
