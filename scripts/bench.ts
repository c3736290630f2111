/**
 * npm run bench [-- --runs N] [--check]
 *
 * Renders the seed lab (Pulumi.dev.yaml) and generated labs of 25 and 100 Fedora CoreOS nodes
 * under Pulumi mocks, each run in a fresh process as `npm run render` runs, and prints the median
 * wall time of the render, the median time of the program itself (config read to every resource
 * registered and the files written, module loading included) and the peak resident memory.
 * --check fails unless the 100-node render takes at most twice the seed lab's wall time and
 * stays under 500 MB. Every render carries a bootstrap.ign of real size (1.5 MB, the offline
 * stand-in) into the bootstrap's Ignition volume; the line after the table gives both sizes.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REAL_BOOTSTRAP_IGNITION_BYTES } from "../ignition/offlineAssets";
import { readStackConfig } from "../offline/stackFile";

interface Sample {
  wallMs: number;
  evalMs: number;
  rssMB: number;
  resources: number;
  /** Bytes of the bootstrap's Ignition volume content. */
  bootstrapIgnitionBytes: number;
}

/** The dev stack with `fcosNodes` FCOS nodes: bootstrap, 3 masters, the rest workers, on a /16. */
export function generatedLab(base: Record<string, unknown>, fcosNodes: number): Record<string, unknown> {
  const ip = (n: number) => `10.56.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  const workers = fcosNodes - 4;
  return {
    ...base,
    "okd-lab:network": { name: "okd-net", cidr: "10.56.0.0/16" },
    "okd-lab:infra": { ...(base["okd-lab:infra"] as object), ip: ip(8) },
    "okd-lab:bootstrap": { name: "bootstrap", ip: ip(9), enabled: true },
    "okd-lab:masters": [1, 2, 3].map((i) => ({ name: `master${i}`, ip: ip(9 + i) })),
    "okd-lab:workers": Array.from({ length: workers }, (_, i) => ({ name: `worker${i + 1}`, ip: ip(20 + i) })),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function runOnce(configFile: string, outDir: string): Sample {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "benchChild.ts"), configFile, outDir], {
    encoding: "utf8",
    cwd: path.join(__dirname, ".."),
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`bench child failed:\n${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as Omit<Sample, "wallMs">;
  return { wallMs, ...result };
}

function main(): number {
  const args = process.argv.slice(2);
  const runsArg = args.indexOf("--runs");
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 5;
  const check = args.includes("--check");
  const base = readStackConfig(path.join(__dirname, "..", "Pulumi.dev.yaml")).config;
  const labs: { name: string; config: Record<string, unknown> }[] = [
    { name: "seed lab (3 FCOS nodes)", config: base },
    { name: "25 FCOS nodes", config: generatedLab(base, 25) },
    { name: "100 FCOS nodes", config: generatedLab(base, 100) },
  ];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "okd-lab-bench-"));
  const results: { name: string; wall: number; evalMs: number; rss: number; resources: number; bootstrapIgnitionBytes: number }[] = [];
  try {
    for (const lab of labs) {
      const file = path.join(work, `${results.length}.json`);
      fs.writeFileSync(file, JSON.stringify(lab.config));
      const samples = Array.from({ length: runs }, (_, i) => runOnce(file, path.join(work, `out-${results.length}-${i}`)));
      results.push({
        name: lab.name,
        wall: median(samples.map((s) => s.wallMs)),
        evalMs: median(samples.map((s) => s.evalMs)),
        rss: Math.max(...samples.map((s) => s.rssMB)),
        resources: samples[0].resources,
        bootstrapIgnitionBytes: samples[0].bootstrapIgnitionBytes,
      });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`okd-lab render benchmark: ${runs} runs each, ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log("lab                       resources     median render    median program  peak RSS");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(26)}${String(r.resources).padStart(9)}  ${`${r.wall.toFixed(0)} ms`.padStart(14)}  ${`${r.evalMs.toFixed(0)} ms`.padStart(17)}  ${`${r.rss.toFixed(0)} MB`.padStart(8)}`,
    );
  }
  const seed = results[0];
  const big = results[results.length - 1];
  const ratio = big.wall / seed.wall;
  console.log(
    `100-node render / seed render: ${ratio.toFixed(2)} (limit 2.00); program alone: ${(big.evalMs / seed.evalMs).toFixed(2)} for ` +
      `${(big.resources / seed.resources).toFixed(1)}x the resources; 100-node peak RSS ${big.rss.toFixed(0)} MB (limit 500 MB)`,
  );
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  console.log(
    `bootstrap.ign stand-in ${mb(REAL_BOOTSTRAP_IGNITION_BYTES)} (a real one's size) -> the bootstrap's Ignition volume ${mb(seed.bootstrapIgnitionBytes)} (gzip in the wrapper)`,
  );
  if (check && (ratio > 2 || big.rss >= 500)) {
    console.error("bench --check: the 100-node lab is over its budget");
    return 1;
  }
  if (check && seed.bootstrapIgnitionBytes < REAL_BOOTSTRAP_IGNITION_BYTES * 0.9) {
    console.error(`bench --check: the bootstrap's Ignition is ${mb(seed.bootstrapIgnitionBytes)}, not a real-size config: the stand-in lost its size`);
    return 1;
  }
  return 0;
}

if (require.main === module) process.exit(main());
