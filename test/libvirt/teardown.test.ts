/**
 * The tier leaves nothing behind even when the test process is killed outright: the guardian
 * started with the namespace (test/e2e/netns.ts) kills libvirtd, virtlogd, dnsmasq and QEMU,
 * deletes the namespace and removes the temp folder that holds libvirt's whole state.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("removes the daemons, the namespace and the state folder after the process that started them is SIGKILLed", async () => {
  const child = spawnSync(path.join(REPO, "node_modules/.bin/ts-node"), ["--transpile-only", "test/libvirt/abandonedLibvirt.ts"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 90000,
  });
  expect(child.signal).toBe("SIGKILL");
  const started = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as { ns: string; dir: string; daemonPid: number; dnsmasqPid: number };
  expect(started.ns).toMatch(/^okdlab-\d+-libvirt$/);
  expect(started.dnsmasqPid).toBeGreaterThan(0);
  const gone = () => !fs.existsSync(`/run/netns/${started.ns}`) && !fs.existsSync(started.dir) && !alive(started.daemonPid) && !alive(started.dnsmasqPid);
  const deadline = Date.now() + 15000;
  while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect({
    namespace: fs.existsSync(`/run/netns/${started.ns}`),
    folder: fs.existsSync(started.dir),
    daemon: alive(started.daemonPid),
    dnsmasq: alive(started.dnsmasqPid),
  }).toEqual({
    namespace: false,
    folder: false,
    daemon: false,
    dnsmasq: false,
  });
}, 120000);
