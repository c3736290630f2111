import { dataUrl, IGNITION_VERSION, renderNodeIgnition } from "../../ignition/nodeIgnition";
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
    "merges the role config verbatim through a base64 data URL (%s)",
    (_name, node) => {
      const config = JSON.parse(renderNodeIgnition({ node, roleConfig: ROLE_CONFIG, sshAuthorizedKeys: [KEY] }));
      expect(config.ignition.version).toBe(IGNITION_VERSION);
      expect(config.ignition.config.merge).toHaveLength(1);
      expect(config.ignition.config.merge[0].source).toMatch(/^data:;base64,/);
      expect(decodeDataUrl(config.ignition.config.merge[0].source)).toBe(ROLE_CONFIG);
    },
  );

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
