/**
 * host/clusterAge.ts: when the cluster was installed, from the installer assets and the API, and
 * whether it is younger than its first certificate rotation (24 h).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assetsInstallTime, judgeClusterAge, parseClusterCreated } from "../../host/clusterAge";

const NOW = new Date("2026-11-30T12:00:00Z");

describe("assetsInstallTime", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-assets-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("prefers okd-lab's generated-at record", () => {
    fs.mkdirSync(path.join(dir, ".okd-lab"));
    fs.writeFileSync(path.join(dir, ".okd-lab", "generated-at"), "2026-11-29T08:15:00Z\n");
    fs.writeFileSync(path.join(dir, ".openshift_install_state.json"), "{}");
    expect(assetsInstallTime(dir)).toEqual({ at: new Date("2026-11-29T08:15:00Z"), source: path.join(dir, ".okd-lab", "generated-at") });
  });

  it("falls back to the installer's state file, then the kubeconfig, by modification time", () => {
    fs.mkdirSync(path.join(dir, "auth"));
    fs.writeFileSync(path.join(dir, "auth", "kubeconfig"), "x");
    const kubeTime = new Date("2026-11-28T10:00:00Z");
    fs.utimesSync(path.join(dir, "auth", "kubeconfig"), kubeTime, kubeTime);
    expect(assetsInstallTime(dir)).toEqual({ at: kubeTime, source: `${path.join(dir, "auth", "kubeconfig")} (modified)` });
    const stateTime = new Date("2026-11-28T09:00:00Z");
    fs.writeFileSync(path.join(dir, ".openshift_install_state.json"), "{}");
    fs.utimesSync(path.join(dir, ".openshift_install_state.json"), stateTime, stateTime);
    expect(assetsInstallTime(dir)?.at).toEqual(stateTime);
  });

  it("knows nothing of a folder without assets", () => {
    expect(assetsInstallTime(path.join(dir, "missing"))).toBeUndefined();
  });
});

describe("parseClusterCreated", () => {
  it.each([
    ["2026-11-30T09:30:00Z", "2026-11-30T09:30:00.000Z"],
    ["2026-11-30T09:30:00.123Z\n", "2026-11-30T09:30:00.123Z"],
  ])("reads %j", (out, iso) => {
    expect(parseClusterCreated(out)?.at.toISOString()).toBe(iso);
  });

  it.each(["", 'error: the server doesn\'t have a resource type "clusterversion"', "2026-11-30"])("rejects %j", (out) => {
    expect(parseClusterCreated(out)).toBeUndefined();
  });
});

describe("judgeClusterAge", () => {
  const at = (iso: string, source = "s") => ({ at: new Date(iso), source });

  it("is young until 24 h after the later witness", () => {
    const age = judgeClusterAge({ assets: at("2026-11-29T10:00:00Z", "assets"), api: at("2026-11-29T13:00:00Z", "api") }, NOW);
    expect(age).toEqual({
      kind: "young",
      installed: at("2026-11-29T13:00:00Z", "api"),
      rotationDue: new Date("2026-11-30T13:00:00Z"),
      detail: "installed 2026-11-29T13:00:00.000Z (api), 23.0 h ago",
    });
  });

  it("is old from 24 h on", () => {
    expect(judgeClusterAge({ assets: at("2026-11-29T12:00:00Z") }, NOW).kind).toBe("old");
    expect(judgeClusterAge({ api: at("2026-11-29T12:00:01Z") }, NOW).kind).toBe("young");
  });

  it("is none without any witness", () => {
    expect(judgeClusterAge({}, NOW)).toEqual({
      kind: "none",
      detail: "no installer assets and no answer from the cluster API: no cluster certificates to protect",
    });
  });
});
