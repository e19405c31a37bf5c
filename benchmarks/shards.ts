// Do N shards on one server measure what one process measures? Runs one workload unsharded, then
// as N local shard processes started on one --start-at, merges them (agentload merge), and runs it
// unsharded once more as the reference for run-to-run noise. Prints the request count and token
// totals of each, and per latency percentile the first run's value with its own 95% bootstrap
// interval (metrics/compare.ts percentileInterval: how far another sample of those requests would
// put it) and whether the merged run's and the second run's percentile fall inside it.
// That interval holds only one run's sampling noise: the engine's speed also moves 15-25% from
// one run to the next (compare-slowdown.test.ts), so a second unsharded run falls outside it
// about as often as the merged one. With --pairs K (default 6) it then runs K interleaved pairs
// (one process, then N shards merged; the order alternating) and judges them as the README says
// to compare runs of one machine: `agentload compare --paired` (95% intervals, a 10% minimum
// effect): "matched" is the figure that says sharding changed no percentile beyond the noise.
//
// Run: npm run build && npx tsx benchmarks/shards.ts [--url URL] [--shards 2] [--sessions 16] [--pairs 6]
// (without --url it starts the built-in engine: llama-server -t 1, 4 slots). Timing figures move
// with whatever else shares the machine's cores.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLlamaServer } from "../src/engine/llama-server.js";
import { percentileInterval, percentileOf, weightedValues } from "../src/metrics/compare.js";
import type { RunSummary } from "../src/metrics/summary.js";
import { rngFor } from "../src/stats/random.js";

const { values } = parseArgs({ options: { url: { type: "string" }, shards: { type: "string", default: "2" }, sessions: { type: "string", default: "16" }, pairs: { type: "string", default: "6" } } });
if (!existsSync("dist/cli/main.js")) throw new Error("dist/cli/main.js not found: run npm run build first");
const shards = Number(values.shards);

/** The built CLI with this process's environment (a key for --url comes through, unlike test/support/cli.ts's). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/cli/main.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
/** Exit 0, or 4 (not valid: printed, as the figures still show what was measured); anything else stops the bench. */
async function ok(what: string, args: string[]): Promise<void> {
  const r = await cli(args);
  if (r.code === 4) console.log(`${what}: NOT VALID (exit 4): ${/validity\s+NOT VALID: (.*)/.exec(r.stdout)?.[1] ?? "see its summary"}`);
  else if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
}
const folderIn = (parent: string) => join(parent, readdirSync(parent)[0]!);
const summaryOf = (dir: string) => (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { summary: RunSummary }).summary;

const engine = values.url ? undefined : await startLlamaServer({ slots: 4 });
const url = values.url ?? engine!.apiUrl;
const root = mkdtempSync(join(tmpdir(), "agentload-shards-bench-"));
const spec = join(root, "chains.yaml");
// Open-loop traffic: the same arrivals whether one process or N release them.
writeFileSync(
  spec,
  `name: chains
seed: 16
sessions: ${values.sessions}
agents:
  - name: a
    scaffold: { systemTokens: 200 }
    turns: { type: uniform, min: 2, max: 6 }
    freshInput: { type: lognormal, mu: 4, sigma: 0.8, max: 600 }
    output: { type: uniform, min: 8, max: 32 }
    waitMs: { type: exponential, mean: 200 }
traffic: { mode: rate, arrivals: { type: poisson, rate: 0.5 }, warmupSessions: 1 }
`,
);
try {
  const t = Date.now();
  /** N shards on one start time, merged into `<root>/<out>`. */
  const sharded = async (prefix: string, out: string) => {
    const startAt = new Date(Date.now() + 20_000).toISOString();
    await Promise.all(Array.from({ length: shards }, (_, i) => ok(`shard ${i}`, ["run", spec, "--url", url, "--shard", `${i}/${shards}`, "--start-at", startAt, "--out", join(root, `${prefix}${i}`)])));
    await ok("merge", ["merge", ...Array.from({ length: shards }, (_, i) => folderIn(join(root, `${prefix}${i}`))), "--out", join(root, out)]);
  };
  await ok("unsharded run", ["run", spec, "--url", url, "--out", join(root, "whole")]);
  await sharded("shard-", "merged");
  await ok("second unsharded run", ["run", spec, "--url", url, "--out", join(root, "again")]);
  const runs = { "one process": summaryOf(folderIn(join(root, "whole"))), [`${shards} shards merged`]: summaryOf(folderIn(join(root, "merged"))), "one process again": summaryOf(folderIn(join(root, "again"))) };
  const [first, ...others] = Object.entries(runs) as [[string, RunSummary], ...[string, RunSummary][]];
  console.log(`${Object.keys(runs).join(" / ")} (${Math.round((Date.now() - t) / 1000)} s in all; folders under ${root})`);
  for (const [name, s] of Object.entries(runs)) {
    console.log(`  ${name.padEnd(20)} requests ${s.counts.requests} (ok ${s.counts.ok}, warm-up ${s.counts.warmupRequests})  output tokens ${s.tokens.output}  prompt tokens ${s.tokens.expectedPrompt}  wall ${(s.wallMs / 1000).toFixed(1)} s`);
  }
  const rng = rngFor("shards-bench", "bootstrap");
  console.log(`\nmetric  p    ${first[0]} [95% interval]   ${others.map(([n]) => n).join("   ")}`);
  for (const metric of ["ttfc", "tpot", "e2e"]) {
    const base = weightedValues(first[1].histograms[metric]!);
    for (const p of [50, 90, 95]) {
      const i = percentileInterval(base, p, { confidence: 0.95, resamples: 4000, rng });
      const cells = others.map(([, s]) => {
        const v = percentileOf(weightedValues(s.histograms[metric]!), p);
        return `${v.toFixed(1)} ms ${v >= i.low && v <= i.high ? "inside" : "OUTSIDE"}`;
      });
      console.log(`${metric.padEnd(6)}  p${p}  ${i.value.toFixed(1)} ms [${i.low.toFixed(1)}, ${i.high.toFixed(1)}]   ${cells.join("   ")}`);
    }
  }
  const pairs = Number(values.pairs);
  if (pairs >= 2) {
    // Pair 1 is the first unsharded run and the first merged one; the others alternate which goes first.
    const whole = [folderIn(join(root, "whole"))];
    const merged = [folderIn(join(root, "merged"))];
    const t2 = Date.now();
    for (let k = 2; k <= pairs; k++) {
      const one = async () => {
        await ok(`unsharded run ${k}`, ["run", spec, "--url", url, "--out", join(root, `whole-${k}`)]);
        whole.push(folderIn(join(root, `whole-${k}`)));
      };
      const many = async () => {
        await sharded(`pair-${k}-shard-`, `merged-${k}`);
        merged.push(folderIn(join(root, `merged-${k}`)));
      };
      if (k % 2 === 0) {
        await many();
        await one();
      } else {
        await one();
        await many();
      }
    }
    const r = await cli(["compare", whole.join(","), merged.join(","), "--paired", "--metrics", "ttfc,tpot,e2e", "--percentiles", "50,90", "--min-effect", "0.1", "--json"]);
    const result = JSON.parse(r.stdout) as { outcome: string; lines: string[] };
    console.log(`
${pairs} interleaved pairs, one process against ${shards} shards merged (${Math.round((Date.now() - t2) / 1000)} s more), agentload compare --paired: ${result.outcome} (exit ${r.code})`);
    for (const line of result.lines) console.log(`  ${line}`);
  }
} finally {
  await engine?.stop();
}
