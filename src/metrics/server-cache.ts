// The server's prefix-cache hit rate over a run, from its /metrics counters scraped before and
// after: hits and queries are token counts, so rate = Δhits / Δqueries. Engines name their
// counters differently, and llama.cpp counts cached and computed prompt tokens apart.
import { sumSeries, type PrometheusScrape } from "./prometheus.js";

export interface ServerCacheHitRate {
  engine: "vllm" | "sglang" | "llama.cpp";
  /** The series used, e.g. "vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total". */
  source: string;
  /**
   * "counters": the difference of cumulative counters over the run (the run's own hit rate).
   * "gauge": the engine's own recent-window hit rate read after the run, when it has no counters.
   */
  kind: "counters" | "gauge";
  /** Prompt tokens served from the cache during the run (null for a gauge). */
  hits: number | null;
  /** Prompt tokens looked up in the cache during the run (null for a gauge). */
  queries: number | null;
  rate: number;
}

interface Series {
  name: string;
  match?: Record<string, string>;
}

interface CounterSource {
  engine: ServerCacheHitRate["engine"];
  hits: Series;
  /** Counters whose sum is the number of queried tokens. */
  queries: Series[];
}

/** In order of preference; the first whose counters are present in the after-scrape wins. */
const COUNTER_SOURCES: CounterSource[] = [
  // vLLM V1 (0.10+).
  { engine: "vllm", hits: { name: "vllm:prefix_cache_hits_total" }, queries: [{ name: "vllm:prefix_cache_queries_total" }] },
  // vLLM V1 before the rename (deprecated names, still exported beside the new ones for a while).
  { engine: "vllm", hits: { name: "vllm:gpu_prefix_cache_hits_total" }, queries: [{ name: "vllm:gpu_prefix_cache_queries_total" }] },
  // llama.cpp: prompt_tokens_total excludes cached tokens, so queries = computed + cached.
  {
    engine: "llama.cpp",
    hits: { name: "llamacpp:prompt_tokens_cached_total" },
    queries: [{ name: "llamacpp:prompt_tokens_total" }, { name: "llamacpp:prompt_tokens_cached_total" }],
  },
  // SGLang: prompt_tokens_total counts whole prompts, cached ones included.
  { engine: "sglang", hits: { name: "sglang:cached_tokens_total" }, queries: [{ name: "sglang:prompt_tokens_total" }] },
  // SGLang scheduler's per-mode token counter.
  {
    engine: "sglang",
    hits: { name: "sglang:realtime_tokens_total", match: { mode: "prefill_cache" } },
    queries: [
      { name: "sglang:realtime_tokens_total", match: { mode: "prefill_cache" } },
      { name: "sglang:realtime_tokens_total", match: { mode: "prefill_compute" } },
    ],
  },
];

/** Engines' own hit-rate gauges, used only when no counters are there. */
const GAUGE_SOURCES: { engine: ServerCacheHitRate["engine"]; name: string }[] = [
  { engine: "sglang", name: "sglang:cache_hit_rate" },
  { engine: "vllm", name: "vllm:gpu_prefix_cache_hit_rate" }, // vLLM V0
];

/**
 * The prefix-cache hit rate between two scrapes, or null when the server exports nothing usable,
 * its counters went backwards (a restart), or no prompt tokens were looked up. Without a
 * before-scrape the counters are taken from server start.
 */
export function serverCacheHitRate(before: PrometheusScrape | undefined, after: PrometheusScrape): ServerCacheHitRate | null {
  for (const source of COUNTER_SOURCES) {
    const hitsAfter = read(after, source.hits);
    const queriesAfter = sum(after, source.queries);
    if (hitsAfter === undefined || queriesAfter === undefined) continue;
    const hits = hitsAfter - (before ? read(before, source.hits) ?? 0 : 0);
    const queries = queriesAfter - (before ? sum(before, source.queries) ?? 0 : 0);
    if (hits < 0 || queries < 0) return null;
    if (queries === 0) return null;
    return { engine: source.engine, source: describe(source), kind: "counters", hits, queries, rate: hits / queries };
  }
  for (const { engine, name } of GAUGE_SOURCES) {
    const rate = gaugeMean(after, name);
    if (rate !== undefined) return { engine, source: name, kind: "gauge", hits: null, queries: null, rate };
  }
  return null;
}

function read(scrape: PrometheusScrape, series: Series): number | undefined {
  return sumSeries(scrape, series.name, series.match);
}

function sum(scrape: PrometheusScrape, series: Series[]): number | undefined {
  let total = 0;
  for (const s of series) {
    const v = read(scrape, s);
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}

/** A gauge's value; the mean over its series when it has several (e.g. one per data-parallel rank). */
function gaugeMean(scrape: PrometheusScrape, name: string): number | undefined {
  let total = 0;
  let n = 0;
  for (const [key, value] of scrape) {
    if (key.startsWith(`${name}{`) && !Number.isNaN(value)) {
      total += value;
      n++;
    }
  }
  if (n > 0) return total / n;
  return scrape.get(name);
}

function describe(source: CounterSource): string {
  const show = (s: Series) =>
    s.match ? `${s.name}{${Object.entries(s.match).map(([k, v]) => `${k}="${v}"`).join(",")}}` : s.name;
  return `${show(source.hits)} / ${source.queries.map(show).join(" + ")}`;
}
