// A trace's requests timed by a fixed service model instead of a server: each request is sent
// wait_after_ready after its last parent ends and takes a time that depends only on its prompt
// and output sizes, with no queueing (as many servers as requests). Two workloads timed by the
// same model can be compared on concurrency (peak requests in flight) without either's server:
// a trace against the workload fitted to it, whose graph has no timestamps.
import { indexTrace } from "./sessions.js";
import type { Trace, TraceRequest } from "./types.js";

export interface ServiceModel {
  /** Milliseconds every request takes before its first token. */
  fixedMs: number;
  /** Milliseconds per prompt token (prefill). */
  perPromptTokenMs: number;
  /** Milliseconds per output token (decode). */
  perOutputTokenMs: number;
}

/**
 * The model the fit round-trip benchmark times both sides with: 50 ms, 0.02 ms a prompt token
 * (50k tokens a second of prefill) and 20 ms an output token (50 tokens a second of decode).
 */
export const DEFAULT_SERVICE_MODEL: ServiceModel = { fixedMs: 50, perPromptTokenMs: 0.02, perOutputTokenMs: 20 };

export function serviceMs(r: TraceRequest, model: ServiceModel): number {
  const prompt = r.promptTokens ?? r.freshInputTokens;
  return model.fixedMs + model.perPromptTokenMs * prompt + model.perOutputTokenMs * r.outputTokens;
}

/**
 * A copy of the trace whose requests carry modelled dispatch and response times: a request with
 * no parents is sent when its session arrives (`arrivalMs`, else at 0), any other its wait after
 * the last parent ends (0 when the trace has none). Requests must be in topological order, as
 * every reader gives them.
 */
export function timedByModel(trace: Trace, model: ServiceModel = DEFAULT_SERVICE_MODEL, arrivalMs?: (r: TraceRequest) => number): Trace {
  const { index } = indexTrace(trace);
  const ends = new Float64Array(trace.requests.length);
  const requests = trace.requests.map((r, i) => {
    let ready = r.parents.length === 0 ? (arrivalMs?.(r) ?? 0) : 0;
    for (const e of r.parents) ready = Math.max(ready, ends[index.get(e.from)!]!);
    const dispatchedMs = ready + (r.parents.length > 0 ? (r.waitAfterReadyMs ?? 0) : 0);
    const respondedMs = dispatchedMs + serviceMs(r, model);
    ends[i] = respondedMs;
    return { ...r, dispatchedMs, respondedMs };
  });
  return { ...trace, requests };
}
