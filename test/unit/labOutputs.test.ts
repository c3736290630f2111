import { infraKnownHostsLine, renderLabDiagram, renderLabOutputs, statsTunnelArgs } from "../../render/labOutputs";
import { planFor, seedRawConfig } from "../fixtures/labs";

const args = { assetsDir: ".okd/dev", installer: "openshift-install", approveCsrs: false, libvirtUri: "qemu:///system" };

describe("stack outputs", () => {
  it("draws the seed lab like the design document, from the plan", () => {
    expect(renderLabDiagram(planFor(seedRawConfig()))).toBe(
      [
        "+---------------------------------------------------------------------------------------------+",
        "| libvirt host, NAT network okd-net 10.56.0.0/24, gateway 10.56.0.1                           |",
        "|                                                                                             |",
        "| okd-infra      10.56.0.10  AlmaLinux 9    CoreDNS, HAProxy, chrony                          |",
        "| okd-bootstrap  10.56.0.11  Fedora CoreOS  bootstrap (temporary control plane, serves 22623) |",
        "| okd-master     10.56.0.12  Fedora CoreOS  control plane                                     |",
        "| okd-worker     10.56.0.13  Fedora CoreOS  worker + ingress router                           |",
        "+---------------------------------------------------------------------------------------------+",
        "DNS (10.56.0.10:53): api, api-int, *.apps.okd-lab.okd.local -> 10.56.0.10",
        "HAProxy on 10.56.0.10:",
        "  :6443  api            -> bootstrap:6443, master:6443",
        "  :22623 machine-config -> bootstrap:22623, master:22623",
        "  :80    ingress-http   -> worker:80",
        "  :443   ingress-https  -> worker:443",
        "",
      ].join("\n"),
    );
  });

  it("gives the URLs and commands a person uses", () => {
    const out = renderLabOutputs(planFor(seedRawConfig()), args);
    expect(out.apiUrl).toBe("https://api.okd-lab.okd.local:6443");
    expect(out.consoleUrl).toBe("https://console-openshift-console.apps.okd-lab.okd.local");
    // The stats page listens on the infra node's loopback: the URL is this end of the ssh -L tunnel.
    expect(out.statsUrl).toBe("http://127.0.0.1:9000/");
    expect(out.statsTunnel).toBe(
      "ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes -N -L 127.0.0.1:9000:127.0.0.1:9000 okd@10.56.0.10",
    );
    expect(out.sshInfra).toBe("ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=yes okd@10.56.0.10");
    expect(out.sshNodes).toEqual({
      bootstrap: "ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=accept-new core@10.56.0.11",
      master: "ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=accept-new core@10.56.0.12",
      worker: "ssh -i okd-lab.key -o IdentitiesOnly=yes -o UserKnownHostsFile=okd-lab.known_hosts -o StrictHostKeyChecking=accept-new core@10.56.0.13",
    });
    for (const command of [out.sshInfra, out.statsTunnel, ...Object.values(out.sshNodes)]) expect(command).not.toMatch(/StrictHostKeyChecking=no|\/dev\/null/);
  });

  it("builds a tunnel with other files and another local end: a port or a unix socket", () => {
    const plan = planFor(seedRawConfig());
    expect(statsTunnelArgs(plan, { keyFile: "/tmp/v/key", knownHostsFile: "/tmp/v/known_hosts" }, 40123)).toEqual([
      "-i",
      "/tmp/v/key",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "UserKnownHostsFile=/tmp/v/known_hosts",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "ExitOnForwardFailure=yes",
      "-N",
      "-L",
      "127.0.0.1:40123:127.0.0.1:9000",
      "okd@10.56.0.10",
    ]);
    // A path is a unix socket's: no port on this host's loopback at all.
    expect(statsTunnelArgs(plan, { keyFile: "k", knownHostsFile: "kh" }, "/tmp/v/stats.sock").slice(-3)).toEqual([
      "-L",
      "/tmp/v/stats.sock:127.0.0.1:9000",
      "okd@10.56.0.10",
    ]);
  });

  it("writes the key owner-only from the first byte, saves the pinned host key, and logs in without a password on a command line", () => {
    const out = renderLabOutputs(planFor(seedRawConfig()), args);
    expect(out.sshKeyCommand).toBe(
      "(umask 077 && pulumi stack output --show-secrets sshPrivateKey > okd-lab.key) && pulumi stack output knownHosts > okd-lab.known_hosts",
    );
    expect(out.ocLogin).toBe("export KUBECONFIG='.okd/dev/auth/kubeconfig' && oc whoami --show-server");
    expect(infraKnownHostsLine(planFor(seedRawConfig()), "ssh-ed25519 AAAAkey\n")).toBe("10.56.0.10,okd-infra.okd-lab.okd.local ssh-ed25519 AAAAkey");
  });

  it("quotes the assets folder and the installer in every printed command", () => {
    const out = renderLabOutputs(planFor(seedRawConfig()), { ...args, assetsDir: "my assets/$(x)", installer: "/opt/okd it's/openshift-install" });
    expect(out.nextSteps).toContain("'/opt/okd it'\\''s/openshift-install' wait-for bootstrap-complete --dir 'my assets/$(x)' --log-level info");
    expect(out.nextSteps).toContain("export KUBECONFIG='my assets/$(x)/auth/kubeconfig'");
    expect(out.ocLogin).toBe("export KUBECONFIG='my assets/$(x)/auth/kubeconfig' && oc whoami --show-server");
  });

  it("lists the bootstrap steps while the bootstrap exists, then only what is left", () => {
    const withBootstrap = renderLabOutputs(planFor(seedRawConfig()), args).nextSteps;
    expect(withBootstrap[1]).toBe("'openshift-install' wait-for bootstrap-complete --dir '.okd/dev' --log-level info");
    expect(withBootstrap[2]).toMatch(/^pulumi config set --path okd-lab:bootstrap\.enabled false && pulumi up/);
    const dropped = renderLabOutputs(planFor({ ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } }), args).nextSteps;
    expect(dropped.join("\n")).not.toContain("bootstrap-complete");
    expect(dropped[dropped.length - 1]).toBe("'openshift-install' wait-for install-complete --dir '.okd/dev'");
  });

  it("names the CSRs to approve by the nodes' FQDNs, or says the program approves them", () => {
    const manual = renderLabOutputs(planFor(seedRawConfig()), args).nextSteps.join("\n");
    expect(manual).toContain("for master.okd-lab.okd.local, worker.okd-lab.okd.local");
    const auto = renderLabOutputs(planFor(seedRawConfig()), { ...args, approveCsrs: true }).nextSteps.join("\n");
    expect(auto).toContain("okd-lab:approveCsrs is on");
  });
});

describe("host DNS setup", () => {
  // Reviewed line by line: systemd-resolved hosts route the zones on the lab bridge (resolved sends
  // .local names to unicast DNS only under a routing or search domain, resolved-dns-scope.c);
  // other hosts get NetworkManager's dnsmasq plugin. Heredocs, not printf escapes: the text is run
  // exactly as `pulumi stack output hostDnsSetup` prints it.
  it("is one bash script with real newlines, for systemd-resolved and for NetworkManager's dnsmasq", () => {
    const setup = renderLabOutputs(planFor(seedRawConfig()), args).hostDnsSetup;
    expect(setup).toBe(
      [
        "# okd-lab: make this host resolve okd-lab.okd.local through the infra node 10.56.0.10 (needs sudo).",
        "set -euo pipefail",
        "if systemctl is-active --quiet systemd-resolved; then",
        `  if ! info=$(LC_ALL=C virsh -c 'qemu:///system' net-info okd-net 2>&1); then echo 'okd-lab: virsh -c '\\''qemu:///system'\\'' net-info okd-net failed: '"$info" >&2; exit 1; fi`,
        `  bridge=$(awk '$1 == "Active:" { active = $2 } $1 == "Bridge:" { bridge = $2 } END { if (active == "yes") print bridge }' <<<"$info")`,
        `  [ -n "$bridge" ] || { echo 'okd-lab: network okd-net is not running (virsh -c '\\''qemu:///system'\\'' net-start okd-net)' >&2; exit 1; }`,
        '  sudo resolvectl dns "$bridge" 10.56.0.10',
        "  sudo resolvectl domain \"$bridge\" '~okd-lab.okd.local' '~0.56.10.in-addr.arpa'",
        "else",
        "  sudo tee /etc/NetworkManager/conf.d/okd-lab-dns.conf >/dev/null <<'EOF'",
        "[main]",
        "dns=dnsmasq",
        "EOF",
        "  sudo tee /etc/NetworkManager/dnsmasq.d/okd-lab.conf >/dev/null <<'EOF'",
        "server=/okd-lab.okd.local/10.56.0.10",
        "server=/0.56.10.in-addr.arpa/10.56.0.10",
        "EOF",
        "  sudo systemctl reload NetworkManager",
        "fi",
        "getent hosts api.okd-lab.okd.local   # prints 10.56.0.10 once the infra node serves DNS",
        "",
      ].join("\n"),
    );
    expect(setup).not.toContain("\\n");
  });

  it("comes first in nextSteps: nothing on the host resolves the cluster before it", () => {
    expect(renderLabOutputs(planFor(seedRawConfig()), args).nextSteps[0]).toMatch(/^pulumi stack output hostDnsSetup \| bash /);
  });

  it("has a teardown that removes exactly the files the setup writes", () => {
    const { hostDnsSetup, hostDnsTeardown } = renderLabOutputs(planFor(seedRawConfig()), args);
    const written = [...hostDnsSetup.matchAll(/sudo tee (\S+)/g)].map((m) => m[1]);
    expect(written).toEqual(["/etc/NetworkManager/conf.d/okd-lab-dns.conf", "/etc/NetworkManager/dnsmasq.d/okd-lab.conf"]);
    expect(hostDnsTeardown).toContain(`sudo rm -f ${written.join(" ")}\n  sudo systemctl reload NetworkManager\n`);
  });
});

describe("node table", () => {
  it("lists the infra VM and every node with role, address, MAC, FQDN and size", () => {
    expect(renderLabOutputs(planFor(seedRawConfig()), args).nodes).toEqual([
      {
        name: "okd-infra",
        role: "infra",
        ip: "10.56.0.10",
        mac: "52:54:00:38:00:0a",
        fqdn: "okd-infra.okd-lab.okd.local",
        vcpu: 2,
        memoryMiB: 4096,
        diskGiB: 20,
      },
      {
        name: "okd-bootstrap",
        role: "bootstrap",
        ip: "10.56.0.11",
        mac: "52:54:00:38:00:0b",
        fqdn: "bootstrap.okd-lab.okd.local",
        vcpu: 4,
        memoryMiB: 16384,
        diskGiB: 100,
      },
      {
        name: "okd-master",
        role: "master",
        ip: "10.56.0.12",
        mac: "52:54:00:38:00:0c",
        fqdn: "master.okd-lab.okd.local",
        vcpu: 4,
        memoryMiB: 16384,
        diskGiB: 100,
      },
      {
        name: "okd-worker",
        role: "worker",
        ip: "10.56.0.13",
        mac: "52:54:00:38:00:0d",
        fqdn: "worker.okd-lab.okd.local",
        vcpu: 2,
        memoryMiB: 8192,
        diskGiB: 100,
      },
    ]);
  });
});
