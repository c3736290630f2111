/**
 * The infra node's configuration files and the on-node helper that installs them.
 *
 * Each file is delivered on its own (one `command.remote.Command` each, stdin = content), so an
 * update re-runs only the files whose content changed. The helper stages the content next to the
 * target, validates it with the program that will read it, renames it into place and reloads the
 * service without dropping connections. A file that fails validation is never installed.
 */
import { COREDNS_PATHS, HAPROXY_SECRETS_ENV_FILE } from "./infraPaths";
import { STATS_PASSWORD_ENV } from "./haproxyCfg";
import { shellQuote } from "./shellQuote";

/** How a staged file is checked before it replaces the live one. */
export type FileCheck = { kind: "haproxy" } | { kind: "zone"; zone: string } | { kind: "chrony" } | { kind: "none" };

/** What happens after a changed file is installed. */
export type FileActivation =
  /** Hitless: the HAProxy master starts new workers, old ones finish their connections. */
  | "reload-haproxy"
  /** The environment file is read only at start. */
  | "restart-haproxy"
  /** SIGUSR1: CoreDNS re-reads the Corefile and keeps the old one if the new one fails. */
  | "reload-coredns"
  /** SIGUSR1 if CoreDNS runs (zones arrive before the Corefile that starts it). */
  | "refresh-coredns"
  /** No service to tell (the secrets file is read at HAProxy's start). */
  | "none"
  | "restart-chronyd";

export interface InfraFile<C = string> {
  /** Path relative to the render's `infra/` folder and part of the resource name, e.g. `zones/x.zone`. */
  id: string;
  /** Absolute path on the infra node. */
  target: string;
  mode: string;
  /** `user:group` owning the file. */
  owner: string;
  check: FileCheck;
  activation: FileActivation;
  content: C;
  /** True when the content must stay a Pulumi secret. */
  secret: boolean;
  /** Ids of files that must be installed first (the files this one names). */
  after: string[];
}

/** Where cloud-init installs the helper on the infra node (root:root 0755). */
export const INSTALL_HELPER_PATH = "/usr/local/sbin/okd-lab-install-file";

/** What the helper knows of each file it accepts: everything but the content is fixed on the node. */
interface FileSpec {
  target: string;
  mode: string;
  owner: string;
  check: FileCheck;
  activation: FileActivation;
}

/** The zone files' folder; its name pattern stands for every `zones/<zone>.zone`. */
const ZONES_DIR = `${COREDNS_PATHS.configDir}/zones`;
/** A zone file id: `zones/` then a DNS name (lowercase labels) and `.zone`. */
const ZONE_ID = /^zones\/([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?\.zone$/;

/** The only files the helper installs, by id; zone files are matched by {@link ZONE_ID}. */
const FILE_SPECS: Record<string, FileSpec> = {
  // CoreDNS keeps its running configuration when a reload fails; no checker exists for the Corefile.
  Corefile: { target: `${COREDNS_PATHS.configDir}/Corefile`, mode: "0644", owner: "root:coredns", check: { kind: "none" }, activation: "reload-coredns" },
  "haproxy-secrets.env": { target: HAPROXY_SECRETS_ENV_FILE, mode: "0600", owner: "root:root", check: { kind: "none" }, activation: "restart-haproxy" },
  "haproxy.cfg": { target: "/etc/haproxy/haproxy.cfg", mode: "0644", owner: "root:root", check: { kind: "haproxy" }, activation: "reload-haproxy" },
  "chrony.conf": { target: "/etc/chrony.conf", mode: "0644", owner: "root:root", check: { kind: "chrony" }, activation: "restart-chronyd" },
};

function zoneSpec(fileName: string): FileSpec {
  // CoreDNS's file plugin would also reload on the changed serial within 10 s; SIGUSR1 makes it
  // immediate and independent of the serial (a failed update can leave the stack's serial behind).
  return {
    target: `${ZONES_DIR}/${fileName}`,
    mode: "0644",
    owner: "root:coredns",
    check: { kind: "zone", zone: fileName.replace(/\.zone$/, "") },
    activation: "refresh-coredns",
  };
}

/** The folders the helper writes into; cloud-init creates them, the helper never changes their modes. */
export const INFRA_FILE_DIRS = [...new Set([...Object.values(FILE_SPECS).map((f) => f.target.replace(/\/[^/]+$/, "")), ZONES_DIR])].sort();

function specLines(root: string, spec: FileSpec, check: string): string {
  return `target=${shellQuote(root + spec.target)} mode=${spec.mode} owner=${spec.owner} check=${check} activation=${spec.activation}`;
}

/**
 * The helper script: `okd-lab-install-file FILE_ID < content`, run by the admin user through sudo
 * (the only command it may run as root). It accepts only the lab's own files: the id picks a fixed
 * target, mode, owner, check and activation (zone files by name pattern, checked as that zone).
 * It never creates or re-modes a folder. Prints `unchanged <target>` or `installed <target>`.
 *
 * @param root prefix of every path on the node; "" on the infra node, a scratch folder in tests.
 */
export function renderInstallHelper(root = ""): string {
  const secretsFile = shellQuote(root + HAPROXY_SECRETS_ENV_FILE);
  const fixed = Object.entries(FILE_SPECS).map(([id, spec]) => `  ${shellQuote(id)}) ${specLines(root, spec, checkArgument(spec.check))} ;;`);
  return [
    "#!/bin/bash",
    "# okd-lab: validate, install atomically and activate one of the lab's configuration files.",
    "# Generated by okd-lab and installed by cloud-init; the admin user may run only this as root.",
    "set -euo pipefail",
    'if [ "$#" -ne 1 ]; then echo "usage: okd-lab-install-file FILE_ID < content" >&2; exit 2; fi',
    "id=$1",
    'case "$id" in',
    ...fixed,
    "  zones/*)",
    `    if ! [[ "$id" =~ ${ZONE_ID.source} ]]; then echo "okd-lab: refusing $id: not zones/<zone name>.zone" >&2; exit 2; fi`,
    "    name=${id#zones/}",
    `    target=${shellQuote(root + ZONES_DIR)}/$name mode=0644 owner=root:coredns check=zone:\${name%.zone} activation=refresh-coredns ;;`,
    '  *) echo "okd-lab: refusing $id: not one of the lab\'s files" >&2; exit 2 ;;',
    "esac",
    'dir=$(dirname "$target")',
    "# The folders exist with their intended modes (cloud-init made them): never create or widen one.",
    'if [ ! -d "$dir" ]; then echo "okd-lab: refusing $id: $dir does not exist (cloud-init creates it)" >&2; exit 1; fi',
    'staged=$(mktemp "$dir/.okd-lab.XXXXXX")',
    "trap 'rm -f \"$staged\"' EXIT",
    'cat > "$staged"',
    'chmod "$mode" "$staged"',
    'chown "$owner" "$staged"',
    'if [ -f "$target" ] && cmp -s "$staged" "$target"; then',
    '  echo "unchanged $target"',
    "  exit 0",
    "fi",
    'case "$check" in',
    "  haproxy)",
    "    # haproxy.cfg reads the stats password from the environment file.",
    `    if [ -f ${secretsFile} ]; then set -a; . ${secretsFile}; set +a; fi`,
    "    # Unset, HAProxy would expand the stats password to an empty one.",
    `    if [ -z "\${${STATS_PASSWORD_ENV}:-}" ]; then`,
    `      echo "okd-lab: refusing $target: ${STATS_PASSWORD_ENV} is not set (${HAPROXY_SECRETS_ENV_FILE} missing or empty)" >&2; exit 1`,
    "    fi",
    '    if ! out=$(haproxy -c -f "$staged" 2>&1); then',
    '      echo "okd-lab: refusing $target: haproxy -c failed:" >&2; echo "$out" >&2; exit 1',
    "    fi ;;",
    "  chrony)",
    '    if ! out=$(chronyd -p -f "$staged" 2>&1); then',
    '      echo "okd-lab: refusing $target: chronyd -p failed:" >&2; echo "$out" >&2; exit 1',
    "    fi ;;",
    "  zone:*)",
    '    if ! out=$(named-checkzone -k fail -n fail "${check#zone:}" "$staged" 2>&1); then',
    '      echo "okd-lab: refusing $target: named-checkzone failed:" >&2; echo "$out" >&2; exit 1',
    "    fi ;;",
    "  none) ;;",
    "esac",
    '[ -f "$target" ] && cp -p "$target" "$target.okd-lab-previous"',
    'mv -f "$staged" "$target"',
    'restorecon "$target" 2>/dev/null || true',
    "# First delivery starts the service; later ones reload it.",
    "activate() {",
    "  local unit=$1 how=$2",
    '  if systemctl is-active --quiet "$unit"; then systemctl "$how" "$unit"; else systemctl enable --now "$unit"; fi',
    "}",
    'case "$activation" in',
    "  reload-haproxy) activate haproxy reload ;;",
    "  restart-haproxy) if systemctl is-active --quiet haproxy; then systemctl restart haproxy; fi ;;",
    "  reload-coredns) activate coredns reload ;;",
    "  refresh-coredns) if systemctl is-active --quiet coredns; then systemctl reload coredns; fi ;;",
    "  restart-chronyd) activate chronyd restart ;;",
    "  none) ;;",
    "esac",
    'echo "installed $target"',
    "",
  ].join("\n");
}

function checkArgument(check: FileCheck): string {
  switch (check.kind) {
    case "haproxy":
    case "chrony":
    case "none":
      return check.kind;
    case "zone":
      return `zone:${check.zone}`;
    default: {
      const unreachable: never = check;
      return unreachable;
    }
  }
}

/** The remote command line that installs `file` from standard input: the helper, by file id. */
export function installCommand(file: InfraFile<unknown>): string {
  return ["sudo", INSTALL_HELPER_PATH, shellQuote(file.id)].join(" ");
}

/**
 * The sudo rule of the admin user (one sudoers line; cloud-init's schema takes a string): the
 * helper, and reading cloud-init's status with exactly these arguments; nothing else.
 */
export const ADMIN_SUDO_RULE = `ALL=(root) NOPASSWD: ${INSTALL_HELPER_PATH}, /usr/bin/cloud-init status --wait, /usr/bin/cloud-init status --long`;

/**
 * Remote command that waits for cloud-init (which installs the helper). `cloud-init status
 * --wait` exits 1 on a failure and, from cloud-init 23.4, 2 on recoverable errors (degraded: e.g. a
 * deprecated key); only 1 stops the update.
 */
export function waitForCloudInitCommand(): string {
  return [
    "rc=0; sudo /usr/bin/cloud-init status --wait >/dev/null || rc=$?",
    "if [ \"$rc\" -eq 1 ]; then sudo /usr/bin/cloud-init status --long >&2; echo 'okd-lab: cloud-init failed on the infra node (see /var/log/cloud-init-output.log there)' >&2; exit 1; fi",
    "if [ \"$rc\" -eq 2 ]; then echo 'okd-lab: cloud-init finished with recoverable errors on the infra node; continuing' >&2; fi",
    `test -x ${INSTALL_HELPER_PATH} || { echo 'okd-lab: ${INSTALL_HELPER_PATH} is missing on the infra node (cloud-init installs it)' >&2; exit 1; }`,
  ].join(" && ");
}

export interface InfraFileContents<C = string> {
  corefile: C;
  zones: { fileName: string; zone: string; content: C }[];
  haproxyCfg: C;
  chronyConf: C;
  /** `OKD_LAB_STATS_PASSWORD=...` line(s); secret. */
  haproxySecretsEnv: C;
}

/**
 * Every delivered file in installation order: zones before the Corefile that names them, the
 * HAProxy secrets before haproxy.cfg that expands them.
 */
export function infraFiles<C>(contents: InfraFileContents<C>): InfraFile<C>[] {
  const file = (id: string, spec: FileSpec, content: C, secret: boolean, after: string[]): InfraFile<C> => ({ id, ...spec, content, secret, after });
  const zones = contents.zones.map((z) => file(`zones/${z.fileName}`, zoneSpec(z.fileName), z.content, false, []));
  return [
    ...zones,
    file(
      "Corefile",
      FILE_SPECS.Corefile,
      contents.corefile,
      false,
      zones.map((z) => z.id),
    ),
    file("haproxy-secrets.env", FILE_SPECS["haproxy-secrets.env"], contents.haproxySecretsEnv, true, []),
    file("haproxy.cfg", FILE_SPECS["haproxy.cfg"], contents.haproxyCfg, false, ["haproxy-secrets.env"]),
    file("chrony.conf", FILE_SPECS["chrony.conf"], contents.chronyConf, false, []),
  ];
}
