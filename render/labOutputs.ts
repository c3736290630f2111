/**
 * The stack outputs a person reads: URLs, commands, next steps and a diagram of the lab, all
 * derived from the plan. Pure.
 */
import { FcosNodePlan, LabPlan, PORTS } from "../plan/labPlan";
import { INFRA_ADMIN_USER } from "./cloudInit";
import { shellQuote } from "./shellQuote";

/** File the README tells users to save the lab's SSH private key to. */
export const SSH_KEY_FILE = "okd-lab.key";
/** File the README tells users to save the `knownHosts` output to. */
export const KNOWN_HOSTS_FILE = "okd-lab.known_hosts";

/**
 * The `known_hosts` line of the infra node: its address and FQDN with the host key the program
 * generated and installed through cloud-init.
 * @param publicKey OpenSSH public key line, e.g. `ssh-ed25519 AAAA...`.
 */
export function infraKnownHostsLine(plan: LabPlan, publicKey: string): string {
  const [type, key] = publicKey.trim().split(/\s+/);
  return `${plan.infra.ip},${plan.infra.fqdn} ${type} ${key}`;
}

/** Where a person (or npm run verify) keeps the lab's SSH private key and the infra node's known_hosts line. */
export interface InfraSshFiles {
  keyFile: string;
  knownHostsFile: string;
}

const SAVED_SSH_FILES: InfraSshFiles = { keyFile: SSH_KEY_FILE, knownHostsFile: KNOWN_HOSTS_FILE };

/**
 * `ssh` options for the infra node: the lab's key only (IdentitiesOnly: an agent's keys would be
 * offered first and can use up sshd's MaxAuthTries) and its pinned host key (knownHosts output).
 */
function infraSshOptions(files: InfraSshFiles): string[] {
  return ["-i", files.keyFile, "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${files.knownHostsFile}`, "-o", "StrictHostKeyChecking=yes"];
}

/**
 * The `ssh` arguments of the tunnel to the stats page, which listens on the infra node's loopback
 * only: this host's `127.0.0.1:<localEnd>` (a port) or the unix socket `localEnd` (a path)
 * forwarded to the node's stats address, e.g.
 * `-i okd-lab.key ... -N -L 127.0.0.1:9000:127.0.0.1:9000 okd@10.56.0.10`. -N: forward only, no
 * remote command; ExitOnForwardFailure: fail at once when the local end cannot be made.
 */
export function statsTunnelArgs(plan: LabPlan, files: InfraSshFiles = SAVED_SSH_FILES, localEnd: number | string = plan.loadBalancer.stats.port): string[] {
  const { bindAddress, port } = plan.loadBalancer.stats;
  const local = typeof localEnd === "number" ? `127.0.0.1:${localEnd}` : localEnd;
  return [...infraSshOptions(files), "-o", "ExitOnForwardFailure=yes", "-N", "-L", `${local}:${bindAddress}:${port}`, `${INFRA_ADMIN_USER}@${plan.infra.ip}`];
}

/**
 * How a person reaches the stats page: the {@link statsTunnelArgs} command with the files the
 * README saves, the local port being the stats port itself, and the URL at this end of it, e.g.
 * `http://127.0.0.1:9000/`. (npm run verify opens its own tunnel: verify/statsTunnel.ts.)
 */
export function statsAccess(plan: LabPlan): { tunnel: string; url: string } {
  return { tunnel: ["ssh", ...statsTunnelArgs(plan)].join(" "), url: `http://127.0.0.1:${plan.loadBalancer.stats.port}/` };
}

export interface LabOutputsArgs {
  assetsDir: string;
  installer: string;
  approveCsrs: boolean;
  /** The stack's libvirt URI, e.g. `qemu:///system`: every printed `virsh` names it (a non-root virsh defaults to qemu:///session). */
  libvirtUri: string;
}

/** Files the host DNS setup writes for NetworkManager's dnsmasq plugin (and the teardown removes). */
export const HOST_DNS_FILES = {
  nmConf: "/etc/NetworkManager/conf.d/okd-lab-dns.conf",
  dnsmasqConf: "/etc/NetworkManager/dnsmasq.d/okd-lab.conf",
} as const;

export interface LabOutputs {
  infraIp: string;
  infraFqdn: string;
  apiUrl: string;
  consoleUrl: string;
  ocLogin: string;
  /** The stats page at this end of {@link LabOutputs.statsTunnel}, e.g. `http://127.0.0.1:9000/`. */
  statsUrl: string;
  /** The `ssh -L` command that reaches the stats page on the infra node's loopback. */
  statsTunnel: string;
  sshKeyCommand: string;
  sshInfra: string;
  sshNodes: Record<string, string>;
  /** Every VM of the lab: libvirt name, role, address, FQDN and size. */
  nodes: { name: string; role: string; ip: string; mac: string; fqdn: string; vcpu: number; memoryMiB: number; diskGiB: number }[];
  nextSteps: string[];
  /**
   * A bash script (one string, real newlines: `pulumi stack output hostDnsSetup` prints it as is)
   * that makes the host resolve the lab zones through the infra node; run it once with
   * `pulumi stack output hostDnsSetup | bash`.
   */
  hostDnsSetup: string;
  /** The bash script that undoes {@link LabOutputs.hostDnsSetup}; `npm run destroy` prints it. */
  hostDnsTeardown: string;
  diagram: string;
}

function roleDescription(node: FcosNodePlan): string {
  switch (node.role) {
    case "bootstrap":
      return "bootstrap (temporary control plane, serves 22623)";
    case "master":
      return "control plane";
    case "worker":
      return "worker + ingress router";
    default: {
      const unreachable: never = node.role;
      return unreachable;
    }
  }
}

/** A text diagram of the lab in the spirit of the design document's. */
export function renderLabDiagram(plan: LabPlan): string {
  const rows = [
    { name: plan.infra.domainName, ip: plan.infra.ip, os: "AlmaLinux 9", role: "CoreDNS, HAProxy, chrony" },
    ...plan.nodes.map((n) => ({ name: n.domainName, ip: n.ip, os: "Fedora CoreOS", role: roleDescription(n) })),
  ];
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const ipWidth = Math.max(...rows.map((r) => r.ip.length));
  const body = [
    `libvirt host, NAT network ${plan.network.name} ${plan.network.cidr}, gateway ${plan.network.gateway}`,
    "",
    ...rows.map((r) => `${r.name.padEnd(nameWidth)}  ${r.ip.padEnd(ipWidth)}  ${r.os.padEnd(13)}  ${r.role}`),
  ];
  const portWidth = Math.max(...plan.loadBalancer.services.map((s) => String(s.port).length)) + 1;
  const nameWidth2 = Math.max(...plan.loadBalancer.services.map((s) => s.name.length));
  const services = plan.loadBalancer.services.map(
    (s) =>
      `  ${`:${s.port}`.padEnd(portWidth)} ${s.name.padEnd(nameWidth2)} -> ${s.servers.length > 0 ? s.servers.map((b) => `${b.name}:${b.port}`).join(", ") : "(no servers)"}`,
  );
  const width = Math.max(...body.map((l) => l.length));
  const border = `+${"-".repeat(width + 2)}+`;
  return [
    border,
    ...body.map((l) => `| ${l.padEnd(width)} |`),
    border,
    `DNS (${plan.infra.ip}:53): api, api-int, *.apps.${plan.cluster.domain} -> ${plan.infra.ip}`,
    `HAProxy on ${plan.loadBalancer.bindAddress}:`,
    ...services,
    "",
  ].join("\n");
}

/**
 * The host's DNS setup and its teardown, as bash scripts. openshift-install and oc on the host
 * resolve api.<domain> with the host's own resolver, which does not ask libvirt's dnsmasq:
 * - with systemd-resolved running (Fedora, Ubuntu hosts): route the lab zones to the infra node on
 *   the lab network's bridge (`resolvectl dns` and a `~zone` routing domain: resolved sends a
 *   `.local` name to unicast DNS only under such a domain, resolved-dns-scope.c). The setting
 *   lives as long as the bridge: run the setup again after a reboot.
 * - otherwise (Rocky 9's default, NetworkManager writing /etc/resolv.conf): NetworkManager's
 *   dnsmasq plugin forwards the lab zones to the infra node; the files stay across reboots.
 */
export function renderHostDns(plan: LabPlan, libvirtUri: string): { hostDnsSetup: string; hostDnsTeardown: string } {
  const zones = [plan.dns.zone, ...plan.dns.reverseZones.map((z) => z.zone)];
  const resolvedActive = "systemctl is-active --quiet systemd-resolved";
  const uri = shellQuote(libvirtUri);
  // net-info prints the bridge of a stopped network too (checked with virsh's test driver): take it
  // only when Active is yes; C locale for the labels. virsh's own error (no such network, no access
  // to libvirt) is printed as it is.
  const netInfo = `virsh -c ${uri} net-info ${plan.network.name}`;
  const bridge = [
    `if ! info=$(LC_ALL=C ${netInfo} 2>&1); then echo ${shellQuote(`okd-lab: ${netInfo} failed: `)}"$info" >&2; exit 1; fi`,
    `  bridge=$(awk '$1 == "Active:" { active = $2 } $1 == "Bridge:" { bridge = $2 } END { if (active == "yes") print bridge }' <<<"$info")`,
  ].join("\n");
  const hostDnsSetup = [
    `# okd-lab: make this host resolve ${plan.dns.zone} through the infra node ${plan.infra.ip} (needs sudo).`,
    "set -euo pipefail",
    `if ${resolvedActive}; then`,
    `  ${bridge}`,
    `  [ -n "$bridge" ] || { echo ${shellQuote(`okd-lab: network ${plan.network.name} is not running (virsh -c ${uri} net-start ${plan.network.name})`)} >&2; exit 1; }`,
    `  sudo resolvectl dns "$bridge" ${plan.infra.ip}`,
    `  sudo resolvectl domain "$bridge" ${zones.map((z) => `'~${z}'`).join(" ")}`,
    "else",
    `  sudo tee ${HOST_DNS_FILES.nmConf} >/dev/null <<'EOF'`,
    "[main]",
    "dns=dnsmasq",
    "EOF",
    `  sudo tee ${HOST_DNS_FILES.dnsmasqConf} >/dev/null <<'EOF'`,
    ...zones.map((zone) => `server=/${zone}/${plan.infra.ip}`),
    "EOF",
    "  sudo systemctl reload NetworkManager",
    "fi",
    `getent hosts api.${plan.dns.zone}   # prints ${plan.infra.ip} once the infra node serves DNS`,
    "",
  ].join("\n");
  const hostDnsTeardown = [
    `# okd-lab: undo the host DNS setup for ${plan.dns.zone} (needs sudo).`,
    `if [ -e ${HOST_DNS_FILES.nmConf} ] || [ -e ${HOST_DNS_FILES.dnsmasqConf} ]; then`,
    `  sudo rm -f ${HOST_DNS_FILES.nmConf} ${HOST_DNS_FILES.dnsmasqConf}`,
    "  sudo systemctl reload NetworkManager",
    "fi",
    "# systemd-resolved: the routing of the lab zones ends with the lab network's bridge.",
    "",
  ].join("\n");
  return { hostDnsSetup, hostDnsTeardown };
}

function pickSize(vm: { vcpu: number; memoryMiB: number; diskGiB: number }): { vcpu: number; memoryMiB: number; diskGiB: number } {
  return { vcpu: vm.vcpu, memoryMiB: vm.memoryMiB, diskGiB: vm.diskGiB };
}

/** URLs, commands and next steps for the stack outputs. */
export function renderLabOutputs(plan: LabPlan, args: LabOutputsArgs): LabOutputs {
  const domain = plan.cluster.domain;
  const apiUrl = `https://api.${domain}:${PORTS.api}`;
  const kubeconfig = shellQuote(`${args.assetsDir}/auth/kubeconfig`);
  const assets = shellQuote(args.assetsDir);
  const installer = shellQuote(args.installer);
  // The infra node's host key is pinned (knownHosts output); the FCOS nodes' keys are recorded on
  // first use in the same file and checked from then on.
  const infraSshOpts = infraSshOptions(SAVED_SSH_FILES).join(" ");
  const nodeSshOpts = `-i ${SSH_KEY_FILE} -o IdentitiesOnly=yes -o UserKnownHostsFile=${KNOWN_HOSTS_FILE} -o StrictHostKeyChecking=accept-new`;
  const names = plan.nodes.filter((n) => n.role !== "bootstrap").map((n) => n.fqdn);
  const bootstrap = plan.nodes.find((n) => n.role === "bootstrap");
  const steps = [
    // Nothing on the host resolves the cluster before this, not even the installer's wait-for.
    "pulumi stack output hostDnsSetup | bash   # once per host boot: this host resolves the cluster's names through the infra node",
    ...(bootstrap
      ? [
          `${installer} wait-for bootstrap-complete --dir ${assets} --log-level info`,
          "pulumi config set --path okd-lab:bootstrap.enabled false && pulumi up   # drops the bootstrap node, its records and backends",
        ]
      : []),
    `export KUBECONFIG=${kubeconfig}`,
    args.approveCsrs
      ? `# okd-lab:approveCsrs is on: pulumi up approves the pending CSRs of ${names.join(", ")}`
      : `oc get csr   # approve each node's two pending CSRs (node-bootstrapper, then system:node:<name>) for ${names.join(", ")} with 'oc adm certificate approve <csr>'`,
    `${installer} wait-for install-complete --dir ${assets}`,
  ];
  const { hostDnsSetup, hostDnsTeardown } = renderHostDns(plan, args.libvirtUri);
  return {
    infraIp: plan.infra.ip,
    infraFqdn: plan.infra.fqdn,
    apiUrl,
    consoleUrl: `https://console-openshift-console.apps.${domain}`,
    // The installer's admin kubeconfig: no password on a command line (visible in ps).
    ocLogin: `export KUBECONFIG=${kubeconfig} && oc whoami --show-server`,
    // The stats page listens on the infra node's loopback: open the tunnel, then browse the URL.
    statsUrl: statsAccess(plan).url,
    statsTunnel: statsAccess(plan).tunnel,
    // The umask makes the key file owner-only from its first byte.
    sshKeyCommand: `(umask 077 && pulumi stack output --show-secrets sshPrivateKey > ${SSH_KEY_FILE}) && pulumi stack output knownHosts > ${KNOWN_HOSTS_FILE}`,
    sshInfra: `ssh ${infraSshOpts} ${INFRA_ADMIN_USER}@${plan.infra.ip}`,
    sshNodes: Object.fromEntries(plan.nodes.map((n) => [n.name, `ssh ${nodeSshOpts} core@${n.ip}`])),
    nodes: [
      { ...pickSize(plan.infra), name: plan.infra.domainName, role: "infra", ip: plan.infra.ip, mac: plan.infra.mac, fqdn: plan.infra.fqdn },
      ...plan.nodes.map((n) => ({ ...pickSize(n), name: n.domainName, role: n.role, ip: n.ip, mac: n.mac, fqdn: n.fqdn })),
    ],
    nextSteps: steps,
    hostDnsSetup,
    hostDnsTeardown,
    diagram: renderLabDiagram(plan),
  };
}

/** The lab-wide identity the change guard compares on the next run (stack output `lab`). */
export function renderLabRecord(
  plan: LabPlan,
  pool: { name: string; path: string },
): { cluster: { name: string; baseDomain: string }; network: { name: string; cidr: string }; pool: { name: string; path: string } } {
  return {
    cluster: { name: plan.cluster.name, baseDomain: plan.cluster.baseDomain },
    network: { name: plan.network.name, cidr: plan.network.cidr },
    pool: { name: pool.name, path: pool.path },
  };
}
