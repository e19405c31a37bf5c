import { describe, expect, it } from "vitest";
import { parsePrometheus, sumSeries } from "../../../src/metrics/prometheus.js";
import { serverCacheHitRate } from "../../../src/metrics/server-cache.js";

// Shaped like llama-server's /metrics (tools/server: counters, then gauges, then a labelled counter).
function llamaCpp(promptTokens: number, cached?: number): string {
  return [
    "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed, excluding cached tokens",
    "# TYPE llamacpp:prompt_tokens_total counter",
    `llamacpp:prompt_tokens_total ${promptTokens}`,
    ...(cached === undefined
      ? []
      : [
          "# HELP llamacpp:prompt_tokens_cached_total Number of prompt tokens reused from the cache",
          "# TYPE llamacpp:prompt_tokens_cached_total counter",
          `llamacpp:prompt_tokens_cached_total ${cached}`,
        ]),
    "# HELP llamacpp:prompt_seconds_total Total time spent processing prompts",
    "# TYPE llamacpp:prompt_seconds_total counter",
    "llamacpp:prompt_seconds_total 1.234",
    "# TYPE llamacpp:tokens_predicted_total counter",
    "llamacpp:tokens_predicted_total 512",
    "# TYPE llamacpp:n_busy_slots_per_decode gauge",
    "llamacpp:n_busy_slots_per_decode 2.5",
    "# TYPE llamacpp:spec_decode_num_accepted_tokens_per_pos_total counter",
    'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="0"} 7',
    'llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="1"} 3',
    "",
  ].join("\n");
}

// Shaped like vLLM V1 (0.10) /metrics: labelled by model and engine, with the new and the
// deprecated prefix-cache counter names side by side, histograms and _created samples.
function vllm(hits: number, queries: number, deprecated = { hits: 1, queries: 1 }): string {
  const labels = 'engine="0",model_name="Qwen/Qwen3-0.6B"';
  return `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{${labels}} 3.0
vllm:num_requests_running{engine="1",model_name="Qwen/Qwen3-0.6B"} 2.0
# HELP vllm:gpu_prefix_cache_queries_total (Deprecated) GPU prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:gpu_prefix_cache_queries_total counter
vllm:gpu_prefix_cache_queries_total{${labels}} ${deprecated.queries}
vllm:gpu_prefix_cache_hits_total{${labels}} ${deprecated.hits}
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{${labels}} ${queries}
vllm:prefix_cache_queries_created{${labels}} 1.7600000e+09
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{${labels}} ${hits}
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{${labels},le="0.001"} 0.0
vllm:time_to_first_token_seconds_bucket{${labels},le="+Inf"} 9.0
vllm:time_to_first_token_seconds_sum{${labels}} 0.2016
vllm:time_to_first_token_seconds_count{${labels}} 9.0
`;
}

// Shaped like SGLang's /metrics (tokenizer and scheduler collectors).
function sglang(opts: { cached?: number; prompt?: number; realtime?: [number, number]; gauge?: number }): string {
  const l = 'model_name="meta-llama/Llama-3.1-8B-Instruct"';
  const lines = ["# HELP sglang:generation_tokens_total Number of generation tokens processed.", `sglang:generation_tokens_total{${l}} 7.557572e+06`];
  if (opts.prompt !== undefined) lines.push("# TYPE sglang:prompt_tokens_total counter", `sglang:prompt_tokens_total{${l}} ${opts.prompt}`);
  if (opts.cached !== undefined) lines.push("# TYPE sglang:cached_tokens_total counter", `sglang:cached_tokens_total{${l}} ${opts.cached}`);
  if (opts.realtime) {
    lines.push(
      "# TYPE sglang:realtime_tokens_total counter",
      `sglang:realtime_tokens_total{${l},mode="prefill_compute"} ${opts.realtime[0]}`,
      `sglang:realtime_tokens_total{${l},mode="prefill_cache"} ${opts.realtime[1]}`,
      `sglang:realtime_tokens_total{${l},mode="decode"} 999999`,
    );
  }
  if (opts.gauge !== undefined) {
    lines.push("# HELP sglang:cache_hit_rate The prefix cache hit rate.", "# TYPE sglang:cache_hit_rate gauge", `sglang:cache_hit_rate{${l}} ${opts.gauge}`);
  }
  return lines.join("\n") + "\n";
}

describe("parsePrometheus", () => {
  it("reads unlabelled samples and skips comments", () => {
    const m = parsePrometheus(llamaCpp(1234, 800));
    expect(m.get("llamacpp:prompt_tokens_total")).toBe(1234);
    expect(m.get("llamacpp:prompt_tokens_cached_total")).toBe(800);
    expect(m.get("llamacpp:prompt_seconds_total")).toBe(1.234);
    expect(m.get("llamacpp:n_busy_slots_per_decode")).toBe(2.5);
    expect([...m.keys()].some((k) => k.startsWith("#"))).toBe(false);
  });

  it("sums a name over its label sets and keeps each labelled series", () => {
    const m = parsePrometheus(vllm(40, 100));
    expect(m.get("vllm:num_requests_running")).toBe(5);
    expect(m.get('vllm:num_requests_running{engine="1",model_name="Qwen/Qwen3-0.6B"}')).toBe(2);
    expect(m.get("vllm:prefix_cache_hits_total")).toBe(40);
    expect(m.get("vllm:prefix_cache_queries_created")).toBe(1.76e9);
    expect(m.get('vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen3-0.6B"}')).toBe(9);
    expect(m.get("llamacpp:spec_decode_num_accepted_tokens_per_pos_total")).toBeUndefined();
    const l = parsePrometheus(llamaCpp(1, 1));
    expect(l.get("llamacpp:spec_decode_num_accepted_tokens_per_pos_total")).toBe(10);
    expect(l.get('llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="1"}')).toBe(3);
  });

  it("picks series by labels with sumSeries", () => {
    const m = parsePrometheus(sglang({ realtime: [300, 700] }));
    expect(sumSeries(m, "sglang:realtime_tokens_total", { mode: "prefill_cache" })).toBe(700);
    expect(sumSeries(m, "sglang:realtime_tokens_total", { mode: "prefill_compute" })).toBe(300);
    expect(sumSeries(m, "sglang:realtime_tokens_total")).toBe(1_000_999);
    expect(sumSeries(m, "sglang:realtime_tokens_total", { mode: "nope" })).toBeUndefined();
    expect(m.get("sglang:generation_tokens_total")).toBe(7_557_572);
  });

  it("handles escaped label values, special values, timestamps and junk lines", () => {
    const m = parsePrometheus(
      [
        'x_total{model="a \\"quoted\\" name, with comma",path="C:\\\\m"} 3 1700000000000',
        'x_total{model="b"} 4',
        "up NaN",
        "big +Inf",
        "small -Inf",
        "   ",
        "not a sample line",
        "broken{model=\"x\" 1",
        "novalue",
        "# EOF",
      ].join("\n"),
    );
    expect(m.get("x_total")).toBe(7);
    expect(m.get('x_total{model="a \\"quoted\\" name, with comma",path="C:\\\\m"}')).toBe(3);
    expect(sumSeries(m, "x_total", { model: 'a "quoted" name, with comma' })).toBe(3);
    expect(sumSeries(m, "x_total", { path: "C:\\m" })).toBe(3);
    expect(m.get("up")).toBeUndefined(); // NaN is not summed
    expect(m.get("big")).toBe(Infinity);
    expect(m.get("small")).toBe(-Infinity);
    expect(m.has("not")).toBe(false);
    expect(m.has("broken")).toBe(false);
    expect(m.has("novalue")).toBe(false);
  });

  it("accepts Windows line endings", () => {
    expect(parsePrometheus("a 1\r\nb 2\r\n").get("b")).toBe(2);
  });
});

describe("serverCacheHitRate", () => {
  it("uses vLLM's prefix-cache counters, preferring the current names", () => {
    const r = serverCacheHitRate(parsePrometheus(vllm(100, 400)), parsePrometheus(vllm(1000, 1600, { hits: 5, queries: 9 })));
    expect(r).toEqual({
      engine: "vllm",
      source: "vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total",
      kind: "counters",
      hits: 900,
      queries: 1200,
      rate: 0.75,
    });
  });

  it("falls back to vLLM's deprecated gpu_ names", () => {
    const text = (h: number, q: number) => `vllm:gpu_prefix_cache_queries_total{model_name="m"} ${q}\nvllm:gpu_prefix_cache_hits_total{model_name="m"} ${h}\n`;
    expect(serverCacheHitRate(parsePrometheus(text(0, 0)), parsePrometheus(text(30, 120)))).toMatchObject({ engine: "vllm", rate: 0.25 });
  });

  it("adds llama.cpp's cached tokens to its computed prompt tokens", () => {
    const r = serverCacheHitRate(parsePrometheus(llamaCpp(100, 0)), parsePrometheus(llamaCpp(600, 1500)));
    expect(r).toMatchObject({ engine: "llama.cpp", kind: "counters", hits: 1500, queries: 2000, rate: 0.75 });
  });

  it("is null for a llama.cpp without the cached-token counter", () => {
    expect(serverCacheHitRate(parsePrometheus(llamaCpp(100)), parsePrometheus(llamaCpp(600)))).toBeNull();
  });

  it("uses SGLang's cached and prompt token counters", () => {
    const r = serverCacheHitRate(
      parsePrometheus(sglang({ cached: 10, prompt: 100, gauge: 0.9 })),
      parsePrometheus(sglang({ cached: 410, prompt: 600, gauge: 0.9 })),
    );
    expect(r).toMatchObject({ engine: "sglang", source: "sglang:cached_tokens_total / sglang:prompt_tokens_total", hits: 400, queries: 500, rate: 0.8 });
  });

  it("uses SGLang's per-mode token counter when that is all there is", () => {
    const r = serverCacheHitRate(parsePrometheus(sglang({ realtime: [100, 0] })), parsePrometheus(sglang({ realtime: [400, 900] })));
    expect(r).toMatchObject({ engine: "sglang", hits: 900, queries: 1200, rate: 0.75 });
    expect(r!.source).toContain('mode="prefill_cache"');
  });

  it("falls back to SGLang's hit-rate gauge, marked as such", () => {
    const r = serverCacheHitRate(undefined, parsePrometheus(sglang({ gauge: 0.42 })));
    expect(r).toEqual({ engine: "sglang", source: "sglang:cache_hit_rate", kind: "gauge", hits: null, queries: null, rate: 0.42 });
  });

  it("counts from server start without a before-scrape", () => {
    expect(serverCacheHitRate(undefined, parsePrometheus(llamaCpp(50, 150)))).toMatchObject({ hits: 150, queries: 200, rate: 0.75 });
  });

  it("is null after a counter reset, with no queries, or with nothing known", () => {
    expect(serverCacheHitRate(parsePrometheus(vllm(500, 900)), parsePrometheus(vllm(10, 20)))).toBeNull();
    expect(serverCacheHitRate(parsePrometheus(vllm(5, 9)), parsePrometheus(vllm(5, 9)))).toBeNull();
    expect(serverCacheHitRate(undefined, parsePrometheus("process_cpu_seconds_total 1\n"))).toBeNull();
  });
});
