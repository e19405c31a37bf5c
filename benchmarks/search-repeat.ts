// Does a capacity search give the same frontier when it is run again? `agentload search` on the
// built-in engine, as a user runs it (the built CLI, a fresh engine per search, --restart between
// points so that no point inherits the last one's cache or queue), N times in a row; each
// frontier is held against the median of all of them. Goal (issue 13): within the search
// precision in at least 4 of 5 reruns, each search under 10 minutes.
//
// The workload: a coding agent's sessions (a shared 300-token scaffold, 6 turns of heavy-tailed
// fresh input, 16 output tokens, short bursty waits), released as Poisson arrivals at a request
// rate rho (the post's normalized rate), judged by TTFC p95 <= 500 ms and TBC p95 <= 60 ms.
//
// Run: npm run build && npx tsx benchmarks/search-repeat.ts [reruns=5] [precision=0.1]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const RERUNS = Number(process.argv[2] ?? 5);
const PRECISION = Number(process.argv[3] ?? 0.1);
if (!(Number.isInteger(RERUNS) && RERUNS >= 2)) throw new Error(`reruns: expected a whole number >= 2, got ${process.argv[2]}`);
if (!(PRECISION > 0 && PRECISION < 1)) throw new Error(`precision: expected a fraction in (0, 1), got ${process.argv[3]}`);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "cli", "main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const SPEC = `name: search-repeat
seed: 11
sessions: 40
agents:
  - name: coder
    scaffold: { systemTokens: 300, toolTokens: 200 }
    turns: 6
    freshInput: { type: lognormal, mu: 4.2, sigma: 0.8, max: 600 }
    output: 16
    waitMs: { type: spike_tail, spikeProbability: 0.8, spike: { type: exponential, mean: 20 }, tail: { type: exponential, mean: 300 } }
request: { ignoreEos: true }
slo:
  ttfc: { p95: 500ms }
  tbc: { p95: 60ms }
`;

interface SearchJson {
  frontier: number | null;
  firstFailing: number | null;
  binding: string | null;
  stopped: string;
  points: unknown[];
}

function runSearch(spec: string, out: string): Promise<{ code: number | null; ms: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "search", spec, "--over", "rho", "--start", "4", "--precision", String(PRECISION), "--restart", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, ms: performance.now() - t0, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "agentload-search-repeat-"));
const spec = join(dir, "search-repeat.yaml");
writeFileSync(spec, SPEC);
const results: { frontier: number | null; firstFailing: number | null; binding: string | null; points: number; ms: number }[] = [];
for (let i = 1; i <= RERUNS; i++) {
  const out = join(dir, `search-${i}`);
  const r = await runSearch(spec, out);
  const folder = existsSync(out) ? readdirSync(out).find((d) => d.startsWith("search-")) : undefined;
  if (!folder || (r.code !== 0 && r.code !== 1)) {
    console.log(`search ${i}: exit ${r.code}\n${r.stderr.split("\n").slice(-8).join("\n")}`);
    results.push({ frontier: null, firstFailing: null, binding: null, points: 0, ms: r.ms });
    continue;
  }
  const s = JSON.parse(readFileSync(join(out, folder, "search.json"), "utf8")) as SearchJson;
  results.push({ frontier: s.frontier, firstFailing: s.firstFailing, binding: s.binding, points: s.points.length, ms: r.ms });
  console.log(`search ${i}: frontier rho ${s.frontier?.toFixed(2) ?? "none"}, first failing ${s.firstFailing?.toFixed(2) ?? "none"}, binding ${s.binding ?? "-"}, ${s.points.length} points, ${(r.ms / 1000).toFixed(0)} s (stopped: ${s.stopped})`);
}
const found = results.map((r) => r.frontier).filter((f): f is number => f !== null).sort((a, b) => a - b);
const median = found.length > 0 ? found[Math.floor((found.length - 1) / 2)]! : null;
const within = median === null ? 0 : found.filter((f) => Math.abs(f / median - 1) <= PRECISION).length;
const longest = Math.max(...results.map((r) => r.ms));
console.log("");
console.log(`frontiers: ${found.map((f) => f.toFixed(2)).join(", ") || "none"}; median ${median?.toFixed(2) ?? "none"}; spread x${found.length > 1 ? (found.at(-1)! / found[0]!).toFixed(3) : "-"}`);
console.log(`within ${(PRECISION * 100).toFixed(0)}% of the median: ${within} of ${RERUNS} (goal: at least ${Math.ceil(0.8 * RERUNS)}); longest search ${(longest / 60_000).toFixed(1)} min (goal: under 10)`);
console.log(`folders: ${dir}`);
