/**
 * cloud-init NoCloud data for the AlmaLinux 9 infra VM: user-data, meta-data, network-config.
 *
 * The user data installs software only (HAProxy, chrony, firewalld, SELinux tooling, the CoreDNS
 * release tarball after checking its sha256, a dedicated user and a systemd unit). It does not
 * depend on the node list: DNS zones, haproxy.cfg and chrony.conf are delivered by InfraConfig,
 * so adding a worker never touches the cloud-init disk (which libvirt replaces on any change).
 */
import { stringify } from "yaml";
import { InfraNodePlan, NetworkPlan, PORTS } from "../plan/labPlan";

/** The administrative user on the infra node; the program connects as this user over SSH. */
export const INFRA_ADMIN_USER = "okd";

/** Where the CoreDNS binary and configuration live on the infra node. */
export const COREDNS_PATHS = {
  binary: "/usr/local/bin/coredns",
  configDir: "/etc/coredns",
  unit: "/etc/systemd/system/coredns.service",
} as const;

/** File holding the HAProxy stats password, read by HAProxy through a systemd drop-in. */
export const HAPROXY_SECRETS_ENV_FILE = "/etc/haproxy/okd-lab-secrets.env";

export interface CloudInitArgs {
  infra: InfraNodePlan;
  network: NetworkPlan;
  /** Cluster zone, e.g. `okd-lab.okd.local`, used as the DNS search domain. */
  domain: string;
  coredns: { version: string; sha256: string };
  /** OpenSSH public key lines authorized for the admin user. */
  sshAuthorizedKeys: string[];
}

export interface CloudInitData {
  userData: string;
  metaData: string;
  networkConfig: string;
}

/** The CoreDNS release tarball URL for a version (GitHub releases of coredns/coredns). */
export function corednsTarballUrl(version: string): string {
  return `https://github.com/coredns/coredns/releases/download/v${version}/coredns_${version}_linux_amd64.tgz`;
}

/**
 * Bash run once by cloud-init: downloads the CoreDNS tarball, refuses it unless the sha256
 * matches, and installs the binary. A failure leaves cloud-init in error, which InfraConfig's
 * `cloud-init status --wait` reports.
 */
function corednsInstallScript(coredns: CloudInitArgs["coredns"]): string {
  return [
    "#!/bin/bash",
    "# Installs CoreDNS from the upstream release; there is no EL9 package.",
    "set -euo pipefail",
    `url='${corednsTarballUrl(coredns.version)}'`,
    `want='${coredns.sha256}'`,
    'work=$(mktemp -d)',
    'trap \'rm -rf "$work"\' EXIT',
    'curl -fsSL --retry 5 --retry-delay 3 -o "$work/coredns.tgz" "$url"',
    'got=$(sha256sum "$work/coredns.tgz" | cut -d" " -f1)',
    'if [ "$got" != "$want" ]; then',
    '  echo "okd-lab: refusing CoreDNS from $url: sha256 is $got, okd-lab:infra.coredns.sha256 says $want" >&2',
    "  exit 1",
    "fi",
    'tar -xzf "$work/coredns.tgz" -C "$work" coredns',
    `install -o root -g root -m 0755 "$work/coredns" ${COREDNS_PATHS.binary}`,
    `restorecon -v ${COREDNS_PATHS.binary} || true`,
    "",
  ].join("\n");
}

/** The CoreDNS unit: dedicated user, only the capability to bind port 53, reload by SIGUSR1. */
function corednsUnit(): string {
  return [
    "[Unit]",
    "Description=CoreDNS for the okd-lab cluster zone",
    "Documentation=https://coredns.io/manual/toc/",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "User=coredns",
    "Group=coredns",
    "AmbientCapabilities=CAP_NET_BIND_SERVICE",
    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    "ProtectHome=true",
    "PrivateTmp=true",
    `WorkingDirectory=${COREDNS_PATHS.configDir}`,
    `ExecStart=${COREDNS_PATHS.binary} -conf ${COREDNS_PATHS.configDir}/Corefile`,
    // CoreDNS re-reads the Corefile on SIGUSR1 and keeps the old one if the new one fails.
    "ExecReload=/bin/kill -SIGUSR1 $MAINPID",
    "Restart=on-failure",
    "LimitNOFILE=65536",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** firewalld: exactly the lab's services on top of ssh; cockpit and dhcpv6-client closed. */
function firewallCommands(): string[][] {
  const ports = [`${PORTS.api}/tcp`, `${PORTS.machineConfig}/tcp`, `${PORTS.stats}/tcp`];
  return [
    ["systemctl", "enable", "--now", "firewalld"],
    [
      "firewall-cmd",
      "--permanent",
      "--add-service=dns",
      "--add-service=http",
      "--add-service=https",
      "--add-service=ntp",
      ...ports.map((p) => `--add-port=${p}`),
    ],
    ["sh", "-c", "firewall-cmd --permanent --remove-service=cockpit || true; firewall-cmd --permanent --remove-service=dhcpv6-client || true"],
    ["firewall-cmd", "--reload"],
  ];
}

/** Renders the three NoCloud files for the infra VM. */
export function renderCloudInit(args: CloudInitArgs): CloudInitData {
  const { infra, network } = args;
  const userData = {
    hostname: infra.name,
    fqdn: infra.fqdn,
    prefer_fqdn_over_hostname: false,
    users: [
      {
        name: INFRA_ADMIN_USER,
        gecos: "okd-lab administrator",
        groups: ["wheel"],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: args.sshAuthorizedKeys,
      },
      { name: "coredns", system: true, shell: "/sbin/nologin", no_create_home: true, homedir: "/nonexistent" },
    ],
    ssh_pwauth: false,
    disable_root: true,
    timezone: "UTC",
    // bind-utils brings named-checkzone, which InfraConfig uses to refuse a broken zone file.
    packages: ["haproxy", "chrony", "firewalld", "policycoreutils-python-utils", "bind-utils", "tar", "curl"],
    write_files: [
      { path: "/usr/local/sbin/okd-lab-install-coredns", permissions: "0755", owner: "root:root", content: corednsInstallScript(args.coredns) },
      { path: COREDNS_PATHS.unit, permissions: "0644", owner: "root:root", content: corednsUnit() },
      {
        path: "/etc/systemd/system/haproxy.service.d/okd-lab.conf",
        permissions: "0644",
        owner: "root:root",
        // The stats password reaches HAProxy as an environment variable, never in haproxy.cfg.
        content: ["[Service]", `EnvironmentFile=-${HAPROXY_SECRETS_ENV_FILE}`, ""].join("\n"),
      },
    ],
    runcmd: [
      ["/usr/local/sbin/okd-lab-install-coredns"],
      ["install", "-d", "-o", "root", "-g", "coredns", "-m", "0750", COREDNS_PATHS.configDir, `${COREDNS_PATHS.configDir}/zones`],
      // EL9 confines HAProxy to its usual ports unless this boolean allows 6443, 22623 and 9000.
      ["setsebool", "-P", "haproxy_connect_any", "1"],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "coredns", "haproxy", "chronyd"],
      ...firewallCommands(),
    ],
  };

  const networkConfig = {
    version: 2,
    ethernets: {
      lab0: {
        match: { macaddress: infra.mac },
        "set-name": "eth0",
        addresses: [`${infra.ip}/${network.prefix}`],
        routes: [{ to: "0.0.0.0/0", via: network.gateway }],
        // Itself first; libvirt's resolver on the gateway answers until CoreDNS is installed.
        nameservers: { addresses: [infra.ip, network.gateway], search: [args.domain] },
      },
    },
  };

  return {
    userData: `#cloud-config\n${stringify(userData, { lineWidth: 0 })}`,
    metaData: stringify({ "instance-id": infra.name, "local-hostname": infra.name }),
    networkConfig: stringify(networkConfig, { lineWidth: 0 }),
  };
}
