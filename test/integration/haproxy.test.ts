/**
 * haproxy.cfg checked by the HAProxy that will read it (Debian's 2.6 here, 2.4 on the infra node),
 * and the stats page's environment-variable password exercised by a real HAProxy on loopback.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { LoadBalancerPlan } from "../../plan/labPlan";
import { HAPROXY_ADMIN_SOCKET, renderHaproxyCfg, STATS_PASSWORD_ENV } from "../../render/haproxyCfg";
import { planFor, seedRawConfig, threeByThreeRawConfig } from "../fixtures/labs";
import { requireTool, run } from "./tools";

const haproxy = requireTool("haproxy");
const PASSWORD = "integration-test-password";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-haproxy-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/**
 * `haproxy -c -f FILE`. The plans ask for maxconn 20000, which at run time needs about 40000
 * file descriptors, twice this machine's hard limit of 20000; `-c` only parses and checks, raises
 * no limit and accepts the file as it is, so no `-n` is passed here.
 */
function check(file: string, env: Record<string, string | undefined> = { [STATS_PASSWORD_ENV]: PASSWORD }) {
  return run(haproxy, ["-c", "-f", file], { env });
}

const seed = planFor(seedRawConfig()).loadBalancer;

const PLANS: [string, LoadBalancerPlan][] = [
  ["seed", seed],
  ["3x3", planFor(threeByThreeRawConfig()).loadBalancer],
  [
    "no-worker, bootstrap-removed",
    planFor({ ...seedRawConfig(), bootstrap: { name: "bootstrap", ip: "10.56.0.11", enabled: false }, workers: [] }).loadBalancer,
  ],
  ["no-server (every backend empty)", { ...seed, services: seed.services.map((s) => ({ ...s, servers: [] })) }],
];

describe("haproxy -c", () => {
  it.each(PLANS)("accepts the %s lab's haproxy.cfg without a warning", (label, lb) => {
    const result = check(write(`${label.replace(/\W+/g, "-")}.cfg`, renderHaproxyCfg(lb)));
    expect(result.stderr).not.toMatch(/\[(WARNING|ALERT)\]/);
    expect(result.stdout).toContain("Configuration file is valid");
    expect(result.status).toBe(0);
  });

  it("rejects a broken configuration (the check can fail)", () => {
    const broken = renderHaproxyCfg(seed).replace("balance roundrobin", "balance no-such-algorithm");
    const result = check(write("broken.cfg", broken));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/\[ALERT\].*balance only supports/);
  });
});

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Status code of GET http://127.0.0.1:port/ with optional basic-auth credentials. */
function getStatus(port: number, auth?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // agent: false: one fresh connection per request, so no request rides on a socket the stats
    // page already closed.
    const req = http.get({ host: "127.0.0.1", port, path: "/", auth, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("stats page did not answer within 2 s")));
    req.on("error", reject);
  });
}

async function waitForListener(port: number, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}:\n${output()}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not listen on 127.0.0.1:${port} within 5 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the stats page of a running HAProxy", () => {
  // Passwords a generator might produce; the second has every character HAProxy's parser treats
  // specially outside an expanded variable (quote, dollar, backslash, hash, space, colon).
  it.each([
    ["alphanumeric", "Zq7Rw2Lm9Xc4"],
    ["punctuated", 'p@ss w"rd$x\\y:z#'],
  ])(
    "accepts the %s password from the environment and refuses other credentials",
    async (_label, password) => {
      const port = await freePort();
      // Only the stats page, on loopback: the lab ports and address are not this machine's.
      const lb: LoadBalancerPlan = { ...seed, bindAddress: "127.0.0.1", services: [], stats: { ...seed.stats, port, user: "admin" } };
      const cfg = renderHaproxyCfg(lb)
        // The service's runtime directory is not this test's; keep the admin socket in the temp dir.
        .replace(HAPROXY_ADMIN_SOCKET, path.join(dir, `admin-${port}.sock`))
        // Dropping privileges needs root and is not what this test checks.
        .replace(/^ {2}(user|group) haproxy\n/gm, "");
      const file = write(`stats-${port}.cfg`, cfg);
      // -n 4000: running (unlike -c) reserves 2 descriptors per connection, and maxconn 20000
      // needs about 40000, above this machine's hard limit of 20000.
      const proc = spawn(haproxy, ["-db", "-n", "4000", "-f", file], {
        env: { ...process.env, [STATS_PASSWORD_ENV]: password },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      proc.stdout?.on("data", (d) => (output += d));
      proc.stderr?.on("data", (d) => (output += d));
      try {
        await waitForListener(port, proc, () => output);
        expect(await getStatus(port, `admin:${password}`)).toBe(200);
        expect(await getStatus(port, "admin:wrong")).toBe(401);
        expect(await getStatus(port, `nobody:${password}`)).toBe(401);
        expect(await getStatus(port)).toBe(401);
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((resolve) => proc.once("exit", resolve));
          proc.kill("SIGTERM");
          await exited;
        }
      }
    },
    15000,
  );
});
