/**
 * The remote-host CPU check with the real virsh: `virsh cpu-baseline --features` of libvirt's own
 * CPU map expands a host CPU model into its features, and the program's reader turns them into an
 * x86-64 level. virsh runs against `test:///default`, libvirt's in-process test driver (no daemon,
 * no connection); only `virsh capabilities` of the "remote" host is a stand-in: a DL380 G7
 * (Westmere) and a Haswell, as libvirt describes them (a model plus the features beyond it).
 */
import { cpuLevelOf, readHostCpu } from "../../host/cpuLevel";
import { realHostProbe } from "../../host/hostProbe";
import { HostProbe } from "../../host/preflight";
import { requireTool } from "./tools";

const REMOTE = "qemu+ssh://root@rack1/system";

function capabilities(model: string, extra: string[]): string {
  return [
    "<capabilities>",
    "  <host>",
    "    <uuid>00000000-0000-0000-0000-000000000001</uuid>",
    "    <cpu>",
    "      <arch>x86_64</arch>",
    `      <model>${model}</model>`,
    "      <vendor>Intel</vendor>",
    "      <topology sockets='2' cores='6' threads='2'/>",
    ...extra.map((f) => `      <feature name='${f}'/>`),
    "    </cpu>",
    "    <topology><cells num='1'><cell id='0'><cpus num='1'><cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus></cell></cells></topology>",
    "  </host>",
    "</capabilities>",
  ].join("\n");
}

/** Answers `capabilities` for the remote host; runs every other virsh command for real on the test driver. */
function remoteHost(caps: string): HostProbe & { ran: string[] } {
  const real = realHostProbe();
  const ran: string[] = [];
  return {
    ...real,
    ran,
    run: (cmd, args, input) => {
      ran.push([cmd, ...args].join(" "));
      if (cmd === "virsh" && args[0] === "-c" && args[1] === REMOTE && args[2] === "capabilities") return { status: 0, stdout: caps, stderr: "" };
      if (cmd === "virsh" && args[0] === "-c" && args[1] === REMOTE) return real.run(cmd, ["-c", "test:///default", ...args.slice(2)], input);
      throw new Error(`unexpected command ${cmd} ${args.join(" ")}`);
    },
  };
}

beforeAll(() => {
  requireTool("virsh", "libvirt-clients");
});

it.each([
  ["a DL380 G7 (Westmere)", capabilities("Westmere", ["vmx", "pdpe1gb", "pcid"]), "x86-64-v2"],
  // libvirt's Haswell-noTSX model leaves out f16c and abm: a Haswell host lists them as extras.
  ["a Haswell", capabilities("Haswell-noTSX", ["vmx", "f16c", "abm", "pdpe1gb"]), "x86-64-v3"],
  ["a Haswell model without its extra features", capabilities("Haswell-noTSX", ["vmx"]), "x86-64-v2"],
])("reads %s through libvirt as %s", (_name, caps, level) => {
  const probe = remoteHost(caps);
  const cpu = readHostCpu(REMOTE, "rack1", probe);
  if ("error" in cpu) throw new Error(cpu.error);
  expect(cpu.source).toBe(`libvirt at ${REMOTE}`);
  expect(cpuLevelOf(cpu.flags)).toBe(level);
  // The model's own features come from the expansion, in /proc/cpuinfo spelling.
  expect([...cpu.flags]).toEqual(expect.arrayContaining(["sse4_1", "sse4_2", "popcnt", "pni", "lahf_lm", "cx16", "ssse3"]));
  expect(probe.ran).toEqual([`virsh -c ${REMOTE} capabilities`, `virsh -c ${REMOTE} cpu-baseline --features /dev/stdin`]);
});
