/**
 * The on-node install helper (render/infraFiles.ts) run for real, over a scratch root: it accepts
 * only the lab's own files by id, with their fixed target, mode, owner and check; stages, checks
 * with the real consumer, swaps atomically and activates; a file that fails its check never
 * replaces the live one. `systemctl` and `chown` are logging stand-ins on PATH (this machine runs
 * no systemd services and has no coredns group).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderHaproxyCfg } from "../../render/haproxyCfg";
import { renderForwardZone } from "../../render/zoneFiles";
import { renderChronyConf } from "../../render/chronyConf";
import { INFRA_FILE_DIRS, INSTALL_HELPER_PATH, renderInstallHelper, waitForCloudInitCommand } from "../../render/infraFiles";
import { planFor, seedRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

let dir: string;
let root: string;
let helper: string;
const plan = planFor(seedRawConfig());

beforeEach(() => {
  for (const tool of ["haproxy", "named-checkzone", "chronyd"]) requireTool(tool);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-helper-"));
  root = path.join(dir, "root");
  // The folders cloud-init creates, with its modes.
  for (const d of INFRA_FILE_DIRS) fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.join(root, "etc/coredns"), 0o750);
  fs.chmodSync(path.join(root, "etc/coredns/zones"), 0o750);
  helper = path.join(dir, "okd-lab-install-file");
  fs.writeFileSync(helper, renderInstallHelper(root), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, "bin"));
  // is-active answers from a marker file; every call is logged.
  fs.writeFileSync(
    path.join(dir, "bin", "systemctl"),
    `#!/bin/bash\necho "$*" >> ${dir}/systemctl.log\nif [ "$1" = is-active ]; then [ -e ${dir}/active-$3 ]; exit; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, "bin", "chown"), `#!/bin/bash\necho "$*" >> ${dir}/chown.log\n`, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function install(id: string, content: string, env: Record<string, string | undefined> = { OKD_LAB_STATS_PASSWORD: "pw" }) {
  return run(helper, [id], { input: content, env: { PATH: `${dir}/bin:${process.env.PATH}:/usr/sbin:/sbin`, ...env } });
}
const systemctl = () => (fs.existsSync(`${dir}/systemctl.log`) ? fs.readFileSync(`${dir}/systemctl.log`, "utf8").trim().split("\n") : []);
const chowns = () => fs.readFileSync(`${dir}/chown.log`, "utf8").trim().split("\n");
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe("only the lab's own files", () => {
  it.each([
    ["/etc/sudoers.d/okd", "okd-lab: refusing /etc/sudoers.d/okd: not one of the lab's files\n"],
    ["../../etc/shadow", "okd-lab: refusing ../../etc/shadow: not one of the lab's files\n"],
    ["zones/../../../etc/passwd.zone", "okd-lab: refusing zones/../../../etc/passwd.zone: not zones/<zone name>.zone\n"],
    ["zones/x y.zone", "okd-lab: refusing zones/x y.zone: not zones/<zone name>.zone\n"],
  ])("refuses %j", (id, message) => {
    const result = install(id, "anything\n");
    expect([result.status, result.stderr]).toEqual([2, message]);
    expect(fs.existsSync(`${dir}/chown.log`)).toBe(false);
  });

  it("takes exactly one argument: no path, mode or owner from the caller", () => {
    const result = run(helper, ["/etc/passwd", "4755", "root:root", "none", "none"], { input: "x" });
    expect([result.status, result.stderr]).toEqual([2, "usage: okd-lab-install-file FILE_ID < content\n"]);
  });

  it("installs with the fixed mode and owner, and leaves the folders' modes alone", () => {
    expect(install("zones/okd-lab.okd.local.zone", renderForwardZone(plan.dns, 1)).status).toBe(0);
    expect(install("haproxy-secrets.env", "OKD_LAB_STATS_PASSWORD=pw\n").status).toBe(0);
    const zone = path.join(root, "etc/coredns/zones/okd-lab.okd.local.zone");
    expect([mode(zone), mode(path.join(root, "etc/haproxy/okd-lab-secrets.env"))]).toEqual(["644", "600"]);
    expect(chowns().map((l) => l.split(" ")[0])).toEqual(["root:coredns", "root:root"]);
    expect([mode(path.join(root, "etc/coredns")), mode(path.join(root, "etc/coredns/zones"))]).toEqual(["750", "750"]);
  });

  it("refuses to create a missing folder", () => {
    fs.rmSync(path.join(root, "etc/coredns"), { recursive: true });
    const result = install("Corefile", ".:53 {}\n");
    expect([result.status, result.stderr]).toEqual([1, `okd-lab: refusing Corefile: ${root}/etc/coredns does not exist (cloud-init creates it)\n`]);
  });
});

describe("haproxy.cfg", () => {
  const target = () => path.join(root, "etc/haproxy/haproxy.cfg");
  const good = renderHaproxyCfg(plan.loadBalancer);

  it("is refused while the stats password variable is unset", () => {
    const result = install("haproxy.cfg", good, { OKD_LAB_STATS_PASSWORD: undefined });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`okd-lab: refusing ${target()}: OKD_LAB_STATS_PASSWORD is not set`);
    expect(fs.existsSync(target())).toBe(false);
  });

  it("reads the stats password from the secrets file under the same root", () => {
    fs.writeFileSync(path.join(root, "etc/haproxy/okd-lab-secrets.env"), "OKD_LAB_STATS_PASSWORD=from-file\n");
    expect(install("haproxy.cfg", good, { OKD_LAB_STATS_PASSWORD: undefined }).status).toBe(0);
  });

  it("first delivery installs the file and starts HAProxy", () => {
    const result = install("haproxy.cfg", good);
    expect(result.stdout).toBe(`installed ${target()}\n`);
    expect(result.status).toBe(0);
    expect(fs.readFileSync(target(), "utf8")).toBe(good);
    expect(systemctl()).toEqual(["is-active --quiet haproxy", "enable --now haproxy"]);
  });

  it("a changed file is swapped in and HAProxy reloaded, keeping the previous one", () => {
    install("haproxy.cfg", good);
    fs.writeFileSync(`${dir}/active-haproxy`, "");
    const changed = renderHaproxyCfg(planFor({ ...seedRawConfig(), workers: [] }).loadBalancer);
    expect(install("haproxy.cfg", changed).status).toBe(0);
    expect(fs.readFileSync(target(), "utf8")).toBe(changed);
    expect(fs.readFileSync(`${target()}.okd-lab-previous`, "utf8")).toBe(good);
    expect(systemctl().slice(-2)).toEqual(["is-active --quiet haproxy", "reload haproxy"]);
  });

  it("the same content changes nothing and reloads nothing", () => {
    install("haproxy.cfg", good);
    const before = systemctl().length;
    const result = install("haproxy.cfg", good);
    expect(result.stdout).toBe(`unchanged ${target()}\n`);
    expect(systemctl().length).toBe(before);
  });

  it("a config HAProxy rejects is refused: the live file stays and nothing reloads", () => {
    install("haproxy.cfg", good);
    const before = systemctl().length;
    const result = install("haproxy.cfg", good.replace("balance roundrobin", "balance nonsense"));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`okd-lab: refusing ${target()}: haproxy -c failed:`);
    expect(fs.readFileSync(target(), "utf8")).toBe(good);
    expect(systemctl().length).toBe(before);
    expect(fs.readdirSync(path.dirname(target())).filter((f) => f.startsWith(".okd-lab."))).toEqual([]);
  });
});

it("a zone BIND's checker rejects is refused", () => {
  const target = path.join(root, "etc/coredns/zones/okd-lab.okd.local.zone");
  const good = renderForwardZone(plan.dns, 1);
  expect(install("zones/okd-lab.okd.local.zone", good).status).toBe(0);
  const result = install("zones/okd-lab.okd.local.zone", good.replace("10.56.0.12", "10.56.0.300"));
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("named-checkzone failed");
  expect(fs.readFileSync(target, "utf8")).toBe(good);
});

it("a zone file is checked as the zone its name says", () => {
  const result = install("zones/other.example.zone", renderForwardZone(plan.dns, 1));
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("named-checkzone failed");
});

it("a chrony.conf chronyd cannot parse is refused", () => {
  const target = path.join(root, "etc/chrony.conf");
  const good = renderChronyConf(plan.ntp);
  expect(install("chrony.conf", good).status).toBe(0);
  const result = install("chrony.conf", `${good}serve-everyone yes\n`);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("chronyd -p failed");
  expect(fs.readFileSync(target, "utf8")).toBe(good);
});

describe("zones and CoreDNS", () => {
  const good = renderForwardZone(plan.dns, 1);

  it("a zone arriving before CoreDNS runs is installed without starting it", () => {
    expect(install("zones/okd-lab.okd.local.zone", good).status).toBe(0);
    expect(systemctl()).toEqual(["is-active --quiet coredns"]);
  });

  it("a changed zone makes a running CoreDNS reload at once, whatever the serial", () => {
    install("zones/okd-lab.okd.local.zone", good);
    fs.writeFileSync(`${dir}/active-coredns`, "");
    const grown = renderForwardZone(
      planFor({
        ...seedRawConfig(),
        workers: [
          { name: "worker", ip: "10.56.0.13" },
          { name: "worker2", ip: "10.56.0.14" },
        ],
      }).dns,
      1,
    );
    expect(install("zones/okd-lab.okd.local.zone", grown).status).toBe(0);
    expect(systemctl().slice(-2)).toEqual(["is-active --quiet coredns", "reload coredns"]);
  });
});

describe("waiting for cloud-init, which installs the helper", () => {
  function wait(cloudInitExit: number, helperPresent = true) {
    const bin = path.join(dir, "bin");
    // sudo runs exactly the absolute cloud-init path the sudo rule names; test stands in for the helper check.
    fs.writeFileSync(
      path.join(bin, "sudo"),
      `#!/bin/bash\necho "$*" >> ${dir}/sudo.log\n[ "$1" = /usr/bin/cloud-init ] || exit 99\nshift\nexec cloud-init "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, "cloud-init"), `#!/bin/bash\n[ "$2" = --long ] && echo "status: error" && exit 1\nexit ${cloudInitExit}\n`, {
      mode: 0o755,
    });
    fs.writeFileSync(path.join(bin, "test"), `#!/bin/bash\n[ "$2" = ${INSTALL_HELPER_PATH} ] && exit ${helperPresent ? 0 : 1}\nexit 2\n`, { mode: 0o755 });
    const script = waitForCloudInitCommand().replace(`test -x ${INSTALL_HELPER_PATH}`, `${bin}/test -x ${INSTALL_HELPER_PATH}`);
    return run("/bin/bash", ["-c", script], { env: { PATH: `${bin}:${process.env.PATH}` } });
  }

  it("returns once cloud-init is done, using only the sudo rules it has", () => {
    const result = wait(0);
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(`${dir}/sudo.log`, "utf8")).toBe("/usr/bin/cloud-init status --wait\n");
  });

  it("goes on after recoverable cloud-init errors (exit 2), saying so", () => {
    const result = wait(2);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("cloud-init finished with recoverable errors on the infra node; continuing");
  });

  it("stops when cloud-init failed, showing its status", () => {
    const result = wait(1);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("status: error");
    expect(result.stderr).toContain("okd-lab: cloud-init failed on the infra node");
  });

  it("stops when the helper is missing", () => {
    const result = wait(0, false);
    expect([result.status, result.stderr]).toEqual([1, `okd-lab: ${INSTALL_HELPER_PATH} is missing on the infra node (cloud-init installs it)\n`]);
  });
});
