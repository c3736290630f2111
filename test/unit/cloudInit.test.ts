import { parse } from "yaml";
import { corednsTarballUrl, renderCloudInit } from "../../render/cloudInit";
import { planFor, seedRawConfig, TEST_COREDNS_SHA256, threeByThreeRawConfig } from "../fixtures/labs";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAySBJTIcx+RzlTgfRZ7u3Np3NMs5pkkALVlSLEWdjq/ test";

function render(raw = seedRawConfig()) {
  const plan = planFor(raw);
  return renderCloudInit({ infra: plan.infra, network: plan.network, domain: plan.cluster.domain, coredns: { version: "1.11.1", sha256: TEST_COREDNS_SHA256 }, sshAuthorizedKeys: [KEY] });
}

describe("cloud-init for the infra node", () => {
  const data = render();
  const userData = parse(data.userData) as Record<string, any>;

  it("is a #cloud-config document", () => {
    expect(data.userData.startsWith("#cloud-config\n")).toBe(true);
  });

  it("does not depend on the node list: a 3-master/3-worker lab gets the same files", () => {
    expect(render(threeByThreeRawConfig())).toEqual(data);
  });

  it("installs the services' packages, with bind-utils for named-checkzone", () => {
    expect(userData.packages).toEqual(expect.arrayContaining(["haproxy", "chrony", "firewalld", "policycoreutils-python-utils", "bind-utils"]));
  });

  it("downloads CoreDNS from its release and refuses it unless the sha256 matches", () => {
    const script = userData.write_files.find((f: { path: string }) => f.path === "/usr/local/sbin/okd-lab-install-coredns").content as string;
    expect(script).toContain(`url='${corednsTarballUrl("1.11.1")}'`);
    expect(corednsTarballUrl("1.11.1")).toBe("https://github.com/coredns/coredns/releases/download/v1.11.1/coredns_1.11.1_linux_amd64.tgz");
    expect(script).toContain(`want='${TEST_COREDNS_SHA256}'`);
    expect(script).toMatch(/if \[ "\$got" != "\$want" \]; then\n.*refusing CoreDNS[^\n]*\n  exit 1/);
    expect(userData.runcmd[0]).toEqual(["/usr/local/sbin/okd-lab-install-coredns"]);
  });

  it("runs CoreDNS as its own user with only the capability to bind port 53", () => {
    const unit = userData.write_files.find((f: { path: string }) => f.path === "/etc/systemd/system/coredns.service").content as string;
    expect(unit).toMatch(/^User=coredns$/m);
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/coredns -conf \/etc\/coredns\/Corefile$/m);
    expect(userData.users[1]).toMatchObject({ name: "coredns", system: true });
  });

  it("keeps SELinux enforcing and lets HAProxy use the API ports", () => {
    expect(userData.runcmd).toContainEqual(["setsebool", "-P", "haproxy_connect_any", "1"]);
    expect(data.userData).not.toMatch(/setenforce|selinux=0|SELINUX=permissive|SELINUX=disabled/);
  });

  it("opens exactly the lab's services in firewalld", () => {
    const open = userData.runcmd.find((c: string[]) => c[0] === "firewall-cmd" && c.includes("--permanent") && c.some((a) => a.startsWith("--add-")));
    expect(open.filter((a: string) => a.startsWith("--add-")).sort()).toEqual(
      ["--add-port=22623/tcp", "--add-port=6443/tcp", "--add-port=9000/tcp", "--add-service=dns", "--add-service=http", "--add-service=https", "--add-service=ntp"].sort(),
    );
  });

  it("authorizes the SSH key for the admin user, without passwords", () => {
    expect(userData.users[0]).toMatchObject({ name: "okd", lock_passwd: true, ssh_authorized_keys: [KEY], sudo: "ALL=(ALL) NOPASSWD:ALL" });
    expect(userData.ssh_pwauth).toBe(false);
  });

  it("gives HAProxy the stats password through an environment file, not its config", () => {
    const dropIn = userData.write_files.find((f: { path: string }) => f.path === "/etc/systemd/system/haproxy.service.d/okd-lab.conf").content;
    expect(dropIn).toBe("[Service]\nEnvironmentFile=-/etc/haproxy/okd-lab-secrets.env\n");
  });

  it("configures the infra address statically with itself as resolver", () => {
    expect(parse(data.networkConfig)).toEqual({
      version: 2,
      ethernets: {
        lab0: {
          match: { macaddress: "52:54:00:38:00:0a" },
          "set-name": "eth0",
          addresses: ["10.56.0.10/24"],
          routes: [{ to: "0.0.0.0/0", via: "10.56.0.1" }],
          nameservers: { addresses: ["10.56.0.10", "10.56.0.1"], search: ["okd-lab.okd.local"] },
        },
      },
    });
    expect(parse(data.metaData)).toEqual({ "instance-id": "okd-infra", "local-hostname": "okd-infra" });
  });
});
