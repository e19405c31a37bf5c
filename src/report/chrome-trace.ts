// A run's requests as a Chrome trace-event file (trace.json) for Perfetto (ui.perfetto.dev) or
// chrome://tracing: one process per session, one thread per lane of a session (subagents running
// in parallel get lanes of their own, so no two requests overlap on one track), one slice per
// request with the wait before it and its time to first token nested inside, and an arrow from
// each request to every request that waited for it (RequestRecord.parents: spawn and join edges).
// Times stay on the run's clock: a slice at ts 1500 µs is a record's 1.5 ms.
import { requestEndAt } from "../records/request-end.js";
import type { RequestRecord } from "../records/types.js";
import type { FinishedRun, Reporter } from "./types.js";

/** One event of the Trace Event Format, as far as this file uses it. Times in microseconds. */
interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "M" | "s" | "f";
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  bp?: "e";
  args?: Record<string, unknown>;
}

/** A request placed on its track, with the span it occupies there (ms). */
interface Placed {
  record: RequestRecord;
  pid: number;
  tid: number;
  /** When it became ready (the wait slice starts there), never after the dispatch. */
  ready: number;
  dispatched: number;
  /** The end of the stream (endOf). */
  end: number;
}

/** A dependency edge: the child waited for the parent. */
interface Edge {
  id: number;
  name: "spawn" | "join" | "next";
  parent: Placed;
  child: Placed;
}

/** Milliseconds to microseconds, to the nanosecond (what Perfetto keeps). */
const us = (ms: number) => Math.round(ms * 1e6) / 1000;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** doneAt, else the last chunk, else the dispatch (a request that failed before any chunk). */
function endOf(r: RequestRecord): number {
  return Math.max(requestEndAt(r), r.dispatchedAt);
}

/** First chunk carrying generated tokens, as TTFC measures it. */
const firstTokenOf = (r: RequestRecord): number | undefined => r.firstTokenAt ?? r.chunkAt?.[0];

/** A node of a session, unambiguous whatever characters the ids hold. */
const key = (sessionId: string, nodeId: string) => JSON.stringify([sessionId, nodeId]);

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/**
 * Sessions become processes in order of first appearance and lanes become threads. A thread id is
 * unique across the whole file, not per process: viewers key threads by tid alone (as an OS does),
 * and one tid in two processes would be torn into many tracks.
 */
function place(records: readonly RequestRecord[]): { placed: Placed[]; meta: TraceEvent[] } {
  const sessions = new Map<string, RequestRecord[]>();
  for (const r of records) push(sessions, r.sessionId, r);
  const placed: Placed[] = [];
  const meta: TraceEvent[] = [];
  let pid = 0;
  let nextTid = 1; // Perfetto reads tid 0 as "no thread given"
  for (const [sessionId, list] of sessions) {
    pid++;
    const agent = list.find((r) => r.agent !== undefined)?.agent;
    const processName = agent !== undefined ? `session ${sessionId} (${agent})` : `session ${sessionId}`;
    meta.push({ name: "process_name", ph: "M", pid, tid: 0, args: { name: processName } });
    meta.push({ name: "process_sort_index", ph: "M", pid, tid: 0, args: { sort_index: pid } });
    const spans = list.map((record) => {
      const dispatched = record.dispatchedAt;
      const ready = Math.min(record.readyAt ?? dispatched, dispatched);
      return { record, dispatched, ready, end: endOf(record) };
    });
    // Greedy interval partitioning: in order of start, each request takes the lowest lane free by
    // then. A lane is held from the wait's start, since the wait is drawn on the lane too.
    spans.sort((a, b) => a.ready - b.ready || a.dispatched - b.dispatched);
    const laneEnds: number[] = [];
    const laneTids: number[] = [];
    for (const span of spans) {
      let lane = laneEnds.findIndex((end) => end <= span.ready);
      if (lane === -1) {
        lane = laneEnds.length;
        laneTids.push(nextTid++);
        meta.push({ name: "thread_name", ph: "M", pid, tid: laneTids[lane]!, args: { name: `lane ${lane + 1}` } });
        meta.push({ name: "thread_sort_index", ph: "M", pid, tid: laneTids[lane]!, args: { sort_index: lane } });
      }
      laneEnds[lane] = span.end;
      placed.push({ ...span, pid, tid: laneTids[lane]! });
    }
  }
  return { placed, meta };
}

/** Every parent -> child edge whose parent request is in the run (same session). */
function edgesOf(placed: readonly Placed[]): Edge[] {
  const byNode = new Map<string, Placed>();
  for (const p of placed) {
    const k = key(p.record.sessionId, p.record.nodeId);
    if (!byNode.has(k)) byNode.set(k, p);
  }
  const pairs: [Placed, Placed][] = [];
  const children = new Map<Placed, number>();
  for (const child of placed) {
    for (const parentId of child.record.parents ?? []) {
      const parent = byNode.get(key(child.record.sessionId, parentId));
      if (!parent || parent === child) continue;
      pairs.push([parent, child]);
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
  }
  // Named for the shape a reader looks for: fan-in into the child, fan-out from the parent, or a chain.
  return pairs.map(([parent, child], i) => ({
    id: i + 1,
    name: (child.record.parents?.length ?? 0) > 1 ? "join" : (children.get(parent) ?? 0) > 1 ? "spawn" : "next",
    parent,
    child,
  }));
}

function requestArgs(r: RequestRecord, dispatched: number, end: number): Record<string, unknown> {
  const first = firstTokenOf(r);
  // Undefined values are dropped by JSON.stringify: a field the record lacks is simply absent.
  return {
    session: r.sessionId,
    node: r.nodeId,
    kind: r.kind,
    agent: r.agent,
    parents: r.parents,
    prompt_tokens: r.promptTokens,
    cached_tokens: r.cachedTokens,
    completion_tokens: r.completionTokens,
    expected_prompt_tokens: r.expectedPromptTokens,
    ttfc_ms: first !== undefined ? round3(first - dispatched) : undefined,
    e2e_ms: round3(end - dispatched),
    attempts: r.attempts,
    error_kind: r.error?.kind,
    error_status: r.error?.status,
    error_message: r.error?.message,
    warmup: r.warmup ? true : undefined,
  };
}

/**
 * The events of one request. Order matters to viewers on ties: a flow event binds to the slice
 * open on its thread when it is read, so the flows come right after the request's slice begins
 * and before the slice nested in it. Perfetto draws each arrow from the end of the parent's slice
 * to the start of the child's, whatever the flow events' own timestamps.
 */
function requestEvents(p: Placed, incoming: readonly Edge[], outgoing: readonly Edge[]): TraceEvent[] {
  const { record: r, pid, tid, dispatched, end, ready } = p;
  const events: TraceEvent[] = [];
  if (dispatched > ready) {
    const late = r.plannedAt !== undefined ? round3(dispatched - r.plannedAt) : undefined;
    const planned = r.plannedAt !== undefined ? round3(r.plannedAt - ready) : undefined;
    events.push({ name: "wait", cat: "wait", ph: "X", ts: us(ready), dur: round3(us(dispatched) - us(ready)), pid, tid, args: { planned_ms: planned, late_ms: late } });
  }
  const name = r.kind !== undefined ? `${r.nodeId} (${r.kind})` : r.nodeId;
  const cat = r.error ? "request,failed" : "request";
  events.push({ name, cat, ph: "X", ts: us(dispatched), dur: round3(us(end) - us(dispatched)), pid, tid, args: requestArgs(r, dispatched, end) });
  for (const e of incoming) events.push({ name: e.name, cat: "dependency", ph: "f", bp: "e", id: e.id, ts: us(dispatched), pid, tid });
  for (const e of outgoing) events.push({ name: e.name, cat: "dependency", ph: "s", id: e.id, ts: us(dispatched), pid, tid });
  const first = firstTokenOf(r);
  if (first !== undefined && first >= dispatched) {
    // Clamped to the request so the nesting stays proper even for a record whose stamps disagree.
    const at = Math.min(first, end);
    events.push({ name: "first token", cat: "request", ph: "X", ts: us(dispatched), dur: round3(us(at) - us(dispatched)), pid, tid, args: { ttfc_ms: round3(first - dispatched) } });
  }
  return events;
}

function chromeTrace(run: FinishedRun): string {
  const records = run.records ?? [];
  const { placed, meta } = place(records);
  const incoming = new Map<Placed, Edge[]>();
  const outgoing = new Map<Placed, Edge[]>();
  for (const e of edgesOf(placed)) {
    push(incoming, e.child, e);
    push(outgoing, e.parent, e);
  }
  const events = [...meta];
  for (const p of placed) events.push(...requestEvents(p, incoming.get(p) ?? [], outgoing.get(p) ?? []));
  const metadata = { run: run.name, requests: records.length, sessions: new Set(records.map((r) => r.sessionId)).size, failed: records.filter((r) => r.error).length };
  // One event per line: still one JSON document, and a reader can grep it. DEL is valid JSON left
  // unescaped by JSON.stringify, but Perfetto's JSON reader refuses control characters in strings
  // and counts DEL as one.
  const text = `{"traceEvents":[\n${events.map((e) => JSON.stringify(e)).join(",\n")}\n],\n"displayTimeUnit":"ms",\n"metadata":${JSON.stringify(metadata)}}\n`;
  return text.replace(/\u007f/g, "\\u007f");
}

export const chromeTraceReporter: Reporter = {
  name: "chrome-trace",
  description: "Chrome trace-event JSON of the requests: a track per session lane, spawn and join arrows (open in ui.perfetto.dev)",
  needsRecords: true,
  render: chromeTrace,
};
