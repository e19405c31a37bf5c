// How long analysing and fitting a big trace takes, and how much memory: generates a synthetic
// workload of about a million requests (sessions of 50 turns with subagents) and writes it four
// ways into a temporary folder: agentload's own Veeksha JSONL (`agentload generate`'s output), the
// same lines without agentload's key (Veeksha's own format), the documented CSV, and a
// Mooncake-style JSONL (sessionless rows linked by hash ids). Then runs the
// built CLI (`node dist/cli/main.js analyze|fit <file>`) on each, `runs` times, under
// /usr/bin/time, and prints wall time, CPU time and peak memory (max RSS). Last, it fits fresh
// input and output on all values and on FIT_QUANTILES evenly spaced quantiles and prints how far
// each family's parameters moved. Not a test: it prints the figures. Timings move with whatever
// else runs on the machine: compare the CPU time beside them.
//   npm run build && npx tsx benchmarks/trace-analysis.ts [requests] [--runs N] [--keep DIR] [--fits-only]
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { rngFor } from "../src/stats/random.js";
import { FIT_QUANTILES, fitFamilies, type FitReport } from "../src/traces/fit.js";
import { workloadTrace } from "../src/traces/from-workload.js";
import type { Trace } from "../src/traces/types.js";
import { iterateSessions, scaffoldsOf } from "../src/workload/generate.js";
import { resolveSpec } from "../src/workload/spec.js";
import type { WorkloadSpec } from "../src/workload/spec-types.js";
import type { SessionGraph } from "../src/workload/types.js";
import { veekshaLines } from "../src/workload/veeksha-jsonl.js";

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string" }, keep: { type: "string" }, "fits-only": { type: "boolean" } } });
const target = Number(positionals[0] ?? 1_000_000);
const runs = Number(flags.runs ?? 2);
// About 50 main turns plus 0.1 * 49 spawns of 4-turn subagents: ~70 requests a session.
const sessions = Math.max(1, Math.round(target / 70));

const spec: WorkloadSpec = {
  name: "trace-analysis-bench",
  seed: 1,
  sessions,
  agents: [
    {
      name: "coder",
      scaffold: { systemTokens: 3000, toolTokens: 2000 },
      turns: 50,
      freshInput: { type: "lognormal", mu: 5.5, sigma: 1.2 },
      output: { type: "inverse_gaussian", mean: 400, shape: 150 },
      waitMs: { type: "spike_tail", spikeProbability: 0.8, spike: { type: "lognormal", mu: 3.3, sigma: 0.5, max: 100 }, tail: { type: "pareto", scale: 100, alpha: 0.9, max: 120_000 } },
      subagents: { agent: "helper", spawnProbability: 0.1, fanOut: 1, summaryTokens: 300 },
    },
    { name: "helper", weight: 0, turns: 4, freshInput: { type: "gamma", shape: 2, scale: 200 }, output: 200, waitMs: 20 },
  ],
};

const cli = join(import.meta.dirname, "..", "dist", "cli", "main.js");
if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first (the benchmark times the built CLI)`);
if (!existsSync("/usr/bin/time")) throw new Error("/usr/bin/time not found (Debian: apt-get install time): it measures the CLI's peak memory");

const dir = flags.keep ?? mkdtempSync(join(tmpdir(), "agentload-trace-bench-"));
mkdirSync(dir, { recursive: true });

/** Writes text pieces to a file through one descriptor, buffered in ~1 MB writes. */
function writer(path: string): { write: (s: string) => void; close: () => void } {
  const fd = openSync(path, "w");
  let buffer: string[] = [];
  let size = 0;
  const flush = () => {
    writeSync(fd, buffer.join(""));
    buffer = [];
    size = 0;
  };
  return {
    write(s) {
      buffer.push(s);
      size += s.length;
      if (size > 1 << 20) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

const resolved = resolveSpec(spec);
const scaffolds = scaffoldsOf(resolved);
const jsonl = join(dir, "generated.jsonl");
// The same lines without agentload's own key: a Veeksha timed_synthetic_session file as Veeksha
// writes it (read as plain sessions, no subagent conversations), what a user's big trace is.
const veeksha = join(dir, "veeksha.jsonl");
const AGENTLOAD_KEY = /"agentload": \{[^{}]*(\{[^{}]*\}[^{}]*)?\}, /;
const csv = join(dir, "requests.csv");
const mooncake = join(dir, "mooncake.jsonl");
const fresh: number[] = [];
const output: number[] = [];
let requests = 0;
{
  const started = performance.now();
  const j = writer(jsonl);
  const v = writer(veeksha);
  const c = writer(csv);
  c.write("session_id,request_id,conversation,parents,fresh_input_tokens,output_tokens,prompt_tokens,dispatched_ms,responded_ms\n");
  const options = { workload: spec.name, scaffolds };
  let index = 0;
  let clock = 0;
  for (const session of iterateSessions(resolved)) {
    for (const line of veekshaLines([session], options, index)) {
      j.write(`${line}\n`);
      v.write(`${line.replace(AGENTLOAD_KEY, "")}\n`);
    }
    // The documented CSV: one row per request, timestamps laid out one after another.
    for (const r of sessionTrace(session, options.scaffolds).requests) {
      const [sid, local] = r.id.split(":") as [string, string];
      const parents = r.parents.map((e) => e.from.split(":")[1]).join(" ");
      clock += 7;
      c.write(`${sid},${local},${r.conversation},${parents},${r.freshInputTokens},${r.outputTokens},${r.promptTokens ?? ""},${clock},${clock + 500}\n`);
      fresh.push(r.freshInputTokens);
      output.push(r.outputTokens);
      requests++;
    }
    index++;
  }
  j.close();
  v.close();
  c.close();
  writeMooncake(mooncake, requests);
  console.log(`wrote ${requests} requests (${sessions} sessions) four ways in ${((performance.now() - started) / 1000).toFixed(1)} s to ${dir}`);
}

function sessionTrace(session: SessionGraph, scaffolds: ReturnType<typeof scaffoldsOf>): Trace {
  return workloadTrace({ name: spec.name, seed: "1", scaffolds, sessions: [session] });
}

/**
 * A Mooncake-style trace: rows without sessions, dispatched 10 ms apart, each continuing one of
 * 2,000 open conversations (its hash ids repeat the conversation's and add 1 to 4 blocks of 512
 * tokens), a conversation closing after 60 blocks; sizes and choices from seeded streams.
 */
function writeMooncake(path: string, n: number): void {
  const out = writer(path);
  const pick = rngFor(1, "bench/mooncake/pick");
  const grow = rngFor(1, "bench/mooncake/grow");
  const open: number[][] = Array.from({ length: 2000 }, () => []);
  let nextId = 0;
  for (let i = 0; i < n; i++) {
    const k = Math.floor(pick.next() * open.length);
    let ids = open[k]!;
    if (ids.length >= 60) ids = open[k] = [];
    const added = 1 + Math.floor(grow.next() * 4);
    for (let b = 0; b < added; b++) ids.push(nextId++);
    const input = ids.length * 512 - Math.floor(grow.next() * 511);
    const outputTokens = 1 + Math.floor(grow.next() * 800);
    out.write(`{"timestamp": ${i * 10}, "input_length": ${input}, "output_length": ${outputTokens}, "hash_ids": [${ids.join(", ")}]}\n`);
  }
  out.close();
}

interface Measured {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
}

function measure(args: string[]): Measured {
  const result = spawnSync("/usr/bin/time", ["-f", "agentload-bench %e %U %S %M", process.execPath, cli, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  const line = result.stderr.split("\n").find((l) => l.startsWith("agentload-bench "));
  if (result.status !== 0 || !line) throw new Error(`agentload ${args.join(" ")} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const [, wall, user, sys, rss] = line.split(" ").map(Number) as [number, number, number, number, number];
  return { wallS: wall, cpuS: user + sys, maxRssMb: rss / 1024 };
}

if (!flags["fits-only"]) console.log(`\nthe built CLI on each file, ${runs} runs each (wall time, CPU time user + system, peak RSS):`);
if (!flags["fits-only"]) console.log(`${"file".padEnd(18)} ${"size".padStart(8)}  ${"command".padEnd(8)} runs`);
for (const file of flags["fits-only"] ? [] : [jsonl, veeksha, csv, mooncake]) {
  const size = `${(statSync(file).size / 1e6).toFixed(0)} MB`;
  for (const command of ["analyze", "fit"]) {
    const args = command === "fit" ? ["fit", file, "--out", join(dir, "fitted.yaml")] : ["analyze", file];
    const figures: string[] = [];
    for (let r = 0; r < runs; r++) {
      const m = measure(args);
      figures.push(`${m.wallS.toFixed(1)} s (CPU ${m.cpuS.toFixed(1)} s), ${m.maxRssMb.toFixed(0)} MB`);
    }
    console.log(`${file.split("/").pop()!.padEnd(18)} ${size.padStart(8)}  ${command.padEnd(8)} ${figures.join("; ")}`);
  }
}

/** The largest relative change of any parameter of any family between two reports. */
function moved(all: FitReport, sampled: FitReport): { family: string; worst: string }[] {
  return all.fits.map((a) => {
    const b = sampled.fits.find((f) => f.family === a.family)!;
    let worst = 0;
    let name = "";
    for (const [key, value] of Object.entries(a.spec as object)) {
      const other = (b.spec as Record<string, unknown>)[key];
      if (typeof value !== "number" || typeof other !== "number" || value === 0) continue;
      const change = Math.abs(other - value) / Math.abs(value);
      if (change >= worst) {
        worst = change;
        name = key;
      }
    }
    const params = worst === 0 ? "parameters unchanged" : `${name} ${(worst * 100).toFixed(3)}%`;
    return { family: a.family, worst: `${params}; AIC ${a.aic.toFixed(1)} -> ${b.aic.toFixed(1)}; KS ${a.ks.toFixed(4)} -> ${b.ks.toFixed(4)}` };
  });
}

console.log(`\nfamilies fitted to all values against fits whose costly parts use ${FIT_QUANTILES} evenly spaced quantiles (largest parameter change, AIC, KS):`);
for (const [name, values] of [
  ["fresh input", fresh],
  ["output", output],
] as const) {
  let started = performance.now();
  const all = fitFamilies(values, { quantiles: Infinity });
  const allS = (performance.now() - started) / 1000;
  started = performance.now();
  const sampled = fitFamilies(values);
  const sampledS = (performance.now() - started) / 1000;
  const same = all.fits.map((f) => f.family).join(",") === sampled.fits.map((f) => f.family).join(",");
  console.log(`${name} (${values.length} values): all ${allS.toFixed(2)} s, quantiles ${sampledS.toFixed(2)} s; ranking ${same ? "the same" : "DIFFERENT"}`);
  for (const { family, worst } of moved(all, sampled)) console.log(`  ${family.padEnd(16)} ${worst}`);
}

if (flags.keep === undefined) rmSync(dir, { recursive: true, force: true });
