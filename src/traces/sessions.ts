// From a trace's requests to workload sessions: each connected group of requests (a main agent
// with all the subagents it spawned) is one session, arriving when its first request was sent.
// Also the conversion to the SessionGraphs the runner dispatches.
import type { NodeKind, RequestNode, Scaffold, SessionGraph, Workload } from "../workload/types.js";
import type { Trace, TraceRequest } from "./types.js";

export interface TraceSession {
  id: string;
  /** In the trace's (topological) order. */
  requests: TraceRequest[];
  /** Milliseconds after the trace's first dispatch at which its first request was sent (timed traces). */
  arrivalMs?: number;
}

/** Requests by position: ids, parents and history parents as indices, built once per trace. */
export interface TraceIndex {
  /** Positions by id (made when first asked for). */
  readonly index: Map<string, number>;
  /** The parents of request i are parentIndex[parentStart[i]] up to parentIndex[parentStart[i + 1]]. */
  parentStart: Int32Array;
  parentIndex: Int32Array;
  /** Position of each request's history parent, -1 for none. */
  history: Int32Array;
}

// Traces are plain data, not changed once read: an index is built once per requests array.
const indexes = new WeakMap<readonly TraceRequest[], TraceIndex>();

export function indexTrace(trace: Trace): TraceIndex {
  // A trace read into columns has its positions already (table.ts).
  if (trace.table) return trace.table;
  const cached = indexes.get(trace.requests);
  if (cached) return cached;
  const built = buildIndex(trace.requests);
  indexes.set(trace.requests, built);
  return built;
}

/**
 * How far back a parent is looked for by id before the id map is built. Parents mostly come just
 * before their children (a session's requests stay together in every format read so far), so
 * analyze, which needs positions but not the map, skipped the 1.2 s (CPU) a map of a million ids
 * took; a parent further back builds the map, which answers from then on.
 */
const NEARBY = 1024;

function buildIndex(requests: readonly TraceRequest[]): TraceIndex {
  const n = requests.length;
  let map: Map<string, number> | undefined;
  const mapOf = (): Map<string, number> => {
    if (!map) {
      map = new Map();
      for (let i = 0; i < n; i++) map.set(requests[i]!.id, i);
    }
    return map;
  };
  const positionOf = (from: string, i: number): number => {
    // Once made (a parent was further back), the map answers: scanning first cost a Mooncake
    // trace, whose conversations interleave by the thousand, 7 s on a million requests.
    if (!map) for (let j = i - 1; j >= 0 && j >= i - NEARBY; j--) if (requests[j]!.id === from) return j;
    return mapOf().get(from)!;
  };
  let edges = 0;
  for (let i = 0; i < n; i++) edges += requests[i]!.parents.length;
  const parentStart = new Int32Array(n + 1);
  const parentIndex = new Int32Array(edges);
  const history = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const r = requests[i]!;
    parentStart[i] = k;
    history[i] = -1;
    for (const edge of r.parents) {
      const p = positionOf(edge.from, i);
      parentIndex[k++] = p;
      if (edge.from === r.historyParent) history[i] = p;
    }
  }
  parentStart[n] = k;
  return {
    get index() {
      return mapOf();
    },
    parentStart,
    parentIndex,
    history,
  };
}

/** Each request's session as the position of one of its requests (connected components over all edges). */
export function sessionRoots(trace: Trace, at: TraceIndex = indexTrace(trace)): Int32Array {
  const n = at.history.length;
  const root = new Int32Array(n);
  for (let i = 0; i < n; i++) root[i] = i;
  const find = (i: number): number => {
    while (root[i] !== i) {
      root[i] = root[root[i]!]!;
      i = root[i]!;
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let k = at.parentStart[i]!; k < at.parentStart[i + 1]!; k++) {
      const a = find(i);
      const b = find(at.parentIndex[k]!);
      if (a !== b) root[Math.max(a, b)] = Math.min(a, b);
    }
  }
  for (let i = 0; i < n; i++) root[i] = find(i);
  return root;
}

/** The trace's sessions: connected components over all edges, ordered by arrival (else by first request). */
export function traceSessions(trace: Trace, at: TraceIndex = indexTrace(trace)): TraceSession[] {
  const root = sessionRoots(trace, at);
  const find = (i: number): number => root[i]!;
  const byRoot = new Map<number, TraceSession>();
  const sessions: TraceSession[] = [];
  const ids = new Set<string>();
  let start = Infinity;
  for (const r of trace.requests) if (r.dispatchedMs !== undefined && r.dispatchedMs < start) start = r.dispatchedMs;
  trace.requests.forEach((r, i) => {
    const k = find(i);
    let session = byRoot.get(k);
    if (!session) {
      let id = r.conversation;
      for (let dup = 2; ids.has(id); dup++) id = `${r.conversation}#${dup}`;
      ids.add(id);
      session = { id, requests: [] };
      byRoot.set(k, session);
      sessions.push(session);
    }
    session.requests.push(r);
    if (r.dispatchedMs !== undefined) {
      const arrival = r.dispatchedMs - start;
      if (session.arrivalMs === undefined || arrival < session.arrivalMs) session.arrivalMs = arrival;
    }
  });
  if (sessions.every((s) => s.arrivalMs !== undefined)) {
    // Stable: equal arrivals keep their order.
    sessions.sort((a, b) => a.arrivalMs! - b.arrivalMs!);
  }
  return sessions;
}

/**
 * How long a request waited after it was ready (all parents finished): from timestamps when the
 * trace has them for it and all its parents, else as the trace records it, else 0.
 */
export function waitAfterReady(request: TraceRequest, parentsOf: (id: string) => TraceRequest): number {
  if (request.dispatchedMs !== undefined && request.parents.length > 0) {
    let ready = -Infinity;
    for (const edge of request.parents) {
      const done = parentsOf(edge.from).respondedMs;
      if (done === undefined) {
        ready = NaN;
        break;
      }
      ready = Math.max(ready, done);
    }
    if (Number.isFinite(ready)) return Math.max(0, request.dispatchedMs - ready);
  }
  return request.waitAfterReadyMs ?? 0;
}

function kindOf(request: TraceRequest): NodeKind {
  if (request.kind !== undefined) return request.kind;
  if (request.parents.some((e) => e.type === "subagent_spawn")) return "spawn";
  if (request.parents.some((e) => e.type === "subagent_result")) return "report";
  return "turn";
}

/**
 * The trace as session graphs: one per session, nodes in topological order with the trace's
 * request ids, fresh input and output tokens, and waits after readiness; `arrivalMs` set for
 * timed traces. A first request's fresh input is its whole prompt, except the shared scaffold a
 * request names (`scaffold`): that part is rendered from the scaffold (`traceScaffolds`), so sessions
 * share it as they did when the trace was made.
 */
export function traceSessionGraphs(trace: Trace): SessionGraph[] {
  const at = indexTrace(trace);
  const byId = (id: string) => trace.requests[at.index.get(id)!]!;
  return traceSessions(trace, at).map((session) => {
    const nodes: RequestNode[] = session.requests.map((r) => {
      const scaffold = r.historyParent === null ? r.scaffold : undefined;
      const node: RequestNode = {
        id: r.id,
        parents: r.parents.map((e) => e.from),
        historyParent: r.historyParent,
        // A first request's scaffold is rendered from its own id; a later one's parent reply is
        // carried over by the runner itself: only what the trace adds beyond them.
        freshInputTokens: scaffold
          ? Math.max(0, r.freshInputTokens - scaffold.systemTokens - scaffold.toolTokens)
          : r.historyParent === null
            ? r.freshInputTokens
            : Math.max(0, r.freshInputTokens - (r.replyTokens ?? 0)),
        outputTokens: r.outputTokens,
        waitAfterReadyMs: waitAfterReady(r, byId),
        kind: kindOf(r),
        ...(r.hashIds?.length && r.historyParent === null && trace.blockSize ? { prefixBlocks: { ids: r.hashIds, blockSize: trace.blockSize } } : {}),
      };
      if (scaffold) node.scaffoldId = scaffold.id;
      return node;
    });
    markReasoning(session.requests, nodes);
    const graph: SessionGraph = { id: session.id, nodes };
    // Per-agent sub-metrics (e2e{agent:x}) of a replay need the session's agent type.
    const agent = session.requests[0]?.agent;
    if (agent !== undefined) graph.agent = agent;
    if (session.arrivalMs !== undefined) graph.arrivalMs = session.arrivalMs;
    return graph;
  });
}

/**
 * Where the trace shows its prompts dropping reasoning, the nodes say so, so a replay sends what
 * the trace's prompts held: a parent's reasoning is its output less the reply its child's prompt
 * carries (replyTokens), and a prompt that dropped most of the reasoning it would carry (its
 * parent's prompt and output plus what it adds, less its size) drops it all (a new user message,
 * OpenClaw) or its parent's alone. Replayed without this, case study 1 sent 1.27 times the trace's
 * prompt tokens. Traces that do not tell replies or prompt sizes are left as they are.
 */
function markReasoning(requests: readonly TraceRequest[], nodes: RequestNode[]): void {
  const index = new Map(requests.map((r, i) => [r.id, i]));
  // Reasoning each prompt carries from earlier replies, by request index.
  const carried = new Float64Array(requests.length);
  requests.forEach((r, i) => {
    // A prompt that carries none of its parent's reply (a Mooncake sibling, a regeneration) tells nothing of reasoning.
    if (r.historyParent === null || r.replyTokens === undefined || r.replyTokens <= 0) return;
    const k = index.get(r.historyParent);
    if (k === undefined) return;
    const p = requests[k]!;
    if (p.promptTokens === undefined || r.promptTokens === undefined || p.outputTokens <= 1) return;
    const reasoning = Math.max(0, Math.min(p.outputTokens - 1, p.outputTokens - r.replyTokens));
    if (reasoning === 0) {
      carried[i] = carried[k]!;
      return;
    }
    nodes[k]!.reasoningTokens ??= reasoning;
    const dropped = p.promptTokens + p.outputTokens + Math.max(0, r.freshInputTokens - r.replyTokens) - r.promptTokens;
    if (carried[k]! > 0 && dropped > 0.5 * (carried[k]! + reasoning)) {
      nodes[i]!.dropReasoning = "all";
      carried[i] = 0;
    } else if (dropped > 0.5 * reasoning) {
      nodes[i]!.dropReasoning = "parent";
      carried[i] = carried[k]!;
    } else carried[i] = carried[k]! + reasoning;
  });
}

/** The shared scaffolds the trace's requests name, once each (first seen wins; readers check they agree). */
export function traceScaffolds(trace: Trace): Scaffold[] {
  const seen = new Map<string, Scaffold>();
  for (const r of trace.requests) if (r.scaffold && r.historyParent === null && !seen.has(r.scaffold.id)) seen.set(r.scaffold.id, { ...r.scaffold });
  return [...seen.values()];
}

/** The trace as a workload (first requests carry their whole prompt as fresh input, less a named scaffold). */
export function traceWorkload(trace: Trace, name = trace.source): Workload {
  return { name, seed: "trace", scaffolds: traceScaffolds(trace), sessions: traceSessionGraphs(trace) };
}
