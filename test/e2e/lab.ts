/**
 * One e2e lab: the two namespaces, the node agent, the infra node's daemons fed by the real
 * helper, and the helpers the tests share (stats, routing tallies, waiting).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { statsAccess } from "../../render/labOutputs";
import { parseStatsCsv, StatsRow } from "../../verify/checks";
import { AgentProbe, NodeAgent } from "./agentClient";
import { Delivery, InfraNode } from "./infraNode";
import { InfraSsh, openStatsTunnel, startInfraSshd } from "./infraSshd";
import { LabNetwork } from "./netns";
import { RenderedStack } from "./stacks";

/** Programs the suite runs; a missing one fails the suite (never skips it). */
export const REQUIRED_TOOLS = [
  "ip",
  "ss",
  "mount",
  "bash",
  "haproxy",
  "named",
  "named-checkzone",
  "chronyd",
  "dig",
  "openssl",
  "getent",
  "dnsmasq",
  "dhclient",
  "ssh",
  "ssh-keygen",
];

/** A client outside the lab network (TEST-NET-1): the infra node must not recurse for it. */
export const OUTSIDER_IP = "192.0.2.77";

/** Throws one message naming everything missing: root, or any of {@link REQUIRED_TOOLS}. */
export function preflight(): void {
  const problems: string[] = [];
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    problems.push("the e2e suite creates network namespaces and must run as root (sudo npm run test:e2e)");
  }
  const missing = REQUIRED_TOOLS.filter((tool) => {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    problems.push(
      `missing programs: ${missing.join(", ")} (Debian: apt-get install iproute2 haproxy bind9 bind9-utils bind9-dnsutils chrony openssl dnsmasq-base isc-dhcp-client openssh-client)`,
    );
  }
  if (problems.length > 0) throw new Error(`e2e preflight failed:\n  - ${problems.join("\n  - ")}`);
}

/** A self-signed certificate for the nodes' TLS listeners (HAProxy's checks do not verify it). */
function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, "node.crt");
  const keyFile = path.join(dir, "node.key");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=okd-lab-e2e-node",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}

export interface E2ELab {
  dir: string;
  net: LabNetwork;
  agent: NodeAgent;
  probe: AgentProbe;
  infra: InfraNode;
  /** What the first delivery did, file by file. */
  firstDelivery: Delivery[];
  stack: RenderedStack;
  /** The infra node's sshd and the SSH outputs the stack would carry (its key, the known_hosts line). */
  ssh: InfraSsh;
  /** Stops everything and removes the namespaces and the temp folder. */
  teardown(): Promise<void>;
}

/**
 * Brings the lab up for `stack`: namespaces, node stand-ins for every planned node plus `extraNodes`
 * (addresses a later change will use), the first delivery of the files with the helper, then
 * named, chronyd and HAProxy; waits until HAProxy sees every planned server UP.
 */
export async function startLab(tag: string, stack: RenderedStack, extraNodes: { name: string; ip: string }[] = [], folders: string[] = []): Promise<E2ELab> {
  preflight();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `okdlab-e2e-${tag}-`));
  const plan = stack.plan;
  const nodes = [...plan.nodes.map((n) => ({ name: n.name, ip: n.ip })), ...extraNodes];
  const nodeIps = nodes.map((n) => n.ip);
  let net: LabNetwork;
  try {
    net = LabNetwork.create({ tag, infraIp: plan.infra.ip, prefix: plan.network.prefix, nodeIps, outsiderIp: OUTSIDER_IP, folders: [dir, ...folders] });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let agent: NodeAgent | undefined;
  const teardown = async () => {
    await agent?.close();
    await net.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    agent = await NodeAgent.start(net, dir, nodes, makeCertificate(dir));
    const probe = new AgentProbe(agent);
    const infra = new InfraNode(net, path.join(dir, "infra"));
    const firstDelivery = await infra.deliver(stack);
    await infra.start();
    // The stats page listens on the infra loopback: the tests read it through the statsTunnel
    // command, run by the real ssh client in the nodes namespace against the infra node's sshd.
    const ssh = await startInfraSshd(net, dir, plan);
    await openStatsTunnel(net, plan, ssh, async () => (await probe.httpGet(statsAccess(plan).url)).ok);
    const lab: E2ELab = { dir, net, agent, probe, infra, firstDelivery, stack, ssh, teardown };
    await waitForServers(lab, stack, 30000);
    return lab;
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** HAProxy's stats rows, read from the nodes namespace through the stats tunnel with the stack's stats password. */
export async function statsRows(lab: E2ELab, stack: RenderedStack): Promise<StatsRow[]> {
  const lb = stack.plan.loadBalancer;
  const r = await lab.probe.httpGet(`${statsAccess(stack.plan).url};csv`, { user: lb.stats.user, password: stack.statsPassword });
  if (!r.ok || r.status !== 200) throw new Error(`stats page: ${r.ok ? `status ${r.status}` : r.error}`);
  return parseStatsCsv(r.body);
}

/** `backend/server -> status` for every server row. */
export function serverStatus(rows: StatsRow[]): Record<string, string> {
  return Object.fromEntries(rows.filter((r) => r.svname !== "FRONTEND" && r.svname !== "BACKEND").map((r) => [`${r.pxname}/${r.svname}`, r.status]));
}

/** Waits until HAProxy lists exactly the servers of `stack` and all are UP. */
export async function waitForServers(lab: E2ELab, stack: RenderedStack, timeoutMs: number): Promise<Record<string, string>> {
  const expected = stack.plan.loadBalancer.services.flatMap((s) => s.servers.map((srv) => `${s.name}/${srv.name}`)).sort();
  let last: Record<string, string> = {};
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      last = serverStatus(await statsRows(lab, stack));
    } catch (err) {
      last = { error: (err as Error).message };
    }
    const names = Object.keys(last).sort();
    if (names.length === expected.length && names.every((n, i) => n === expected[i]) && Object.values(last).every((s) => s === "UP")) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `HAProxy did not show exactly ${expected.join(", ")} UP within ${timeoutMs} ms; it shows ${JSON.stringify(last)}\n${lab.infra.haproxy?.output().slice(-3000) ?? ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Answers (`<node>:<port>`) of `count` requests to `url`, tallied, and the failures. */
export async function tally(lab: E2ELab, url: string, count: number): Promise<{ backends: Record<string, number>; failures: string[] }> {
  const results = await lab.agent.requests(url, count, 4);
  const backends: Record<string, number> = {};
  const failures: string[] = [];
  for (const r of results) {
    if (r.ok && r.status === 200 && r.body) backends[r.body] = (backends[r.body] ?? 0) + 1;
    else failures.push(r.ok ? `status ${r.status}` : (r.error ?? "failed"));
  }
  return { backends, failures };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The Pulumi stand-in (test/fixtures/fake-pulumi) holding `stack`'s outputs that npm run verify
 * reads, its secrets shown only with --show-secrets: the stats password, the lab's SSH key and the
 * infra node's known_hosts line (`knownHosts` replaces it, e.g. with another host's key). Returns
 * the environment that puts it first on PATH.
 */
export function pulumiWithOutputs(dir: string, stack: RenderedStack, ssh: InfraSsh, knownHosts = ssh.knownHosts): NodeJS.ProcessEnv {
  const pulumiDir = fs.mkdtempSync(path.join(dir, "pulumi-"));
  const bin = path.join(pulumiDir, "bin");
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(pulumiDir, "stacks"));
  fs.symlinkSync(path.resolve(__dirname, "../fixtures/fake-pulumi"), path.join(bin, "pulumi"));
  const state = { resources: {}, outputs: { knownHosts }, secretOutputs: { statsPassword: stack.statsPassword, sshPrivateKey: ssh.sshPrivateKey } };
  fs.writeFileSync(path.join(pulumiDir, "stacks", `${stack.stack}.json`), JSON.stringify(state));
  return {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    FAKE_PULUMI_DIR: pulumiDir,
    PULUMI_BACKEND_URL: `file://${pulumiDir}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e",
  };
}
