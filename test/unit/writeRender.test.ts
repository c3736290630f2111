/** The render's files may hold secrets (plan.json with --show-secrets): owner-only, also when they existed. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeRender } from "../../scripts/render";
import { NO_OPTIONS } from "../../offline/labMocks";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-write-render-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => fs.statSync(file).mode & 0o777;

it("writes plan.json, outputs.json and artifacts 0600 in 0700 folders, over existing world-readable ones", () => {
  const out = path.join(dir, "out");
  fs.mkdirSync(path.join(out, "infra"), { recursive: true, mode: 0o755 });
  fs.chmodSync(out, 0o755);
  fs.writeFileSync(path.join(out, "plan.json"), "old", { mode: 0o644 });
  fs.writeFileSync(path.join(out, "infra", "haproxy.cfg"), "old", { mode: 0o644 });
  const run = {
    resources: [
      {
        type: "command:remote:Command",
        name: "infra-config-file:haproxy.cfg",
        dependsOn: [],
        inputs: { stdin: "global\n" },
        ignoreChanges: [],
        options: { ...NO_OPTIONS },
        custom: true,
      },
    ],
    outputs: { a: 1 },
    warnings: [],
  };
  expect(writeRender(run, out, true)).toEqual({ written: ["plan.json", "outputs.json", "infra/haproxy.cfg"], skipped: [] });
  expect([mode(out), mode(path.join(out, "infra"))]).toEqual([0o700, 0o700]);
  for (const file of ["plan.json", "outputs.json", "infra/haproxy.cfg"]) expect({ file, mode: mode(path.join(out, file)) }).toEqual({ file, mode: 0o600 });
  expect(fs.readFileSync(path.join(out, "infra", "haproxy.cfg"), "utf8")).toBe("global\n");
});
