// The ideal prefix cache of a trace before any run: its requests in arrival order (session after
// session, each request after its predecessor ended) through the infinite cache and an LRU cache,
// beside the history-only reuse (`prefix.expectedReuse`). Not a test: it prints the figures and
// how long the simulation took.
//   npx tsx benchmarks/ideal-cache.ts <trace> [--block-size N] [--lru-blocks N] [--block-tokens N]
import { parseArgs } from "node:util";
import { cacheTotals, requestsInOrder, simulatePrefixCache } from "../src/metrics/ideal-cache.js";
import { readTrace } from "../src/traces/read.js";
import { traceWorkload } from "../src/traces/sessions.js";
import { addReuse, promptReuseRatio, sessionTokens } from "../src/workload/tokens.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { "block-size": { type: "string" }, "lru-blocks": { type: "string" }, "block-tokens": { type: "string" } } });
const path = positionals[0];
if (!path) throw new Error("usage: npx tsx benchmarks/ideal-cache.ts <trace> [--block-size N] [--lru-blocks N] [--block-tokens N]");
const trace = await readTrace(path, values["block-size"] ? { blockSize: Number(values["block-size"]) } : {});
const workload = traceWorkload(trace);
const sessions = [...workload.sessions].sort((a, b) => (a.arrivalMs ?? 0) - (b.arrivalMs ?? 0));
let history = { promptTokens: 0, sharedPrefixTokens: 0 };
for (const g of sessions) history = addReuse(history, sessionTokens(g, workload.scaffolds).values());
const requests = requestsInOrder(sessions, workload.scaffolds);
const lru = { blocks: Number(values["lru-blocks"] ?? 65_536), blockTokens: Number(values["block-tokens"] ?? 16) };
const started = performance.now();
const result = simulatePrefixCache(requests, { ttlMs: 300_000, lru });
const ms = performance.now() - started;
const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const infinite = cacheTotals(requests, result.infinite);
const lruTotals = cacheTotals(requests, result.lru!);
console.log(`${path}: ${sessions.length} sessions, ${requests.length} requests, ${infinite.promptTokens.toLocaleString("en-US")} prompt tokens`);
console.log(`  history-only reuse (expectedReuse)   ${pct(promptReuseRatio(history))}`);
console.log(`  infinite prefix cache                ${pct(infinite.hitRate)}   missed ${JSON.stringify(infinite.missed)}`);
console.log(`  LRU ${lru.blocks} blocks of ${lru.blockTokens}            ${pct(lruTotals.hitRate)}   missed ${JSON.stringify(lruTotals.missed)}`);
console.log(`  simulated in ${(ms / 1000).toFixed(1)} s`);
