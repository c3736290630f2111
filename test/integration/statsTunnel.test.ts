/**
 * npm run verify's tunnel to the stats page (verify/statsTunnel.ts) with a stand-in ssh
 * (test/fixtures/fake-ssh) that accepts only the exact command line and plays the far end: the
 * files it is given and their modes, a unix socket in a private folder carrying a request, ssh's
 * refusal, silence and early end, and nothing left behind. The real OpenSSH client and server carry
 * it in the e2e suite.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { HostProbe } from "../../verify/hostProbe";
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
  page = http.createServer((req, res) => res.end(`${req.headers.host} ${req.url}`));
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  pagePort = (page.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => page.close(resolve)));
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "okdlab-tunnel-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function request(mode: string, extra: Partial<StatsTunnelRequest> = {}, env: Record<string, string> = {}): StatsTunnelRequest {
  return {
    plan,
    sshPrivateKey: KEY,
    knownHosts: KNOWN_HOSTS,
    ssh: fakeSsh,
    env: { ...process.env, FAKE_SSH_DIR: dir, FAKE_SSH_MODE: mode, FAKE_SSH_TARGET_PORT: String(pagePort), ...env },
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

/** The private folder verify made, from the command line ssh got. */
function tunnelFolder(): string {
  const argv = calls()[0].argv as string[];
  return path.dirname(argv[argv.indexOf("-i") + 1]);
}

it("runs the statsTunnel command with the stack's key and known_hosts (0600, read while ssh connects) and carries the page over a private socket", async () => {
  // ssh takes a while to log in: the files must still be there when it reads them.
  const tunnel = await openStatsTunnel(request("forward", {}, { FAKE_SSH_DELAY_MS: "700" }));
  try {
    const folder = tunnelFolder();
    expect(tunnel.socketPath).toBe(path.join(folder, "stats.sock"));
    expect((fs.statSync(folder).mode & 0o777).toString(8)).toBe("700");
    const argv = calls()[0].argv as string[];
    expect(argv.slice(-3)).toEqual(["-L", `${tunnel.socketPath}:127.0.0.1:9000`, "okd@10.56.0.10"]);
    expect(calls()[1]).toEqual({ key: `${KEY}\n`, keyMode: "600", knownHosts: `${KNOWN_HOSTS}\n`, knownHostsMode: "600" });
    const answer = await new HostProbe().httpGet("http://127.0.0.1:9000/;csv", undefined, tunnel.socketPath);
    expect(answer).toEqual({ ok: true, status: 200, body: "127.0.0.1:9000 /;csv" });
    // ssh has read both files: they are gone while the tunnel runs; the socket stays.
    expect(fs.readdirSync(folder)).toEqual(["stats.sock"]);
    expect(tunnel.ended()).toBeUndefined();
  } finally {
    await tunnel.close();
  }
  expect(calls()[2]).toEqual({ signal: "SIGTERM" });
  expect(fs.existsSync(path.dirname(tunnel.socketPath))).toBe(false);
});

it("reports what ssh said when it gives up before the tunnel is up, and leaves no key behind", async () => {
  await expect(openStatsTunnel(request("refuse"))).rejects.toThrow(
    new StatsTunnelError("ssh exited (255) before the tunnel was up; it said: Host key verification failed."),
  );
  expect(fs.existsSync(tunnelFolder())).toBe(false);
});

it("stops ssh and says so when the tunnel does not open in time", async () => {
  const started = Date.now();
  await expect(openStatsTunnel(request("hang", { timeoutMs: 3000 }))).rejects.toThrow(
    new StatsTunnelError("ssh did not open the tunnel within 3 s; it said: nothing"),
  );
  expect(Date.now() - started).toBeLessThan(8000);
  expect(calls()[1]).toEqual({ signal: "SIGTERM" });
  expect(fs.existsSync(tunnelFolder())).toBe(false);
});

it("tells when ssh ended after the tunnel was up, with its last words", async () => {
  const tunnel = await openStatsTunnel(request("drop"));
  try {
    const deadline = Date.now() + 5000;
    while (tunnel.ended() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(tunnel.ended()).toBe("Connection to 10.56.0.10 closed by remote host.");
  } finally {
    await tunnel.close();
  }
  expect(fs.existsSync(path.dirname(tunnel.socketPath))).toBe(false);
});

it("names the package when ssh is not installed, and leaves no key behind", async () => {
  const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("okd-lab-verify-"));
  await expect(openStatsTunnel(request("forward", { ssh: path.join(dir, "no-such-ssh") }))).rejects.toThrow(
    new StatsTunnelError("ssh is not installed (sudo dnf install openssh-clients)"),
  );
  expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("okd-lab-verify-"))).toEqual(before);
});
