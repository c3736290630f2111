/**
 * Starts the private libvirt with a running network (so dnsmasq runs too), prints
 * `{"ns", "dir", "daemonPid", "dnsmasqPid"}` as one JSON line, then dies by SIGKILL without any cleanup: the
 * teardown test checks that the namespace guardian removes everything anyway.
 */
import { PrivateLibvirt } from "./privateLibvirt";
import { networkXml } from "./providerXml";

async function main(): Promise<void> {
  const host = await PrivateLibvirt.start();
  host.define("net-define", networkXml({ name: "okdlab-abandoned", mode: "nat", addresses: ["10.57.0.0/24"] }));
  host.virshOk(["net-start", "okdlab-abandoned"]);
  const dnsmasqPid = Number(host.run(["cat", "/run/libvirt/network/okdlab-abandoned.pid"]).stdout.trim());
  process.stdout.write(`${JSON.stringify({ ns: host.ns, dir: host.dir, daemonPid: host.daemonPid, dnsmasqPid })}\n`, () =>
    process.kill(process.pid, "SIGKILL"),
  );
}

void main();
