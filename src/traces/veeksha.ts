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
import { jsonLineReader, type JsonRowReader } from "./jsonl.js";
import { readLines, type LineReader } from "../stats/lines.js";
import { orderedRequests } from "./order.js";
import { agentloadExtensionAt, GeneratedSessions, sessionLinesOf } from "./veeksha-agentload.js";
import { SessionRows } from "./veeksha-session-rows.js";
import { RequestTableBuilder, tableTrace } from "./table.js";
import type { Trace, TraceRequest } from "./types.js";
import { asCount, asObject, countAt, isObject, optionalCountAt, optionalNonNegativeAt, TraceError, Where, type JsonObject } from "./where.js";

export const DEFAULT_BLOCK_SIZE = 512;

// Each reader keeps per line only what the trace needs (the request, its line, its edges as
// numbers), never the parsed line: a million parsed lines held at once took 2.1 GB.

/** A session id as a string (Veeksha writes integers; strings are accepted too). */
function sessionIdAt(data: JsonObject, where: Where): string {
  const value = data.session_id;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value === "string" && value !== "") return value;
  return where.at("session_id").expected("a session id (an integer or a string)", value);
}

/** Says which line a request came from, from the lines listed beside the requests (built on the first error only). */
function describeLines(requests: readonly TraceRequest[], lines: ArrayLike<number>) {
  let line: Map<string, number> | undefined;
  return (i: number) => {
    line ??= new Map(requests.map((r, k) => [r.id, lines[k]!]));
    return `line ${line.get(requests[i]!.id) ?? "?"}`;
  };
}

/** Session ids interned: every row of a session shares one string. */
class Sessions<T> {
  readonly groups = new Map<string, T[]>();
  add(id: string, row: T): T[] {
    let group = this.groups.get(id);
    if (!group) {
      group = [];
      this.groups.set(id, group);
    }
    group.push(row);
    return group;
  }
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

function noRequests(file: string): never {
  throw new TraceError(`${file}: the trace has no requests`);
}

/** A timed_synthetic_session file read line by line (readLines, or read.ts streaming a file). */
export function veekshaSessionReader(file: string, columns = false): LineReader<Trace> {
  const rows = new SessionRows(file);
  const reader: JsonRowReader<Trace> = {
    row(value, where, line) {
      const data = asObject(value, where);
      const session = sessionIdAt(data, where);
      const raw = data.session_context;
      const hasContext = raw !== undefined && raw !== null;
      const before = rows.hasContext(session);
      if (before !== undefined && before !== hasContext) {
        // Reported at the first row without it, as when the rows were checked session by session.
        const missing = hasContext ? rows.firstLineOf(session) : line;
        new Where(file, missing).at("session_context").fail(`session ${session}: either every row has session_context or none does`);
      }
      const fresh = countAt(data, "new_input_length", where);
      const output = countAt(data, "output_length", where);
      const prompt = countAt(data, "input_length", where);
      const shared = optionalCountAt(data, "cacheable_history_tokens", where);
      if (hasContext) {
        const at = where.at("session_context");
        const context = asObject(raw, at);
        const node = countAt(context, "node_id", at);
        const parentsRaw = context.parent_nodes ?? [];
        if (!Array.isArray(parentsRaw)) at.at("parent_nodes").expected("a list of node ids", parentsRaw);
        const history = context.history_parent === null || context.history_parent === undefined ? null : asCount(context.history_parent, at.at("history_parent"));
        const parents = (parentsRaw as unknown[]).map((p, k) => (typeof p === "number" && Number.isInteger(p) && p >= 0 ? p : asCount(p, at.at("parent_nodes", k))));
        const wait = optionalNonNegativeAt(context, "wait_after_ready", at);
        const extension = agentloadExtensionAt(data, where);
        rows.add({ session, line, fresh, output, prompt, shared, context: { node, parents, history }, wait, turn: undefined, extension });
      } else {
        const turn = "turn_idx" in data ? asCount(data.turn_idx, where.at("turn_idx")) : undefined;
        const wait = optionalNonNegativeAt(data, "wait_after_previous_response_s", where);
        rows.add({ session, line, fresh, output, prompt, shared, context: null, wait, turn, extension: undefined });
      }
    },
    end: () => sessionTrace(rows, file, columns),
  };
  return jsonLineReader(file, reader);
}

function sessionTrace(rows: SessionRows, file: string, columns: boolean): Trace {
  if (rows.size === 0) noRequests(file);
  // A line with an `agentload` key makes the whole file agentload's own (veeksha-agentload.ts).
  const generated = rows.generated ? new GeneratedSessions(file, columns ? { size: rows.size } : undefined) : undefined;
  const requests: TraceRequest[] | RequestTableBuilder = columns ? new RequestTableBuilder(rows.size) : [];
  for (const s of rows.bySession()) {
    // A generated session is in order as written: into columns straight from the rows' positions,
    // or as objects from its nodes.
    if (generated && columns) {
      const at = rows.positions(s);
      if (at) {
        generated.addPositions(at);
        continue;
      }
    }
    const nodes = generated ? rows.nodes(s) : undefined;
    if (generated && nodes) {
      generated.add(nodes);
      continue;
    }
    const { requests: own, lines, extensions } = rows.requests(s);
    // A session's edges stay within it: checked and ordered session by session.
    const sorted = orderedRequests(own, file, describeLines(own, lines));
    if (generated) generated.add(sessionLinesOf(sorted, new Map(own.map((r, k) => [r.id, lines[k]!])), extensions));
    else for (const r of sorted) requests.push(r);
  }
  if (generated) return generated.trace();
  const meta = { format: "veeksha-session" as const, source: file };
  return requests instanceof RequestTableBuilder ? tableTrace(requests.finish(), meta) : { ...meta, requests };
}

export function parseVeekshaSession(text: string, file: string): Trace {
  return readLines(text, veekshaSessionReader(file));
}

/** A request of a session row, its id and edges still to come. */
function sessionRequest(data: JsonObject, where: Where, session: string): TraceRequest {
  const request: TraceRequest = {
    id: "",
    conversation: session,
    parents: [],
    historyParent: null,
    freshInputTokens: countAt(data, "new_input_length", where),
    outputTokens: countAt(data, "output_length", where),
    promptTokens: countAt(data, "input_length", where),
  };
  const shared = optionalCountAt(data, "cacheable_history_tokens", where);
  if (shared !== undefined) request.sharedPrefixTokens = shared;
  return request;
}

/** A request_log file read line by line. */
export function veekshaRequestLogReader(file: string): LineReader<Trace> {
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const last = new Map<string, string>();
  const rows: JsonRowReader<Trace> = {
    row(value, where, line) {
      const data = asObject(value, where);
      const i = requests.length;
      const session = "session_id" in data ? sessionIdAt(data, where) : `row-${i + 1}`;
      const previous = last.get(session);
      const id = previous === undefined ? session : `${session}:${i + 1}`;
      const input = countAt(data, "input_length", where);
      const request: TraceRequest = {
        id,
        conversation: session,
        parents: previous === undefined ? [] : [{ from: previous, type: "sequential" }],
        historyParent: previous ?? null,
        freshInputTokens: input,
        outputTokens: countAt(data, "output_length", where),
      };
      // A chained row's input_length is what it adds; only a first row's is its whole prompt.
      if (previous === undefined) request.promptTokens = input;
      else request.waitAfterReadyMs = 0;
      last.set(session, id);
      requests.push(request);
      lines.push(line);
    },
    end() {
      if (requests.length === 0) noRequests(file);
      last.clear();
      return { format: "veeksha-request-log", source: file, requests: orderedRequests(requests, file, describeLines(requests, lines)) };
    },
  };
  return jsonLineReader(file, rows);
}

export function parseVeekshaRequestLog(text: string, file: string): Trace {
  return readLines(text, veekshaRequestLogReader(file));
}

/** A shared_prefix file read line by line. */
export function veekshaSharedPrefixReader(file: string, blockSize = DEFAULT_BLOCK_SIZE): LineReader<Trace> {
  const sessions = new Sessions<{ request: TraceRequest; line: number; wait: number | undefined }>();
  const rows: JsonRowReader<Trace> = {
    row(value, where, line) {
      const data = asObject(value, where);
      const session = sessionIdAt(data, where);
      const request = sessionRequest(data, where, session);
      request.hashIds = hashIdsAt({ data, where });
      sessions.add(session, { request, line, wait: optionalNonNegativeAt(data, "wait_after_previous_response_s", where) });
    },
    end() {
      if (sessions.groups.size === 0) noRequests(file);
      const requests: TraceRequest[] = [];
      const lines: number[] = [];
      for (const [session, group] of sessions.groups) {
        group.forEach(({ request, line, wait }, i) => {
          request.id = `${session}:${i}`;
          if (i > 0) {
            const parent = requests[requests.length - 1]!.id;
            request.parents = [{ from: parent, type: "sequential" }];
            request.historyParent = parent;
            request.waitAfterReadyMs = (wait ?? 0) * 1000;
          }
          requests.push(request);
          lines.push(line);
        });
      }
      sessions.groups.clear();
      return { format: "veeksha-shared-prefix", source: file, requests: orderedRequests(requests, file, describeLines(requests, lines)), blockSize };
    },
  };
  return jsonLineReader(file, rows);
}

export function parseVeekshaSharedPrefix(text: string, file: string, blockSize = DEFAULT_BLOCK_SIZE): Trace {
  return readLines(text, veekshaSharedPrefixReader(file, blockSize));
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
