/**
 * Per-node Ignition and the offline role configs checked by ignition-validate (Debian package
 * `ignition`), the validator of the Ignition that FCOS runs.
 */
import * as fs from "node:fs";
import { gunzipSync } from "node:zlib";
import * as os from "node:os";
import * as path from "node:path";
import { renderNodeIgnition } from "../../ignition/nodeIgnition";
import { OFFLINE_RENDER_CA_PEM, offlineRoleConfigs } from "../../ignition/offlineAssets";
import { FcosNodePlan, LabPlan } from "../../plan/labPlan";
import { renderChronyClientConf } from "../../render/chronyConf";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkdLabTestKeyOnly you@host";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-ignition-"));

beforeAll(() => requireTool("ignition-validate"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function ignitionValidate(configText: string): { code: number; output: string } {
  const file = path.join(tmp, `config-${counter++}.ign`);
  fs.writeFileSync(file, configText);
  const result = run(requireTool("ignition-validate"), [file]);
  return { code: result.status, output: result.stdout + result.stderr };
}

/** The per-node config as the lead renders it: the role config by role, chrony for the bootstrap. */
function nodeConfig(plan: LabPlan, node: FcosNodePlan): string {
  const roles = offlineRoleConfigs(plan);
  return renderNodeIgnition({
    node,
    roleConfig: roles[node.role],
    sshAuthorizedKeys: [SSH_KEY],
    extraFiles: node.role === "bootstrap" ? [{ path: "/etc/chrony.conf", content: renderChronyClientConf(plan.infra.ip), mode: 0o644 }] : [],
  });
}

function decodeDataUrl(url: string): string {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) throw new Error(`not a data URL: ${url}`);
  return match[1].endsWith(";base64") ? Buffer.from(match[2], "base64").toString("utf8") : decodeURIComponent(match[2]);
}

const labs: [string, LabPlan][] = [
  ["seed", planFor(seedRawConfig())],
  ["3x3", planFor(threeByThreeRawConfig())],
];
const nodes = labs.flatMap(([lab, plan]) => plan.nodes.map((node) => [`${lab} ${node.domainName}`, plan, node] as const));

describe("per-node Ignition under ignition-validate", () => {
  it("covers every node of both labs", () => {
    expect(nodes.map(([name]) => name)).toEqual([
      "seed okd-bootstrap",
      "seed okd-master",
      "seed okd-worker",
      "3x3 okd-bootstrap",
      "3x3 okd-master1",
      "3x3 okd-master2",
      "3x3 okd-master3",
      "3x3 okd-worker1",
      "3x3 okd-worker2",
      "3x3 okd-worker3",
    ]);
  });

  it.each(nodes)("accepts the config of %s without warnings", (_name, plan, node) => {
    const result = ignitionValidate(nodeConfig(plan, node));
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it.each(nodes)("accepts the role config merged into %s", (_name, plan, node) => {
    const config = JSON.parse(nodeConfig(plan, node));
    expect(config.ignition.config.merge[0].compression).toBe("gzip");
    const result = ignitionValidate(gunzipSync(Buffer.from(config.ignition.config.merge[0].source.replace(/^data:;base64,/, ""), "base64")).toString("utf8"));
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("offline role configs", () => {
  it.each(labs)("pass ignition-validate for the %s lab", (_lab, plan) => {
    for (const config of Object.values(offlineRoleConfigs(plan))) {
      const result = ignitionValidate(config);
      expect(result.output).toBe("");
      expect(result.code).toBe(0);
    }
  });

  it.each(["master", "worker"] as const)("make %s a pointer config to api-int:22623 trusting the placeholder CA", (role) => {
    const config = JSON.parse(offlineRoleConfigs(planFor(seedRawConfig()))[role]);
    expect(config.ignition.version).toBe("3.2.0");
    expect(config.ignition.config.merge).toEqual([{ source: `https://api-int.okd-lab.okd.local:22623/config/${role}` }]);
    expect(config.ignition.security.tls.certificateAuthorities).toHaveLength(1);
    expect(decodeDataUrl(config.ignition.security.tls.certificateAuthorities[0].source)).toBe(OFFLINE_RENDER_CA_PEM);
  });

  it("label the bootstrap stand-in as a placeholder for review", () => {
    const config = JSON.parse(offlineRoleConfigs(planFor(seedRawConfig())).bootstrap);
    const marker = config.storage.files.find((f: { path: string }) => f.path === "/etc/okd-lab/offline-render-placeholder");
    expect(decodeDataUrl(marker.contents.source)).toContain("the real bootstrap.ign comes from openshift-install");
  });

  it("embed a CA certificate that openssl can parse", () => {
    const result = run(requireTool("openssl"), ["x509", "-noout", "-subject"], { input: OFFLINE_RENDER_CA_PEM });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("okd-lab offline render placeholder CA");
  });
});

describe("ignition-validate as a gate", () => {
  it.each([
    [
      "a relative file path",
      { ignition: { version: "3.2.0" }, storage: { files: [{ path: "etc/hostname", contents: { source: "data:,x" } }] } },
      "path not absolute",
    ],
    [
      "a duplicate file",
      {
        ignition: { version: "3.2.0" },
        storage: {
          files: [
            { path: "/etc/hostname", contents: { source: "data:,a" } },
            { path: "/etc/hostname", contents: { source: "data:,b" } },
          ],
        },
      },
      "duplicate entry",
    ],
    ["an unknown spec version", { ignition: { version: "9.9.9" } }, "unsupported config version"],
  ])("rejects a config with %s", (_what, config, message) => {
    const result = ignitionValidate(JSON.stringify(config));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(message);
  });
});
