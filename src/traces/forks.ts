// Forks within one conversation as subagents that inherit history, for fitting. A Veeksha DAG
// branches one conversation: a request's history children all continue it (its 3-way fan-out
// has node 1 continued by 2, 3 and 4). A spec says that with subagents whose first request
// continues the spawning turn's conversation (`inheritHistory`), so before fitting each such
// fork is cut into chains: at a request with several history children in its conversation, the
// child with the most history descendants continues the conversation and the others start
// conversations of their own, spawned (`subagent_spawn`) by it; an edge that then crosses into
// another conversation from a branch's request reads its result (`subagent_result`). Fitted as a
// chain instead, case study 2's DAG trace generated 2.4 times its prompt tokens.
//
// Works on the trace's columns (table.ts): the cut trace shares every column but the
// conversations and the edge types, so fitting a million-request trace makes no request objects.
import { EDGE_CODE, tableOf, tableTrace, traceMeta, type RequestTable } from "./table.js";
import type { Trace } from "./types.js";

const SEQUENTIAL = EDGE_CODE.sequential;
const DEPENDENCY = EDGE_CODE.dependency;
const SPAWN = EDGE_CODE.subagent_spawn;
const RESULT = EDGE_CODE.subagent_result;

/** Each request's history children in its own conversation, as positions: list i is at[start[i]] up to at[start[i + 1]]. */
function historyChildren(t: RequestTable): { start: Int32Array; at: Int32Array; forked: boolean } {
  const n = t.length;
  const start = new Int32Array(n + 1);
  let forked = false;
  for (let i = 0; i < n; i++) {
    const p = t.historyPosition(i);
    if (p < 0 || t.conversation[p] !== t.conversation[i]) continue;
    if (++start[p + 1]! > 1) forked = true;
  }
  if (!forked) return { start, at: new Int32Array(0), forked };
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const at = new Int32Array(start[n]!);
  const filled = start.slice(0, n);
  for (let i = 0; i < n; i++) {
    const p = t.historyPosition(i);
    if (p < 0 || t.conversation[p] !== t.conversation[i]) continue;
    at[filled[p]!++] = i;
  }
  return { start, at, forked };
}

/** The trace with forks cut into chains (the same requests, sizes and times); unchanged without forks. */
export function forksAsSpawns(trace: Trace): Trace {
  const t = tableOf(trace);
  const { start, at, forked } = historyChildren(t);
  if (!forked) return trace;
  const n = t.length;
  // History descendants of each request, children before parents (requests are topological).
  const descendants = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let d = 0;
    for (let k = start[i]!; k < start[i + 1]!; k++) d += 1 + descendants[at[k]!]!;
    descendants[i] = d;
  }
  // Each request's conversation, by name: the trace's own, or a fork's new one.
  const names = [...t.conversations];
  const conversation = new Int32Array(n).fill(-1);
  const spawned: number[] = [];
  const isSpawned = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (conversation[i]! < 0) conversation[i] = t.conversation[i]!;
    if (start[i + 1]! === start[i]!) continue;
    // The child with the most descendants continues; the first of equals wins.
    let keep = at[start[i]!]!;
    for (let k = start[i]!; k < start[i + 1]!; k++) if (descendants[at[k]!]! > descendants[keep]!) keep = at[k]!;
    for (let k = start[i]!; k < start[i + 1]!; k++) {
      const c = at[k]!;
      if (c === keep) conversation[c] = conversation[i]!;
      else {
        conversation[c] = names.push(`${t.conversations[t.conversation[i]!]!}/fork-${t.id(c)}`) - 1;
        spawned.push(c);
        isSpawned[c] = 1;
      }
    }
  }
  const types = t.parentType.slice();
  for (let i = 0; i < n; i++) {
    const history = t.historyPosition(i);
    for (let k = t.parentStart[i]!; k < t.parentStart[i + 1]!; k++) {
      const from = t.parentIndex[k]!;
      if (isSpawned[i] === 1 && from === history) types[k] = SPAWN;
      else if (conversation[from] !== conversation[i] && (types[k] === SEQUENTIAL || types[k] === DEPENDENCY)) types[k] = RESULT;
    }
  }
  // Conversations numbered again in order of their first request, as a table lists them.
  const rank = new Int32Array(names.length).fill(-1);
  const ordered: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = conversation[i]!;
    if (rank[c]! < 0) rank[c] = ordered.push(names[c]!) - 1;
    conversation[i] = rank[c]!;
  }
  const meta = traceMeta(trace);
  if (meta.conversations) {
    meta.conversations = [
      ...meta.conversations,
      ...spawned.map((c) => ({ id: ordered[conversation[c]!]!, spawnedBy: t.conversations[t.conversation[c]!]! })),
    ];
  }
  return tableTrace(t.withConversations(conversation, ordered, types), meta);
}
