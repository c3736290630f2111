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

export interface LabOutputsArgs {
  assetsDir: string;
  installer: string;
  approveCsrs: boolean;
}

export interface LabOutputs {
  infraIp: string;
  infraFqdn: string;
  apiUrl: string;
  consoleUrl: string;
  ocLogin: string;
  statsUrl: string;
  sshKeyCommand: string;
  sshInfra: string;
  sshNodes: Record<string, string>;
  /** Every VM of the lab: libvirt name, role, address, FQDN and size. */
  nodes: { name: string; role: string; ip: string; mac: string; fqdn: string; vcpu: number; memoryMiB: number; diskGiB: number }[];
  nextSteps: string[];
  /** Commands that make the host resolve the cluster's names through the infra node. */
  hostDnsSetup: string[];
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
  const infraSshOpts = `-i ${SSH_KEY_FILE} -o UserKnownHostsFile=${KNOWN_HOSTS_FILE} -o StrictHostKeyChecking=yes`;
  const nodeSshOpts = `-i ${SSH_KEY_FILE} -o UserKnownHostsFile=${KNOWN_HOSTS_FILE} -o StrictHostKeyChecking=accept-new`;
  const names = plan.nodes.filter((n) => n.role !== "bootstrap").map((n) => n.fqdn);
  const bootstrap = plan.nodes.find((n) => n.role === "bootstrap");
  const steps = [
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
  // openshift-install and oc on the host resolve api.<domain> with the host's own resolver, which
  // does not ask libvirt's dnsmasq: NetworkManager's dnsmasq plugin forwards the lab zones.
  const servers = [plan.dns.zone, ...plan.dns.reverseZones.map((z) => z.zone)].map((zone) => `server=/${zone}/${plan.infra.ip}`);
  const hostDnsSetup = [
    "printf '[main]\\ndns=dnsmasq\\n' | sudo tee /etc/NetworkManager/conf.d/okd-lab-dns.conf",
    `printf '${servers.join("\\n")}\\n' | sudo tee /etc/NetworkManager/dnsmasq.d/okd-lab.conf`,
    "sudo systemctl reload NetworkManager",
    `getent hosts api.${domain}   # should print ${plan.infra.ip}`,
  ];
  return {
    infraIp: plan.infra.ip,
    infraFqdn: plan.infra.fqdn,
    apiUrl,
    consoleUrl: `https://console-openshift-console.apps.${domain}`,
    // The installer's admin kubeconfig: no password on a command line (visible in ps).
    ocLogin: `export KUBECONFIG=${kubeconfig} && oc whoami --show-server`,
    statsUrl: `http://${plan.loadBalancer.bindAddress}:${plan.loadBalancer.stats.port}/`,
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
