import * as fs from "node:fs";
import * as path from "node:path";
import * as ipaddr from "ipaddr.js";
import { RawLabConfig } from "../../config/labConfig";
import { LabPlan } from "../../plan/labPlan";
import {
  CorednsPaths,
  MAX_ZONE_SERIAL,
  nextZoneSerial,
  renderForwardZone,
  renderReverseZone,
  renderZones,
  zoneDigest,
  zoneFileName,
  ZoneSerialState,
} from "../../render/zoneFiles";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

/** The seed lab on a /23: two reverse zones, the worker in the upper half. */
function slash23RawConfig(): RawLabConfig {
  return {
    ...seedRawConfig(),
    network: { name: "okd-net", cidr: "10.56.0.0/23" },
    masters: [{ name: "master", ip: "10.56.0.12" }],
    workers: [
      { name: "worker", ip: "10.56.1.13" },
      { name: "worker2", ip: "10.56.1.254" },
    ],
  };
}

/** The seed lab on a /16: one reverse zone two labels deep, nodes spread over several /24s. */
function slash16RawConfig(): RawLabConfig {
  return {
    ...seedRawConfig(),
    network: { name: "okd-net", cidr: "10.56.0.0/16" },
    infra: { ...(seedRawConfig().infra as object), ip: "10.56.3.10" },
    bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: true },
    masters: [{ name: "master", ip: "10.56.200.12" }],
    workers: [{ name: "worker", ip: "10.56.255.13" }],
  };
}

function bootstrapDisabledRawConfig(): RawLabConfig {
  return { ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false } };
}

const LABS: [string, () => RawLabConfig][] = [
  ["seed", seedRawConfig],
  ["3x3", threeByThreeRawConfig],
  ["bootstrap disabled", bootstrapDisabledRawConfig],
  ["/23", slash23RawConfig],
  ["/16", slash16RawConfig],
];

/** One resource record of a parsed zone, owner and names absolute with the trailing dot. */
interface Rr {
  owner: string;
  type: string;
  data: string[];
}

/** A zone file's directives and records, with parentheses joined and comments dropped. */
interface ParsedZone {
  origin: string | undefined;
  ttl: string | undefined;
  records: Rr[];
}

/** Parses the subset of RFC 1035 master-file syntax the renderer writes (enough to assert on). */
function parseZone(text: string): ParsedZone {
  const logical: string[] = [];
  let open: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/;.*$/, "").trimEnd();
    if (line.trim() === "") continue;
    if (open !== undefined) {
      open += ` ${line.trim()}`;
      if (line.includes(")")) {
        logical.push(open.replace(/[()]/g, " "));
        open = undefined;
      }
    } else if (line.includes("(") && !line.includes(")")) {
      open = line;
    } else {
      logical.push(line);
    }
  }
  expect(open).toBeUndefined();
  let origin: string | undefined;
  let ttl: string | undefined;
  const records: Rr[] = [];
  for (const line of logical) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "$ORIGIN") origin = fields[1];
    else if (fields[0] === "$TTL") ttl = fields[1];
    else {
      // The renderer always writes an owner, the class IN and the type.
      expect(/^\s/.test(line)).toBe(false);
      expect(fields[1]).toBe("IN");
      const absolute = (name: string) => (name === "@" ? origin! : name.endsWith(".") ? name : `${name}.${origin}`);
      records.push({ owner: absolute(fields[0]), type: fields[2], data: fields.slice(3) });
    }
  }
  return { origin, ttl, records };
}

/** `12.0.56.10.in-addr.arpa.` for `10.56.0.12`. */
function ptrName(ip: string): string {
  return `${ipaddr.IPv4.parse(ip).toByteArray().reverse().join(".")}.in-addr.arpa.`;
}

function zonesOf(plan: LabPlan): { forward: ParsedZone; reverse: Map<string, ParsedZone> } {
  const { files } = renderZones(plan.dns, undefined);
  const forward = parseZone(files[0].content);
  const reverse = new Map(files.slice(1).map((f) => [f.zone, parseZone(f.content)]));
  return { forward, reverse };
}

function allPtrs(plan: LabPlan): Rr[] {
  return [...zonesOf(plan).reverse.values()].flatMap((z) => z.records.filter((r) => r.type === "PTR"));
}

describe("zoneFileName", () => {
  it.each([
    ["okd-lab.okd.local", "okd-lab.okd.local.zone"],
    ["0.56.10.in-addr.arpa", "0.56.10.in-addr.arpa.zone"],
  ])("names the file of %s %s", (zone, file) => {
    expect(zoneFileName(zone)).toBe(file);
  });

  it("keeps zones under /etc/coredns/zones on the infra node", () => {
    expect(CorednsPaths.zonesDir).toBe("/etc/coredns/zones");
  });
});

describe.each(LABS)("zones of the %s lab", (_label, raw) => {
  const plan = planFor(raw());
  const { forward, reverse } = zonesOf(plan);
  const domain = `${plan.dns.zone}.`;
  const aRecords = (name: string) => forward.records.filter((r) => r.type === "A" && r.owner === name).map((r) => r.data[0]);
  const ptrTargets = (ip: string) =>
    allPtrs(plan)
      .filter((r) => r.owner === ptrName(ip))
      .map((r) => r.data[0]);

  it("gives every FCOS node and the infra node an A record and a PTR record", () => {
    for (const node of [...plan.nodes, plan.infra]) {
      expect(aRecords(`${node.fqdn}.`)).toEqual([node.ip]);
      expect(ptrTargets(node.ip)).toContain(`${node.fqdn}.`);
    }
  });

  it("points api and api-int at the infra node, forward and reverse", () => {
    for (const name of ["api", "api-int"]) {
      expect(aRecords(`${name}.${domain}`)).toEqual([plan.infra.ip]);
      expect(ptrTargets(plan.infra.ip)).toContain(`${name}.${domain}`);
    }
  });

  it("has an A record for *.apps but no PTR record pointing at it", () => {
    expect(aRecords(`*.apps.${domain}`)).toEqual([plan.infra.ip]);
    expect(allPtrs(plan).filter((r) => r.data[0].includes("apps"))).toEqual([]);
  });

  it("has an A record for the name server the SOA and NS records name", () => {
    expect(aRecords(`${plan.dns.nameServer}.`)).toEqual([plan.infra.ip]);
  });

  it("has only SOA and NS records at the apex of every zone", () => {
    for (const zone of [forward, ...reverse.values()]) {
      const apexTypes = zone.records.filter((r) => r.owner === zone.origin).map((r) => r.type);
      expect(apexTypes).toEqual(["SOA", "NS"]);
    }
  });

  it("declares $ORIGIN and a $TTL in every zone", () => {
    expect(forward.origin).toBe(domain);
    for (const [name, zone] of reverse) {
      expect(zone.origin).toBe(`${name}.`);
    }
    for (const zone of [forward, ...reverse.values()]) {
      expect(zone.ttl).toMatch(/^[1-9]\d*$/);
    }
  });

  it("writes the same SOA (name server, mailbox, serial 1, timers) and NS in every zone", () => {
    for (const zone of [forward, ...reverse.values()]) {
      const soa = zone.records.find((r) => r.type === "SOA")!;
      expect(soa.data.slice(0, 3)).toEqual([`${plan.dns.nameServer}.`, `${plan.dns.hostmaster}.`, "1"]);
      const [refresh, retry, expire, minimum] = soa.data.slice(3).map(Number);
      expect(expire).toBeGreaterThan(refresh + retry);
      expect(minimum).toBeGreaterThan(0);
      expect(zone.records.filter((r) => r.type === "NS").map((r) => r.data)).toEqual([[`${plan.dns.nameServer}.`]]);
    }
  });

  it("writes one reverse zone per plan.dns.reverseZones entry, and only PTR records in them besides SOA and NS", () => {
    expect([...reverse.keys()]).toEqual(plan.dns.reverseZones.map((z) => z.zone));
    for (const zone of reverse.values()) {
      expect(new Set(zone.records.map((r) => r.type))).toEqual(new Set(zone.records.length > 2 ? ["SOA", "NS", "PTR"] : ["SOA", "NS"]));
    }
  });

  it("places every address of the network in exactly one reverse zone, and every PTR inside it", () => {
    const [base, prefix] = ipaddr.IPv4.parseCIDR(plan.network.cidr);
    const first = base.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
    const zones = [...reverse.keys()].map((z) => `.${z}.`);
    for (let i = 0; i < 2 ** (32 - prefix); i++) {
      const n = first + i;
      const name = ptrName([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
      const holders = zones.filter((z) => name.endsWith(z));
      if (holders.length !== 1) throw new Error(`${name} is in ${holders.length} reverse zones`);
    }
    for (const [name, zone] of reverse) {
      for (const r of zone.records.filter((x) => x.type === "PTR")) {
        expect(r.owner.endsWith(`.${name}.`)).toBe(true);
        const ip = r.owner
          .replace(/\.in-addr\.arpa\.$/, "")
          .split(".")
          .reverse()
          .join(".");
        expect(ipaddr.IPv4.parse(ip).match(base, prefix)).toBe(true);
      }
    }
  });

  it("keeps A records in plan order", () => {
    expect(forward.records.filter((r) => r.type === "A").map((r) => r.owner)).toEqual(plan.dns.records.map((r) => `${r.name}.${domain}`));
  });
});

describe("the bootstrap-disabled lab", () => {
  it("has no A or PTR record for the bootstrap node", () => {
    const plan = planFor(bootstrapDisabledRawConfig());
    const { forward } = zonesOf(plan);
    expect(forward.records.filter((r) => r.owner.startsWith("bootstrap."))).toEqual([]);
    expect(allPtrs(plan).filter((r) => r.owner === ptrName("10.56.0.11"))).toEqual([]);
  });
});

describe("the /23 lab", () => {
  it("puts each PTR record in the reverse zone of its own /24", () => {
    const { reverse } = zonesOf(planFor(slash23RawConfig()));
    const owners = (zone: string) =>
      reverse
        .get(zone)!
        .records.filter((r) => r.type === "PTR")
        .map((r) => r.owner);
    expect(owners("1.56.10.in-addr.arpa")).toEqual(["13.1.56.10.in-addr.arpa.", "254.1.56.10.in-addr.arpa."]);
    expect(owners("0.56.10.in-addr.arpa")).not.toContain("13.1.56.10.in-addr.arpa.");
  });
});

describe("renderForwardZone and renderReverseZone", () => {
  const dns = planFor(seedRawConfig()).dns;

  it.each([1, 2024061501, MAX_ZONE_SERIAL])("write serial %d into the SOA record", (serial) => {
    for (const text of [renderForwardZone(dns, serial), renderReverseZone(dns, dns.reverseZones[0], serial)]) {
      const soa = parseZone(text).records.find((r) => r.type === "SOA")!;
      expect(soa.data[2]).toBe(String(serial));
    }
  });

  it("renders a reverse zone without PTR records as just SOA and NS", () => {
    const zone = parseZone(renderReverseZone(dns, { zone: "1.56.10.in-addr.arpa", records: [] }, 1));
    expect(zone.records.map((r) => [r.owner, r.type])).toEqual([
      ["1.56.10.in-addr.arpa.", "SOA"],
      ["1.56.10.in-addr.arpa.", "NS"],
    ]);
  });
});

describe("zoneDigest", () => {
  const dns = planFor(seedRawConfig()).dns;
  const zones = [dns.zone, ...dns.reverseZones.map((z) => z.zone)];

  it.each(zones)("ignores the serial of %s", (zone) => {
    const fresh = renderZones(dns, undefined).files.find((f) => f.zone === zone)!;
    const bumped = renderZones(dns, { [zone]: { serial: 41, digest: "stale" } }).files.find((f) => f.zone === zone)!;
    expect([fresh.serial, bumped.serial]).toEqual([1, 42]);
    expect(bumped.content).not.toBe(fresh.content);
    expect(bumped.digest).toBe(fresh.digest);
    expect(fresh.digest).toBe(zoneDigest(dns, zone));
    expect(fresh.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes when a record changes", () => {
    const moved = planFor({ ...seedRawConfig(), masters: [{ name: "master", ip: "10.56.0.20" }] }).dns;
    for (const zone of zones) {
      expect(zoneDigest(moved, zone)).not.toBe(zoneDigest(dns, zone));
    }
  });

  it("differs between the forward zone and the reverse zone", () => {
    expect(zoneDigest(dns, zones[0])).not.toBe(zoneDigest(dns, zones[1]));
  });

  it("rejects a zone that is not in the plan", () => {
    expect(() => zoneDigest(dns, "example.org")).toThrow("zone example.org is not in the DNS plan (zones: okd-lab.okd.local, 0.56.10.in-addr.arpa)");
  });
});

describe("nextZoneSerial", () => {
  it.each<[string, ZoneSerialState | undefined, string, number]>([
    ["starts a new zone at 1", undefined, "d1", 1],
    ["keeps the serial when the digest is unchanged", { serial: 7, digest: "d1" }, "d1", 7],
    ["adds one when the digest changed", { serial: 7, digest: "d1" }, "d2", 8],
    ["keeps the largest serial when unchanged", { serial: MAX_ZONE_SERIAL, digest: "d1" }, "d1", MAX_ZONE_SERIAL],
    ["reaches the largest serial", { serial: MAX_ZONE_SERIAL - 1, digest: "d1" }, "d2", MAX_ZONE_SERIAL],
    ["wraps from 4294967295 to 1, never 0", { serial: MAX_ZONE_SERIAL, digest: "d1" }, "d2", 1],
  ])("%s", (_name, previous, digest, expected) => {
    expect(nextZoneSerial(previous, digest)).toBe(expected);
  });

  it.each([0, -1, 1.5, MAX_ZONE_SERIAL + 1, Number.NaN])("rejects a previous serial of %p", (serial) => {
    expect(() => nextZoneSerial({ serial, digest: "d1" }, "d2")).toThrow(
      `previous SOA serial ${serial} is not a whole number between 1 and 4294967295; fix or remove the dnsZones stack output so the zone starts again at serial 1`,
    );
  });
});

describe("renderZones serials across runs", () => {
  const previousOf = (files: { zone: string; serial: number; digest: string }[]) =>
    Object.fromEntries(files.map((f) => [f.zone, { serial: f.serial, digest: f.digest }]));

  it.each(LABS)("keeps every serial of the %s lab when nothing changed", (_label, raw) => {
    const dns = planFor(raw()).dns;
    const first = renderZones(dns, undefined).files;
    const bumped = renderZones(dns, Object.fromEntries(first.map((f) => [f.zone, { serial: 5, digest: f.digest }]))).files;
    expect(bumped.map((f) => f.serial)).toEqual(first.map(() => 5));
    expect(renderZones(dns, previousOf(first)).files).toEqual(first);
  });

  it("adds one to the forward zone and to the worker's reverse zone only when a worker is added", () => {
    const before = renderZones(planFor(slash23RawConfig()).dns, undefined).files;
    const raw = slash23RawConfig();
    const grown = { ...raw, workers: [...(raw.workers as object[]), { name: "worker3", ip: "10.56.1.30" }] };
    const previous = Object.fromEntries(before.map((f) => [f.zone, { serial: 9, digest: f.digest }]));
    const after = renderZones(planFor(grown).dns, previous).files;
    expect(after.map((f) => [f.zone, f.serial])).toEqual([
      ["okd-lab.okd.local", 10],
      ["0.56.10.in-addr.arpa", 9],
      ["1.56.10.in-addr.arpa", 10],
    ]);
    expect(after[0].content).toMatch(/^worker3 +IN A 10\.56\.1\.30$/m);
    expect(after[2].content).toMatch(/^30 +IN PTR worker3\.okd-lab\.okd\.local\.$/m);
  });

  it.each([
    ["seed", seedRawConfig],
    ["3x3", threeByThreeRawConfig],
  ])("adds one to every zone of the %s lab when a worker is added", (_label, rawOf) => {
    const raw = rawOf();
    const before = renderZones(planFor(raw).dns, undefined).files;
    const grown = { ...raw, workers: [...(raw.workers as object[]), { name: "worker9", ip: "10.56.0.99" }] };
    const after = renderZones(planFor(grown).dns, previousOf(before)).files;
    expect(after.map((f) => f.serial)).toEqual([2, 2]);
    expect(after[0].content).toMatch(/^ {4}2 +; serial:/m);
  });

  it("starts a zone missing from the previous outputs at 1", () => {
    const dns = planFor(slash23RawConfig()).dns;
    const first = renderZones(dns, undefined).files;
    const previous = previousOf(first.filter((f) => f.zone !== "1.56.10.in-addr.arpa").map((f) => ({ ...f, serial: 3 })));
    expect(renderZones(dns, previous).files.map((f) => f.serial)).toEqual([3, 3, 1]);
  });
});

describe("seed lab zone goldens", () => {
  const { files } = renderZones(planFor(seedRawConfig()).dns, undefined);

  it.each(["okd-lab.okd.local.zone", "0.56.10.in-addr.arpa.zone"])("renders %s exactly as the reviewed golden file", (fileName) => {
    const golden = fs.readFileSync(path.join(__dirname, "..", "golden", fileName), "utf8");
    expect(files.find((f) => f.fileName === fileName)?.content).toBe(golden);
  });

  it("renders exactly the forward zone and one reverse zone", () => {
    expect(files.map((f) => f.fileName)).toEqual(["okd-lab.okd.local.zone", "0.56.10.in-addr.arpa.zone"]);
  });
});
