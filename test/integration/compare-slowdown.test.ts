// `agentload compare` of real runs against a known, injected slowdown: the built-in engine behind
// a proxy that holds each reply's first token until 2x the time it took (support/slow-proxy.ts),
// and logs each hold. Six interleaved pairs of runs (A through the proxy at 1x, B at 2x; one
// session at a time, so the engine sees the same requests either way) are compared as the README
// says to compare runs of one machine: --paired (99% intervals, a 10% minimum effect). The true change of a TTFC percentile is known
// from B's own records: the percentile of its TTFCs over the percentile of its TTFCs less their
// holds (a little under 2x: the few ms the client and proxy spend outside the proxy's clock are
// not multiplied). The intervals must contain it, and the verdict be "changed".
// Why 2x and six pairs: the engine's speed moves 15-25% from one 20 s run to the next, so the
// pairs' log ratios spread with a standard deviation of about 0.18 (measured: 1.5x runs gave
// pairs of 1.17, 1.71, 1.67, 1.67 on a quiet machine). With 1.5x and four pairs the 99% interval
// (Student's t, 3 degrees of freedom: 5.84) reached below +10% and CI judged it "matched" twice;
// with 2x and six pairs (t 4.03) its low end stays near +40% at that spread, and the spread
// must nearly double before it reaches +10%.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startSlowProxy, type SlowProxy } from "../support/slow-proxy.js";

const built = existsSync("dist/cli/main.js");
const engine = inject("engine");
const FACTOR = 2;
const PAIRS = 6;
const PERCENTILES = [50, 90] as const;

/** Nearest-rank percentile, as the summaries take it. */
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;

interface Comparison {
  label: string;
  ratio: number;
  low: number;
  high: number;
  change: string;
}

describe.skipIf(!built)(built ? "compare: a known slowdown on the real engine" : "compare: a known slowdown (skipped: dist/ not built; run npm run build)", () => {
  let proxy: SlowProxy;
  beforeAll(async () => {
    proxy = await startSlowProxy(engine.baseUrl);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`judges a known TTFC slowdown (first tokens held to ${FACTOR}x) changed, with intervals that contain the true change`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-compare-slowdown-"));
    const spec = join(dir, "agent.yaml");
    // Prompts of 800 to 4,000 tokens: a TTFC of hundreds of ms, beside which the few ms the client
    // and the proxy add outside the held time (not multiplied) are a percent or two of the change.
    writeFileSync(spec, "name: slowdown\nseed: 4\nsessions: 10\nagents: [{ name: coder, turns: 5, freshInput: 800, output: 6 }]\ntraffic: { mode: concurrent, concurrency: 1 }\n");
    const folders: Record<"a" | "b", string[]> = { a: [], b: [] };
    /** Per B run and percentile: its TTFC percentile over that of its TTFCs less their holds. */
    const trueRatios: Record<number, number[]> = { 50: [], 90: [] };
    const run = async (side: "a" | "b", i: number) => {
      proxy.factor = side === "a" ? 1 : FACTOR;
      proxy.holds = [];
      const out = join(dir, `${side}${i}`);
      const r = await runCli(["run", spec, "--url", `${proxy.baseUrl}/v1`, "--out", out]);
      expect(r.code, r.stderr).toBe(0);
      const folder = join(out, readdirSync(out)[0]!);
      folders[side].push(folder);
      if (side === "a") return;
      // One request at a time: the records in dispatch order are the proxy's requests in order.
      const records = readFileSync(join(folder, "records.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { dispatchedAt: number; firstTokenAt?: number; warmup?: boolean })
        .filter((rec) => !rec.warmup)
        .sort((x, y) => x.dispatchedAt - y.dispatchedAt);
      expect(proxy.holds).toHaveLength(records.length);
      const ttfc = records.map((rec) => rec.firstTokenAt! - rec.dispatchedAt);
      const unheld = ttfc.map((t, k) => t - proxy.holds[k]!);
      for (const p of PERCENTILES) trueRatios[p]!.push(percentile(ttfc, p) / percentile(unheld, p));
    };
    // Interleaved, the order alternating: the machine's drift falls on both sides alike.
    for (let i = 0; i < PAIRS; i++) for (const side of i % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const)) await run(side, i);

    const r = await runCli(["compare", folders.a.join(","), folders.b.join(","), "--paired", "--metrics", "ttfc", "--percentiles", "50,90", "--min-effect", "0.1", "--confidence", "0.99", "--json"]);
    const result = JSON.parse(r.stdout) as { outcome: string; basis: string; comparisons: Comparison[]; lines: string[] };
    expect(r.code, result.lines.join("\n")).toBe(1);
    expect(result.outcome).toBe("changed");
    expect(result.basis).toBe("interleaved pairs of runs");
    expect(result.comparisons.map((c) => c.label)).toEqual(["ttfc p50", "ttfc p90"]);
    for (const [k, c] of result.comparisons.entries()) {
      // The runs' ratios averaged as the paired interval averages them: geometrically.
      const ratios = trueRatios[PERCENTILES[k]!]!;
      const truth = Math.exp(ratios.reduce((sum, x) => sum + Math.log(x), 0) / ratios.length);
      const why = `${c.label}: true ${truth.toFixed(3)}x\n${result.lines.join("\n")}`;
      expect(truth, why).toBeGreaterThan(1 + 0.8 * (FACTOR - 1));
      expect(c.low, why).toBeLessThanOrEqual(truth);
      expect(c.high, why).toBeGreaterThanOrEqual(truth);
    }
    // "changed": a percentile's whole interval lies beyond the 10% minimum effect (99% intervals: a
    // 95% one misses a true value one time in twenty, per percentile, by design).
    expect(result.comparisons.some((c) => c.change === "slower"), result.lines.join("\n")).toBe(true);
  }, 900_000);
});
