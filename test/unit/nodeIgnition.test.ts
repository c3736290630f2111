import { gunzipSync } from "node:zlib";
import { dataUrl, IGNITION_VERSION, renderNodeIgnition } from "../../ignition/nodeIgnition";
import { offlineRoleConfigs, REAL_BOOTSTRAP_IGNITION_BYTES } from "../../ignition/offlineAssets";
import { FcosNodePlan } from "../../plan/labPlan";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkdLabTestKeyOnly you@host";
const ROLE_CONFIG = JSON.stringify({
  ignition: {
    version: "3.2.0",
    config: { merge: [{ source: "https://api-int.okd-lab.okd.local:22623/config/master" }] },
  },
});
const CHRONY = "server 10.56.0.10 iburst\ndriftfile /var/lib/chrony/drift\n";

interface IgnitionFileOut {
  path: string;
  mode: number;
  overwrite: boolean;
  contents: { source: string };
}

/** Decodes a merged config source as Ignition does: the data URL, then gunzip when `compression` is gzip. */
function decodeMerged(merge: { source: string; compression?: string }): string {
  const match = /^data:([^,]*);base64,(.*)$/s.exec(merge.source);
  if (!match) throw new Error(`not a base64 data URL: ${merge.source.slice(0, 40)}`);
  const bytes = Buffer.from(match[2], "base64");
  return (merge.compression === "gzip" ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Decodes a `data:[<type>][;base64],<data>` URL as Ignition would. */
function decodeDataUrl(url: string): string {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) throw new Error(`not a data URL: ${url}`);
  return match[1].endsWith(";base64") ? Buffer.from(match[2], "base64").toString("utf8") : decodeURIComponent(match[2]);
}

function fileAt(config: { storage: { files: IgnitionFileOut[] } }, path: string): IgnitionFileOut {
  const file = config.storage.files.find((f) => f.path === path);
  if (!file) throw new Error(`no file ${path}`);
  return file;
}

const seed = planFor(seedRawConfig());
const nodeOf = (role: string): FcosNodePlan => seed.nodes.find((n) => n.role === role)!;

describe("renderNodeIgnition", () => {
  it.each(planFor(threeByThreeRawConfig()).nodes.map((n) => [n.domainName, n] as const))(
    "merges the role config verbatim through a gzip-compressed base64 data URL (%s)",
    (_name, node) => {
      const config = JSON.parse(renderNodeIgnition({ node, roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY] }));
      expect(config.ignition.version).toBe(IGNITION_VERSION);
      expect(config.ignition.config.merge).toHaveLength(1);
      expect(config.ignition.config.merge[0].compression).toBe("gzip");
      expect(config.ignition.config.merge[0].source).toMatch(/^data:;base64,/);
      expect(decodeMerged(config.ignition.config.merge[0])).toBe(ROLE_CONFIG);
    },
  );

  // A real bootstrap.ign is hundreds of KB to over 1.5 MB; Ignition reads the wrapper through
  // fw_cfg slowly, so the wrapper must not grow by base64's third on top of it.
  // The stand-in's filler is incompressible, the worst case: gzip then base64 still adds only
  // about 1%, where plain base64 would add a third.
  it("keeps a bootstrap config of real size (1.5 MB) whole, in a wrapper at most 2% bigger than the config", () => {
    const bootstrap = offlineRoleConfigs(seed).bootstrap;
    expect(bootstrap.length).toBeGreaterThanOrEqual(REAL_BOOTSTRAP_IGNITION_BYTES);
    const text = renderNodeIgnition({ node: nodeOf("bootstrap"), roleConfig: bootstrap, sshAuthorizedKeys: [KEY] });
    expect(decodeMerged(JSON.parse(text).ignition.config.merge[0])).toBe(bootstrap);
    expect(text.length).toBeLessThanOrEqual(bootstrap.length * 1.02);
  });

  it("renders the same text for the same inputs (gzip carries no timestamp)", () => {
    const args = { node: nodeOf("master"), roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY] };
    expect(renderNodeIgnition(args)).toBe(renderNodeIgnition(args));
  });

  it.each(seed.nodes.map((n) => [n.fqdn, n] as const))("writes the FQDN that the PTR record names into /etc/hostname (%s)", (fqdn, node) => {
    const config = JSON.parse(renderNodeIgnition({ node, roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY] }));
    const hostname = fileAt(config, "/etc/hostname");
    expect(decodeDataUrl(hostname.contents.source)).toBe(`${fqdn}\n`);
    expect(hostname.mode).toBe(0o644);
    const ptr = seed.dns.reverseZones.flatMap((z) => z.records).filter((r) => r.fqdn === fqdn);
    expect(ptr).toHaveLength(1);
  });

  it("authorizes every given SSH key for the core user", () => {
    const other = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ second@host";
    const config = JSON.parse(renderNodeIgnition({ node: nodeOf("worker"), roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY, other] }));
    expect(config.passwd.users).toEqual([{ name: "core", sshAuthorizedKeys: [KEY, other] }]);
  });

  it("adds the bootstrap's chrony.conf, which MachineConfigs never deliver to the bootstrap", () => {
    const config = JSON.parse(
      renderNodeIgnition({
        node: nodeOf("bootstrap"),
        roleConfig: ROLE_CONFIG,
        sshAuthorizedKeys: [KEY],
        extraFiles: [{ path: "/etc/chrony.conf", content: CHRONY, mode: 0o644 }],
      }),
    );
    const chrony = fileAt(config, "/etc/chrony.conf");
    expect(decodeDataUrl(chrony.contents.source)).toBe(CHRONY);
    expect(chrony.mode).toBe(420);
    // FCOS ships /etc/chrony.conf; without overwrite Ignition 3 fails on the existing file.
    expect(chrony.overwrite).toBe(true);
    expect(config.storage.files.map((f: IgnitionFileOut) => f.path)).toEqual(["/etc/hostname", "/etc/chrony.conf"]);
  });

  it("writes only /etc/hostname when no extra files are given", () => {
    const config = JSON.parse(renderNodeIgnition({ node: nodeOf("master"), roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY] }));
    expect(config.storage.files.map((f: IgnitionFileOut) => f.path)).toEqual(["/etc/hostname"]);
  });

  it.each([
    [{ path: "/etc/hostname", content: "x\n", mode: 0o644 }, "Ignition file /etc/hostname is given twice for node bootstrap"],
    [{ path: "etc/chrony.conf", content: "x\n", mode: 0o644 }, "Ignition file path must be absolute: etc/chrony.conf"],
    [{ path: "/etc/chrony.conf", content: "x\n", mode: 644.5 }, "Ignition file /etc/chrony.conf has mode 644.5; use permission bits such as 0o644"],
    [{ path: "/etc/chrony.conf", content: "x\n", mode: 0o10000 }, "Ignition file /etc/chrony.conf has mode 4096; use permission bits such as 0o644"],
  ])("refuses an invalid extra file %#", (file, message) => {
    expect(() => renderNodeIgnition({ node: nodeOf("bootstrap"), roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY], extraFiles: [file] })).toThrow(message);
  });

  it("encodes arbitrary text, including non-ASCII, losslessly in data URLs", () => {
    const text = '# Grüße\n\u0000"quoted" \\ back\n';
    expect(decodeDataUrl(dataUrl(text))).toBe(text);
  });
});
