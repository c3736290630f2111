import * as fs from "node:fs";
import * as path from "node:path";
import { LoadBalancerPlan } from "../../plan/labPlan";
import { HAPROXY_ADMIN_SOCKET, renderHaproxyCfg, STATS_PASSWORD_ENV } from "../../render/haproxyCfg";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";

interface Node {
  name: string;
  ip: string;
}

/** A lab and, written out by hand, which nodes must sit behind which port. */
interface LabCase {
  plan: () => LoadBalancerPlan;
  bootstrap: Node | undefined;
  masters: Node[];
  /** Nodes that run the routers: the workers, or the masters when there are none. */
  routers: Node[];
}

const SEED_MASTER = { name: "master", ip: "10.56.0.12" };
const BOOTSTRAP = { name: "bootstrap", ip: "10.56.0.11" };

const LABS: [string, LabCase][] = [
  [
    "seed",
    {
      plan: () => planFor(seedRawConfig()).loadBalancer,
      bootstrap: BOOTSTRAP,
      masters: [SEED_MASTER],
      routers: [{ name: "worker", ip: "10.56.0.13" }],
    },
  ],
  [
    "3x3",
    {
      plan: () => planFor(threeByThreeRawConfig()).loadBalancer,
      bootstrap: BOOTSTRAP,
      masters: [1, 2, 3].map((i) => ({ name: `master${i}`, ip: `10.56.0.${11 + i}` })),
      routers: [1, 2, 3].map((i) => ({ name: `worker${i}`, ip: `10.56.0.${14 + i}` })),
    },
  ],
  [
    "no-worker, bootstrap-removed",
    {
      plan: () => planFor({ ...seedRawConfig(), bootstrap: { ...BOOTSTRAP, enabled: false }, workers: [] }).loadBalancer,
      bootstrap: undefined,
      masters: [SEED_MASTER],
      routers: [SEED_MASTER],
    },
  ],
];

/** haproxy.cfg's sections by header (e.g. `backend api`): their lines, trimmed, comments dropped. */
function sections(text: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "" || line.startsWith(".")) continue;
    if (!/^\s/.test(raw)) {
      expect(result.has(line)).toBe(false);
      current = [];
      result.set(line, current);
    } else {
      if (!current) throw new Error(`indented line before any section: ${raw}`);
      current.push(line);
    }
  }
  return result;
}

function section(text: string, header: string): string[] {
  const lines = sections(text).get(header);
  if (!lines) throw new Error(`no section "${header}" in:\n${text}`);
  return lines;
}

/** `server` lines of a backend as name, address, port and the words after the address. */
function servers(text: string, backend: string): { name: string; ip: string; port: number; options: string[] }[] {
  return section(text, `backend ${backend}`)
    .filter((line) => line.startsWith("server "))
    .map((line) => {
      const [, name, address, ...options] = line.split(" ");
      const [ip, port] = address.split(":");
      return { name, ip, port: Number(port), options };
    });
}

/** HAProxy time values as used here (`5s`, `1m`, `1h`) in seconds. */
function seconds(value: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(value);
  if (!match) throw new Error(`unexpected time ${value}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
}

const PORTS = { api: 6443, "machine-config": 22623, "ingress-http": 80, "ingress-https": 443 } as const;

describe.each(LABS)("haproxy.cfg of the %s lab", (_label, lab) => {
  const lb = lab.plan();
  const cfg = renderHaproxyCfg(lb);
  const controlPlane = [...(lab.bootstrap ? [lab.bootstrap] : []), ...lab.masters];

  it.each(Object.entries(PORTS))("has frontend %s on 10.56.0.10:%i sending everything to the backend of the same name", (name, port) => {
    expect(section(cfg, `frontend ${name}`)).toEqual([`bind 10.56.0.10:${port}`, `default_backend ${name}`]);
  });

  it("has exactly one frontend and one backend per service, plus global, defaults and the stats page", () => {
    const names = Object.keys(PORTS);
    expect([...sections(cfg).keys()]).toEqual(["global", "defaults", ...names.flatMap((name) => [`frontend ${name}`, `backend ${name}`]), "listen stats"]);
  });

  it.each(["api", "machine-config"] as const)("sends %s to the bootstrap node (while enabled) and every master, on the same port", (name) => {
    expect(servers(cfg, name).map(({ name: n, ip, port }) => ({ name: n, ip, port }))).toEqual(controlPlane.map((node) => ({ ...node, port: PORTS[name] })));
  });

  it("lists the bootstrap node in a backend if and only if it is enabled, and never behind ingress", () => {
    const backendsWithBootstrap = Object.keys(PORTS).filter((name) => servers(cfg, name).some((s) => s.ip === BOOTSTRAP.ip));
    expect(backendsWithBootstrap).toEqual(lab.bootstrap ? ["api", "machine-config"] : []);
    expect(cfg.includes(BOOTSTRAP.ip)).toBe(lab.bootstrap !== undefined);
  });

  it.each(["ingress-http", "ingress-https"] as const)("sends %s to the router nodes (workers, else masters) only", (name) => {
    expect(servers(cfg, name).map((s) => ({ name: s.name, ip: s.ip }))).toEqual(lab.routers);
  });

  it("never lets port 80 reach a :443 server nor port 443 a :80 server", () => {
    expect(servers(cfg, "ingress-http").map((s) => s.port)).toEqual(lab.routers.map(() => 80));
    expect(servers(cfg, "ingress-https").map((s) => s.port)).toEqual(lab.routers.map(() => 443));
  });

  it.each([
    ["api", "/readyz"],
    ["machine-config", "/healthz"],
  ])("probes %s with HTTPS GET %s on the traffic port, expecting 200, without verifying the cluster CA", (name, probePath) => {
    const backend = section(cfg, `backend ${name}`);
    expect(backend).toContain(`option httpchk GET ${probePath}`);
    expect(backend).toContain("http-check expect status 200");
    for (const server of servers(cfg, name)) expect(server.options).toEqual(["check", "check-ssl", "verify", "none"]);
  });

  it.each(["ingress-http", "ingress-https"])("probes %s with plain HTTP GET /healthz/ready on the router's port 1936", (name) => {
    const backend = section(cfg, `backend ${name}`);
    expect(backend).toContain("option httpchk GET /healthz/ready");
    expect(backend).toContain("http-check expect status 200");
    for (const server of servers(cfg, name)) expect(server.options).toEqual(["check", "port", "1936"]);
  });

  it("balances every backend round robin without any stickiness", () => {
    for (const name of Object.keys(PORTS)) {
      const backend = section(cfg, `backend ${name}`);
      expect(backend).toContain("balance roundrobin");
      expect(backend.filter((line) => /^(stick|cookie|hash-type|persist)\b|^balance (?!roundrobin$)/.test(line))).toEqual([]);
    }
  });

  it("caps global connections at the plan's maxconn", () => {
    expect(section(cfg, "global")).toContain(`maxconn ${lb.maxconn}`);
  });

  it("serves the stats page on the infra node's loopback 127.0.0.1:9000 only, with the password taken from the environment, not from the file", () => {
    expect(section(cfg, "listen stats")).toEqual([
      "mode http",
      "bind 127.0.0.1:9000",
      "timeout http-request 10s",
      "stats enable",
      "stats uri /",
      "stats refresh 10s",
      'stats auth "admin:${OKD_LAB_STATS_PASSWORD}"',
    ]);
    // The only credential in the file is the variable reference; nothing else is expanded.
    expect(cfg.match(/stats auth .*/g)).toEqual(['stats auth "admin:${OKD_LAB_STATS_PASSWORD}"']);
    expect(cfg.match(/\$\{?[A-Za-z_]\w*/g)).toEqual(["${OKD_LAB_STATS_PASSWORD"]);
    // Basic authentication is clear text: no listener with it binds the lab address.
    expect(cfg.match(/^ {2}bind .*/gm)?.filter((line) => !/^ {2}bind 10\.56\.0\.10:(6443|22623|80|443)$/.test(line))).toEqual(["  bind 127.0.0.1:9000"]);
  });

  it("uses no conditional blocks, which EL9's HAProxy 2.4 cannot negate", () => {
    expect(cfg).not.toMatch(/^\s*\.(if|elif|else|endif|alert)\b/m);
  });

  it("is a line file: LF line ends, a final newline, no tabs or trailing blanks, no double blank lines", () => {
    expect(cfg.endsWith("\n")).toBe(true);
    expect(cfg).not.toMatch(/\r|\t|[ ]+\n|\n\n\n/);
  });
});

describe("haproxy.cfg global and defaults", () => {
  const cfg = renderHaproxyCfg(planFor(seedRawConfig()).loadBalancer);

  it("starts with a header saying okd-lab generated it and will overwrite it", () => {
    expect(cfg.split("\n").slice(0, 2)).toEqual([
      "# HAProxy configuration, generated by okd-lab from the stack configuration.",
      "# Do not edit: the next `pulumi up` overwrites this file.",
    ]);
  });

  it("runs as haproxy under systemd (no daemon), logs to /dev/log and exposes listeners on the admin socket for hitless reloads", () => {
    expect(section(cfg, "global")).toEqual([
      "log /dev/log local0",
      "maxconn 20000",
      "user haproxy",
      "group haproxy",
      `stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin expose-fd listeners`,
    ]);
    expect(HAPROXY_ADMIN_SOCKET).toBe("/var/lib/haproxy/stats");
  });

  it("proxies TCP with timeouts that keep hour-long API watches open and free half-closed connections", () => {
    const defaults = section(cfg, "defaults");
    expect(defaults.slice(0, 3)).toEqual(["mode tcp", "log global", "option tcplog"]);
    for (const line of [
      "timeout connect 5s",
      "timeout client 1h",
      "timeout server 1h",
      "timeout client-fin 30s",
      "timeout server-fin 30s",
      "timeout check 5s",
      "timeout queue 1m",
    ]) {
      expect(defaults).toContain(line);
    }
  });

  it("marks a server down after 3 failed checks and up after 2, checking every 5 s", () => {
    expect(section(cfg, "defaults")).toContain("default-server inter 5s fastinter 2s fall 3 rise 2");
  });

  it("removes a server that stops answering within OKD's 30 s, by HAProxy's check scheduling", () => {
    const defaults = section(cfg, "defaults");
    const words = defaults.find((line) => line.startsWith("default-server "))!.split(" ");
    const value = (key: string) => words[words.indexOf(key) + 1];
    const timeoutCheck = seconds(defaults.find((line) => line.startsWith("timeout check "))!.split(" ")[2]);
    const connect = Math.min(seconds(defaults.find((line) => line.startsWith("timeout connect "))!.split(" ")[2]), seconds(value("inter")));
    const fall = Number(value("fall"));
    // Unreachable: each check waits for the connect timeout; hung: for the check (read) timeout.
    const perCheck = Math.max(connect, timeoutCheck);
    const worst = seconds(value("inter")) + fall * perCheck + (fall - 1) * seconds(value("fastinter"));
    expect(worst).toBe(24);
    expect(worst).toBeLessThanOrEqual(30);
  });

  it("exports the environment variable name that the secret environment file must set", () => {
    expect(STATS_PASSWORD_ENV).toBe("OKD_LAB_STATS_PASSWORD");
  });
});

describe("haproxy.cfg for unusual plans", () => {
  const seed = planFor(seedRawConfig()).loadBalancer;

  it("renders a backend without server lines when a service has no servers", () => {
    const cfg = renderHaproxyCfg({ ...seed, services: seed.services.map((s) => ({ ...s, servers: [] })) });
    for (const name of Object.keys(PORTS)) {
      expect(section(cfg, `backend ${name}`)).toEqual(expect.arrayContaining(["balance roundrobin"]));
      expect(servers(cfg, name)).toEqual([]);
    }
    expect(cfg).toContain("  # No node serves ingress-http in this lab yet: HAProxy closes connections to port 80.");
  });

  it("takes maxconn, bind addresses and stats port and user from the plan", () => {
    const cfg = renderHaproxyCfg({ ...seed, bindAddress: "192.0.2.7", maxconn: 4242, stats: { bindAddress: "127.0.0.2", port: 9100, user: "ops" } });
    expect(section(cfg, "global")).toContain("maxconn 4242");
    expect(section(cfg, "frontend api")).toContain("bind 192.0.2.7:6443");
    expect(section(cfg, "listen stats")).toEqual(expect.arrayContaining(["bind 127.0.0.2:9100", 'stats auth "ops:${OKD_LAB_STATS_PASSWORD}"']));
  });

  it("adds `port` to a server line only when the probe port differs from the traffic port", () => {
    const cfg = renderHaproxyCfg({
      ...seed,
      services: [{ name: "api", port: 6443, check: { scheme: "http", port: 6443, path: "/readyz" }, servers: [{ name: "m", ip: "10.56.0.12", port: 6443 }] }],
    });
    expect(servers(cfg, "api")[0].options).toEqual(["check"]);
  });
});

describe("haproxy.cfg golden file", () => {
  it("matches the reviewed test/golden/haproxy.cfg for the seed lab", () => {
    const golden = fs.readFileSync(path.join(__dirname, "..", "golden", "haproxy.cfg"), "utf8");
    expect(renderHaproxyCfg(planFor(seedRawConfig()).loadBalancer)).toBe(golden);
  });
});
