/**
 * End to end, the `npm run up` command line run as a host on the lab network (the nodes namespace
 * of test/e2e/netns.ts, no route out) against the served seed lab: its phase 2b asks the real host
 * resolver (glibc, with a resolv.conf naming the infra node's DNS, bind-mounted inside that
 * namespace's private mount namespace only) and its phase 7 runs the real `npm run verify` checks
 * against HAProxy, BIND and chronyd in the infra namespace, reading the stats page through the ssh
 * tunnel verify opens (the real ssh client, the infra namespace's sshd, the stack's key and
 * known_hosts outputs). Pulumi, openshift-install and oc are the
 * stand-ins of test/fixtures, first on PATH.
 *
 * The lab is served as it is at the end of the run (the bootstrap dropped), which is what verify
 * checks in phase 7.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { kubeletClientCsr, writeFakeOcState } from "../fixtures/csrs";
import { E2ELab, startLab } from "./lab";
import { devStackConfig, RenderedStack, renderStack, withoutBootstrap } from "./stacks";

jest.setTimeout(300_000);

const repo = path.resolve(__dirname, "../..");
const fixtures = path.join(repo, "test", "fixtures");
let workDir: string;
let dropped: RenderedStack;
let lab: E2ELab;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-e2e-up-"));
  dropped = await renderStack(workDir, "dropped", "dev", withoutBootstrap(devStackConfig()));
  lab = await startLab("up", dropped, [], [workDir]);
}, 240_000);

afterAll(async () => {
  await lab?.teardown();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

it("brings the lab from an empty stack to the summary, resolving and verifying for real from the lab network", async () => {
  const project = path.join(workDir, "project");
  const bin = path.join(workDir, "bin");
  const pulumiDir = path.join(workDir, "pulumi");
  const ocDir = path.join(workDir, "oc");
  for (const d of [project, bin, pulumiDir, ocDir]) fs.mkdirSync(d);
  // The dev stack file as the user has it before the first run: the bootstrap enabled.
  fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), stringify({ config: devStackConfig() }));
  fs.symlinkSync(path.join(fixtures, "fake-pulumi"), path.join(bin, "pulumi"));
  fs.symlinkSync(path.join(fixtures, "fake-oc-cluster"), path.join(bin, "oc"));
  fs.symlinkSync(path.join(fixtures, "fake-openshift-install"), path.join(bin, "openshift-install"));
  writeFakeOcState(ocDir, {
    csrs: [kubeletClientCsr("csr-master", "master.okd-lab.okd.local"), kubeletClientCsr("csr-worker", "worker.okd-lab.okd.local")],
    nodes: [],
    kubelets: { "master.okd-lab.okd.local": "10.56.0.12", "worker.okd-lab.okd.local": "10.56.0.13" },
  });
  // What the real program's outputs carry and the stand-in's model does not: the stats password,
  // the lab's SSH key and the infra node's known_hosts line (the e2e sshd's).
  const programOutputs = {
    outputs: { knownHosts: lab.ssh.knownHosts },
    secrets: { statsPassword: dropped.statsPassword, sshPrivateKey: lab.ssh.sshPrivateKey },
  };
  fs.writeFileSync(path.join(pulumiDir, "program-outputs"), JSON.stringify(programOutputs));
  const resolvConf = path.join(workDir, "resolv.conf");
  fs.writeFileSync(resolvConf, `nameserver ${dropped.plan.infra.ip}\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    FAKE_PULUMI_DIR: pulumiDir,
    FAKE_OC_DIR: ocDir,
    PULUMI_CONFIG_PASSPHRASE: "e2e",
    PULUMI_BACKEND_URL: `file://${pulumiDir}`,
    TS_NODE_PROJECT: path.join(repo, "tsconfig.json"),
  };
  // Phase 7's verify reads the password from the stack's outputs, as on a host.
  delete env.OKD_LAB_STATS_PASSWORD;
  // `ip netns exec` gives the command its own mount namespace: the bind mount stays inside it.
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  const argv = [
    "sh",
    "-c",
    script,
    resolvConf,
    process.execPath,
    "-r",
    require.resolve("ts-node/register/transpile-only"),
    path.join(repo, "scripts", "up.ts"),
    "--skip-preflight",
  ];
  const { code, output } = await lab.net.run(lab.net.nodesNs, argv, 240_000, { env, cwd: project });
  console.log(`npm run up from the nodes namespace:\n${output}`);
  expect(fs.readFileSync("/etc/resolv.conf", "utf8")).not.toContain(`nameserver ${dropped.plan.infra.ip}`);

  expect(output).toMatch(/== 2b host DNS: done at \S+ after \d+s \(api\.okd-lab\.okd\.local resolves to 10\.56\.0\.10\)\n/);
  expect(output).toContain("   | ok    dns A api.okd-lab.okd.local: 10.56.0.10\n");
  expect(output).toMatch(/^ {3}\| all \d+ checks passed$/m);
  expect(output).toContain("npm run verify: every check passed\n");
  expect(output).toMatch(/^ {3}\| ok {4}haproxy backend api: master UP/m);
  expect(code).toBe(0);
});
