/**
 * The infra node's one-time setup script (cloud-init's only runcmd) run for real with bash, every
 * command that would change this machine replaced by a stand-in that logs its arguments: curl
 * serves a local tarball, sha256sum is the real one.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit, SETUP_SCRIPT_PATH } from "../../render/cloudInit";
import { planFor, seedRawConfig } from "../fixtures/labs";
import { run } from "./tools";

const STUBS = ["tar", "install", "restorecon", "setsebool", "systemctl", "firewall-cmd"];
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-setup-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "coredns.tgz"), "a CoreDNS release tarball stand-in\n");
  // curl writes the local tarball where -o says.
  fs.writeFileSync(
    path.join(dir, "bin", "curl"),
    `#!/bin/bash\necho "curl $*" >> ${dir}/calls\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && cp ${dir}/coredns.tgz "$2"; shift; done\n`,
    { mode: 0o755 },
  );
  for (const tool of STUBS) fs.writeFileSync(path.join(dir, "bin", tool), `#!/bin/bash\necho "${tool} $*" >> ${dir}/calls\n`, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function setupScript(sha256: string): string {
  const plan = planFor(seedRawConfig());
  const data = renderCloudInit({
    infra: plan.infra,
    network: plan.network,
    domain: plan.cluster.domain,
    coredns: { version: "1.11.1", sha256 },
    sshAuthorizedKeys: [],
    sshHostKey: { privateKey: "unused", publicKey: "ssh-ed25519 AAAA" },
  });
  const userData = parse(data.userData) as { write_files: { path: string; content: string }[] };
  return userData.write_files.find((f) => f.path === SETUP_SCRIPT_PATH)!.content;
}

function runSetup(sha256: string) {
  return run("/bin/bash", ["-c", setupScript(sha256)], { env: { PATH: `${dir}/bin:/usr/bin:/bin` } });
}
const calls = () =>
  fs
    .readFileSync(path.join(dir, "calls"), "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" ")[0]);

it("refuses a CoreDNS tarball whose sha256 differs, before changing anything", () => {
  const result = runSetup("0".repeat(64));
  expect(result.status).toBe(1);
  const actual = createHash("sha256")
    .update(fs.readFileSync(path.join(dir, "coredns.tgz")))
    .digest("hex");
  expect(result.stderr).toContain(
    `okd-lab: refusing CoreDNS from https://github.com/coredns/coredns/releases/download/v1.11.1/coredns_1.11.1_linux_amd64.tgz: sha256 is ${actual}, okd-lab:infra.coredns.sha256 says ${"0".repeat(64)}`,
  );
  expect(calls()).toEqual(["curl"]);
});

it("with the right sha256 installs CoreDNS, then SELinux, services and firewall, in that order", () => {
  const sha = createHash("sha256")
    .update(fs.readFileSync(path.join(dir, "coredns.tgz")))
    .digest("hex");
  const result = runSetup(sha);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(calls()).toEqual([
    "curl",
    "tar",
    "install",
    "restorecon",
    "install",
    "setsebool",
    "systemctl",
    "systemctl",
    "systemctl",
    // add the lab's services; for cockpit and dhcpv6-client, query (the stand-in says present) and remove; reload
    "firewall-cmd",
    "firewall-cmd",
    "firewall-cmd",
    "firewall-cmd",
    "firewall-cmd",
    "firewall-cmd",
  ]);
  const lines = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
  expect(lines).toContain("setsebool -P haproxy_connect_any 1");
  expect(lines).toContain("systemctl enable coredns haproxy chronyd");
  expect(lines).toContain(
    "firewall-cmd --permanent --add-service=dns --add-service=http --add-service=https --add-service=ntp --add-port=6443/tcp --add-port=22623/tcp --add-port=9000/tcp",
  );
  expect(lines[lines.length - 1]).toBe("firewall-cmd --reload");
});

it("stops at the first failing step", () => {
  fs.writeFileSync(path.join(dir, "bin", "setsebool"), `#!/bin/bash\necho "setsebool $*" >> ${dir}/calls\nexit 1\n`, { mode: 0o755 });
  const sha = createHash("sha256")
    .update(fs.readFileSync(path.join(dir, "coredns.tgz")))
    .digest("hex");
  const result = runSetup(sha);
  expect(result.status).toBe(1);
  expect(calls()[calls().length - 1]).toBe("setsebool");
});
