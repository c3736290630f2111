/**
 * npm run verify's tunnel to the stats page (verify/statsTunnel.ts) with a stand-in ssh
 * (test/fixtures/fake-ssh) that accepts only the exact command line and plays the far end: the
 * files it is given and their modes, the tunnel carrying a request, ssh's refusal and silence, and
 * nothing left behind. The real OpenSSH client and server carry it in the e2e suite.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { openStatsTunnel, StatsTunnelError, StatsTunnelRequest } from "../../verify/statsTunnel";
import { planFor, seedRawConfig } from "../fixtures/labs";

const fakeSsh = path.resolve(__dirname, "../fixtures/fake-ssh");
const plan = planFor(seedRawConfig());
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----";
const KNOWN_HOSTS = "10.56.0.10,okd-infra.okd-lab.okd.local ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey";

let dir: string;
let page: http.Server;
let pagePort: number;

beforeAll(async () => {
  // The stats page's stand-in, on loopback.
  page = http.createServer((_req, res) => res.end("# pxname,svname,status\n"));
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  pagePort = (page.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => page.close(resolve)));
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-tunnel-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function request(mode: string, extra: Partial<StatsTunnelRequest> = {}): StatsTunnelRequest {
  return {
    plan,
    sshPrivateKey: KEY,
    knownHosts: KNOWN_HOSTS,
    ssh: fakeSsh,
    env: { ...process.env, FAKE_SSH_DIR: dir, FAKE_SSH_MODE: mode, FAKE_SSH_TARGET_PORT: String(pagePort) },
    ...extra,
  };
}

function calls(): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(dir, "calls.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

/** The folder the key was written to, from the command line ssh got. */
function keyFolder(call: Record<string, unknown>): string {
  const argv = call.argv as string[];
  return path.dirname(argv[argv.indexOf("-i") + 1]);
}

it("runs the statsTunnel command with the stack's key and known_hosts (0600) on a free port and carries the page", async () => {
  const tunnel = await openStatsTunnel(request("forward"));
  try {
    expect(tunnel.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const body = await (await fetch(`${tunnel.url};csv`)).text();
    expect(body).toBe("# pxname,svname,status\n");
    const [call] = calls();
    const port = new URL(tunnel.url).port;
    expect((call.argv as string[]).slice(-3)).toEqual(["-L", `127.0.0.1:${port}:127.0.0.1:9000`, "okd@10.56.0.10"]);
    expect(call).toMatchObject({ key: `${KEY}\n`, keyMode: "600", knownHosts: `${KNOWN_HOSTS}\n`, knownHostsMode: "600" });
    // ssh has read both files: they are gone while the tunnel runs.
    expect(fs.existsSync(keyFolder(call))).toBe(false);
  } finally {
    await tunnel.close();
  }
  expect(calls()[1]).toEqual({ signal: "SIGTERM" });
  await expect(fetch(tunnel.url)).rejects.toThrow();
});

it("reports what ssh said when it gives up before the tunnel is up, and leaves no key behind", async () => {
  await expect(openStatsTunnel(request("refuse"))).rejects.toThrow(
    new StatsTunnelError("ssh exited (255) before the tunnel was up; it said: Host key verification failed."),
  );
  expect(fs.existsSync(keyFolder(calls()[0]))).toBe(false);
});

it("stops ssh and says so when the tunnel does not open in time", async () => {
  const started = Date.now();
  await expect(openStatsTunnel(request("hang", { timeoutMs: 1000 }))).rejects.toThrow(
    new StatsTunnelError("ssh did not open the tunnel within 1 s; it said: nothing"),
  );
  expect(Date.now() - started).toBeLessThan(5000);
  const [first, second] = calls();
  expect(second).toEqual({ signal: "SIGTERM" });
  expect(fs.existsSync(keyFolder(first))).toBe(false);
});

it("names the package when ssh is not installed", async () => {
  await expect(openStatsTunnel(request("forward", { ssh: path.join(dir, "no-such-ssh") }))).rejects.toThrow(
    new StatsTunnelError("ssh is not installed (sudo dnf install openssh-clients)"),
  );
});
