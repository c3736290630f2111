/**
 * The zone files checked by BIND's own loaders.
 *
 * CoreDNS, the server the infra node really runs, has no Debian package and cannot be installed on
 * the test machines; BIND stands in for it (here and in the e2e tests), loading the very same
 * files. named-checkzone performs the checks named does when it loads a zone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RawLabConfig } from "../../config/labConfig";
import { renderZones, RenderedZone } from "../../render/zoneFiles";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

/** The seed lab on a /23, with workers in the upper /24: two reverse zones. */
function slash23RawConfig(): RawLabConfig {
  return {
    ...seedRawConfig(),
    network: { name: "okd-net", cidr: "10.56.0.0/23" },
    workers: [
      { name: "worker", ip: "10.56.1.13" },
      { name: "worker2", ip: "10.56.1.254" },
    ],
  };
}

const LABS: [string, () => RawLabConfig][] = [
  ["seed", seedRawConfig],
  ["3x3", threeByThreeRawConfig],
  ["/23", slash23RawConfig],
];

/**
 * Flags: check-names failures (`-k fail`, e.g. an underscore in a host name) and NS records that
 * are addresses (`-n fail`) reject the zone instead of warning; integrity checks stay at their
 * default (`-i full`), which rejects an in-zone NS without an address record.
 */
const CHECKZONE_FLAGS = ["-k", "fail", "-n", "fail"];

let tmp: string;
let checkzone: string;
let checkconf: string;

beforeAll(() => {
  // A missing BIND tool fails every test here with the package to install; it never skips.
  checkzone = requireTool("named-checkzone");
  checkconf = requireTool("named-checkconf");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-zones-"));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Writes `files` into a fresh directory under the test's temp dir and returns that directory. */
function writeZones(label: string, files: RenderedZone[]): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${label.replace(/\W/g, "_")}-`));
  for (const f of files) fs.writeFileSync(path.join(dir, f.fileName), f.content);
  return dir;
}

describe.each(LABS)("zones of the %s lab", (label, raw) => {
  it("all pass named-checkzone -k fail -n fail, with the serial we wrote", () => {
    const dns = planFor(raw()).dns;
    // Serial 8 from a previous run with a different digest: proves BIND reads the bumped serial.
    const previous = Object.fromEntries([dns.zone, ...dns.reverseZones.map((z) => z.zone)].map((z) => [z, { serial: 7, digest: "old" }]));
    const { files } = renderZones(dns, previous);
    const dir = writeZones(label, files);
    expect(files.length).toBe(1 + dns.reverseZones.length);
    for (const f of files) {
      const result = run(checkzone, [...CHECKZONE_FLAGS, f.zone, path.join(dir, f.fileName)]);
      expect({ zone: f.zone, status: result.status, output: result.stdout + result.stderr }).toEqual({
        zone: f.zone,
        status: 0,
        output: expect.stringContaining(`zone ${f.zone}/IN: loaded serial 8`),
      });
    }
  });
});

describe("named-checkzone rejects a broken zone", () => {
  const forward = () => renderZones(planFor(seedRawConfig()).dns, undefined).files[0];

  it.each<[string, (text: string) => string, string]>([
    ["an address that is not a dotted quad", (t) => t.replace(/^(worker +IN A) 10\.56\.0\.13$/m, "$1 10.56.0.300"), "bad dotted quad"],
    ["a host name with an underscore (-k fail)", (t) => t.replace(/^worker( +IN A)/m, "bad_name$1"), "bad owner name (check-names)"],
    ["an NS record that is an address (-n fail)", (t) => t.replace(/^@ IN NS .*$/m, "@ IN NS 10.56.0.10"), "appears to be an address"],
    ["an in-zone name server without an A record", (t) => t.replace(/^dns +IN A .*\n/m, ""), "has no address records"],
    ["a zone without its SOA record", (t) => t.replace(/^@ IN SOA[\s\S]*?^\)\n/m, ""), "has 0 SOA records"],
  ])("with %s", (_name, breakIt, message) => {
    const good = forward();
    const broken = breakIt(good.content);
    expect(broken).not.toBe(good.content);
    const file = path.join(writeZones("broken", [{ ...good, content: broken }]), good.fileName);
    const result = run(checkzone, [...CHECKZONE_FLAGS, good.zone, file]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
  });
});

describe("named-checkconf -z", () => {
  /** A minimal named.conf that loads every zone from `dir` as a primary zone. */
  function namedConf(dir: string, files: RenderedZone[]): string {
    const lines = [`options { directory "${dir}"; };`, ...files.map((f) => `zone "${f.zone}" { type primary; file "${path.join(dir, f.fileName)}"; };`)];
    return `${lines.join("\n")}\n`;
  }

  it("loads every zone of the seed lab as a primary zone, as named would", () => {
    const { files } = renderZones(planFor(seedRawConfig()).dns, undefined);
    const dir = writeZones("checkconf", files);
    const conf = path.join(dir, "named.conf");
    fs.writeFileSync(conf, namedConf(dir, files));
    const result = run(checkconf, ["-z", conf]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: expect.any(String) });
    for (const f of files) expect(result.stdout).toContain(`zone ${f.zone}/IN: loaded serial 1`);
  });

  it("fails when one of the zones it loads is broken", () => {
    const { files } = renderZones(planFor(seedRawConfig()).dns, undefined);
    const broken = files.map((f, i) => (i === 0 ? { ...f, content: f.content.replace(/^dns +IN A .*\n/m, "") } : f));
    const dir = writeZones("checkconf-broken", broken);
    const conf = path.join(dir, "named.conf");
    fs.writeFileSync(conf, namedConf(dir, broken));
    const result = run(checkconf, ["-z", conf]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`zone ${files[0].zone}/IN: not loaded due to errors`);
  });
});
