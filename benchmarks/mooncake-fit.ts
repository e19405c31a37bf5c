// Does a workload fitted to a hash-id trace keep its prefix cache reuse? Reads the trace (Mooncake's
// conversation trace: https://github.com/kvcache-ai/Mooncake, FAST25-release/traces/), fits a spec,
// generates it with 10 seeds and prints, for the trace and each generated workload, the share of
// prompt tokens an unbounded prefix cache has already seen (analyze's "prefix seen in an earlier
// request"; a generated prompt is cut into blocks by workload-blocks.ts). Not a test: it prints.
//   npx tsx benchmarks/mooncake-fit.ts <trace.jsonl> [seeds] [--block-size N]
import { analyzeTrace } from "../src/traces/analyze.js";
import { readTrace } from "../src/traces/read.js";
import { fitTrace } from "../src/traces/to-spec.js";
import { workloadBlockTrace } from "../src/traces/workload-blocks.js";
import { generateWorkload } from "../src/workload/generate.js";

const args = process.argv.slice(2);
const flag = args.indexOf("--block-size");
const blockSize = flag >= 0 ? Number(args.splice(flag, 2)[1]) : 512;
const [file, seedsArg] = args;
if (!file) {
  console.error("usage: npx tsx benchmarks/mooncake-fit.ts <trace.jsonl> [seeds] [--block-size N]");
  process.exit(2);
}
const seeds = Number(seedsArg ?? 10);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const trace = await readTrace(file, { blockSize });
const truth = analyzeTrace(trace);
const traceReuse = truth.reusablePrefix?.ratio;
if (traceReuse === undefined) throw new Error(`${file}: the trace has no hash ids`);
const { spec } = fitTrace(trace);
const main = spec.agents[0]!;
console.log(`trace ${file}: ${truth.requests} requests, ${truth.sessions} conversations, block reuse ${pct(traceReuse)}`);
console.log(`fitted: scaffold ${main.scaffold?.systemTokens ?? 0} tokens, turns ${JSON.stringify(main.turns).slice(0, 60)}`);
console.log("seed  requests  prompt tokens  block reuse  vs trace (points)");
let sum = 0;
for (let seed = 1; seed <= seeds; seed++) {
  const workload = generateWorkload({ ...spec, seed });
  const reuse = analyzeTrace(workloadBlockTrace(workload, blockSize)).reusablePrefix!;
  const requests = workload.sessions.reduce((n, s) => n + s.nodes.length, 0);
  sum += reuse.ratio;
  console.log(
    `${String(seed).padStart(4)}  ${String(requests).padStart(8)}  ${String(reuse.promptTokens).padStart(13)}  ${pct(reuse.ratio).padStart(11)}  ${((reuse.ratio - traceReuse) * 100).toFixed(1).padStart(6)}`,
  );
}
const mean = sum / seeds;
console.log(`mean over ${seeds} seeds: ${pct(mean)} (trace ${pct(traceReuse)}, ${((mean - traceReuse) * 100).toFixed(1)} points)`);
