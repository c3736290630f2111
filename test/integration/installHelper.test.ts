/**
 * The on-node install helper (render/infraFiles.ts) run for real: it stages, checks with the real
 * consumer, swaps atomically and activates; a file that fails its check never replaces the live
 * one. `systemctl` is a logging stand-in on PATH (this machine runs no systemd services).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderHaproxyCfg } from "../../render/haproxyCfg";
import { renderForwardZone } from "../../render/zoneFiles";
import { renderChronyConf } from "../../render/chronyConf";
import { bootstrapHelperCommand, renderInstallHelper } from "../../render/infraFiles";
import { planFor, seedRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

let dir: string;
let helper: string;
const owner = `${os.userInfo().uid}:${os.userInfo().gid}`;
const plan = planFor(seedRawConfig());

beforeEach(() => {
  for (const tool of ["haproxy", "named-checkzone", "chronyd"]) requireTool(tool);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-helper-"));
  helper = path.join(dir, "okd-lab-install-file");
  fs.writeFileSync(helper, renderInstallHelper(), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, "bin"));
  // is-active answers from a marker file; every call is logged.
  fs.writeFileSync(
    path.join(dir, "bin", "systemctl"),
    `#!/bin/bash\necho "$*" >> ${dir}/systemctl.log\nif [ "$1" = is-active ]; then [ -e ${dir}/active-$3 ]; exit; fi\nexit 0\n`,
    { mode: 0o755 },
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function install(target: string, check: string, activation: string, content: string) {
  return run(helper, [target, "0644", owner, check, activation], {
    input: content,
    env: { PATH: `${dir}/bin:${process.env.PATH}:/usr/sbin:/sbin`, OKD_LAB_STATS_PASSWORD: "pw" },
  });
}
const systemctl = () => (fs.existsSync(`${dir}/systemctl.log`) ? fs.readFileSync(`${dir}/systemctl.log`, "utf8").trim().split("\n") : []);

describe("haproxy.cfg", () => {
  const target = () => path.join(dir, "etc", "haproxy.cfg");
  const good = renderHaproxyCfg(plan.loadBalancer);

  it("is refused while the stats password variable is unset", () => {
    const result = run(helper, [target(), "0644", owner, "haproxy", "reload-haproxy"], {
      input: good,
      env: { PATH: `${dir}/bin:${process.env.PATH}:/usr/sbin:/sbin`, OKD_LAB_STATS_PASSWORD: undefined },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`okd-lab: refusing ${target()}: OKD_LAB_STATS_PASSWORD is not set`);
    expect(fs.existsSync(target())).toBe(false);
  });

  it("first delivery installs the file and starts HAProxy", () => {
    const result = install(target(), "haproxy", "reload-haproxy", good);
    expect(result.stdout).toBe(`installed ${target()}\n`);
    expect(result.status).toBe(0);
    expect(fs.readFileSync(target(), "utf8")).toBe(good);
    expect(systemctl()).toEqual(["is-active --quiet haproxy", "enable --now haproxy"]);
  });

  it("a changed file is swapped in and HAProxy reloaded, keeping the previous one", () => {
    install(target(), "haproxy", "reload-haproxy", good);
    fs.writeFileSync(`${dir}/active-haproxy`, "");
    const changed = renderHaproxyCfg(planFor({ ...seedRawConfig(), workers: [] }).loadBalancer);
    expect(install(target(), "haproxy", "reload-haproxy", changed).status).toBe(0);
    expect(fs.readFileSync(target(), "utf8")).toBe(changed);
    expect(fs.readFileSync(`${target()}.okd-lab-previous`, "utf8")).toBe(good);
    expect(systemctl().slice(-2)).toEqual(["is-active --quiet haproxy", "reload haproxy"]);
  });

  it("the same content changes nothing and reloads nothing", () => {
    install(target(), "haproxy", "reload-haproxy", good);
    const before = systemctl().length;
    const result = install(target(), "haproxy", "reload-haproxy", good);
    expect(result.stdout).toBe(`unchanged ${target()}\n`);
    expect(systemctl().length).toBe(before);
  });

  it("a config HAProxy rejects is refused: the live file stays and nothing reloads", () => {
    install(target(), "haproxy", "reload-haproxy", good);
    const before = systemctl().length;
    const result = install(target(), "haproxy", "reload-haproxy", good.replace("balance roundrobin", "balance nonsense"));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`okd-lab: refusing ${target()}: haproxy -c failed:`);
    expect(fs.readFileSync(target(), "utf8")).toBe(good);
    expect(systemctl().length).toBe(before);
    expect(fs.readdirSync(path.dirname(target())).filter((f) => f.startsWith(".okd-lab."))).toEqual([]);
  });
});

it("a zone BIND's checker rejects is refused", () => {
  const target = path.join(dir, "zones", "okd-lab.okd.local.zone");
  const good = renderForwardZone(plan.dns, 1);
  expect(install(target, "zone:okd-lab.okd.local", "none", good).status).toBe(0);
  const result = install(target, "zone:okd-lab.okd.local", "none", good.replace("10.56.0.12", "10.56.0.300"));
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("named-checkzone failed");
  expect(fs.readFileSync(target, "utf8")).toBe(good);
});

it("a chrony.conf chronyd cannot parse is refused", () => {
  const target = path.join(dir, "chrony.conf");
  const good = renderChronyConf(plan.ntp);
  expect(install(target, "chrony", "restart-chronyd", good).status).toBe(0);
  const result = install(target, "chrony", "restart-chronyd", `${good}serve-everyone yes\n`);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("chronyd -p failed");
  expect(fs.readFileSync(target, "utf8")).toBe(good);
});

describe("zones and CoreDNS", () => {
  const zone = () => path.join(dir, "zones", "okd-lab.okd.local.zone");
  const good = renderForwardZone(plan.dns, 1);

  it("a zone arriving before CoreDNS runs is installed without starting it", () => {
    expect(install(zone(), "zone:okd-lab.okd.local", "refresh-coredns", good).status).toBe(0);
    expect(systemctl()).toEqual(["is-active --quiet coredns"]);
  });

  it("a changed zone makes a running CoreDNS reload at once, whatever the serial", () => {
    install(zone(), "zone:okd-lab.okd.local", "refresh-coredns", good);
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
    expect(install(zone(), "zone:okd-lab.okd.local", "refresh-coredns", grown).status).toBe(0);
    expect(systemctl().slice(-2)).toEqual(["is-active --quiet coredns", "reload coredns"]);
  });
});

describe("waiting for cloud-init before installing the helper", () => {
  function bootstrap(cloudInitExit: number) {
    const bin = path.join(dir, "bin");
    fs.writeFileSync(path.join(bin, "sudo"), '#!/bin/bash\nexec "$@"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "cloud-init"), `#!/bin/bash\n[ "$2" = --long ] && echo "status: error" && exit 1\nexit ${cloudInitExit}\n`, {
      mode: 0o755,
    });
    // Stand in for tee, chmod and mv on /usr/local/sbin: keep what tee was given.
    fs.writeFileSync(path.join(bin, "tee"), `#!/bin/bash\ncat > ${dir}/installed-helper\n`, { mode: 0o755 });
    for (const tool of ["chmod", "mv"]) fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\necho "${tool} $*" >> ${dir}/installed-steps\n`, { mode: 0o755 });
    return run("/bin/bash", ["-c", bootstrapHelperCommand()], { input: "helper body\n", env: { PATH: `${bin}:${process.env.PATH}` } });
  }

  it("installs the helper from stdin once cloud-init is done", () => {
    const result = bootstrap(0);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(fs.readFileSync(`${dir}/installed-helper`, "utf8")).toBe("helper body\n");
    expect(fs.readFileSync(`${dir}/installed-steps`, "utf8")).toBe(
      "chmod 0755 /usr/local/sbin/okd-lab-install-file.new\nmv -f /usr/local/sbin/okd-lab-install-file.new /usr/local/sbin/okd-lab-install-file\n",
    );
  });

  it("goes on after recoverable cloud-init errors (exit 2), saying so", () => {
    const result = bootstrap(2);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("cloud-init finished with recoverable errors on the infra node; continuing");
  });

  it("stops when cloud-init failed, showing its status", () => {
    const result = bootstrap(1);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("status: error");
    expect(result.stderr).toContain("okd-lab: cloud-init failed on the infra node");
    expect(fs.existsSync(`${dir}/installed-helper`)).toBe(false);
  });
});
