// Checks every reader's requests go through before anyone else sees them: unique ids, parents
// that exist, a history parent among the parents, no cycles, and topological order (stable:
// requests keep their listed order where the edges allow). Allocates per request only when the
// order has to change, so million-request traces pass quickly.
import type { TraceRequest } from "./types.js";
import { TraceError } from "./where.js";
import { NumberHeap } from "../stats/number-heap.js";

/**
 * The requests in topological order, checked. `source` names the trace in errors; `describe`
 * says where a request came from (e.g. "line 12", "node \"m:3\""). A reader that already
 * mapped ids to positions (each id once) passes its map as `index`.
 */
export function orderedRequests(
  requests: TraceRequest[],
  source: string,
  describe: (index: number) => string = (i) => `request ${i + 1}`,
  index: Map<string, number> = uniqueIds(requests, source, describe),
): TraceRequest[] {
  const fail = (i: number, what: string): never => {
    throw new TraceError(`${source}: ${describe(i)}: ${what}`);
  };
  let inOrder = true;
  requests.forEach((r, i) => {
    const parents = r.parents;
    let history = r.historyParent === null;
    for (let k = 0; k < parents.length; k++) {
      const from = parents[k]!.from;
      const p = index.get(from);
      if (p === undefined) fail(i, `parent '${from}' of request '${r.id}' is not in the trace`);
      if (p === i) fail(i, `request '${r.id}' lists itself as a parent`);
      for (let j = 0; j < k; j++) if (parents[j]!.from === from) fail(i, `request '${r.id}' lists parent '${from}' twice`);
      if (p! > i) inOrder = false;
      if (from === r.historyParent) history = true;
    }
    if (!history) fail(i, `history parent '${r.historyParent}' of request '${r.id}' is not among its parents`);
  });
  return inOrder ? requests : topologicalOrder(requests, index, (i) => fail(i, `request '${requests[i]!.id}' is part of a dependency cycle`));
}

/** Positions of the request ids; an id used twice is an error naming both places. */
export function uniqueIds(requests: readonly TraceRequest[], source: string, describe: (index: number) => string): Map<string, number> {
  const index = new Map<string, number>();
  requests.forEach((r, i) => {
    const seen = index.get(r.id);
    if (seen !== undefined) {
      throw new TraceError(`${source}: ${describe(i)}: request id '${r.id}' is used twice (also ${describe(seen)})`);
    }
    index.set(r.id, i);
  });
  return index;
}

/** Kahn's algorithm, always taking the earliest listed ready request (a binary heap of indices). */
function topologicalOrder(requests: TraceRequest[], index: Map<string, number>, cycle: (i: number) => never): TraceRequest[] {
  const waiting = new Int32Array(requests.length);
  const children: number[][] = requests.map(() => []);
  requests.forEach((r, i) => {
    waiting[i] = r.parents.length;
    for (const edge of r.parents) children[index.get(edge.from)!]!.push(i);
  });
  const heap = new NumberHeap(requests.length);
  waiting.forEach((w, i) => {
    if (w === 0) heap.push(i);
  });
  const out: TraceRequest[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    out.push(requests[i]!);
    for (const c of children[i]!) if (--waiting[c]! === 0) heap.push(c);
  }
  if (out.length < requests.length) cycle(requests.findIndex((_, i) => waiting[i]! > 0));
  return out;
}
