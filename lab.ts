/**
 * Wires the lab: config -> plan -> rendered artifacts -> components, and the stack outputs.
 */
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as path from "node:path";
import { FcosNode } from "./components/FcosNode";
import { InfraConfig } from "./components/InfraConfig";
import { InfraNode } from "./components/InfraNode";
import { InstallerAssets } from "./components/InstallerAssets";
import { LabNetwork } from "./components/LabNetwork";
import { BaseImage, LabStorage } from "./components/LabStorage";
import { LabConfig } from "./config/labConfig";
import { libvirtUriProblem } from "./config/libvirtUri";
import { readLabConfig, readLibvirtUri } from "./config/readConfig";
import { BootImageRecord, checkHostCpu, chooseBootImage } from "./host/bootImageChoice";
import { CsrApprovalRequest } from "./host/csrApproval";
import { realHostProbe } from "./host/hostProbe";
import { assetsDirProblem, installConfigDrift } from "./host/installerState";
import { HostProbe, remoteHostOf } from "./host/preflight";
import { renderInstallConfig } from "./ignition/installConfig";
import { renderInstallerScript } from "./ignition/installerScript";
import { installerManifests, mastersSchedulable } from "./ignition/machineConfigs";
import { renderNodeIgnition } from "./ignition/nodeIgnition";
import { BASE_IMAGES_OUTPUT, BaseImages, DeployedLab, guardChanges, LAB_OUTPUT, NODES_OUTPUT, readDeployedLab } from "./plan/changeGuard";
import { buildLabPlan, FcosNodePlan, fcosNodeResourceName, LabPlan } from "./plan/labPlan";
import { renderChronyClientConf, renderChronyConf } from "./render/chronyConf";
import { INFRA_ADMIN_USER, renderCloudInit } from "./render/cloudInit";
import { renderCorefile } from "./render/corefile";
import { renderHaproxyCfg, STATS_PASSWORD_ENV } from "./render/haproxyCfg";
import { infraFiles } from "./render/infraFiles";
import { infraKnownHostsLine, renderLabOutputs, renderLabRecord } from "./render/labOutputs";
import { renderNetworkDnsmasqOptions } from "./render/networkDnsmasqOptions";
import { renderReadinessGateScript } from "./render/readinessGate";
import { renderZones, ZoneSerialState, zoneFileName } from "./render/zoneFiles";

/** Certificates in the installer's Ignition expire after 24 hours. */
const IGNITION_CERT_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Seconds the CSR approval waits for the new nodes to join. */
const APPROVAL_TIMEOUT_SECONDS = 3600;
/** The approval command, relative to the project directory. */
const APPROVE_CSRS_SCRIPT = "scripts/approveCsrs.ts";

/** Name of the stack output that carries each zone's serial and digest to the next run. */
export const DNS_ZONES_OUTPUT = "dnsZones";

/**
 * The infra base image as LabStorage verifies it. Config validation gives every URL an https scheme
 * and a sha256; a URL without one can only be the recorded image of a lab deployed before images
 * were verified: its base volume exists already, so it is passed on as it was.
 */
function infraBaseImage(image: string, sha256: string | undefined): BaseImage {
  const sha256Key = "okd-lab:infra.imageSha256";
  if (image.startsWith("/") || sha256 === undefined) return { kind: "path", path: image, sha256, sha256Key };
  return { kind: "url", url: image, sha256, sha256Key };
}

function baseImageOf(record: BootImageRecord): BaseImage {
  // A host path with a sha256 is hashed before use, like a download.
  return record.image.startsWith("/")
    ? { kind: "path", path: record.image, sha256: record.sha256 }
    : { kind: "url", url: record.image, sha256: record.sha256, uncompressedSha256: record.uncompressedSha256, origin: record.source };
}

/** Checks the host's installer assets against the config; returns when they were generated. */
function checkInstallerAssets(config: LabConfig, plan: LabPlan): Date | undefined {
  const folderProblem = assetsDirProblem(config.okd.assetsDir, config.stack);
  if (folderProblem) throw new pulumi.RunError(folderProblem);
  const drift = installConfigDrift(config.okd.assetsDir, renderInstallConfig(plan, config.okd, ["ssh-ed25519 AAAA compare"]));
  switch (drift.kind) {
    case "none":
      return undefined;
    case "changed":
      throw new pulumi.RunError(
        `okd-lab: the installer assets in ${config.okd.assetsDir} were generated for another install-config (${drift.fields.join(", ")} changed). ` +
          "Regenerating them would mint a new CA and break the running cluster. Revert okd-lab:cluster, okd-lab:network or okd-lab:okd, " +
          `or start over: 'pulumi destroy', move ${config.okd.assetsDir} away, then 'pulumi up'.`,
      );
    case "masters":
      pulumi.log.warn(
        `okd-lab: the control plane goes from ${drift.was} to ${drift.now} masters on an installed cluster. DNS records and the 6443/22623 ` +
          "backends follow, but the new masters join etcd only through OKD's control-plane scale-up procedure, which this program does not perform.",
      );
      break;
    case "same":
      break;
    default: {
      const unreachable: never = drift;
      return unreachable;
    }
  }
  return drift.generatedAt;
}

/**
 * Warns when this run would create the bootstrap from assets older than their certificates: the
 * previous outputs tell whether the bootstrap exists already.
 */
function warnIfStaleBootstrap(generatedAt: Date | undefined, deployed: DeployedLab | undefined): void {
  if (!generatedAt || Date.now() - generatedAt.getTime() <= IGNITION_CERT_LIFETIME_MS) return;
  if (deployed?.vms.some((vm) => vm.role === "bootstrap")) return;
  pulumi.log.warn(
    `okd-lab: the installer assets were generated ${generatedAt.toISOString()}, more than 24 hours ago; their certificates have expired. ` +
      "A bootstrap node created from them will not complete: finish the installation with the nodes you have, or start over with new assets.",
  );
}

/**
 * Facts about the host and the stack that the program needs before it registers anything. Each
 * is read by an awaited step in {@link prepareLab}.
 */
export interface LabFacts {
  /** The stack's outputs from its last update; empty for a new stack. */
  previousOutputs: Record<string, unknown>;
  /**
   * The cluster nodes' boot image for this run, before the change guard: the configured one, else
   * the one recorded for this lab, else the one the installer names.
   */
  bootImage: BootImageRecord;
}

/** Outputs of this stack's last update that the program reads back. */
const PREVIOUS_OUTPUTS = [NODES_OUTPUT, LAB_OUTPUT, BASE_IMAGES_OUTPUT, DNS_ZONES_OUTPUT] as const;

/**
 * The stack's own previous outputs, through a StackReference to the bare stack name (the local
 * file backend's legacy layout rejects org/project/stack names). A read, not a resource the
 * stack owns; awaited so that the change guard decides before anything is registered.
 */
async function readPreviousOutputs(): Promise<Record<string, unknown>> {
  const self = new pulumi.StackReference(pulumi.getStack());
  const entries = await Promise.all(
    PREVIOUS_OUTPUTS.map(async (name) => {
      const details = await self.getOutputDetails(name);
      return [name, details.value ?? details.secretValue] as const;
    }),
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined && value !== null));
}

/**
 * The awaited preparation: one step per host or stack fact. The boot image needs the previous
 * outputs (a lab keeps its image), so it is chosen once they are read.
 */
export async function prepareLab(config: LabConfig, probe: HostProbe): Promise<LabFacts> {
  const [previousOutputs] = await Promise.all([readPreviousOutputs()]);
  const recorded = previousOutputs[BASE_IMAGES_OUTPUT] as { fcos?: unknown } | undefined;
  const choice = chooseBootImage(config, { previous: recorded?.fcos, labExists: Array.isArray(previousOutputs[NODES_OUTPUT]) }, probe);
  for (const warning of choice.warnings) pulumi.log.warn(warning);
  return { previousOutputs, bootImage: choice.record };
}

export interface CreateLabOptions {
  /**
   * Compare the installer assets already on this host with the config (default true). The
   * offline render turns it off: it renders a stack file whose secrets it cannot decrypt, so a
   * comparison with the host's real assets would report changes that are not there.
   */
  checkHostAssets?: boolean;
  /** The host the facts come from (the installer's stream metadata, the CPU); default the real one. */
  probe?: HostProbe;
  /**
   * Check the libvirt host's CPU against the boot image (default true). The offline render turns it
   * off: it does not run on the libvirt host.
   */
  checkHostCpu?: boolean;
}

/**
 * Builds the whole lab and returns the stack outputs: reads and checks the config, awaits the
 * preparation, lets the change guard decide, and only then registers resources.
 */
export async function createLab(options: CreateLabOptions = {}): Promise<Record<string, unknown>> {
  const { config, warnings } = readLabConfig();
  for (const warning of warnings) pulumi.log.warn(warning);
  const plan = buildLabPlan(config);
  const assetsGeneratedAt = (options.checkHostAssets ?? true) ? checkInstallerAssets(config, plan) : undefined;
  const configuredUri = readLibvirtUri();
  const libvirtUri = configuredUri ?? process.env.LIBVIRT_DEFAULT_URI;
  if (!libvirtUri) {
    throw new pulumi.RunError("okd-lab: libvirt:uri is not set and LIBVIRT_DEFAULT_URI is empty. Fix: pulumi config set libvirt:uri qemu:///system");
  }
  const uriProblem = libvirtUriProblem(libvirtUri, configuredUri === undefined ? "LIBVIRT_DEFAULT_URI" : "libvirt:uri");
  if (uriProblem) throw new pulumi.RunError(uriProblem);

  const probe = options.probe ?? realHostProbe();
  const facts = await prepareLab(config, probe);
  const deployed = readDeployedLab(facts.previousOutputs);
  const guard = guardChanges(deployed, plan, config, facts.bootImage);
  if (guard.refused.length > 0) {
    throw new pulumi.RunError(
      `okd-lab: this update would damage the running lab; nothing was changed:\n${guard.refused.map((line) => `  - ${line}`).join("\n")}`,
    );
  }
  for (const line of [...guard.announced, ...guard.notices]) pulumi.log.warn(line);
  // The CPU against the image the nodes will boot (the guard keeps a deployed lab's own).
  if (options.checkHostCpu ?? true) {
    for (const warning of checkHostCpu(guard.baseImages.fcos, libvirtUri, remoteHostOf(libvirtUri), probe)) pulumi.log.warn(warning);
  }
  return registerLab(config, plan, libvirtUri, guard.baseImages, facts, deployed, assetsGeneratedAt);
}

/** Registers every resource; called once the guard allowed the run. */
function registerLab(
  config: LabConfig,
  plan: LabPlan,
  libvirtUri: string,
  baseImages: BaseImages,
  facts: LabFacts,
  deployed: DeployedLab | undefined,
  assetsGeneratedAt: Date | undefined,
): Record<string, unknown> {
  const provider = new libvirt.Provider("libvirt", { uri: libvirtUri });
  const withLibvirt: pulumi.ComponentResourceOptions = { providers: [provider] };

  // The program's own key pair: it configures the infra node over SSH with it. Users' keys are
  // authorized alongside it on every node.
  const labKey = new tls.PrivateKey("lab-ssh-key", { algorithm: "ED25519" });
  const labPublicKey = labKey.publicKeyOpenssh.apply((k) => k.trim());
  const authorizedKeys = labPublicKey.apply((k) => [k, ...config.sshAuthorizedKeys]);
  const statsPassword = new random.RandomPassword("haproxy-stats-password", { length: 24, special: false });

  const reverseZones = plan.dns.reverseZones.map((z) => z.zone);
  const network = new LabNetwork(
    "lab",
    { network: plan.network, dnsServer: plan.infra.ip, forwardedZones: [plan.dns.zone, ...reverseZones], dnsmasqOptions: renderNetworkDnsmasqOptions(plan) },
    withLibvirt,
  );
  const storage = new LabStorage(
    "lab",
    {
      pool: config.pool,
      // The recorded images on a deployed lab (the guard's choice), so base volumes never change.
      infraImage: infraBaseImage(baseImages.infra, baseImages.infraSha256),
      fcosImage: baseImageOf(baseImages.fcos),
      cacheDir: path.resolve(".okd", `${config.stack}-images`),
      volumePrefix: plan.cluster.name,
    },
    withLibvirt,
  );

  // The infra node's SSH host key: installed by cloud-init, pinned by every connection to it.
  const infraHostKey = new tls.PrivateKey("infra-ssh-host-key", { algorithm: "ED25519" });
  // A secret as a whole: the user data carries the host's private key.
  const cloudInit = pulumi.secret(
    pulumi.all([authorizedKeys, infraHostKey.privateKeyOpenssh, infraHostKey.publicKeyOpenssh]).apply(([keys, privateKey, publicKey]) =>
      renderCloudInit({
        infra: plan.infra,
        network: plan.network,
        domain: plan.cluster.domain,
        coredns: config.infra.coredns,
        sshAuthorizedKeys: keys,
        sshHostKey: { privateKey, publicKey },
      }),
    ),
  );
  const infraNode = new InfraNode(
    "infra",
    {
      infra: plan.infra,
      poolName: storage.poolName,
      baseVolumeId: storage.infraBaseVolumeId,
      networkId: network.networkId,
      networkName: network.networkName,
      cloudInit,
      libvirtUri,
    },
    withLibvirt,
  );

  // SOA serials continue from this stack's last run: unchanged records keep their serial.
  const previousZones = facts.previousOutputs[DNS_ZONES_OUTPUT] as Record<string, ZoneSerialState> | undefined;
  if (config.bootstrap.enabled) warnIfStaleBootstrap(assetsGeneratedAt, deployed);
  const zones = renderZones(plan.dns, previousZones).files;
  const files = infraFiles<pulumi.Input<string>>({
    corefile: renderCorefile(plan.dns),
    zones: [plan.dns.zone, ...reverseZones].map((zone) => ({
      zone,
      fileName: zoneFileName(zone),
      content: zones.find((f) => f.zone === zone)!.content,
    })),
    haproxyCfg: renderHaproxyCfg(plan.loadBalancer),
    chronyConf: renderChronyConf(plan.ntp),
    haproxySecretsEnv: pulumi.interpolate`${STATS_PASSWORD_ENV}=${statsPassword.result}\n`,
  });
  const infraConfig = new InfraConfig("infra-config", {
    host: plan.infra.ip,
    user: INFRA_ADMIN_USER,
    privateKey: labKey.privateKeyOpenssh,
    hostKey: infraHostKey.publicKeyOpenssh,
    files,
    domainId: infraNode.domainId,
  });
  const gate = new command.local.Command(
    "readiness-gate",
    { create: renderReadinessGateScript(plan), interpreter: ["/bin/bash", "-c"] },
    { dependsOn: infraConfig.delivered },
  );

  const installer = new InstallerAssets("okd-installer", {
    // Every key: the MachineConfigs 99-master-ssh and 99-worker-ssh carry only install-config's
    // sshKey, and the machine-config daemon rewrites core's keys from them.
    installConfig: authorizedKeys.apply((keys) => renderInstallConfig(plan, config.okd, keys)),
    script: renderInstallerScript({
      // Absolute: the command provider runs the script in its own working directory.
      assetsDir: path.resolve(config.okd.assetsDir),
      installer: config.okd.installer,
      manifests: installerManifests(plan),
      mastersSchedulable: mastersSchedulable(plan),
    }),
  });

  const bootstrapChrony = renderChronyClientConf(plan.infra.ip);
  const nodeIgnition = (node: FcosNodePlan) =>
    pulumi.secret(
      pulumi.all([installer.output, authorizedKeys]).apply(([assets, keys]) =>
        renderNodeIgnition({
          node,
          roleConfig: assets[node.role],
          sshAuthorizedKeys: keys,
          // MachineConfigs never reach the bootstrap: it gets the lab's chrony.conf directly.
          extraFiles: node.role === "bootstrap" ? [{ path: "/etc/chrony.conf", content: bootstrapChrony, mode: 0o644 }] : [],
        }),
      ),
    );
  const nodes = plan.nodes.map(
    (node) =>
      new FcosNode(
        fcosNodeResourceName(node),
        {
          node,
          poolName: storage.poolName,
          baseVolumeId: storage.fcosBaseVolumeId,
          networkId: network.networkId,
          networkName: network.networkName,
          ignition: nodeIgnition(node),
          // New nodes boot once the infra node serves their records and backends.
          bootAfter: [gate, ...infraConfig.delivered],
          libvirtUri,
        },
        withLibvirt,
      ),
  );

  if (config.approveCsrs) {
    // Re-runs (as a replacement) whenever the node list changes. It approves only what each
    // joining node's kubelet files (host/csrPolicy.ts); nodes Ready already get nothing new.
    const request: CsrApprovalRequest = {
      oc: "oc",
      kubeconfig: path.resolve(config.okd.assetsDir, "auth", "kubeconfig"),
      nodes: plan.nodes.filter((n) => n.role !== "bootstrap").map((n) => ({ name: n.name, fqdn: n.fqdn, ip: n.ip, role: n.role })),
      timeoutSeconds: APPROVAL_TIMEOUT_SECONDS,
    };
    new command.local.Command(
      "approve-csrs",
      {
        // No shell: node runs the approval with the request as its one argument.
        interpreter: ["node", "--require", "ts-node/register/transpile-only", APPROVE_CSRS_SCRIPT],
        create: JSON.stringify(request),
        dir: __dirname,
      },
      { dependsOn: nodes },
    );
  }

  const text = renderLabOutputs(plan, { assetsDir: config.okd.assetsDir, installer: config.okd.installer, approveCsrs: config.approveCsrs, libvirtUri });
  return {
    ...text,
    statsPassword: pulumi.secret(statsPassword.result),
    sshPrivateKey: pulumi.secret(labKey.privateKeyOpenssh),
    knownHosts: infraHostKey.publicKeyOpenssh.apply((key) => infraKnownHostsLine(plan, key)),
    kubeadminPassword: pulumi.secret(installer.output.apply((o) => o.kubeadminPassword)),
    kubeconfig: pulumi.unsecret(installer.output.apply((o) => o.kubeconfig)),
    [DNS_ZONES_OUTPUT]: Object.fromEntries(zones.map((f) => [f.zone, { serial: f.serial, digest: f.digest }])),
    [LAB_OUTPUT]: renderLabRecord(plan, config.pool),
    [BASE_IMAGES_OUTPUT]: baseImages,
  };
}
