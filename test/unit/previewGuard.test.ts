/**
 * The preview guard of npm run up: pure rules, then the rules against what the real program would
 * change (two runs under Pulumi mocks, their difference turned into preview steps with the URNs
 * the engine gives them).
 */
import {
  describeChanges,
  describeUrn,
  dropBootstrapPolicy,
  formatRefusal,
  PreviewStep,
  refusedSteps,
  stackUpPolicy,
  urnName,
  urnType,
} from "../../host/previewGuard";
import { parsePreviewDigest } from "../../host/pulumiCli";
import { LabRun, runLabUnderMocks } from "../../offline/labMocks";
import { diffRuns } from "../../offline/planDiff";
import { fcosNodeResourceName } from "../../plan/labPlan";
import { devStackFileConfig } from "../fixtures/labs";

const S = "urn:pulumi:dev::okd-lab::";
const domain = (name: string) => `${S}okd-lab:nodes:FcosNode$libvirt:index/domain:Domain::${name}`;
const infraFile = (id: string) => `${S}okd-lab:infra:InfraConfig$command:remote:Command::infra-config-file:${id}`;

describe("refusedSteps", () => {
  const drop = dropBootstrapPolicy("bootstrap-bootstrap");

  it.each([
    ["replace", stackUpPolicy()],
    ["create-replacement", stackUpPolicy()],
    ["delete-replaced", stackUpPolicy()],
    ["replace", drop],
  ])("always refuses a %s step", (op, policy) => {
    const steps: PreviewStep[] = [{ op, urn: domain("bootstrap-bootstrap-domain"), replaceReasons: ["vcpu"] }];
    expect(refusedSteps(steps, policy)).toEqual([{ step: steps[0], reason: "replaces it (vcpu changed)" }]);
  });

  it("lets phase 2 create and update but never delete", () => {
    const steps: PreviewStep[] = [
      { op: "create", urn: domain("worker-worker2-domain") },
      { op: "update", urn: infraFile("haproxy.cfg"), diffReasons: ["stdin"] },
      { op: "same", urn: domain("master-master-domain") },
      { op: "delete", urn: domain("worker-worker-domain") },
    ];
    expect(refusedSteps(steps, stackUpPolicy())).toEqual([{ step: steps[3], reason: "deletes it" }]);
  });

  it("lets phase 4 delete only the bootstrap's resources and update only infra files", () => {
    const steps: PreviewStep[] = [
      { op: "delete", urn: `${S}okd-lab:nodes:FcosNode::bootstrap-bootstrap` },
      { op: "delete", urn: domain("bootstrap-bootstrap-domain") },
      { op: "update", urn: infraFile("zones/okd-lab.okd.local.zone"), diffReasons: ["stdin"] },
      { op: "delete", urn: domain("bootstrap-bootstrap2-domain") },
      { op: "update", urn: domain("master-master-domain"), diffReasons: ["vcpu"] },
      { op: "create", urn: domain("worker-worker2-domain") },
    ];
    expect(refusedSteps(steps, drop).map((r) => [describeUrn(r.step.urn), r.reason])).toEqual([
      ["libvirt:index/domain:Domain::bootstrap-bootstrap2-domain", "deletes it"],
      ["libvirt:index/domain:Domain::master-master-domain", "updates vcpu"],
      ["libvirt:index/domain:Domain::worker-worker2-domain", "creates a resource"],
    ]);
  });

  it("lets phase 2 replace only the domains okd-lab:recreateNodes names, and the infra files with the infra VM", () => {
    const steps: PreviewStep[] = [
      { op: "replace", urn: domain("worker-worker-domain"), replaceReasons: ["vcpu"] },
      { op: "replace", urn: domain("master-master-domain"), replaceReasons: ["vcpu"] },
      { op: "replace", urn: `${S}okd-lab:nodes:FcosNode$libvirt:index/volume:Volume::worker-worker-root`, replaceReasons: ["size"] },
      { op: "replace", urn: infraFile("haproxy.cfg"), replaceReasons: ["triggers"] },
    ];
    const onlyWorker = stackUpPolicy(["worker-worker-domain"]);
    expect(refusedSteps(steps, onlyWorker).map((r) => urnName(r.step.urn))).toEqual([
      "master-master-domain",
      "worker-worker-root",
      "infra-config-file:haproxy.cfg",
    ]);
    expect(onlyWorker.expects).toBe("resources are created or updated in place, never deleted, and only worker-worker-domain replaced (okd-lab:recreateNodes)");
    const withInfra = stackUpPolicy(["infra-domain"], true);
    expect(refusedSteps([{ op: "replace", urn: `${S}okd-lab:infra:InfraNode$libvirt:index/domain:Domain::infra-domain` }, steps[3]], withInfra)).toEqual([]);
    expect(refusedSteps([{ op: "delete", urn: domain("worker-worker-domain") }], onlyWorker).map((r) => r.reason)).toEqual(["deletes it"]);
  });

  it("ignores the root stack, and refuses an operation it does not know", () => {
    const steps: PreviewStep[] = [
      { op: "update", urn: `${S}pulumi:pulumi:Stack::okd-lab-dev` },
      { op: "import-something", urn: domain("x") },
    ];
    expect(refusedSteps(steps, drop)).toEqual([{ step: steps[1], reason: "an operation this command does not know (import-something)" }]);
  });

  it("reads a URN's name and own type", () => {
    expect(urnName(domain("a-b"))).toBe("a-b");
    expect(urnType(domain("a-b"))).toBe("libvirt:index/domain:Domain");
    expect(describeUrn(infraFile("haproxy.cfg"))).toBe("command:remote:Command::infra-config-file:haproxy.cfg");
  });

  it("counts the changing steps", () => {
    expect(describeChanges([{ op: "same", urn: domain("a") }])).toBe("no changes");
    expect(
      describeChanges([
        { op: "delete", urn: domain("a") },
        { op: "update", urn: infraFile("x") },
        { op: "delete", urn: domain("b") },
      ]),
    ).toBe("2 to delete, 1 to update");
  });

  it("formats a refusal with each step and the way out", () => {
    const steps: PreviewStep[] = [{ op: "delete", urn: domain("worker-worker-domain") }];
    expect(formatRefusal(stackUpPolicy(), refusedSteps(steps, stackUpPolicy()), "dev")).toBe(
      [
        "the preview of phase stack wants changes this phase does not make (resources are created or updated in place, never deleted or replaced):",
        "  delete             libvirt:index/domain:Domain::worker-worker-domain: deletes it",
        "Nothing was applied. If these changes are what you want, review and apply them with plain Pulumi,",
        "then run npm run up again: npm run pulumi -- up --stack dev",
      ].join("\n"),
    );
  });
});

describe("parsePreviewDigest", () => {
  it("reads the steps and error diagnostics of `pulumi preview --json` (pkg/display/json.go PreviewDigest)", () => {
    const doc = {
      config: { "okd-lab:cluster": "{...}" },
      steps: [
        { op: "same", urn: `${S}pulumi:pulumi:Stack::okd-lab-dev`, provider: "", newState: {}, detailedDiff: null },
        { op: "replace", urn: domain("w"), replaceReasons: ["memory"], detailedDiff: { memory: { kind: "update-replace", inputDiff: true } } },
      ],
      diagnostics: [
        { message: "okd-lab: warning text\n", severity: "warning" },
        { urn: `${S}pulumi:pulumi:Stack::okd-lab-dev`, message: "okd-lab: the installer assets ... changed\n", severity: "error" },
      ],
      changeSummary: { replace: 1, same: 1 },
    };
    expect(parsePreviewDigest(JSON.stringify(doc, null, 4))).toEqual({
      steps: [
        { op: "same", urn: `${S}pulumi:pulumi:Stack::okd-lab-dev`, replaceReasons: undefined, diffReasons: undefined },
        { op: "replace", urn: domain("w"), replaceReasons: ["memory"], diffReasons: undefined },
      ],
      errors: ["okd-lab: the installer assets ... changed"],
      warnings: ["okd-lab: warning text"],
    });
  });

  it("says so when the CLI printed no JSON", () => {
    expect(() => parsePreviewDigest("error: no stack\n")).toThrow("pulumi preview --json printed no JSON document: error: no stack");
  });
});

const devConfig = devStackFileConfig;

/** A recorded resource's URN as the engine forms it: its parents' types joined by `$`, then its own. */
function urnIn(run: LabRun, key: string): string {
  const [type, name] = key.split(/::(.*)/s);
  const r = run.resources.find((x) => x.type === type && x.name === name)!;
  const chain = r.parent ? `${r.parent.split("::")[2]}$${type}` : type;
  return `${S}${chain}::${name}`;
}

/** What `pulumi preview` would list going from `before` to `after`. */
function previewSteps(before: LabRun, after: LabRun): PreviewStep[] {
  const diff = diffRuns(before, after);
  return [
    ...diff.created.map((k) => ({ op: "create", urn: urnIn(after, k) })),
    ...Object.keys(diff.updated).map((k) => ({ op: "update", urn: urnIn(after, k), diffReasons: diff.updated[k] })),
    ...diff.deleted.map((k) => ({ op: "delete", urn: urnIn(before, k) })),
  ];
}

describe("the guard against the program's own updates", () => {
  let dev: LabRun;
  beforeAll(async () => {
    dev = await runLabUnderMocks({ stack: "dev", config: devConfig() });
  }, 60000);

  const next = (config: Record<string, unknown>) => runLabUnderMocks({ stack: "dev", config, previousOutputs: dev.outputs });

  it("dropping the bootstrap passes phase 4's guard and is refused by phase 2's", async () => {
    const dropped = await next({ ...devConfig(), "okd-lab:bootstrap": { name: "bootstrap", ip: "10.56.0.11", enabled: false } });
    const steps = previewSteps(dev, dropped);
    expect(steps.filter((s) => s.op === "delete")).toHaveLength(5);
    expect(refusedSteps(steps, dropBootstrapPolicy(fcosNodeResourceName({ role: "bootstrap", name: "bootstrap" })))).toEqual([]);
    expect(
      refusedSteps(steps, stackUpPolicy())
        .map((r) => urnName(r.step.urn))
        .sort(),
    ).toEqual(["bootstrap-bootstrap", "bootstrap-bootstrap-dhcp", "bootstrap-bootstrap-domain", "bootstrap-bootstrap-ignition", "bootstrap-bootstrap-root"]);
  }, 60000);

  it("adding a worker passes phase 2's guard and is refused by phase 4's", async () => {
    const grown = await next({
      ...devConfig(),
      "okd-lab:workers": [
        { name: "worker", ip: "10.56.0.13" },
        { name: "worker2", ip: "10.56.0.14" },
      ],
    });
    const steps = previewSteps(dev, grown);
    expect(refusedSteps(steps, stackUpPolicy())).toEqual([]);
    expect(refusedSteps(steps, dropBootstrapPolicy("bootstrap-bootstrap")).map((r) => r.reason)).toContain("creates a resource");
  }, 60000);

  it("removing a worker is refused by phase 2's guard", async () => {
    const shrunk = await next({ ...devConfig(), "okd-lab:workers": [] });
    const refused = refusedSteps(previewSteps(dev, shrunk), stackUpPolicy());
    expect(refused.map((r) => urnName(r.step.urn))).toContain("worker-worker-domain");
    expect(refused.every((r) => r.reason === "deletes it")).toBe(true);
  }, 60000);
});
