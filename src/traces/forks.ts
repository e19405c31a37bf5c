// Forks within one conversation as subagents that inherit history, for fitting. A Veeksha DAG
// branches one conversation: a request's history children all continue it (its 3-way fan-out
// has node 1 continued by 2, 3 and 4). A spec says that with subagents whose first request
// continues the spawning turn's conversation (`inheritHistory`), so before fitting each such
// fork is cut into chains: at a request with several history children in its conversation, the
// child with the most history descendants continues the conversation and the others start
// conversations of their own, spawned (`subagent_spawn`) by it; an edge that then crosses into
// another conversation from a branch's request reads its result (`subagent_result`). Fitted as a
// chain instead, case study 2's DAG trace generated 2.4 times its prompt tokens.
import { indexTrace } from "./sessions.js";
import type { EdgeType, Trace, TraceRequest } from "./types.js";

/**
 * Does a request have several history children in its conversation? Counted over the trace's
 * index (built once, shared with analyze): on a million requests without forks the maps below
 * took 2.6 s to find none.
 */
function hasForks(trace: Trace): boolean {
  const { history } = indexTrace(trace);
  const requests = trace.requests;
  const children = new Uint8Array(requests.length);
  for (let i = 0; i < requests.length; i++) {
    const p = history[i]!;
    if (p < 0 || requests[p]!.conversation !== requests[i]!.conversation) continue;
    if (children[p]! > 0) return true;
    children[p] = 1;
  }
  return false;
}

/** The trace with forks cut into chains (the same requests, sizes and times); unchanged without forks. */
export function forksAsSpawns(trace: Trace): Trace {
  if (!hasForks(trace)) return trace;
  const byId = new Map(trace.requests.map((r) => [r.id, r]));
  const children = new Map<string, TraceRequest[]>();
  for (const r of trace.requests) {
    if (r.historyParent === null) continue;
    const parent = byId.get(r.historyParent);
    if (!parent || parent.conversation !== r.conversation) continue;
    const list = children.get(parent.id);
    if (list) list.push(r);
    else children.set(parent.id, [r]);
  }
  if (![...children.values()].some((list) => list.length > 1)) return trace;

  // History descendants of each request, children before parents (requests are topological).
  const descendants = new Map<string, number>();
  for (let i = trace.requests.length - 1; i >= 0; i--) {
    const r = trace.requests[i]!;
    let n = 0;
    for (const c of children.get(r.id) ?? []) n += 1 + descendants.get(c.id)!;
    descendants.set(r.id, n);
  }
  const conversation = new Map<string, string>();
  const spawned = new Set<string>();
  for (const r of trace.requests) {
    if (!conversation.has(r.id)) conversation.set(r.id, r.conversation);
    const list = children.get(r.id);
    if (!list) continue;
    // The child with the most descendants continues; the first of equals wins.
    let keep = list[0]!;
    for (const c of list) if (descendants.get(c.id)! > descendants.get(keep.id)!) keep = c;
    for (const c of list) {
      if (c === keep) conversation.set(c.id, conversation.get(r.id)!);
      else {
        conversation.set(c.id, `${r.conversation}/fork-${c.id}`);
        spawned.add(c.id);
      }
    }
  }
  const requests = trace.requests.map((r) => {
    const c = conversation.get(r.id)!;
    const parents = r.parents.map((e) => {
      const from = conversation.get(e.from);
      let type: EdgeType = e.type;
      if (spawned.has(r.id) && e.from === r.historyParent) type = "subagent_spawn";
      else if (from !== undefined && from !== c && (e.type === "sequential" || e.type === "dependency")) type = "subagent_result";
      return type === e.type ? e : { ...e, type };
    });
    return c === r.conversation && parents.every((e, k) => e === r.parents[k]) ? r : { ...r, conversation: c, parents };
  });
  const conversations = trace.conversations ? [...trace.conversations] : undefined;
  if (conversations) {
    for (const id of spawned) conversations.push({ id: conversation.get(id)!, spawnedBy: byId.get(id)!.conversation });
  }
  return conversations ? { ...trace, requests, conversations } : { ...trace, requests };
}
