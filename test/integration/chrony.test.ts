/**
 * chrony.conf files checked by the chronyd that will read them: `chronyd -p -f FILE` parses the
 * file, prints every directive it parsed and exits, without starting the daemon.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderChronyClientConf, renderChronyConf } from "../../render/chronyConf";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

const chronyd = requireTool("chronyd");

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-chrony-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function parse(name: string, content: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return run(chronyd, ["-p", "-f", file]);
}

/** The file's directives, in order: what chronyd -p prints back when it parsed all of them. */
function directives(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

const FILES: [string, string][] = [
  ["seed infra", renderChronyConf(planFor(seedRawConfig()).ntp)],
  ["3x3 infra", renderChronyConf(planFor(threeByThreeRawConfig()).ntp)],
  ["infra with IPv4, IPv6 and host-name upstreams", renderChronyConf({ upstream: ["192.0.2.1", "2001:db8::123", "0.pool.ntp.org"], allow: "10.56.0.0/16" })],
  ["FCOS node", renderChronyClientConf(planFor(seedRawConfig()).infra.ip)],
];

describe("chronyd -p", () => {
  it.each(FILES)("parses every directive of the %s chrony.conf", (label, content) => {
    const result = parse(`${label.replace(/\W+/g, "-")}.conf`, content);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual(directives(content));
  });

  it.each([
    ["a directive chrony does not know", "serve-everyone yes\n", /Invalid directive at line/],
    ["makestep without its limit", "makestep 1.0\n", /Missing arguments for makestep directive/],
  ])("rejects a file with %s (the check can fail)", (_label, extra, message) => {
    const result = parse("broken.conf", renderChronyConf(planFor(seedRawConfig()).ntp) + extra);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});
