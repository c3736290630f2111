/**
 * scripts/pulumiEnv.sh, sourced as up.sh and destroy.sh do: the passphrase reaches Pulumi as a
 * 0600 file, never in the environment of the program's commands, and an empty one is refused.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "./tools";

const script = path.join(__dirname, "..", "..", "scripts", "pulumiEnv.sh");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-pulumienv-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Sources the script, then prints what a child process (a Pulumi local command) would see. */
function source(env: Record<string, string | undefined>) {
  const probe = [
    "set -euo pipefail",
    `. ${script}`,
    'printf "passphrase-var=%s\\n" "${PULUMI_CONFIG_PASSPHRASE-unset}"',
    "f=${PULUMI_CONFIG_PASSPHRASE_FILE}",
    'printf "file-content=%s\\nfile-mode=%s\\n" "$(cat "$f")" "$(stat -c %a "$f")"',
    'printf "%s\\n" "$f" > ' + path.join(dir, "file-path"),
  ].join("\n");
  return run("/bin/bash", ["-c", probe], { env: { TMPDIR: dir, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined, ...env } });
}

it("turns PULUMI_CONFIG_PASSPHRASE into a 0600 file, drops the variable and removes the file on exit", () => {
  const result = source({ PULUMI_CONFIG_PASSPHRASE: "s3cret pass" });
  expect(result.status).toBe(0);
  expect(result.stdout).toBe("passphrase-var=unset\nfile-content=s3cret pass\nfile-mode=600\n");
  expect(fs.existsSync(fs.readFileSync(path.join(dir, "file-path"), "utf8").trim())).toBe(false);
});

it("uses a given passphrase file as it is", () => {
  const file = path.join(dir, "pass");
  fs.writeFileSync(file, "from-file", { mode: 0o600 });
  const result = source({ PULUMI_CONFIG_PASSPHRASE_FILE: file, PULUMI_CONFIG_PASSPHRASE: "ignored" });
  expect(result.stdout).toBe("passphrase-var=unset\nfile-content=from-file\nfile-mode=600\n");
  expect(fs.existsSync(file)).toBe(true);
});

it.each([
  [
    "an empty PULUMI_CONFIG_PASSPHRASE",
    { PULUMI_CONFIG_PASSPHRASE: "" },
    "okd-lab: the passphrase is empty, which would leave the stack's secrets unprotected. Fix: use a non-empty passphrase\n",
  ],
  [
    "an empty passphrase file",
    { PULUMI_CONFIG_PASSPHRASE_FILE: "/dev/null" },
    "okd-lab: PULUMI_CONFIG_PASSPHRASE_FILE=/dev/null is missing or empty. Fix: write the stack's passphrase into it (umask 077)\n",
  ],
  [
    "no passphrase and no terminal",
    {},
    "okd-lab: set PULUMI_CONFIG_PASSPHRASE_FILE (preferred) or PULUMI_CONFIG_PASSPHRASE: the stack's secrets are encrypted with it\n",
  ],
])("refuses %s", (_, env, message) => {
  const result = source(env);
  expect([result.status, result.stderr]).toEqual([1, message]);
});
