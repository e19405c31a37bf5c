// Scrapes a server's Prometheus /metrics before and after a run. A server without the endpoint
// (or one that refuses it) gives null: the run goes on without server-side counters.
import { parsePrometheus, type PrometheusScrape } from "../metrics/prometheus.js";

export interface ServerMetricsSnapshot {
  text: string;
  values: PrometheusScrape;
}

export async function scrapeServerMetrics(serverRoot: string, headers?: Record<string, string>): Promise<ServerMetricsSnapshot | null> {
  try {
    const res = await fetch(`${serverRoot}/metrics`, { signal: AbortSignal.timeout(5000), ...(headers ? { headers } : {}) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    return { text, values: parsePrometheus(text) };
  } catch {
    return null;
  }
}
