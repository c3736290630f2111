/** One bench sample: evaluates the program under mocks for a config file and writes the render. */
import * as fs from "node:fs";
import { plainValue, runLabUnderMocks } from "../offline/labMocks";
import { writeRender } from "./render";

async function main(): Promise<void> {
  const [configFile, outDir] = process.argv.slice(2);
  const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
  const started = process.hrtime.bigint();
  const run = await runLabUnderMocks({ stack: "bench", config });
  writeRender(run, outDir, true);
  const evalMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rssMB = process.resourceUsage().maxRSS / 1024;
  // The bootstrap's Ignition volume content: the wrapper around the 1.5 MB stand-in bootstrap.ign.
  const ignition = run.resources.find((r) => r.type === "libvirt:index/ignition:Ignition" && r.name.startsWith("bootstrap-"));
  const bootstrapIgnitionBytes = ignition ? Buffer.byteLength(String(plainValue(ignition.inputs.content, true))) : 0;
  console.log(JSON.stringify({ evalMs, rssMB, resources: run.resources.length, bootstrapIgnitionBytes }));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
