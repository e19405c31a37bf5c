// One CSV row per request: identity, timing on the run's clock, the per-request values of every
// latency metric of the catalogue, token counts and the error, for spreadsheets and pandas.
import { catalogueOfSummary } from "../metrics/catalogue.js";
import { requestMetrics } from "../metrics/request-metrics.js";
import type { RequestRecord } from "../records/types.js";
import type { Reporter } from "./types.js";

/** RFC 4180: quoted when it holds a comma, quote or line break. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "number" ? String(Math.round(value * 1000) / 1000) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const FIXED: [string, (r: RequestRecord) => unknown][] = [
  ["session", (r) => r.sessionId],
  ["node", (r) => r.nodeId],
  ["kind", (r) => r.kind ?? "turn"],
  ["agent", (r) => r.agent],
  ["warmup", (r) => (r.warmup ? 1 : 0)],
  ["planned_ms", (r) => r.plannedAt],
  ["dispatched_ms", (r) => r.dispatchedAt],
  ["done_ms", (r) => r.doneAt],
  ["expected_prompt_tokens", (r) => r.expectedPromptTokens],
  ["prompt_tokens", (r) => r.promptTokens],
  ["cached_tokens", (r) => r.cachedTokens],
  ["completion_tokens", (r) => r.completionTokens],
  ["error_kind", (r) => r.error?.kind],
  ["error_status", (r) => r.error?.status],
  ["error", (r) => r.error?.message],
];

export const csvReporter: Reporter = {
  name: "csv",
  description: "one row per request: timing, every per-request latency metric, tokens, errors",
  needsRecords: true,
  render: (run, options = {}) => {
    const catalogue = options.catalogue ?? catalogueOfSummary(run.summary);
    // A column per per-request latency metric: its per-request value (TBC: the request's mean gap).
    const latency = catalogue.latency().filter((d) => d.scope === "request" && d.values);
    const lines = [[...FIXED.map(([h]) => h), ...latency.map((d) => `${d.name}_ms`)].join(",")];
    for (const r of run.records ?? []) {
      const m = requestMetrics(r);
      const values = latency.map((d) => {
        const v = d.perRequest ? d.perRequest(m, r) : d.values!(m, r);
        return typeof v === "number" ? v : undefined;
      });
      lines.push([...FIXED.map(([, f]) => cell(f(r))), ...values.map(cell)].join(","));
    }
    return `${lines.join("\n")}\n`;
  },
};
