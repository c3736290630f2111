/** Paths on the infra node shared by its cloud-init data and the install helper. */

/** Where the CoreDNS binary and configuration live on the infra node. */
export const COREDNS_PATHS = {
  binary: "/usr/local/bin/coredns",
  configDir: "/etc/coredns",
  unit: "/etc/systemd/system/coredns.service",
} as const;

/** File holding the HAProxy stats password, read by HAProxy through a systemd drop-in. */
export const HAPROXY_SECRETS_ENV_FILE = "/etc/haproxy/okd-lab-secrets.env";
