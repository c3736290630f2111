/**
 * npm run render -- (--stack NAME | --stack-file PATH) [--out DIR] [--show-secrets] [--previous-outputs FILE]
 *
 * Runs the real program under Pulumi mocks (no Pulumi CLI, no libvirt) and writes what it hands
 * to its resources: plan.json, the infra node's files, cloud-init, install-config.yaml and every
 * node's Ignition. Files whose content is a Pulumi secret are written only with --show-secrets.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { INSTALL_CONFIG_ENV } from "../ignition/installerScript";
import { readFlags, runCli } from "../offline/cli";
import { readStackConfig, stackAndFile } from "../offline/stackFile";
import { isSecret, LabRun, plainValue, RecordedResource, runLabUnderMocks } from "../offline/labMocks";

export interface RenderOptions {
  stack: string;
  stackFile: string;
  out: string;
  showSecrets: boolean;
  previousOutputs?: string;
}

const USAGE = "usage: npm run render -- (--stack NAME | --stack-file PATH) [--out DIR] [--show-secrets] [--previous-outputs FILE]";

export function parseArgs(argv: string[]): RenderOptions {
  const { values, switches } = readFlags(argv, { values: ["stack", "stack-file", "out", "previous-outputs"], switches: ["show-secrets"] });
  const { stack, stackFile } = stackAndFile(values.stack, values["stack-file"]);
  return {
    stack,
    stackFile,
    out: values.out ?? path.join("out", stack),
    showSecrets: switches.has("show-secrets"),
    previousOutputs: values["previous-outputs"],
  };
}

export { readStackConfig };

/** A rendered artifact: its path under the output folder and the resource input it comes from. */
interface Artifact {
  file: string;
  value: unknown;
}

function input(r: RecordedResource, key: string): unknown {
  return r.inputs[key];
}

/** `value[key]`, still secret when `value` as a whole is. */
function field(value: unknown, key: string): unknown {
  if (isSecret(value)) {
    const inner = field(value.value, key);
    return isSecret(inner) ? inner : { ...value, value: inner };
  }
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The artifacts the program hands to its resources, found by resource type and name. */
export function artifactsOf(run: LabRun): Artifact[] {
  const artifacts: Artifact[] = [];
  for (const r of run.resources) {
    if (r.type === "command:remote:Command") {
      const match = /-file:(.+)$/.exec(r.name);
      if (match) artifacts.push({ file: path.join("infra", match[1]), value: input(r, "stdin") });
    } else if (r.type === "libvirt:index/cloudInitDisk:CloudInitDisk") {
      artifacts.push({ file: "infra/cloud-init/user-data", value: input(r, "userData") });
      artifacts.push({ file: "infra/cloud-init/meta-data", value: input(r, "metaData") });
      artifacts.push({ file: "infra/cloud-init/network-config", value: input(r, "networkConfig") });
    } else if (r.type === "libvirt:index/ignition:Ignition") {
      // Volume name `okd-<node>.ign`; the render names files after the node.
      const volume = String(plainValue(input(r, "name"), true));
      artifacts.push({ file: path.join("ignition", volume.replace(/^okd-/, "")), value: input(r, "content") });
    } else if (r.type === "command:local:Command" && r.name === "okd-installer-create") {
      artifacts.push({ file: "install-config.yaml", value: field(input(r, "environment"), INSTALL_CONFIG_ENV) });
    }
  }
  return artifacts;
}

export function planJson(run: LabRun, showSecrets: boolean): string {
  const resources = [...run.resources]
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`))
    .map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      dependsOn: r.dependsOn,
      // What an update or a replacement does: delete first, ignored inputs, secret outputs, ...
      options: r.options,
      inputs: plainValue(r.inputs, showSecrets),
    }));
  return `${JSON.stringify({ resources }, null, 2)}\n`;
}

/**
 * Writes `content` readable by its owner only (0600), also over an existing file of another mode:
 * plan.json with --show-secrets holds every secret of the lab.
 */
function writePrivateFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(file), 0o700);
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** Writes the render (files 0600, folders 0700); returns the artifact paths skipped because they are secret. */
export function writeRender(run: LabRun, out: string, showSecrets: boolean): { written: string[]; skipped: string[] } {
  writePrivateFile(path.join(out, "plan.json"), planJson(run, showSecrets));
  writePrivateFile(path.join(out, "outputs.json"), `${JSON.stringify(plainValue(run.outputs, showSecrets), null, 2)}\n`);
  const written = ["plan.json", "outputs.json"];
  const skipped: string[] = [];
  for (const artifact of artifactsOf(run)) {
    const value = plainValue(artifact.value, showSecrets);
    if (value === "[secret]") {
      skipped.push(artifact.file);
      continue;
    }
    if (typeof value !== "string") throw new Error(`render: ${artifact.file} has no content in the program's resources`);
    writePrivateFile(path.join(out, artifact.file), value);
    written.push(artifact.file);
  }
  return { written, skipped };
}

export async function render(options: RenderOptions): Promise<{ run: LabRun; written: string[]; skipped: string[]; notes: string[] }> {
  const { config, notes } = readStackConfig(options.stackFile);
  const previousOutputs = options.previousOutputs ? (JSON.parse(fs.readFileSync(options.previousOutputs, "utf8")) as Record<string, unknown>) : undefined;
  const run = await runLabUnderMocks({ stack: options.stack, config, previousOutputs });
  const { written, skipped } = writeRender(run, options.out, options.showSecrets);
  return { run, written, skipped, notes };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const { run, written, skipped, notes } = await render(options);
  for (const note of notes) console.error(`note: ${note}`);
  for (const warning of run.warnings) console.error(`warning: ${warning}`);
  console.log(`rendered stack ${options.stack} into ${options.out}: ${run.resources.length} resources, ${written.length} files`);
  console.log("offline render: openshift-install cannot run here; the Ignition role configs are stand-ins of the real shape made for the render");
  const boot = (run.outputs.baseImages as { fcos?: { source?: string; image?: string } } | undefined)?.fcos;
  const origin: Record<string, string> = { installer: "named by the configured installer", config: "configured", seed: "the seed's default, kept by this lab" };
  if (boot?.image) console.log(`boot image (${origin[boot.source ?? ""] ?? boot.source}): ${boot.image}`);
  if (skipped.length > 0) console.log(`secret artifacts not written (pass --show-secrets): ${skipped.join(", ")}`);
  return 0;
}

runCli(module, USAGE, main);
