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

describe("npm run verify (scripts/verify.sh)", () => {
  const verifySh = path.join(__dirname, "..", "..", "scripts", "verify.sh");
  const bin = path.join(__dirname, "..", "..", "node_modules", ".bin");
  const verify = (args: string[], env: Record<string, string | undefined> = {}) =>
    run("/bin/bash", [verifySh, ...args], {
      env: { PATH: `${bin}:${process.env.PATH}`, TMPDIR: dir, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined, ...env },
    });

  it("prints its usage without asking for a passphrase", () => {
    const result = verify(["--help"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^usage: npm run verify -- \[--stack NAME\] \[--stats-url URL\]/);
    expect(result.status).toBe(0);
  });

  it("needs the passphrase to read the stack's outputs, and says so off a terminal", () => {
    const result = verify(["--stack", "dev"]);
    expect(result.stderr).toBe(
      "okd-lab: set PULUMI_CONFIG_PASSPHRASE_FILE (preferred) or PULUMI_CONFIG_PASSPHRASE: the stack's secrets are encrypted with it\n",
    );
    expect(result.status).toBe(1);
  });

  it("with OKD_LAB_STATS_PASSWORD and --stats-url asks for no passphrase (a bad argument stops it before any check)", () => {
    const result = verify(["--stats-url", "127.0.0.1:9000"], { OKD_LAB_STATS_PASSWORD: "s3cret" });
    expect(result.stderr).toMatch(/^--stats-url 127\.0\.0\.1:9000 is not an http\(s\) URL/);
    expect(result.status).toBe(2);
  });
});
