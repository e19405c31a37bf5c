// An agentload run folder read back as a trace (record -> replay, as Veeksha replays its dispatch
// trace): records.jsonl has one line per request with its session, node, parents, history parent,
// kind, root scaffold, the sizes it asked for and what it measured. Sessions become the session
// graphs that ran (subagents as conversations of their own, compactions, scaffolds shared by name),
// timed by the measured dispatches and ends, so `agentload run <run-folder> --timed` releases every session
// when it was released and every request waits after its parents as long as it did.
//
// Failed requests are kept: they were sent (and loaded the server), and their children ran after
// them; a replay sends them again with the sizes the run asked for. Warm-up sessions are kept too.
// Records from before records.jsonl carried `historyParent` (no line has it) continue their first
// parent's conversation, except a subagent's first request; that is wrong only right after a
// compaction, which such runs cannot tell.
import { requestEndAt } from "../records/request-end.js";
import type { RequestRecord } from "../records/types.js";
import type { NodeKind, RequestNode, Scaffold, SessionGraph } from "../workload/types.js";
import { workloadTrace } from "./from-workload.js";
import { jsonLineReader, type JsonRowReader } from "./jsonl.js";
import { readLines, type LineReader } from "../stats/lines.js";
import { orderedRequests } from "./order.js";
import type { Trace } from "./types.js";
import { asObject, isObject, TraceError, type JsonObject, type Where } from "./where.js";

const KINDS: readonly NodeKind[] = ["turn", "spawn", "report", "compaction"];

/** Is this the first line of an agentload records.jsonl? */
export function looksLikeRunRecords(first: unknown): boolean {
  return isObject(first) && typeof first.sessionId === "string" && typeof first.nodeId === "string" && "expectedPromptTokens" in first;
}


function numberAt(data: JsonObject, key: string, where: Where): number {
  const value = data[key];
  if (typeof value !== "number" || !Number.isFinite(value)) return where.at(key).expected("a number", value);
  return value;
}

function countField(data: JsonObject, key: string, where: Where): number {
  const value = numberAt(data, key, where);
  if (!Number.isInteger(value) || value < 0) where.at(key).expected("a whole number >= 0", value);
  return value;
}

function idsAt(data: JsonObject, key: string, where: Where): string[] | undefined {
  const value = data[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return where.at(key).expected("a list of node ids", value);
  return value as string[];
}

/** One records.jsonl line, checked for the fields a trace needs. */
function recordAt(value: unknown, where: Where): RequestRecord {
  const data = asObject(value, where);
  for (const key of ["sessionId", "nodeId"]) {
    if (typeof data[key] !== "string" || data[key] === "") where.at(key).expected("a non-empty string", data[key]);
  }
  numberAt(data, "dispatchedAt", where);
  numberAt(data, "readyAt", where);
  countField(data, "freshInputTokens", where);
  countField(data, "requestedOutputTokens", where);
  countField(data, "expectedPromptTokens", where);
  idsAt(data, "parents", where);
  if (data.historyParent !== undefined && typeof data.historyParent !== "string") where.at("historyParent").expected("a node id", data.historyParent);
  if (data.kind !== undefined && !(KINDS as readonly unknown[]).includes(data.kind)) where.at("kind").expected(`one of ${KINDS.join(", ")}`, data.kind);
  if (data.scaffold !== undefined) {
    const s = asObject(data.scaffold, where.at("scaffold"));
    if (typeof s.id !== "string" || s.id === "") where.at("scaffold", "id").expected("a non-empty string", s.id);
    countField(s, "systemTokens", where.at("scaffold"));
    countField(s, "toolTokens", where.at("scaffold"));
  }
  if (data.chunkAt !== undefined && (!Array.isArray(data.chunkAt) || data.chunkAt.some((c) => typeof c !== "number"))) {
    where.at("chunkAt").expected("a list of times", data.chunkAt);
  }
  return data as unknown as RequestRecord;
}

/** Of a record, what the trace keeps (not its chunk times, which a run's records are mostly made of). */
type KeptRecord = Pick<
  RequestRecord,
  | "sessionId"
  | "nodeId"
  | "parents"
  | "historyParent"
  | "kind"
  | "scaffold"
  | "agent"
  | "dispatchedAt"
  | "readyAt"
  | "freshInputTokens"
  | "requestedOutputTokens"
  | "expectedPromptTokens"
  | "promptTokens"
  | "cachedTokens"
  | "sharedPrefixTokens"
> & { endAt: number };

function kept(r: RequestRecord): KeptRecord {
  const out: KeptRecord = {
    sessionId: r.sessionId,
    nodeId: r.nodeId,
    dispatchedAt: r.dispatchedAt,
    readyAt: r.readyAt,
    freshInputTokens: r.freshInputTokens,
    requestedOutputTokens: r.requestedOutputTokens,
    expectedPromptTokens: r.expectedPromptTokens,
    sharedPrefixTokens: r.sharedPrefixTokens,
    endAt: requestEndAt(r),
  };
  if (r.parents !== undefined) out.parents = r.parents;
  if (r.historyParent !== undefined) out.historyParent = r.historyParent;
  if (r.kind !== undefined) out.kind = r.kind;
  if (r.scaffold !== undefined) out.scaffold = r.scaffold;
  if (r.agent !== undefined) out.agent = r.agent;
  if (r.promptTokens !== undefined) out.promptTokens = r.promptTokens;
  if (r.cachedTokens !== undefined) out.cachedTokens = r.cachedTokens;
  return out;
}

interface Line {
  record: KeptRecord;
  line: number;
}

/**
 * A run folder's records.jsonl read line by line (readLines, or read.ts streaming the file). A torn
 * last line (no newline after it, not JSON: the run stopped while writing it) is left out, as the
 * records reader leaves it.
 */
export function runRecordsReader(file: string): LineReader<Trace> {
  const lines: Line[] = [];
  const rows: JsonRowReader<Trace> = {
    row: (value, where, line) => void lines.push({ record: kept(recordAt(value, where)), line }),
    end: () => runRecordsTrace(lines, file),
  };
  return jsonLineReader(file, rows, { skip: () => {} });
}

/**
 * records.jsonl text as a trace. Request ids are `<sessionId>:<nodeId>`; times are the run's
 * milliseconds; fresh input and output are what each request asked for; prompt and cached tokens
 * what the server reported (else the prompt the run expected).
 */
export function parseRunRecords(text: string, file: string): Trace {
  return readLines(text, runRecordsReader(file));
}

function runRecordsTrace(lines: Line[], file: string): Trace {
  if (lines.length === 0) throw new TraceError(`${file}: the run recorded no requests`);
  const legacy = !lines.some((l) => l.record.historyParent !== undefined || l.record.scaffold !== undefined);
  const lineOf = new Map<string, number>();
  const bySession = new Map<string, Line[]>();
  for (const l of lines) {
    const id = `${l.record.sessionId}:${l.record.nodeId}`;
    if (lineOf.has(id)) throw new TraceError(`${file}:${l.line}: session ${l.record.sessionId} node ${l.record.nodeId} is recorded twice (line ${lineOf.get(id)} too)`);
    lineOf.set(id, l.line);
    const group = bySession.get(l.record.sessionId);
    if (group) group.push(l);
    else bySession.set(l.record.sessionId, [l]);
  }
  const scaffolds = new Map<string, Scaffold>();
  const sessions: SessionGraph[] = [];
  for (const [sessionId, group] of bySession) {
    // Records are written as requests end; a request is sent only after its parents ended, so
    // dispatch order is a topological order (orderedRequests below checks it).
    group.sort((a, b) => a.record.dispatchedAt - b.record.dispatchedAt || a.line - b.line);
    const nodes = group.map(({ record: r, line }): RequestNode => {
      const parents = r.parents ?? [];
      const historyParent = legacy ? (parents.length > 0 && r.kind !== "spawn" ? parents[0]! : null) : (r.historyParent ?? null);
      const node: RequestNode = {
        id: r.nodeId,
        parents,
        historyParent,
        freshInputTokens: r.freshInputTokens,
        outputTokens: r.requestedOutputTokens,
        waitAfterReadyMs: parents.length > 0 ? Math.max(0, r.dispatchedAt - r.readyAt) : 0,
        kind: r.kind ?? "turn",
      };
      if (r.scaffold && historyParent === null) {
        const known = scaffolds.get(r.scaffold.id);
        if (known && (known.systemTokens !== r.scaffold.systemTokens || known.toolTokens !== r.scaffold.toolTokens)) {
          throw new TraceError(`${file}:${line}: scaffold: scaffold '${r.scaffold.id}' has other sizes on an earlier line (one scaffold is one text)`);
        }
        scaffolds.set(r.scaffold.id, { id: r.scaffold.id, systemTokens: r.scaffold.systemTokens, toolTokens: r.scaffold.toolTokens });
        node.scaffoldId = r.scaffold.id;
      }
      return node;
    });
    const known = new Set<string>();
    for (const [k, node] of nodes.entries()) {
      const at = `${file}:${group[k]!.line}`;
      for (const p of node.parents) {
        if (!known.has(p)) throw new TraceError(`${at}: parent '${p}' of session ${sessionId} node ${node.id} has no record dispatched before it`);
      }
      if (node.historyParent !== null && !node.parents.includes(node.historyParent)) {
        throw new TraceError(`${at}: historyParent '${node.historyParent}' is not among the parents of session ${sessionId} node ${node.id}`);
      }
      known.add(node.id);
    }
    const agent = group.find((l) => l.record.agent !== undefined)?.record.agent;
    sessions.push(agent === undefined ? { id: sessionId, nodes } : { id: sessionId, agent, nodes });
  }
  const byId = new Map(lines.map((l) => [`${l.record.sessionId}:${l.record.nodeId}`, l.record]));
  const made = workloadTrace({ name: file, seed: "run", scaffolds: [...scaffolds.values()], sessions });
  const requests = made.requests.map((request) => {
    const r = byId.get(request.id)!;
    request.dispatchedMs = r.dispatchedAt;
    request.respondedMs = r.endAt;
    request.promptTokens = r.promptTokens ?? r.expectedPromptTokens;
    if (r.cachedTokens !== undefined) request.cachedTokens = r.cachedTokens;
    request.sharedPrefixTokens = r.sharedPrefixTokens;
    return request;
  });
  const describe = (i: number) => `line ${lineOf.get(requests[i]!.id) ?? "?"}`;
  const trace: Trace = { format: "agentload-run", source: file, requests: orderedRequests(requests, file, describe) };
  if (made.conversations) trace.conversations = made.conversations;
  return trace;
}
