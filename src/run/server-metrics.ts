// Scrapes a server's Prometheus /metrics before and after a run. A server without the endpoint
// (or one that refuses it) gives null: the run goes on without server-side counters.
import { parsePrometheus, type PrometheusScrape } from "../metrics/prometheus.js";
import type { RunFolder } from "../records/run-folder.js";

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

/** Scrapes the server and keeps the text in the run folder as server-metrics-<when>.txt. */
export async function saveServerMetrics(serverRoot: string, folder: RunFolder, when: "before" | "after", headers?: Record<string, string>): Promise<ServerMetricsSnapshot | null> {
  const snapshot = await scrapeServerMetrics(serverRoot, headers);
  if (snapshot) folder.writeText(`server-metrics-${when}.txt`, snapshot.text);
  return snapshot;
}
