// How many sequential pairs should a baseline comparison allow before it gives up as
// inconclusive? Reads the log of `npm run bench:regression` (each verdict's line lists its pairs'
// TTFC / TPOT / E2E p50 ratios), pools each condition's pairs and replays verdicts drawn from
// them through toMatchBaseline's own stopping rule (pairsDecided, judgeAgainstBaseline's outcome:
// a look from `min` on stops when some percentile is beyond the minimum effect or every one is
// settled within it), for several pair limits. It judges the three p50s only (the log holds no
// other percentile), so it understates how often the fixture's p90s keep a verdict open.
//
// Measured on the log of a 20-verdict bench with max 20 (184 unchanged pairs, 2,000 drawn verdicts
// per limit): undecided at max 20: 2.2%, 30: 0.3%, 40: 0.0%; mean pairs 8.4, 8.4, 8.3; slowdowns
// (100 and 117 pairs) all caught at every limit in 5.1 and 5.9 pairs. The bench then found 1 of
// 20 unchanged verdicts undecided at max 20, judged on p90s too. Its default became 5-40
// (benchmarks/regression.ts).
//
// Run: npx tsx benchmarks/pair-limit.ts bench.log [limits=20,30,40] [min=5] [verdicts=2000]
import { readFileSync } from "node:fs";
import { compareRepeats, type RepeatStats } from "../src/metrics/compare-repeats.js";
import { rngFor } from "../src/stats/random.js";
import { pairsDecided } from "../src/vitest/baseline-compare.js";

const [file, limitsArg = "20,30,40", minArg = "5", verdictsArg = "2000"] = process.argv.slice(2);
if (!file) throw new Error("usage: npx tsx benchmarks/pair-limit.ts <bench:regression log> [limits=20,30,40] [min=5] [verdicts=2000]");
const limits = limitsArg.split(",").map(Number);
const MIN = Number(minArg);
const VERDICTS = Number(verdictsArg);
const METRICS = ["ttfc", "tpot", "e2e"] as const;
const options = { metrics: [...METRICS], percentiles: { ttfc: [50], tpot: [50], e2e: [50] }, minEffect: 0.1 };

/** Each condition's pairs, as [ttfc, tpot, e2e] p50 ratios (new over baseline). */
const pools = new Map<string, number[][]>();
for (const line of readFileSync(file, "utf8").split("\n")) {
  const m = /^(unchanged|slowed [\d.]+x)[^:]*: .*ratios: (.*)$/.exec(line);
  if (!m) continue;
  const pool = pools.get(m[1]!) ?? [];
  for (const pair of m[2]!.trim().split(/\s+/)) pool.push(pair.split("/").map(Number));
  pools.set(m[1]!, pool);
}
if (pools.size === 0) throw new Error(`${file}: no verdict lines with pair ratios (is it the output of npm run bench:regression?)`);

/** One run's statistics with every percentile at `value` (only p50 is judged). */
const run = (values: readonly number[]): RepeatStats =>
  Object.fromEntries(METRICS.map((m, i) => [m, { count: 50, mean: values[i]!, min: values[i]!, p50: values[i]!, p90: values[i]!, p95: values[i]!, p99: values[i]!, max: values[i]! }]));
const ONE = run([1, 1, 1]);

for (const [condition, pool] of pools) {
  for (const max of limits) {
    const rng = rngFor("pair-limit", `${condition}/${max}`);
    let regressed = 0;
    let undecided = 0;
    let pairsRun = 0;
    for (let v = 0; v < VERDICTS; v++) {
      const base: RepeatStats[] = [];
      const next: RepeatStats[] = [];
      let decided = false;
      for (let n = 1; n <= max; n++) {
        base.push(ONE);
        next.push(run(pool[Math.floor(rng.next() * pool.length)]!));
        if (n < MIN && n < max) continue;
        decided = pairsDecided(base, next, options);
        if (decided || n === max) {
          pairsRun += n;
          break;
        }
      }
      // The outcome judgeAgainstBaseline gives the last look: a failing percentile, else undecided or matched.
      if (compareRepeats(base, next, { ...options, paired: true }).comparisons.some((c) => !c.pass)) regressed++;
      else if (!decided) undecided++;
    }
    const pct = (k: number) => `${((100 * k) / VERDICTS).toFixed(1)}%`;
    console.log(`${condition.padEnd(13)} max ${String(max).padStart(2)}: regressed ${pct(regressed).padStart(6)}  inconclusive ${pct(undecided).padStart(6)}  mean pairs ${(pairsRun / VERDICTS).toFixed(1)}  (${pool.length} pairs pooled)`);
  }
}
