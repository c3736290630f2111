/**
 * The bash script that turns install-config.yaml into Ignition configs with `openshift-install`,
 * once per asset directory, and prints the results as one JSON object.
 *
 * Pure: arguments in, script text out. The lead runs it with `@pulumi/command` `local.Command`
 * (interpreter `["/bin/bash", "-c"]`) and passes install-config.yaml in the environment variable
 * {@link INSTALL_CONFIG_ENV}.
 */
import { shellQuote } from "../render/shellQuote";
import { InstallerManifest } from "./machineConfigs";

/** Environment variable that carries the install-config.yaml text into the script. */
export const INSTALL_CONFIG_ENV = "OKD_LAB_INSTALL_CONFIG";

/** Directory inside the asset directory where the script keeps its own records. */
export const RECORD_DIR = ".okd-lab";

/** Inputs of {@link renderInstallerScript}. */
export interface InstallerScriptArgs {
  /** Asset directory, absolute or relative to the program directory, e.g. `.okd/dev`. */
  assetsDir: string;
  /** openshift-install binary: a path or a name on PATH, e.g. `openshift-install`. */
  installer: string;
  /** Files written into the asset directory after `create manifests`, e.g. from `installerManifests(plan)`. */
  manifests: InstallerManifest[];
  /** `false` sets `mastersSchedulable: false` in the scheduler manifest (labs with workers). */
  mastersSchedulable: boolean;
}

/** What the script prints on stdout, after {@link parseInstallerOutput}. */
export interface InstallerOutput {
  /** bootstrap.ign as JSON text (holds private keys: a secret). */
  bootstrap: string;
  /** master.ign as JSON text. */
  master: string;
  /** worker.ign as JSON text. */
  worker: string;
  /** The kubeadmin password from auth/kubeadmin-password (a secret). */
  kubeadminPassword: string;
  /** Absolute path of auth/kubeconfig, e.g. `/home/me/okd-lab/.okd/dev/auth/kubeconfig`. */
  kubeconfig: string;
  /** When the assets were generated, ISO 8601 UTC, e.g. `2025-01-31T12:00:00Z`; unchanged on reuse. */
  generatedAt: string;
}

const MANIFEST_PATH = /^(manifests|openshift)\/[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/;

/**
 * Renders the installer script.
 *
 * Behaviour, in order:
 * - the asset directory is created with mode 0700 (it will hold private keys);
 * - when `<assets>/.okd-lab/install-config.sha256` exists and matches the sha256 of
 *   `$OKD_LAB_INSTALL_CONFIG`, the assets are reused; when it differs the script exits 1, because
 *   regenerating would mint a new CA and break the live cluster (openshift-docs: never reuse or
 *   regenerate an installation directory for a running cluster);
 * - otherwise it writes install-config.yaml (and a copy under `.okd-lab/`, since the installer
 *   consumes the original), runs `create manifests`, writes `manifests`, patches the scheduler,
 *   runs `create ignition-configs` and records the sha256 and a UTC timestamp;
 * - it prints one JSON object on stdout (see {@link InstallerOutput}; the three configs are embedded
 *   as raw JSON values) and sends all progress to stderr.
 * @param args asset directory, installer, extra manifests and the scheduler choice.
 * @returns the bash script text, starting with `set -euo pipefail`.
 * @throws Error when a manifest path is not `manifests/<file>.yaml` or `openshift/<file>.yaml`.
 */
export function renderInstallerScript(args: InstallerScriptArgs): string {
  for (const m of args.manifests) {
    if (!MANIFEST_PATH.test(m.path)) {
      throw new Error(`installer manifest path ${JSON.stringify(m.path)} must be manifests/<file>.yaml or openshift/<file>.yaml`);
    }
  }
  const dir = shellQuote(args.assetsDir);
  const writeManifests = args.manifests.flatMap((m) => [`log "writing ${m.path}"`, `printf '%s' ${shellQuote(m.content)} > "$assets/"${shellQuote(m.path)}`]);
  const patchScheduler = args.mastersSchedulable
    ? ["# The lab has no workers: masters stay schedulable, as the installer made them (compute.replicas 0)."]
    : [
        "# Workers exist: keep workloads off the masters (openshift-docs, UPI: set mastersSchedulable false",
        "# in cluster-scheduler-02-config.yml after create manifests). sed on the known line, no python3 needed.",
        'scheduler="$assets/manifests/cluster-scheduler-02-config.yml"',
        '[[ -f "$scheduler" ]] || fail "$scheduler was not created by $installer create manifests; okd-lab cannot keep workloads off the masters"',
        "if ! grep -Eq '^[[:space:]]*mastersSchedulable:[[:space:]]*true[[:space:]]*$' \"$scheduler\"; then",
        "  fail \"$scheduler has no line 'mastersSchedulable: true' to change; this openshift-install writes a scheduler manifest okd-lab does not know. Check the file and the installer version\"",
        "fi",
        'sed -E \'s/^([[:space:]]*)mastersSchedulable:[[:space:]]*true[[:space:]]*$/\\1mastersSchedulable: false/\' "$scheduler" > "$scheduler.okd-lab-tmp"',
        'mv -f -- "$scheduler.okd-lab-tmp" "$scheduler"',
        'log "set mastersSchedulable: false in manifests/cluster-scheduler-02-config.yml"',
      ];

  const lines = [
    "set -euo pipefail",
    "# Everything written here is private (keys, kubeconfig, pull secret).",
    "umask 077",
    `assets=${dir}`,
    `installer=${shellQuote(args.installer)}`,
    `record="$assets/${RECORD_DIR}"`,
    "log() { printf 'okd-lab installer: %s\\n' \"$*\" >&2; }",
    'fail() { log "ERROR: $*"; exit 1; }',
    "sha256_of_stdin() {",
    "  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1",
    "  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 | cut -d' ' -f1",
    '  else fail "neither sha256sum nor shasum is installed"; fi',
    "}",
    `[[ -n "\${${INSTALL_CONFIG_ENV}:-}" ]] || fail "${INSTALL_CONFIG_ENV} is empty: the install-config.yaml text must come in this environment variable"`,
    `want=$(printf '%s' "$${INSTALL_CONFIG_ENV}" | sha256_of_stdin)`,
    'mkdir -p -- "$assets"',
    'chmod 0700 -- "$assets"',
    "outputs=(bootstrap.ign master.ign worker.ign auth/kubeconfig auth/kubeadmin-password)",
    "",
    'if [[ -f "$record/install-config.sha256" ]]; then',
    '  have=$(<"$record/install-config.sha256")',
    '  if [[ "$have" != "$want" ]]; then',
    `    log "ERROR: the assets in $assets were generated for a different install-config.yaml (recorded sha256 $have, now $want)."`,
    '    log "Regenerating them would mint a new cluster CA and break the live cluster, so okd-lab refuses."',
    '    log "To keep the cluster: restore the settings that produced $record/install-config.yaml."',
    "    log \"To start over: run 'pulumi destroy', move or remove $assets, then run 'pulumi up'.\"",
    "    exit 1",
    "  fi",
    '  for f in "${outputs[@]}"; do',
    '    if [[ ! -f "$assets/$f" ]]; then',
    "      fail \"$assets/$f is missing although $record records a completed generation. Restore it from a backup, or start over: run 'pulumi destroy', move or remove $assets, then run 'pulumi up'.\"",
    "    fi",
    "  done",
    '  [[ -f "$record/generated-at" ]] || fail "$record/generated-at is missing; restore it (an ISO 8601 UTC time such as 2025-01-31T12:00:00Z)"',
    '  log "reusing the assets in $assets, generated $(<"$record/generated-at") from this install-config"',
    "else",
    "  # Ignition outputs without okd-lab's record: someone else's generation, or a run cut short after",
    "  # create ignition-configs. A node may have booted from them, so never overwrite them.",
    "  for f in bootstrap.ign master.ign worker.ign metadata.json auth; do",
    '    if [[ -e "$assets/$f" ]]; then',
    '      fail "$assets/$f exists but okd-lab has no record of generating it ($record/install-config.sha256 is missing); a cluster may depend on it. Move $assets away or set okd-lab:okd.assetsDir to an empty directory."',
    "    fi",
    "  done",
    "  # Leftovers of a run cut short before any Ignition config existed: no node can use them, and",
    "  # openshift-install would take stale manifests on disk as user edits, so remove them.",
    "  for f in install-config.yaml manifests openshift .openshift_install_state.json; do",
    '    if [[ -e "$assets/$f" ]]; then',
    '      log "removing $assets/$f left by an interrupted generation"',
    '      rm -rf -- "${assets:?}/$f"',
    "    fi",
    "  done",
    '  command -v -- "$installer" >/dev/null 2>&1 || fail "openshift-install not found: \'$installer\' is neither an executable path nor a command on PATH. Set okd-lab:okd.installer."',
    '  mkdir -p -- "$record"',
    '  "$installer" version > "$record/installer-version" 2>&1 || true',
    `  printf '%s' "$${INSTALL_CONFIG_ENV}" > "$record/install-config.yaml"`,
    `  printf '%s' "$${INSTALL_CONFIG_ENV}" > "$assets/install-config.yaml"`,
    '  log "running $installer create manifests --dir $assets"',
    '  "$installer" create manifests --dir "$assets" >&2',
    '  mkdir -p -- "$assets/manifests" "$assets/openshift"',
    ...writeManifests.map((l) => `  ${l}`),
    ...patchScheduler.map((l) => `  ${l}`),
    '  log "running $installer create ignition-configs --dir $assets"',
    '  "$installer" create ignition-configs --dir "$assets" >&2',
    '  for f in "${outputs[@]}"; do',
    '    [[ -f "$assets/$f" ]] || fail "$installer create ignition-configs did not write $assets/$f"',
    "  done",
    '  date -u +%Y-%m-%dT%H:%M:%SZ > "$record/generated-at"',
    "  # The sha256 is written last and atomically: its presence means the generation completed.",
    '  printf \'%s\\n\' "$want" > "$record/install-config.sha256.tmp"',
    '  mv -f -- "$record/install-config.sha256.tmp" "$record/install-config.sha256"',
    '  log "generated the assets in $assets"',
    "fi",
    "",
    "# stdout: one JSON object, built without jq or python3 (neither is on every host).",
    "json_string() {",
    "  local s=$1",
    '  [[ "$s" != *[[:cntrl:]]* ]] || fail "cannot print a value with control characters as JSON: $s"',
    "  s=${s//\\\\/\\\\\\\\}",
    '  s=${s//\\"/\\\\\\"}',
    '  printf \'"%s"\' "$s"',
    "}",
    "raw_config() {",
    "  local text",
    '  text=$(<"$assets/$1")',
    "  # Ignition configs are JSON objects: embed them as raw values, no escaping needed.",
    '  [[ "$text" =~ ^[[:space:]]*\\{ && "$text" =~ \\}[[:space:]]*$ ]] || fail "$assets/$1 is not a JSON object"',
    "  printf '%s' \"$text\"",
    "}",
    'password=$(<"$assets/auth/kubeadmin-password")',
    '[[ "$password" =~ ^[A-Za-z0-9-]+$ ]] || fail "$assets/auth/kubeadmin-password holds characters other than letters, digits and \'-\'"',
    'generated_at=$(<"$record/generated-at")',
    '[[ "$generated_at" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || fail "$record/generated-at is not an ISO 8601 UTC time: $generated_at"',
    'kubeconfig=$(json_string "$(cd -- "$assets" && pwd -P)/auth/kubeconfig")',
    "bootstrap=$(raw_config bootstrap.ign)",
    "master=$(raw_config master.ign)",
    "worker=$(raw_config worker.ign)",
    'printf \'{"bootstrap":%s,"master":%s,"worker":%s,"kubeadminPassword":"%s","kubeconfig":%s,"generatedAt":"%s"}\\n\' \\',
    '  "$bootstrap" "$master" "$worker" "$password" "$kubeconfig" "$generated_at"',
  ];
  return lines.join("\n") + "\n";
}

/**
 * Parses the script's stdout into strings the node Ignition renderer takes.
 * @param stdout the one JSON line the script prints.
 * @returns the configs re-serialized as JSON text, the password, the kubeconfig path and the time.
 * @throws Error naming the first missing or mistyped field.
 */
export function parseInstallerOutput(stdout: string): InstallerOutput {
  const value: unknown = JSON.parse(stdout);
  if (typeof value !== "object" || value === null) throw new Error("installer script output is not a JSON object");
  const obj = value as Record<string, unknown>;
  const config = (key: "bootstrap" | "master" | "worker"): string => {
    const v = obj[key];
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`installer script output: ${key} is not an Ignition config object`);
    return JSON.stringify(v);
  };
  const text = (key: "kubeadminPassword" | "kubeconfig" | "generatedAt"): string => {
    const v = obj[key];
    if (typeof v !== "string" || v === "") throw new Error(`installer script output: ${key} is not a non-empty string`);
    return v;
  };
  return {
    bootstrap: config("bootstrap"),
    master: config("master"),
    worker: config("worker"),
    kubeadminPassword: text("kubeadminPassword"),
    kubeconfig: text("kubeconfig"),
    generatedAt: text("generatedAt"),
  };
}
