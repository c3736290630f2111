/**
 * host/virsh.ts: the exact virsh command lines (URI first, ACPI shutdown), the state parsing and
 * the error messages, with an injected runner.
 */
import { RunVirsh, Virsh, VirshRun } from "../../host/virsh";

function recorder(answer: (args: string[]) => VirshRun): { run: RunVirsh; calls: { file: string; args: string[]; timeoutMs: number }[] } {
  const calls: { file: string; args: string[]; timeoutMs: number }[] = [];
  return {
    calls,
    run: async (file, args, timeoutMs) => {
      calls.push({ file, args, timeoutMs });
      return answer(args);
    },
  };
}

describe("Virsh", () => {
  it("asks libvirt at the stack's URI, with a bound per call", async () => {
    const r = recorder(() => ({ code: 0, stdout: "shut off\n\n", stderr: "" }));
    const virsh = new Virsh({ uri: "qemu+ssh://root@kvm1/system", timeoutMs: 7000, run: r.run });
    expect(await virsh.domainState("okd-master")).toBe("shut off");
    await virsh.shutdown("okd-master");
    await virsh.start("okd-master");
    expect(r.calls).toEqual([
      { file: "virsh", args: ["-c", "qemu+ssh://root@kvm1/system", "domstate", "okd-master"], timeoutMs: 7000 },
      { file: "virsh", args: ["-c", "qemu+ssh://root@kvm1/system", "shutdown", "okd-master", "--mode", "acpi"], timeoutMs: 7000 },
      { file: "virsh", args: ["-c", "qemu+ssh://root@kvm1/system", "start", "okd-master"], timeoutMs: 7000 },
    ]);
  });

  it("turns virsh's complaint into one line naming the command", async () => {
    const r = recorder(() => ({
      code: 1,
      stdout: "",
      stderr: "error: failed to get domain 'okd-ghost'\nerror: Domain not found: no domain with matching name 'okd-ghost'\n",
    }));
    const virsh = new Virsh({ uri: "qemu:///system", run: r.run });
    await expect(virsh.domainState("okd-ghost")).rejects.toThrow(
      "'virsh -c qemu:///system domstate okd-ghost' failed: failed to get domain 'okd-ghost': Domain not found: no domain with matching name 'okd-ghost'",
    );
  });

  it("says when virsh is missing or hangs", async () => {
    const missing = new Virsh({ uri: "qemu:///system", run: recorder(() => ({ code: null, stdout: "", stderr: "", error: "ENOENT" })).run });
    await expect(missing.start("okd-infra")).rejects.toThrow("virsh is not installed on this host (EL9: dnf install libvirt-client)");
    const slow = new Virsh({ uri: "qemu:///system", timeoutMs: 30000, run: recorder(() => ({ code: null, stdout: "", stderr: "", error: "timeout" })).run });
    await expect(slow.shutdown("okd-infra")).rejects.toThrow("'virsh -c qemu:///system shutdown okd-infra --mode acpi' did not finish within 30 s");
  });

  it("runs the real program in the C locale and reports its exit", async () => {
    // A stand-in virsh: prints its LC_ALL and arguments, fails for one domain.
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okd-virsh-"));
    const script = path.join(dir, "virsh");
    fs.writeFileSync(script, '#!/bin/sh\n[ "$4" = bad ] && { echo "error: nope" >&2; exit 1; }\necho "$LC_ALL $*"\n', { mode: 0o755 });
    try {
      const virsh = new Virsh({ uri: "test:///default", virsh: script });
      expect(await virsh.domainState("okd-infra")).toBe("C -c test:///default domstate okd-infra");
      await expect(virsh.domainState("bad")).rejects.toThrow(`'${script} -c test:///default domstate bad' failed: nope`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
