/**
 * `npm run destroy` (scripts/destroy.sh) against a stand-in Pulumi CLI: it refreshes the state
 * before destroying, so objects removed by hand do not stop it. The libvirt provider's Delete
 * fails on a domain or network that is already gone, while its Read drops it from the state
 * (terraform-provider-libvirt v0.8.1 resource_libvirt_domain.go, resource_libvirt_network.go).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-destroy-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function destroy(refreshStatus: number, ...args: string[]) {
  fs.writeFileSync(
    path.join(dir, "pulumi"),
    `#!/bin/bash\necho "pulumi $* [backend=$PULUMI_BACKEND_URL]" >> ${dir}/calls\n[ "$1" = refresh ] && exit ${refreshStatus}\nexit 0\n`,
    { mode: 0o755 },
  );
  const result = spawnSync("bash", [path.join(ROOT, "scripts/destroy.sh"), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, PULUMI_CONFIG_PASSPHRASE: "test", OKD_LAB_STACK: "lab" },
  });
  const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
  return { status: result.status, calls };
}

it("refreshes the stack, then destroys it with the user's flags, on the local file backend", () => {
  expect(destroy(0, "--yes")).toEqual({
    status: 0,
    calls: [
      // Read first: the host DNS teardown is printed after the destroy, when the outputs are gone.
      "pulumi stack output hostDnsTeardown --stack lab [backend=file://~]",
      "pulumi refresh --stack lab --yes --skip-preview [backend=file://~]",
      "pulumi destroy --stack lab --yes [backend=file://~]",
    ],
  });
});

it("prints the host DNS teardown it read before the destroy", () => {
  fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/bash\n[ "$1 $2 $3" = "stack output hostDnsTeardown" ] && printf 'sudo rm -f /etc/x\\n'\nexit 0\n`, {
    mode: 0o755,
  });
  const result = spawnSync("bash", [path.join(ROOT, "scripts/destroy.sh")], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, PULUMI_CONFIG_PASSPHRASE: "test", OKD_LAB_STACK: "lab" },
  });
  expect(result.status).toBe(0);
  expect(result.stdout).toBe("\nokd-lab: if you ran hostDnsSetup on this host, undo it by running these lines (or pipe them to bash):\nsudo rm -f /etc/x\n");
});

it("does not destroy when the refresh fails", () => {
  expect(destroy(1)).toEqual({
    status: 1,
    calls: ["pulumi stack output hostDnsTeardown --stack lab [backend=file://~]", "pulumi refresh --stack lab --yes --skip-preview [backend=file://~]"],
  });
});
