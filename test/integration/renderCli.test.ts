/** `npm run render` as a user runs it: default output folder, messages, exit codes. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LOCAL_DOMAIN_NOTE } from "../../config/labConfig";

const repo = path.join(__dirname, "..", "..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-render-cli-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function renderCli(args: string[]) {
  return spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(repo, "scripts/render.ts"), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, TS_NODE_PROJECT: path.join(repo, "tsconfig.json") },
    timeout: 60000,
  });
}

it("renders a stack file into out/<stack> and says which secret files it left out", () => {
  fs.copyFileSync(path.join(repo, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.lab.yaml"));
  const result = renderCli(["--stack", "lab"]);
  // The seed's okd.local domain gets its one warning (config/labConfig.ts LOCAL_DOMAIN_NOTE), nothing else.
  expect(result.stderr).toBe(`warning: okd-lab:cluster.baseDomain = "okd.local": ${LOCAL_DOMAIN_NOTE}\n`);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("rendered stack lab into out/lab: 43 resources, 9 files");
  expect(result.stdout).toContain("the Ignition role configs are stand-ins of the real shape made for the render");
  expect(result.stdout).toContain(
    "secret artifacts not written (pass --show-secrets): install-config.yaml, infra/cloud-init/user-data, ignition/bootstrap.ign, ignition/master.ign, ignition/worker.ign, infra/haproxy-secrets.env",
  );
  expect(fs.existsSync(path.join(dir, "out/lab/plan.json"))).toBe(true);
  expect(fs.existsSync(path.join(dir, "out/lab/infra/haproxy.cfg"))).toBe(true);
  expect(fs.existsSync(path.join(dir, "out/lab/install-config.yaml"))).toBe(false);
  expect(fs.readFileSync(path.join(dir, "out/lab/plan.json"), "utf8")).toContain('"[secret]"');
});

it("prints every configuration problem and exits 2, without a stack trace or any file", () => {
  fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  okd-lab:network:\n    cidr: 10.56.0.1/24\n  okd-lab:wokers: []\n");
  const result = renderCli(["--stack-file", "Pulumi.bad.yaml"]);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain("okd-lab configuration has");
  expect(result.stderr).toContain('okd-lab:network.cidr = "10.56.0.1/24": has host bits set (the network address is 10.56.0.0). Fix: use 10.56.0.0/24.');
  expect(result.stderr).toContain("okd-lab:wokers = []: unknown key.");
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
});

it("refuses unknown arguments with the usage line", () => {
  const result = renderCli(["--stack", "dev", "--shw-secrets"]);
  expect(result.status).toBe(2);
  expect(result.stderr).toBe(
    "unknown argument --shw-secrets\nusage: npm run render -- (--stack NAME | --stack-file PATH) [--out DIR] [--show-secrets] [--previous-outputs FILE]\n",
  );
});
