import { parse } from "yaml";
import { RawLabConfig } from "../../config/labConfig";
import { installerManifests, mastersSchedulable, renderChronyMachineConfig } from "../../ignition/machineConfigs";
import { renderChronyClientConf } from "../../render/chronyConf";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

const CHRONY = "server 10.56.0.10 iburst\nmakestep 1.0 3\n";

function decodeDataUrl(url: string): string {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) throw new Error(`not a data URL: ${url}`);
  return match[1].endsWith(";base64") ? Buffer.from(match[2], "base64").toString("utf8") : decodeURIComponent(match[2]);
}

const labs: [string, RawLabConfig][] = [
  ["seed lab", seedRawConfig()],
  ["3x3 lab", threeByThreeRawConfig()],
  ["1 master, no workers", { ...seedRawConfig(), workers: [] }],
  ["3 masters, no workers", { ...threeByThreeRawConfig(), workers: [] }],
  ["seed lab after bootstrap removal", { ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } }],
];

describe("renderChronyMachineConfig", () => {
  it.each(["master", "worker"] as const)("names the MachineConfig 99-%s-chrony and labels it for that pool", (role) => {
    const mc = parse(renderChronyMachineConfig(role, CHRONY));
    expect(mc.apiVersion).toBe("machineconfiguration.openshift.io/v1");
    expect(mc.kind).toBe("MachineConfig");
    expect(mc.metadata).toEqual({ name: `99-${role}-chrony`, labels: { "machineconfiguration.openshift.io/role": role } });
  });

  it.each(["master", "worker"] as const)("writes /etc/chrony.conf with mode 0644, overwrite and the given content, in Ignition 3.2.0 (%s)", (role) => {
    const config = parse(renderChronyMachineConfig(role, CHRONY)).spec.config;
    expect(config.ignition).toEqual({ version: "3.2.0" });
    expect(config.storage.files).toHaveLength(1);
    const [file] = config.storage.files;
    expect(file.path).toBe("/etc/chrony.conf");
    expect(file.mode).toBe(420);
    expect(file.overwrite).toBe(true);
    expect(file.contents.source).toMatch(/^data:text\/plain;charset=utf-8;base64,/);
    expect(decodeDataUrl(file.contents.source)).toBe(CHRONY);
  });
});

describe("installerManifests", () => {
  it("returns the two chrony MachineConfigs under openshift/ and the IngressController under manifests/", () => {
    expect(installerManifests(planFor(seedRawConfig())).map((m) => m.path)).toEqual([
      "openshift/99-master-chrony.yaml",
      "openshift/99-worker-chrony.yaml",
      "manifests/cluster-ingress-default-ingresscontroller.yaml",
    ]);
  });

  it.each(labs)("points chrony on masters and workers at the infra node (%s)", (_name, raw) => {
    const plan = planFor(raw);
    for (const path of ["openshift/99-master-chrony.yaml", "openshift/99-worker-chrony.yaml"]) {
      const manifest = installerManifests(plan).find((m) => m.path === path)!;
      const text = decodeDataUrl(parse(manifest.content).spec.config.storage.files[0].contents.source);
      expect(text).toBe(renderChronyClientConf(plan.infra.ip));
      expect(text).toContain(`server ${plan.infra.ip} iburst`);
    }
  });

  it.each([
    ["seed lab: 1 worker", seedRawConfig(), 1],
    ["3x3 lab: 3 workers", threeByThreeRawConfig(), 3],
    ["1 master, no workers: routers on the master", { ...seedRawConfig(), workers: [] }, 1],
    ["3 masters, no workers: routers on the masters", { ...threeByThreeRawConfig(), workers: [] }, 3],
  ])("sets one router replica per ingress node (%s)", (_name, raw, replicas) => {
    const manifest = installerManifests(planFor(raw as RawLabConfig)).find((m) => m.path === "manifests/cluster-ingress-default-ingresscontroller.yaml")!;
    expect(parse(manifest.content)).toEqual({
      apiVersion: "operator.openshift.io/v1",
      kind: "IngressController",
      metadata: { name: "default", namespace: "openshift-ingress-operator" },
      spec: { replicas },
    });
  });

  it.each(labs)("runs as many routers as HAProxy has ingress backends on 80 and on 443 (%s)", (_name, raw) => {
    const plan = planFor(raw);
    const manifest = installerManifests(plan).find((m) => m.path.endsWith("ingresscontroller.yaml"))!;
    const replicas = parse(manifest.content).spec.replicas;
    for (const name of ["ingress-http", "ingress-https"]) {
      expect(plan.loadBalancer.services.find((s) => s.name === name)!.servers).toHaveLength(replicas);
    }
  });
});

describe("mastersSchedulable", () => {
  it.each([
    ["seed lab", seedRawConfig(), false],
    ["3x3 lab", threeByThreeRawConfig(), false],
    ["1 master, no workers", { ...seedRawConfig(), workers: [] }, true],
    ["3 masters, no workers", { ...threeByThreeRawConfig(), workers: [] }, true],
  ])("keeps masters schedulable only when there are no workers (%s)", (_name, raw, expected) => {
    expect(mastersSchedulable(planFor(raw as RawLabConfig))).toBe(expected);
  });
});
