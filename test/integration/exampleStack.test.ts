/**
 * The OKD 4.19 example stack (Pulumi.okd419.yaml) rendered as a user would, with the stand-in
 * installer as `openshift-install` on PATH claiming 4.19: the boot image comes from its stream
 * metadata. Without an installer the render stops with the fix, not a stack trace.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.join(__dirname, "..", "..");
let dir: string;
let bin: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-example-"));
  bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.copyFileSync(path.join(repo, "Pulumi.okd419.yaml"), path.join(dir, "Pulumi.okd419.yaml"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function render(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(repo, "scripts/render.ts"), "--stack", "okd419", "--out", "out"],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_PROJECT: path.join(repo, "tsconfig.json"), PATH: `${bin}${path.delimiter}/usr/bin:/bin`, ...env },
      timeout: 60000,
    },
  );
}

it("boots the CentOS Stream CoreOS 9 image the OKD 4.19 installer names", () => {
  fs.symlinkSync(path.join(repo, "test/fixtures/fake-openshift-install"), path.join(bin, "openshift-install"));
  const result = render({ FAKE_OPENSHIFT_INSTALL_VERSION: "4.19.0-okd-scos.1" });
  // The .local cluster domain's one warning (config/labConfig.ts LOCAL_DOMAIN_NOTE), nothing else.
  expect(result.stderr.replace(/^warning: okd-lab:cluster\.baseDomain = "[^"]*\.local": .*\n/, "")).toBe("");
  expect(result.status).toBe(0);
  const url = "https://rhcos.mirror.openshift.com/art/storage/prod/streams/c9s/builds/9.0.20250515-0/x86_64/scos-9.0.20250515-0-qemu.x86_64.qcow2.gz";
  expect(result.stdout).toContain(`boot image (named by the configured installer): ${url}`);
  const outputs = JSON.parse(fs.readFileSync(path.join(dir, "out/outputs.json"), "utf8"));
  expect(outputs.baseImages.fcos).toMatchObject({ source: "installer", image: url, os: { family: "scos", major: 9 }, cpuLevel: "x86-64-v2" });
  const plan = JSON.parse(fs.readFileSync(path.join(dir, "out/plan.json"), "utf8")) as { resources: { name: string; inputs: Record<string, unknown> }[] };
  const fetch = plan.resources.find((r) => r.name === "lab-fcos-image")!;
  expect(String(fetch.inputs.create)).toContain(`url='${url}'`);
  expect(String(fetch.inputs.create)).toContain("gzip --decompress");
});

it("stops with the fix, and no stack trace, when no installer is on PATH", () => {
  const result = render({});
  expect(result.status).toBe(2);
  expect(result.stderr).toBe(
    "okd-lab:bootImage.image is not set, so the boot image comes from 'openshift-install coreos print-stream-json' (okd-lab:okd.installer), " +
      "but openshift-install cannot be run: not found on PATH. Fix: download openshift-install for your OKD release from https://github.com/okd-project/okd/releases " +
      "and set okd-lab:okd.installer to its path, or set okd-lab:bootImage.image and okd-lab:bootImage.sha256 to the qemu image of your OKD release.\n",
  );
  expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
});
