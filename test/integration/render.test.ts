/**
 * `npm run render` of the dev stack and of a 3-master/3-worker stack, every artifact handed to
 * the real program that will read it: haproxy, BIND's zone checker, chronyd, cloud-init and
 * ignition-validate. CoreDNS cannot be installed here; BIND reads the same zone files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { render } from "../../scripts/render";
import { TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { requireTool, run } from "./tools";

const repo = path.join(__dirname, "..", "..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-render-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The dev stack file with three masters (.12-.14) and three workers (.15-.17). */
function threeByThreeStackFile(): string {
  const doc = parse(fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config["okd-lab:masters"] = [1, 2, 3].map((i) => ({ name: `master${i}`, ip: `10.56.0.${11 + i}` }));
  doc.config["okd-lab:workers"] = [1, 2, 3].map((i) => ({ name: `worker${i}`, ip: `10.56.0.${14 + i}` }));
  doc.config["okd-lab:infra"] = { ...(doc.config["okd-lab:infra"] as object), coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } };
  const file = path.join(work, "Pulumi.three.yaml");
  fs.writeFileSync(file, stringify(doc));
  return file;
}

const stacks = [
  { name: "dev", stackFile: path.join(repo, "Pulumi.dev.yaml"), nodes: ["bootstrap", "master", "worker"] },
  { name: "three", stackFile: threeByThreeStackFile(), nodes: ["bootstrap", "master1", "master2", "master3", "worker1", "worker2", "worker3"] },
];

describe.each(stacks)("render of the $name stack", ({ name, stackFile, nodes }) => {
  const out = path.join(work, name);
  beforeAll(async () => {
    await render({ stack: name, stackFile, out, showSecrets: true });
  }, 60000);

  const file = (...parts: string[]) => path.join(out, ...parts);

  it("writes every artifact", () => {
    const expected = [
      "plan.json",
      "outputs.json",
      "install-config.yaml",
      "infra/Corefile",
      "infra/haproxy.cfg",
      "infra/haproxy-secrets.env",
      "infra/chrony.conf",
      "infra/zones/okd-lab.okd.local.zone",
      "infra/zones/0.56.10.in-addr.arpa.zone",
      "infra/cloud-init/user-data",
      "infra/cloud-init/meta-data",
      "infra/cloud-init/network-config",
      ...nodes.map((n) => `ignition/${n}.ign`),
    ];
    for (const f of expected) expect(fs.existsSync(file(f))).toBe(true);
  });

  it("haproxy accepts haproxy.cfg with the delivered secrets environment", () => {
    const env = Object.fromEntries(
      fs
        .readFileSync(file("infra/haproxy-secrets.env"), "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    const result = run(requireTool("haproxy"), ["-c", "-f", file("infra/haproxy.cfg")], { env });
    expect(`${result.stdout}${result.stderr}`).toMatch(/Configuration file is valid/);
    expect(result.status).toBe(0);
  });

  it("BIND loads every zone file named by the Corefile", () => {
    const corefile = fs.readFileSync(file("infra/Corefile"), "utf8");
    const zones = fs.readdirSync(file("infra/zones"));
    expect(zones.length).toBeGreaterThan(1);
    // The Corefile names exactly the delivered zone files.
    const named = [...corefile.matchAll(/\/etc\/coredns\/zones\/(\S+)/g)].map((m) => m[1]);
    expect(named.sort()).toEqual([...zones].sort());
    for (const zoneFile of zones) {
      const zone = zoneFile.replace(/\.zone$/, "");
      const result = run(requireTool("named-checkzone"), ["-k", "fail", "-n", "fail", zone, file("infra/zones", zoneFile)]);
      expect(`${zone}: ${result.stdout}${result.stderr}`).toMatch(/OK/);
      expect(result.status).toBe(0);
    }
  });

  it("chronyd parses chrony.conf and it serves the lab network", () => {
    const result = run(requireTool("chronyd"), ["-p", "-f", file("infra/chrony.conf")]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^allow 10\.56\.0\.0\/24$/m);
  });

  it("cloud-init accepts the user data", () => {
    const result = run(requireTool("cloud-init"), ["schema", "-c", file("infra/cloud-init/user-data")]);
    expect(`${result.stdout}${result.stderr}`).toMatch(/Valid cloud-config/);
    expect(result.status).toBe(0);
    // The user data must not depend on the node list: no node address appears in it.
    const userData = fs.readFileSync(file("infra/cloud-init/user-data"), "utf8");
    expect(userData).not.toMatch(/10\.56\.0\.1[1-7]\b/);
  });

  it("cloud-init turns the network config into the infra node's static address on EL", () => {
    const dir = path.join(out, "net-convert");
    const result = run(requireTool("cloud-init"), [
      "devel",
      "net-convert",
      "-p",
      file("infra/cloud-init/network-config"),
      "-k",
      "yaml",
      "-d",
      dir,
      "-D",
      "almalinux",
      "-O",
      "sysconfig",
      "-m",
      "eth0,52:54:00:38:00:0a",
    ]);
    expect(result.status).toBe(0);
    const ifcfg = fs.readFileSync(path.join(dir, "etc/sysconfig/network-scripts/ifcfg-eth0"), "utf8");
    expect(ifcfg).toMatch(/^IPADDR=10\.56\.0\.10$/m);
    expect(ifcfg).toMatch(/^NETMASK=255\.255\.255\.0$/m);
    expect(ifcfg).toMatch(/^GATEWAY=10\.56\.0\.1$/m);
    expect(ifcfg).toMatch(/^DNS1=10\.56\.0\.10$/m);
    expect(ifcfg).toMatch(/^HWADDR=52:54:00:38:00:0a$/m);
  });

  it("ignition-validate accepts every node's Ignition", () => {
    for (const node of nodes) {
      const result = run(requireTool("ignition-validate"), [file("ignition", `${node}.ign`)]);
      expect(`${node}: ${result.stdout}${result.stderr}`).toBe(`${node}: `);
      expect(result.status).toBe(0);
    }
  });

  it("install-config.yaml describes the lab for platform none", () => {
    const doc = parse(fs.readFileSync(file("install-config.yaml"), "utf8")) as Record<string, any>;
    expect(doc.platform).toEqual({ none: {} });
    expect(doc.compute[0].replicas).toBe(0);
    expect(doc.controlPlane.replicas).toBe(nodes.filter((n) => n.startsWith("master")).length);
    expect(doc.networking.machineNetwork).toEqual([{ cidr: "10.56.0.0/24" }]);
    expect(doc.metadata.name).toBe("okd-lab");
    expect(doc.baseDomain).toBe("okd.local");
  });
});

it("a failing artifact is caught: haproxy rejects a backend on a port it cannot parse", () => {
  const broken = path.join(work, "broken.cfg");
  fs.writeFileSync(broken, "defaults\n  mode tcp\nbackend api\n  server master 10.56.0.12:notaport check\n");
  expect(run(requireTool("haproxy"), ["-c", "-f", broken]).status).not.toBe(0);
});
