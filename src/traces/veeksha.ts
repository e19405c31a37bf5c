// Veeksha trace flavors (JSONL, one request a line), as Veeksha itself reads them:
// - timed_synthetic_session: `session_id`, `input_length` (whole prompt), `new_input_length`,
//   `output_length`, optional `cacheable_history_tokens`, and `session_context` {node_id,
//   parent_nodes, history_parent, wait_after_ready (seconds)}; without session_context (legacy) a
//   session is a chain in row order (or `turn_idx` order) waiting `wait_after_previous_response_s`;
// - request_log: `input_length`, `output_length`; rows sharing a `session_id` form a chain,
//   other rows are sessions of one request each;
// - shared_prefix: `session_id`, `input_length`, `new_input_length`, `output_length`, `hash_ids`
//   (prefix blocks of `blockSize` tokens), optional `wait_after_previous_response_s`; each session
//   a chain in row order.
// A timed_synthetic_session file agentload generated may carry an `agentload` key on some lines
// (node kinds, scaffolds): then it reads back as the workload it was generated from (veeksha-agentload.ts).
import { jsonLines } from "./jsonl.js";
import { orderedRequests } from "./order.js";
import { agentloadExtensionAt, generatedWorkloadTrace, type AgentloadExtension } from "./veeksha-agentload.js";
import type { Trace, TraceEdge, TraceRequest } from "./types.js";
import { asCount, asObject, countAt, isObject, optionalCountAt, optionalNonNegativeAt, TraceError, type JsonObject, type Where } from "./where.js";

export const DEFAULT_BLOCK_SIZE = 512;

interface Row {
  data: JsonObject;
  where: Where;
  line: number;
}

function rowsOf(text: string, file: string): Row[] {
  const rows: Row[] = [];
  for (const { value, where, line } of jsonLines(text, file)) rows.push({ data: asObject(value, where), where, line });
  if (rows.length === 0) throw new TraceError(`${file}: the trace has no requests`);
  return rows;
}

/** A session id as a string (Veeksha writes integers; strings are accepted too). */
function sessionIdAt(row: Row): string {
  const value = row.data.session_id;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value === "string" && value !== "") return value;
  return row.where.at("session_id").expected("a session id (an integer or a string)", value);
}

function groupBySession(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const id = sessionIdAt(row);
    const list = groups.get(id);
    if (list) list.push(row);
    else groups.set(id, [row]);
  }
  return groups;
}

function describeLines(rows: Row[], requests: TraceRequest[]) {
  const line = new Map(requests.map((r, i) => [r.id, rows[i]?.line]));
  return (i: number) => `line ${line.get(requests[i]!.id) ?? "?"}`;
}

/** Is this a first line of a timed_synthetic_session trace? */
export function looksLikeVeekshaSession(first: unknown): boolean {
  return isObject(first) && (isObject(first.session_context) || ("session_id" in first && "new_input_length" in first && !("hash_ids" in first)));
}

export function looksLikeVeekshaSharedPrefix(first: unknown): boolean {
  return isObject(first) && "session_id" in first && "new_input_length" in first && Array.isArray(first.hash_ids);
}

export function looksLikeVeekshaRequestLog(first: unknown): boolean {
  return isObject(first) && "input_length" in first && "output_length" in first && !("hash_ids" in first) && !("timestamp" in first);
}

export function parseVeekshaSession(text: string, file: string): Trace {
  const rows = rowsOf(text, file);
  const requests: TraceRequest[] = [];
  const ordered: Row[] = [];
  const extensions = new Map<string, AgentloadExtension>();
  for (const [session, group] of groupBySession(rows)) {
    const contexts = group.map((row) => row.data.session_context);
    const present = contexts.filter((c) => c !== undefined && c !== null).length;
    if (present > 0 && present < group.length) {
      const missing = group.find((row) => row.data.session_context === undefined || row.data.session_context === null)!;
      missing.where.at("session_context").fail(`session ${session}: either every row has session_context or none does`);
    }
    if (present === 0) {
      const chain = "turn_idx" in group[0]!.data ? [...group].sort((a, b) => turnIndex(a) - turnIndex(b)) : group;
      chain.forEach((row, i) => {
        const request = sessionRequest(row, session, String(i));
        if (i > 0) {
          const parent = `${session}:${i - 1}`;
          request.parents = [{ from: parent, type: "sequential" }];
          request.historyParent = parent;
        }
        const wait = optionalNonNegativeAt(row.data, "wait_after_previous_response_s", row.where);
        if (i > 0) request.waitAfterReadyMs = (wait ?? 0) * 1000;
        requests.push(request);
        ordered.push(row);
      });
      continue;
    }
    const seen = new Set<number>();
    for (const row of group) {
      const at = row.where.at("session_context");
      const context = asObject(row.data.session_context, at);
      const node = countAt(context, "node_id", at);
      if (seen.has(node)) at.at("node_id").fail(`session ${session} has node ${node} twice`);
      seen.add(node);
      const request = sessionRequest(row, session, String(node));
      const parentsRaw = context.parent_nodes ?? [];
      if (!Array.isArray(parentsRaw)) at.at("parent_nodes").expected("a list of node ids", parentsRaw);
      const history = context.history_parent === null || context.history_parent === undefined ? null : asCount(context.history_parent, at.at("history_parent"));
      const parents: TraceEdge[] = (parentsRaw as unknown[]).map((p, k) => {
        const id = asCount(p, at.at("parent_nodes", k));
        return { from: `${session}:${id}`, type: id === history ? "sequential" : "dependency" };
      });
      request.parents = parents;
      request.historyParent = history === null ? null : `${session}:${history}`;
      const wait = optionalNonNegativeAt(context, "wait_after_ready", at);
      if (wait !== undefined && (parents.length > 0 || wait > 0)) request.waitAfterReadyMs = wait * 1000;
      const extension = agentloadExtensionAt(row.data, row.where);
      if (extension) extensions.set(request.id, extension);
      requests.push(request);
      ordered.push(row);
    }
  }
  const sorted = orderedRequests(requests, file, describeLines(ordered, requests));
  if (extensions.size > 0) {
    const line = new Map(requests.map((r, i) => [r.id, ordered[i]!.line]));
    return generatedWorkloadTrace(sorted, extensions, file, (id) => line.get(id));
  }
  return { format: "veeksha-session", source: file, requests: sorted };
}

function turnIndex(row: Row): number {
  return asCount(row.data.turn_idx, row.where.at("turn_idx"));
}

function sessionRequest(row: Row, session: string, node: string): TraceRequest {
  const request: TraceRequest = {
    id: `${session}:${node}`,
    conversation: session,
    parents: [],
    historyParent: null,
    freshInputTokens: countAt(row.data, "new_input_length", row.where),
    outputTokens: countAt(row.data, "output_length", row.where),
    promptTokens: countAt(row.data, "input_length", row.where),
  };
  const shared = optionalCountAt(row.data, "cacheable_history_tokens", row.where);
  if (shared !== undefined) request.sharedPrefixTokens = shared;
  return request;
}

export function parseVeekshaRequestLog(text: string, file: string): Trace {
  const rows = rowsOf(text, file);
  const requests: TraceRequest[] = [];
  const last = new Map<string, string>();
  rows.forEach((row, i) => {
    const session = "session_id" in row.data ? sessionIdAt(row) : `row-${i + 1}`;
    const previous = last.get(session);
    const id = previous === undefined ? session : `${session}:${i + 1}`;
    const input = countAt(row.data, "input_length", row.where);
    const request: TraceRequest = {
      id,
      conversation: session,
      parents: previous === undefined ? [] : [{ from: previous, type: "sequential" }],
      historyParent: previous ?? null,
      freshInputTokens: input,
      outputTokens: countAt(row.data, "output_length", row.where),
    };
    // A chained row's input_length is what it adds; only a first row's is its whole prompt.
    if (previous === undefined) request.promptTokens = input;
    else request.waitAfterReadyMs = 0;
    last.set(session, id);
    requests.push(request);
  });
  return { format: "veeksha-request-log", source: file, requests: orderedRequests(requests, file, describeLines(rows, requests)) };
}

export function parseVeekshaSharedPrefix(text: string, file: string, blockSize = DEFAULT_BLOCK_SIZE): Trace {
  const rows = rowsOf(text, file);
  const requests: TraceRequest[] = [];
  const ordered: Row[] = [];
  for (const [session, group] of groupBySession(rows)) {
    group.forEach((row, i) => {
      const request = sessionRequest(row, session, String(i));
      request.hashIds = hashIdsAt(row);
      if (i > 0) {
        const parent = `${session}:${i - 1}`;
        request.parents = [{ from: parent, type: "sequential" }];
        request.historyParent = parent;
        request.waitAfterReadyMs = (optionalNonNegativeAt(row.data, "wait_after_previous_response_s", row.where) ?? 0) * 1000;
      }
      requests.push(request);
      ordered.push(row);
    });
  }
  return {
    format: "veeksha-shared-prefix",
    source: file,
    requests: orderedRequests(requests, file, describeLines(ordered, requests)),
    blockSize,
  };
}

/** The `hash_ids` list of a row: whole numbers. */
export function hashIdsAt(row: { data: JsonObject; where: Where }): number[] {
  const raw = row.data.hash_ids;
  if (!Array.isArray(raw)) return row.where.at("hash_ids").expected("a list of block hash ids", raw);
  return raw.map((x, k) => {
    if (typeof x !== "number" || !Number.isInteger(x)) return row.where.at("hash_ids", k).expected("an integer block hash id", x);
    return x;
  });
}
