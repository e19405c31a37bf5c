// Waits until a server has no requests in flight, read from its Prometheus /metrics gauges.
// A workload file starts only then: requests a previous file left decoding (a timed-out stream
// the server is still generating) would otherwise slow this file's first requests and show up
// as its regression. A server without these gauges cannot tell; it counts as idle.
import { scrapeServerMetrics } from "../run/server-metrics.js";
import type { PrometheusScrape } from "../metrics/prometheus.js";

/** Requests running or queued, per server kind (llama.cpp, vLLM, SGLang). */
const BUSY_GAUGES = [
  "llamacpp:requests_processing",
  "llamacpp:requests_deferred",
  "vllm:num_requests_running",
  "vllm:num_requests_waiting",
  "sglang:num_running_reqs",
  "sglang:num_queue_reqs",
];

/** Requests in flight by the known gauges; null when the scrape has none of them. */
export function busyRequests(scrape: PrometheusScrape): number | null {
  let found = false;
  let busy = 0;
  for (const name of BUSY_GAUGES) {
    const value = scrape.get(name);
    if (value === undefined || Number.isNaN(value)) continue;
    found = true;
    busy += value;
  }
  return found ? busy : null;
}

export interface IdleResult {
  /** False when the timeout passed with requests still in flight. */
  idle: boolean;
  /** Requests in flight at the last look; null when the server does not say. */
  busy: number | null;
  waitedMs: number;
}

export async function waitForIdle(
  serverRoot: string,
  opts: { timeoutMs?: number; intervalMs?: number; headers?: Record<string, string> } = {},
): Promise<IdleResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 200;
  const t0 = performance.now();
  for (;;) {
    const snapshot = await scrapeServerMetrics(serverRoot, opts.headers);
    const busy = snapshot ? busyRequests(snapshot.values) : null;
    const waitedMs = performance.now() - t0;
    if (busy === null || busy === 0) return { idle: true, busy, waitedMs };
    if (waitedMs >= timeoutMs) return { idle: false, busy, waitedMs };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
