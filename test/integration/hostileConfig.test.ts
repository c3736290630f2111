/**
 * Every config value that reaches a shell, set to a value that would run code if it were pasted
 * into a command line unquoted: the run either refuses it before any resource with the rule and
 * the fix, or every command the program hands to bash carries it only as one quoted word, and
 * running those commands (with stand-ins for the host tools) never executes it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RecordedResource, runLabUnderMocks } from "../../offline/labMocks";
import { shellQuote } from "../../render/shellQuote";
import { TEST_COREDNS_SHA256 } from "../fixtures/labs";
import { run } from "./tools";

jest.setTimeout(60000);
let dir: string;
let marker: string;
/** A value that creates `marker` if any shell reads it as code, whatever quoting it lands in. */
let hostile: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-hostile-"));
  marker = path.join(dir, "pwned");
  hostile = `x'"$(touch ${marker})\`touch ${marker}\`; touch ${marker} #`;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = {
  "libvirt:uri": "qemu:///system",
  "okd-lab:infra": { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 } },
  "okd-lab:fcos": { image: "/var/lib/libvirt/images/fcos.qcow2" },
};

/** Every bash command line of the run: local commands' create/delete and remote commands' create. */
function shellScripts(resources: RecordedResource[]): { name: string; script: string }[] {
  const scripts: { name: string; script: string }[] = [];
  for (const r of resources) {
    if (r.type !== "command:local:Command" && r.type !== "command:remote:Command") continue;
    const interpreter = r.inputs.interpreter as string[] | undefined;
    if (interpreter && interpreter[0] !== "/bin/bash") continue;
    for (const key of ["create", "delete", "update"]) {
      const value = r.inputs[key];
      if (typeof value === "string") scripts.push({ name: `${r.name}.${key}`, script: value });
    }
  }
  return scripts;
}

/** Stand-ins for every host program the commands call: each logs its arguments and fails. */
function stubBin(): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["virsh", "curl", "dig", "openshift-install", "xz", "sudo", "oc", "ssh-keyscan"]) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\nprintf '%s\\n' "$@" >> ${shellQuote(path.join(dir, `${tool}.args`))}\nexit 1\n`, { mode: 0o755 });
  }
  return bin;
}

it("libvirt:uri: a URI with shell characters stops the run before any resource", async () => {
  const recorder: RecordedResource[] = [];
  await expect(runLabUnderMocks({ stack: "dev", config: { ...base, "libvirt:uri": `qemu:///system${hostile}` }, recorder })).rejects.toThrow(
    `okd-lab: libvirt:uri = ${JSON.stringify(`qemu:///system${hostile}`)}: is not a libvirt connection URI (driver[+transport]://[user@][host][:port]/path[?name=value], no spaces, quotes or shell characters). Fix: pulumi config set libvirt:uri qemu:///system`,
  );
  expect(recorder).toEqual([]);
});

it("LIBVIRT_DEFAULT_URI is checked the same way", async () => {
  const saved = process.env.LIBVIRT_DEFAULT_URI;
  process.env.LIBVIRT_DEFAULT_URI = `qemu:///system'; touch ${marker}`;
  try {
    const config: Record<string, unknown> = { ...base };
    delete config["libvirt:uri"];
    await expect(runLabUnderMocks({ stack: "dev", config })).rejects.toThrow("okd-lab: LIBVIRT_DEFAULT_URI = ");
  } finally {
    if (saved === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
    else process.env.LIBVIRT_DEFAULT_URI = saved;
  }
});

it.each([
  [
    "libvirt:uri with a query",
    { "libvirt:uri": "qemu+unix:///system?socket=/run/libvirt/virtqemud-sock" },
    "qemu+unix:///system?socket=/run/libvirt/virtqemud-sock",
  ],
  ["okd.installer", { "okd-lab:okd": { installer: "HOSTILE" } }, "HOSTILE"],
  ["okd.assetsDir", { "okd-lab:okd": { assetsDir: "DIR/HOSTILE" } }, "DIR/HOSTILE"],
  [
    "infra.image (URL)",
    {
      "okd-lab:infra": {
        coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 },
        image: "https://mirror.example/HOSTILE.qcow2",
        imageSha256: "a".repeat(64),
      },
    },
    "https://mirror.example/HOSTILE.qcow2",
  ],
  [
    "infra.image (host path with a sha256)",
    { "okd-lab:infra": { coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 }, image: "DIR/HOSTILE.qcow2", imageSha256: "a".repeat(64) } },
    "DIR/HOSTILE.qcow2",
  ],
  [
    "fcos.image (URL)",
    { "okd-lab:fcos": { image: "https://mirror.example/fcos.qcow2.xz?sig=HOSTILE", sha256: "a".repeat(64) } },
    "https://mirror.example/fcos.qcow2.xz?sig=HOSTILE",
  ],
])("%s reaches bash only as one quoted word, and running the commands never executes it", async (_, extra, raw) => {
  const value = raw.replace("HOSTILE", hostile).replace("DIR", dir);
  const config = JSON.parse(
    JSON.stringify({ ...base, ...extra })
      .replace("HOSTILE", JSON.stringify(hostile).slice(1, -1))
      .replace("DIR", dir),
  );
  const lab = await runLabUnderMocks({ stack: "dev", config });
  const scripts = shellScripts(lab.resources);
  const carrying = scripts.filter((s) => s.script.includes(marker) || s.script.includes(value));
  if (raw.includes("HOSTILE")) expect(carrying.length).toBeGreaterThan(0);
  for (const { name, script } of carrying) {
    // Taking out the single-quoted words (shellQuote's form, '\'' joins included) leaves no trace of it.
    const unquoted = script.replace(/'[^']*'(?:\\''[^']*')*/g, "");
    expect({ name, rest: unquoted.includes(marker) }).toEqual({ name, rest: false });
  }
  const bin = stubBin();
  for (const { name, script } of carrying) {
    // Network rule: the commands run in a new, empty network namespace, so nothing they try can
    // leave this machine; a command that opens connections itself is not run at all.
    expect({ name, opensConnections: script.includes("/dev/tcp/") }).toEqual({ name, opensConnections: false });
    const isolate = process.getuid?.() === 0 ? ["--net"] : ["--user", "--map-root-user", "--net"];
    run("unshare", [...isolate, "/bin/bash", "-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir }, cwd: dir, timeoutMs: 20000 });
  }
  expect(fs.existsSync(marker)).toBe(false);
});
