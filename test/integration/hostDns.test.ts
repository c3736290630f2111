/**
 * The host DNS setup and teardown run exactly as `pulumi stack output` prints them (one string,
 * piped to bash), with stand-ins for the host's programs: `sudo` runs its command, `tee` and `rm`
 * write under a temp root instead of /etc, `systemctl`, `virsh`, `resolvectl` and `getent` log
 * their arguments. Nothing on this machine changes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderLabOutputs } from "../../render/labOutputs";
import { planFor, seedRawConfig } from "../fixtures/labs";
import { run } from "./tools";

const plan = planFor(seedRawConfig());
const outputs = renderLabOutputs(plan, { assetsDir: ".okd/dev", installer: "openshift-install", approveCsrs: false, libvirtUri: "qemu:///system" });

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-hostdns-"));
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  const log = `echo "$(basename "$0") $*" >> "${root}/calls.log"`;
  stub("sudo", 'exec "$@"');
  stub("tee", `${log}\nmkdir -p "$(dirname "${root}/fs$1")" && exec /usr/bin/tee "${root}/fs$1" >/dev/null`);
  stub("rm", `${log}\nshift; for f in "$@"; do /bin/rm -f "${root}/fs$f"; done`);
  stub("systemctl", `${log}\nif [ "$1" = is-active ]; then [ -e "${root}/resolved-active" ]; fi`);
  // virsh 9's net-info lines (C locale); a stopped network still names its bridge.
  const netInfo = (active: string) =>
    `printf 'Name:           okd-net\\nUUID:           dd8fe884-6c02-601e-7551-cca97df1c5df\\nActive:         ${active}\\nPersistent:     yes\\nAutostart:      yes\\nBridge:         virbr7\\n\\n'`;
  stub("virsh", `${log}\nif [ -e "${root}/network-stopped" ]; then ${netInfo("no")}; else ${netInfo("yes")}; fi`);
  stub("resolvectl", log);
  stub("getent", `${log}\necho "${plan.infra.ip}     api.${plan.dns.zone}"`);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Runs a script as `... | bash` does, with the stand-ins first on PATH. */
function pipeToBash(script: string) {
  return run("/bin/bash", [], { input: script, env: { PATH: `${root}/bin:/usr/bin:/bin` } });
}
const calls = () => fs.readFileSync(path.join(root, "calls.log"), "utf8").trim().split("\n");
const file = (p: string) => fs.readFileSync(path.join(root, "fs", p), "utf8");

describe("hostDnsSetup piped to bash", () => {
  it("without systemd-resolved writes NetworkManager's dnsmasq files with real lines, then reloads NetworkManager", () => {
    const result = pipeToBash(outputs.hostDnsSetup);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(file("/etc/NetworkManager/conf.d/okd-lab-dns.conf")).toBe("[main]\ndns=dnsmasq\n");
    expect(file("/etc/NetworkManager/dnsmasq.d/okd-lab.conf")).toBe("server=/okd-lab.okd.local/10.56.0.10\nserver=/0.56.10.in-addr.arpa/10.56.0.10\n");
    expect(calls()).toEqual([
      "systemctl is-active --quiet systemd-resolved",
      "tee /etc/NetworkManager/conf.d/okd-lab-dns.conf",
      "tee /etc/NetworkManager/dnsmasq.d/okd-lab.conf",
      "systemctl reload NetworkManager",
      "getent hosts api.okd-lab.okd.local",
    ]);
  });

  it("with systemd-resolved routes the lab zones to the infra node on the lab bridge, found with the stack's URI", () => {
    fs.writeFileSync(path.join(root, "resolved-active"), "");
    const result = pipeToBash(outputs.hostDnsSetup);
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(root, "fs"))).toBe(false);
    expect(calls()).toEqual([
      "systemctl is-active --quiet systemd-resolved",
      "virsh -c qemu:///system net-info okd-net",
      "resolvectl dns virbr7 10.56.0.10",
      "resolvectl domain virbr7 ~okd-lab.okd.local ~0.56.10.in-addr.arpa",
      "getent hosts api.okd-lab.okd.local",
    ]);
  });

  it("with systemd-resolved and the lab network stopped, stops before resolvectl and prints the virsh command that starts it", () => {
    fs.writeFileSync(path.join(root, "resolved-active"), "");
    fs.writeFileSync(path.join(root, "network-stopped"), "");
    const result = pipeToBash(outputs.hostDnsSetup);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("okd-lab: network okd-net is not running (virsh -c 'qemu:///system' net-start okd-net)\n");
    expect(calls()).toEqual(["systemctl is-active --quiet systemd-resolved", "virsh -c qemu:///system net-info okd-net"]);
  });

  it("with systemd-resolved and virsh failing (no such network, no access to libvirt), stops with virsh's own words", () => {
    fs.writeFileSync(path.join(root, "resolved-active"), "");
    const virshError = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied";
    fs.writeFileSync(path.join(root, "bin", "virsh"), `#!/bin/bash\necho "virsh $*" >> "${root}/calls.log"\nprintf '%s\\n' "${virshError}" >&2\nexit 1\n`, {
      mode: 0o755,
    });
    const result = pipeToBash(outputs.hostDnsSetup);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`okd-lab: virsh -c 'qemu:///system' net-info okd-net failed: ${virshError}\n`);
    expect(calls()).toEqual(["systemctl is-active --quiet systemd-resolved", "virsh -c qemu:///system net-info okd-net"]);
  });

  it("is undone by hostDnsTeardown, which removes both files and reloads NetworkManager", () => {
    expect(pipeToBash(outputs.hostDnsSetup).status).toBe(0);
    fs.rmSync(path.join(root, "calls.log"));
    // The teardown tests the real paths: point them at the stand-in root.
    const teardown = outputs.hostDnsTeardown.replace(/\[ -e \/etc\//g, `[ -e ${root}/fs/etc/`);
    const result = pipeToBash(teardown);
    expect(result.status).toBe(0);
    expect(fs.readdirSync(path.join(root, "fs/etc/NetworkManager/conf.d"))).toEqual([]);
    expect(fs.readdirSync(path.join(root, "fs/etc/NetworkManager/dnsmasq.d"))).toEqual([]);
    expect(calls()).toEqual([
      "rm -f /etc/NetworkManager/conf.d/okd-lab-dns.conf /etc/NetworkManager/dnsmasq.d/okd-lab.conf",
      "systemctl reload NetworkManager",
    ]);
  });
});
