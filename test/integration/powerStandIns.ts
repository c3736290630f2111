/**
 * Stand-ins for the programs `npm run stop` / `npm run start` run, written into a temp `bin`
 * folder put first on PATH:
 * - `virsh`: domains as files `$FAKE_VIRSH_DIR/domains/<name>` holding the state; accepts only
 *   `-c $FAKE_VIRSH_URI` first; `domstate`, `shutdown NAME --mode acpi` (the domain powers off on
 *   the next `domstate` unless `<name>.ignores-acpi` exists) and `start` as virsh answers them
 *   (virsh-domain.c: "Domain 'x' started", "error: Domain is already active"); every call logged.
 * - `pulumi`: `stack output --json --stack S --non-interactive` prints `$FAKE_PULUMI_DIR/S.json`;
 *   nothing else.
 * - `oc`: the three read-only calls of the lifecycle (`--request-timeout=20s get clusterversion |
 *   nodes -o wide | clusteroperators -o json`) answered from `$FAKE_OC_DIR`; everything else goes to
 *   the CSR stand-in test/fixtures/fake-oc, which refuses what oc would not do.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const VIRSH = `#!/bin/bash
set -uo pipefail
dir=\${FAKE_VIRSH_DIR:?}
echo "$*" >> "$dir/calls.log"
if [ "\${1:-}" != -c ] || [ "\${2:-}" != "\${FAKE_VIRSH_URI:?}" ]; then
  echo "error: failed to connect to the hypervisor" >&2; echo "error: no connection driver available for \${2:-}" >&2; exit 1
fi
cmd=\${3:-}; name=\${4:-}; f="$dir/domains/$name"
if [ ! -f "$f" ]; then
  echo "error: failed to get domain '$name'" >&2; exit 1
fi
case "$cmd" in
  domstate)
    if [ -f "$f.shutting-down" ] && [ ! -f "$f.ignores-acpi" ]; then rm -f "$f.shutting-down"; echo "shut off" > "$f"; fi
    cat "$f"; echo ;;
  shutdown)
    [ "\${5:-} \${6:-}" = "--mode acpi" ] || { echo "fake virsh: expected --mode acpi" >&2; exit 2; }
    if [ "$(cat "$f")" != running ]; then echo "error: Failed to shutdown domain '$name'" >&2; echo "error: Requested operation is not valid: domain is not running" >&2; exit 1; fi
    touch "$f.shutting-down"; echo "Domain '$name' is being shutdown" ;;
  start)
    if [ "$(cat "$f")" = running ]; then echo "error: Domain is already active" >&2; exit 1; fi
    echo running > "$f"; echo "Domain '$name' started" ;;
  *) echo "fake virsh: unsupported: $*" >&2; exit 2 ;;
esac
`;

const PULUMI = `#!/bin/bash
set -uo pipefail
if [ "$1 $2 $3 $4" = "stack output --json --stack" ] && [ "\${6:-}" = --non-interactive ] && [ $# = 6 ]; then
  f="\${FAKE_PULUMI_DIR:?}/$5.json"
  [ -f "$f" ] || { echo "error: no stack named '$5' found" >&2; exit 255; }
  cat "$f"; exit 0
fi
echo "fake pulumi: unsupported: $*" >&2; exit 2
`;

function ocWrapper(csrStandIn: string): string {
  return `#!/bin/bash
set -uo pipefail
dir=\${FAKE_OC_DIR:?}
if [ "\${3:-}" = "--request-timeout=20s" ]; then
  echo "\${*:4}" >> "$dir/lifecycle-calls.log"
  [ -f "$2" ] || { echo "error: stat $2: no such file or directory" >&2; exit 1; }
  case "\${*:4}" in
    "get clusterversion version -o jsonpath={.metadata.creationTimestamp}")
      [ -f "$dir/cluster-created" ] && { cat "$dir/cluster-created"; exit 0; }
      echo "The connection to the server api.okd-lab.okd.local:6443 was refused - did you specify the right host or port?" >&2; exit 1 ;;
    "get nodes -o wide")
      echo "NAME STATUS ROLES"
      node -e 'for (const n of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).nodes) console.log(n.metadata.name + " " + (n.status.conditions.some((c) => c.type === "Ready" && c.status === "True") ? "Ready" : "NotReady"))' "$dir/state.json"
      exit 0 ;;
    "get clusteroperators -o json")
      cat "$dir/clusteroperators.json"; exit 0 ;;
  esac
  echo "fake oc: unsupported: $*" >&2; exit 2
fi
exec ${JSON.stringify(csrStandIn)} "$@"
`;
}

export interface StandIns {
  dir: string;
  bin: string;
  virshDir: string;
  pulumiDir: string;
  ocDir: string;
  env: NodeJS.ProcessEnv;
  /** Sets a domain's state (creating it). */
  domain(name: string, state: string, opts?: { ignoresAcpi?: boolean }): void;
  state(name: string): string;
  /** virsh calls, one line each without the program name. */
  virshCalls(): string[];
}

export function makeStandIns(uri: string): StandIns {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-power-"));
  const bin = path.join(dir, "bin");
  const virshDir = path.join(dir, "virsh");
  const pulumiDir = path.join(dir, "pulumi");
  const ocDir = path.join(dir, "oc");
  for (const d of [bin, path.join(virshDir, "domains"), pulumiDir, ocDir]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(bin, "virsh"), VIRSH, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "pulumi"), PULUMI, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "oc"), ocWrapper(path.resolve(__dirname, "../fixtures/fake-oc")), { mode: 0o755 });
  const repo = path.resolve(__dirname, "../..");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${path.join(repo, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    FAKE_VIRSH_DIR: virshDir,
    FAKE_VIRSH_URI: uri,
    FAKE_PULUMI_DIR: pulumiDir,
    FAKE_OC_DIR: ocDir,
    PULUMI_CONFIG_PASSPHRASE: "test-only",
    LIBVIRT_DEFAULT_URI: "",
    OKD_LAB_STACK: "",
  };
  return {
    dir,
    bin,
    virshDir,
    pulumiDir,
    ocDir,
    env,
    domain(name, state, opts = {}) {
      const f = path.join(virshDir, "domains", name);
      fs.writeFileSync(f, `${state}\n`);
      if (opts.ignoresAcpi) fs.writeFileSync(`${f}.ignores-acpi`, "");
    },
    state(name) {
      return fs.readFileSync(path.join(virshDir, "domains", name), "utf8").trim();
    },
    virshCalls() {
      const log = path.join(virshDir, "calls.log");
      return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    },
  };
}
