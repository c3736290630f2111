import * as fs from "node:fs";
import * as path from "node:path";
import { RawLabConfig } from "../../config/labConfig";
import { renderCorefile } from "../../render/corefile";
import { zoneFileName } from "../../render/zoneFiles";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

const LABS: [string, () => RawLabConfig][] = [
  ["seed", seedRawConfig],
  ["3x3", threeByThreeRawConfig],
  ["bootstrap disabled", () => ({ ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } })],
  ["/23", () => ({ ...seedRawConfig(), network: { name: "okd-net", cidr: "10.56.0.0/23" }, workers: [{ name: "worker", ip: "10.56.1.13" }] })],
  ["/16", () => ({ ...seedRawConfig(), network: { name: "okd-net", cidr: "10.56.0.0/16" }, workers: [{ name: "worker", ip: "10.56.9.13" }] })],
];

/** A Corefile's server blocks: key and body lines (trimmed), comments and blank lines dropped. */
function serverBlocks(text: string): { key: string; body: string[] }[] {
  const blocks: { key: string; body: string[] }[] = [];
  let depth = 0;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (depth === 0) {
      const match = /^(\S+) \{$/.exec(line);
      if (!match) throw new Error(`expected a server block, got ${JSON.stringify(line)}`);
      blocks.push({ key: match[1], body: [] });
      depth = 1;
      continue;
    }
    if (line.endsWith("{")) depth++;
    if (line === "}") depth--;
    if (depth > 0) blocks[blocks.length - 1].body.push(line);
  }
  expect(depth).toBe(0);
  return blocks;
}

describe.each(LABS)("Corefile of the %s lab", (_label, raw) => {
  const dns = planFor(raw()).dns;
  const blocks = serverBlocks(renderCorefile(dns));
  const zones = [dns.zone, ...dns.reverseZones.map((z) => z.zone)];

  it("has a server block for exactly the lab zones, then the root for forwarding", () => {
    expect(blocks.map((b) => b.key)).toEqual([...zones, "."].map((z) => `${z}:53`));
  });

  it("serves each zone from its file under /etc/coredns/zones, reloading on a new serial every 10s", () => {
    for (const zone of zones) {
      const block = blocks.find((b) => b.key === `${zone}:53`)!;
      expect(block.body).toEqual([`file /etc/coredns/zones/${zoneFileName(zone)} {`, "reload 10s", "}", "errors", "log {", "class error", "}"]);
    }
  });

  it("answers the lab zones to every source that reaches them: no acl in the zone blocks", () => {
    for (const block of blocks.slice(0, -1)) expect(block.body.some((l) => l.startsWith("acl"))).toBe(false);
  });

  // CoreDNS 1.11.1 plugin/acl/setup.go and acl.go: `ACTION [type QTYPE...] [net SOURCE...]`, rules
  // tried in order, the first match decides; `block` without `net` matches every source and
  // answers REFUSED. So: the lab network and loopback recurse, nobody else does.
  it("forwards other names only for the lab network and loopback, refuses every other source, and caches for 30s", () => {
    expect(blocks[blocks.length - 1].body).toEqual([
      "acl {",
      `allow net ${dns.recursionClients.join(" ")}`,
      "block",
      "}",
      `forward . ${dns.forwarders.join(" ")}`,
      "cache 30",
      "errors",
      "log {",
      "class error",
      "}",
    ]);
    expect(dns.recursionClients).toEqual([planFor(raw()).network.cidr, "127.0.0.0/8", "::1/128"]);
  });

  // CoreDNS 1.11.1 plugin/log/setup.go: `log { class ... }` logs only those response classes;
  // plugin/pkg/response/classify.go puts REFUSED (acl's block) and SERVFAIL in `error`.
  it("logs only errors (acl's refusals among them) in every block, never each query", () => {
    for (const block of blocks) {
      expect(block.body).not.toContain("log");
      expect(block.body.filter((l) => l.startsWith("class "))).toEqual(["class error"]);
    }
  });

  it("opens no listener besides port 53 (no health, ready, prometheus, bind or extra ports)", () => {
    const plugins = blocks.flatMap((b) => b.body.map((line) => line.split(" ")[0]));
    expect(new Set(plugins)).toEqual(new Set(["file", "reload", "}", "errors", "log", "class", "acl", "allow", "block", "forward", "cache"]));
    expect(blocks.every((b) => b.key.endsWith(":53"))).toBe(true);
  });
});

describe("renderCorefile options", () => {
  const dns = planFor(seedRawConfig()).dns;

  it.each([
    ["/tmp/zones", "/tmp/zones/okd-lab.okd.local.zone"],
    ["/tmp/zones/", "/tmp/zones/okd-lab.okd.local.zone"],
  ])("reads zone files from zonesDir %s", (zonesDir, file) => {
    expect(renderCorefile(dns, { zonesDir })).toContain(`    file ${file} {\n`);
  });

  it("refuses a plan without forwarders, which CoreDNS would not start with", () => {
    expect(() => renderCorefile({ ...dns, forwarders: [] })).toThrow(
      "renderCorefile: dns.forwarders is empty; CoreDNS's forward plugin needs at least one resolver",
    );
  });
});

describe("seed lab Corefile golden", () => {
  it("renders exactly the reviewed golden file", () => {
    const golden = fs.readFileSync(path.join(__dirname, "..", "golden", "Corefile"), "utf8");
    expect(renderCorefile(planFor(seedRawConfig()).dns)).toBe(golden);
  });
});
