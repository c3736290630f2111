/**
 * Runs the real okd-lab program under Pulumi mocks, without the Pulumi CLI or libvirt, and
 * records every resource it registers: type, name, parent, dependencies, resource options and inputs. Used by
 * `npm run render`, `npm run bench` and the component tests.
 *
 * What the mocks stand in for: libvirt objects get ids; the generated SSH key, the stats
 * password and the installer's Ignition configs are fixed offline values (the installer's are
 * made by `offlineRoleConfigs`, since openshift-install cannot run here); the stack's own previous
 * outputs come from `previousOutputs`.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseLabConfig } from "../config/labConfig";
import type { HostProbe } from "../host/preflight";
import { offlineRoleConfigs } from "../ignition/offlineAssets";
import { buildLabPlan } from "../plan/labPlan";
import { splitStackConfig } from "./stackFile";

/** Marker Pulumi puts on secret values crossing the RPC boundary. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Redacted stand-in for a secret value in plan.json. */
export const REDACTED = "[secret]";

/** Public half of the fixed key pair the offline render uses instead of a generated one. */
export const OFFLINE_SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAySBJTIcx+RzlTgfRZ7u3Np3NMs5pkkALVlSLEWdjq/ okd-lab-offline-render";
/** Public half of the fixed infra SSH host key the offline render uses. */
export const OFFLINE_SSH_HOST_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO0ffL1neHostKeyOfTheOfflineRenderOnlyNotARealKey00 okd-lab-offline-host-key";
export const OFFLINE_STATS_PASSWORD = "offlineRenderStatsPassword";
export const OFFLINE_KUBEADMIN_PASSWORD = "offline-render-kubeadmin-password";

export interface RecordedResource {
  type: string;
  name: string;
  /** URN of the parent resource, or undefined for the stack's direct children. */
  parent?: string;
  /** URNs this resource depends on (explicit `dependsOn` and input dependencies). */
  dependsOn: string[];
  /** Inputs as the engine receives them; secret values are wrapped (see `isSecret`). */
  inputs: Record<string, unknown>;
  /** Top-level input names whose changes the engine ignores after creation (`ignoreChanges`). */
  ignoreChanges: string[];
  /** The resource options that decide what an update or a replacement does. */
  options: RecordedOptions;
  custom: boolean;
}

/** Resource options as the engine receives them (defaults when the program sets none). */
export interface RecordedOptions {
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  protect: boolean;
  retainOnDelete: boolean;
  /** Names of the resources this one had as aliases (earlier names it takes over). */
  aliases: string[];
}

/** The options of a resource registered with none of them set. */
export const NO_OPTIONS: RecordedOptions = {
  deleteBeforeReplace: false,
  ignoreChanges: [],
  replaceOnChanges: [],
  additionalSecretOutputs: [],
  protect: false,
  retainOnDelete: false,
  aliases: [],
};

export interface LabRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  warnings: string[];
}

export interface LabRunOptions {
  stack: string;
  /** Stack config as `namespace:key` -> value (objects as objects), like a stack file's `config:`. */
  config: Record<string, unknown>;
  /** The stack's outputs from the "previous" update, for the program's self-reference. */
  previousOutputs?: Record<string, unknown>;
  /** Simulate `pulumi preview` (unknown computed values). */
  preview?: boolean;
  /** Compare the host's installer assets with the config, as `pulumi up` does (default false). */
  checkHostAssets?: boolean;
  /**
   * The host the preparation step asks (the installer's stream metadata; the CPU when
   * `checkHostCpu`); default this machine, where the configured installer runs for real.
   */
  hostProbe?: HostProbe;
  /** Check the CPU against the boot image, as `pulumi up` does (default false: the render is not on the libvirt host). */
  checkHostCpu?: boolean;
  /** Filled with every registration as it happens, also when the program throws. */
  recorder?: RecordedResource[];
}

export function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] !== undefined;
}

/** Deep copy of `value` with secrets replaced by `[secret]`, or unwrapped when `showSecrets`. */
export function plainValue(value: unknown, showSecrets: boolean): unknown {
  if (isSecret(value)) return showSecrets ? plainValue(value.value, true) : REDACTED;
  if (Array.isArray(value)) return value.map((v) => plainValue(v, showSecrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, plainValue(v, showSecrets)]),
    );
  }
  return value;
}

function installerStdout(config: Record<string, unknown>, stack: string): string {
  const labConfig = parseLabConfig(splitStackConfig(config).raw, stack).config;
  const roles = offlineRoleConfigs(buildLabPlan(labConfig));
  return JSON.stringify({
    bootstrap: JSON.parse(roles.bootstrap),
    master: JSON.parse(roles.master),
    worker: JSON.parse(roles.worker),
    kubeadminPassword: OFFLINE_KUBEADMIN_PASSWORD,
    kubeconfig: `${labConfig.okd.assetsDir}/auth/kubeconfig`,
    generatedAt: "2000-01-01T00:00:00Z",
  });
}

/** Offline values for the outputs a provider would compute. */
function mockState(args: pulumi.runtime.MockResourceArgs, options: LabRunOptions): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        publicKeyOpenssh: `${args.name === "infra-ssh-host-key" ? OFFLINE_SSH_HOST_PUBLIC_KEY : OFFLINE_SSH_PUBLIC_KEY}\n`,
        privateKeyOpenssh: "offline-render-has-no-private-key",
        privateKeyPem: "",
      };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: OFFLINE_STATS_PASSWORD };
    case "command:local:Command":
      return { ...inputs, stdout: args.name === "okd-installer-create" ? installerStdout(options.config, options.stack) : "", stderr: "" };
    case "command:remote:Command":
      return { ...inputs, stdout: "", stderr: "" };
    case "pulumi:pulumi:StackReference":
      return { name: inputs.name, outputs: options.previousOutputs ?? {}, secretOutputNames: [] };
    default:
      return inputs;
  }
}

function unwrapDeep(value: unknown): unknown {
  if (isSecret(value)) return unwrapDeep(value.value);
  if (Array.isArray(value)) return value.map(unwrapDeep);
  return value;
}

/**
 * Pulumi captures a full stack trace for every promise (for its promise-leak report) and for every
 * resource (to tell the engine the source position); under ts-node each capture is source-mapped,
 * which costs more than the whole program. The offline harness has no engine to show either to, so
 * it skips both, unless PULUMI_DEBUG_PROMISE_LEAKS asks for them.
 */
function skipStackTraceCapture(): void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: unknown };
  if (typeof debuggable.debuggablePromise === "function") {
    debuggable.debuggablePromise = <T>(p: Promise<T>) => p;
  }
  const resource = pulumi.Resource as unknown as { callsites?: () => unknown[] };
  if (typeof resource.callsites === "function") resource.callsites = () => [];
}

/**
 * Evaluates `lab.ts` once under mocks. The module is loaded fresh (`jest.isolateModules` is not
 * needed): `createLab` reads config at call time.
 */
export async function runLabUnderMocks(options: LabRunOptions): Promise<LabRun> {
  skipStackTraceCapture();
  const byName = new Map<string, RecordedResource>();
  const order: RecordedResource[] = options.recorder ?? [];
  const warnings: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const recorded = byName.get(`${args.type}::${args.name}`);
        if (recorded) recorded.inputs = args.inputs;
        else {
          const entry: RecordedResource = {
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            dependsOn: [],
            ignoreChanges: [],
            options: { ...NO_OPTIONS },
            custom: args.custom ?? true,
          };
          byName.set(`${args.type}::${args.name}`, entry);
          order.push(entry);
        }
        return { id: args.custom === false ? "" : `${args.name}-id`, state: mockState(args, options) };
      },
      call(args) {
        throw new Error(`okd-lab offline render: unexpected provider function call ${args.token}`);
      },
    },
    "okd-lab",
    options.stack,
    options.preview ?? false,
    // The local file backend's organization, as `pulumi.getOrganization()` reports it there.
    "organization",
  );

  // The mocks API does not show parents and dependencies: read them off the register requests.
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, (req: never, cb: never) => unknown>;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = ((
    req: {
      getType(): string;
      getName(): string;
      getParent(): string;
      getDependenciesList(): string[];
      getIgnorechangesList(): string[];
      getPropertydependenciesMap(): Map<string, { getUrnsList(): string[] }>;
      getDeletebeforereplace(): boolean;
      getReplaceonchangesList(): string[];
      getAdditionalsecretoutputsList(): string[];
      getProtect(): boolean;
      getRetainondelete(): boolean;
      getAliasesList(): { getSpec?(): { getName(): string } | undefined; getUrn?(): string }[];
    },
    cb: never,
  ) => {
    const key = `${req.getType()}::${req.getName()}`;
    const deps = new Set(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((d) => d.getUrnsList().forEach((u) => deps.add(u)));
    const entry = byName.get(key) ?? {
      type: req.getType(),
      name: req.getName(),
      inputs: {},
      dependsOn: [],
      ignoreChanges: [],
      options: { ...NO_OPTIONS },
      custom: true,
    };
    entry.parent = req.getParent() || undefined;
    entry.ignoreChanges = [...req.getIgnorechangesList()].sort();
    entry.options = {
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: entry.ignoreChanges,
      replaceOnChanges: [...req.getReplaceonchangesList()].sort(),
      additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()].sort(),
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      aliases: req
        .getAliasesList()
        .map((a) => a.getSpec?.()?.getName() ?? a.getUrn?.() ?? "")
        .filter((n) => n !== "")
        .sort(),
    };
    entry.dependsOn = [...deps].sort();
    if (!byName.has(key)) {
      byName.set(key, entry);
      order.push(entry);
    }
    return register(req as never, cb);
  }) as never;

  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config)) config[key] = typeof value === "string" ? value : JSON.stringify(value);
  pulumi.runtime.setAllConfig(config, []);

  const originalWarn = pulumi.log.warn;
  (pulumi.log as { warn: typeof pulumi.log.warn }).warn = async (message: string) => {
    warnings.push(message);
  };
  try {
    // Loaded after setMocks, as Pulumi's mocks require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createLab } = require("../lab") as typeof import("../lab");
    const result = await createLab({
      checkHostAssets: options.checkHostAssets ?? false,
      probe: options.hostProbe,
      checkHostCpu: options.checkHostCpu ?? false,
    });
    const outputs: Record<string, unknown> = {};
    if (!options.preview) {
      for (const [key, value] of Object.entries(result)) {
        const output = pulumi.output(value as pulumi.Input<unknown>) as pulumi.Output<unknown>;
        const plain = unwrapDeep(await new Promise((resolve) => output.apply(resolve)));
        outputs[key] = (await pulumi.isSecret(output)) ? { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: plain } : plain;
      }
    }
    await settle(order);
    return { resources: [...order], outputs, warnings };
  } finally {
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = originalWarn;
  }
}

/** Waits until no new resource registrations arrive. */
async function settle(order: RecordedResource[]): Promise<void> {
  let quietRounds = 0;
  let seen = -1;
  while (quietRounds < 5) {
    await new Promise((r) => setImmediate(r));
    if (order.length === seen) quietRounds++;
    else {
      seen = order.length;
      quietRounds = 0;
    }
  }
}
