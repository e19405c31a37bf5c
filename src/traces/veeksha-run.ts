// Veeksha's run outputs as traces (field names from Veeksha's trace_recorder.py and
// evaluator/performance/text.py):
// - traces/dispatch_trace.jsonl, one line per dispatched request: request_id, session_id,
//   session_size, dispatched_at (seconds from the benchmark start) and session_context {node_id,
//   parent_nodes, history_parent, wait_after_ready (seconds)}; with include_content also channels
//   and history. It holds the graph but no output sizes;
// - metrics/request_level_metrics.jsonl, one line per completed request: request_id, session_id,
//   scheduler_dispatched_at and client_completed_at (seconds from the first dispatch),
//   num_delta_prompt_tokens (what the request added), num_total_prompt_tokens (its whole prompt,
//   as the client counted), target_num_delta_prompt_tokens, num_output_tokens,
//   num_requested_output_tokens, ttfc, tbc... It holds sizes and times but no graph.
// Read together (joined by request_id) they are the run's DAG with its measured times, what
// Veeksha's own timed_synthetic_session replays. Read alone, the metrics give each session as a
// chain in dispatch order. A dispatched request without a metrics row (failed or cancelled: Veeksha
// writes rows for completed requests) cannot be sized: it is left out, with the requests after it.
import { jsonLines } from "./jsonl.js";
import { orderedRequests } from "./order.js";
import type { Trace, TraceEdge, TraceRequest } from "./types.js";
import { asCount, asObject, isObject, optionalCountAt, optionalNonNegativeAt, TraceError, type JsonObject, type Where } from "./where.js";

export function looksLikeVeekshaDispatchTrace(first: unknown): boolean {
  return isObject(first) && "request_id" in first && "dispatched_at" in first && isObject(first.session_context);
}

export function looksLikeVeekshaRequestMetrics(first: unknown): boolean {
  return isObject(first) && "request_id" in first && "scheduler_dispatched_at" in first && "num_output_tokens" in first;
}

interface MetricsRow {
  requestId: number;
  session: string;
  line: number;
  dispatchedMs: number;
  respondedMs: number;
  fresh: number;
  prompt?: number;
  output: number;
}

function sessionOf(data: JsonObject, where: Where): string {
  const value = data.session_id;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value === "string" && value !== "") return value;
  return where.at("session_id").expected("a session id (an integer or a string)", value);
}

function secondsAt(data: JsonObject, key: string, where: Where): number {
  const value = optionalNonNegativeAt(data, key, where);
  if (value === undefined) return where.at(key).expected("a time in seconds >= 0", data[key]);
  return value * 1000;
}

function metricsRows(text: string, file: string): MetricsRow[] {
  const rows: MetricsRow[] = [];
  const seen = new Map<number, number>();
  for (const { value, where, line } of jsonLines(text, file)) {
    const data = asObject(value, where);
    const requestId = asCount(data.request_id, where.at("request_id"));
    if (seen.has(requestId)) where.at("request_id").fail(`request ${requestId} has a row on line ${seen.get(requestId)} too`);
    seen.set(requestId, line);
    // What the run asked for, else what it measured (a row from an older Veeksha may lack the targets).
    const fresh = optionalCountAt(data, "target_num_delta_prompt_tokens", where) ?? optionalCountAt(data, "num_delta_prompt_tokens", where);
    if (fresh === undefined) where.at("num_delta_prompt_tokens").expected("a whole number >= 0", data.num_delta_prompt_tokens);
    const output = optionalCountAt(data, "num_requested_output_tokens", where) ?? optionalCountAt(data, "num_output_tokens", where);
    if (output === undefined) where.at("num_output_tokens").expected("a whole number >= 0", data.num_output_tokens);
    const row: MetricsRow = {
      requestId,
      session: sessionOf(data, where),
      line,
      dispatchedMs: secondsAt(data, "scheduler_dispatched_at", where),
      respondedMs: secondsAt(data, "client_completed_at", where),
      fresh: fresh!,
      output: output!,
    };
    const prompt = optionalCountAt(data, "num_total_prompt_tokens", where);
    if (prompt !== undefined) row.prompt = prompt;
    rows.push(row);
  }
  if (rows.length === 0) throw new TraceError(`${file}: the run recorded no completed requests`);
  return rows;
}

function requestOf(row: MetricsRow, id: string): TraceRequest {
  const request: TraceRequest = {
    id,
    conversation: row.session,
    parents: [],
    historyParent: null,
    freshInputTokens: row.fresh,
    outputTokens: row.output,
    dispatchedMs: row.dispatchedMs,
    respondedMs: row.respondedMs,
  };
  if (row.prompt !== undefined) request.promptTokens = row.prompt;
  return request;
}

/** request_level_metrics.jsonl alone: each session a chain in dispatch order (the file has no graph). */
export function parseVeekshaRequestMetrics(text: string, file: string): Trace {
  const rows = metricsRows(text, file);
  const bySession = new Map<string, MetricsRow[]>();
  for (const row of rows) {
    const group = bySession.get(row.session);
    if (group) group.push(row);
    else bySession.set(row.session, [row]);
  }
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  for (const group of bySession.values()) {
    group.sort((a, b) => a.dispatchedMs - b.dispatchedMs || a.requestId - b.requestId);
    let previous: TraceRequest | undefined;
    for (const row of group) {
      const request = requestOf(row, `${row.session}:${row.requestId}`);
      if (previous) {
        request.parents = [{ from: previous.id, type: "sequential" }];
        request.historyParent = previous.id;
      }
      requests.push(request);
      lines.push(row.line);
      previous = request;
    }
  }
  return { format: "veeksha-request-metrics", source: file, requests: orderedRequests(requests, file, (i) => `line ${lines[i]}`) };
}

/**
 * dispatch_trace.jsonl joined with its run's request_level_metrics.jsonl (`metrics`): the DAG
 * from the first, sizes and measured times from the second.
 */
export function parseVeekshaDispatchTrace(text: string, file: string, metrics?: { text: string; file: string }): Trace {
  if (!metrics) {
    throw new TraceError(
      `${file}: a Veeksha dispatch trace has no output sizes; read it with its run's metrics/request_level_metrics.jsonl ` +
        "(give the run folder, or the dispatch trace inside it)",
    );
  }
  const byRequest = new Map(metricsRows(metrics.text, metrics.file).map((r) => [r.requestId, r]));
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const kept = new Set<string>();
  const seen = new Set<string>();
  for (const { value, where, line } of jsonLines(text, file)) {
    const data = asObject(value, where);
    const requestId = asCount(data.request_id, where.at("request_id"));
    const session = sessionOf(data, where);
    const at = where.at("session_context");
    const context = asObject(data.session_context, at);
    const node = asCount(context.node_id, at.at("node_id"));
    const id = `${session}:${node}`;
    if (seen.has(id)) at.at("node_id").fail(`session ${session} has node ${node} twice`);
    seen.add(id);
    const parentsRaw = context.parent_nodes ?? [];
    if (!Array.isArray(parentsRaw)) at.at("parent_nodes").expected("a list of node ids", parentsRaw);
    const history = context.history_parent === null || context.history_parent === undefined ? null : asCount(context.history_parent, at.at("history_parent"));
    const parents: TraceEdge[] = (parentsRaw as unknown[]).map((p, k) => {
      const parent = asCount(p, at.at("parent_nodes", k));
      return { from: `${session}:${parent}`, type: parent === history ? "sequential" : "dependency" };
    });
    if (history !== null && !parents.some((e) => e.from === `${session}:${history}`)) at.at("history_parent").fail(`history parent ${history} is not among parent_nodes`);
    const row = byRequest.get(requestId);
    // Left out: never completed (no metrics row), or after a request that was left out.
    if (!row || parents.some((e) => !kept.has(e.from))) continue;
    if (row.session !== session) {
      throw new TraceError(`${metrics.file}:${row.line}: request ${requestId} is in session ${row.session} here and in session ${session} in ${file}:${line}`);
    }
    const request = requestOf(row, id);
    request.parents = parents;
    request.historyParent = history === null ? null : `${session}:${history}`;
    const wait = optionalNonNegativeAt(context, "wait_after_ready", at);
    if (wait !== undefined && parents.length > 0) request.waitAfterReadyMs = wait * 1000;
    kept.add(id);
    requests.push(request);
    lines.push(line);
  }
  if (requests.length === 0) throw new TraceError(`${file}: no dispatched request has a row in ${metrics.file}`);
  return { format: "veeksha-dispatch-trace", source: file, requests: orderedRequests(requests, file, (i) => `line ${lines[i]}`) };
}
