// Structural checks and shape measures of one session graph (a DAG of request nodes).
// Everything downstream (dispatch, token accounting, writers) assumes a graph that passed
// validateSession, so its errors name the session and the node that broke the rule.
import type { RequestNode, SessionGraph } from "./types.js";

function fail(graph: SessionGraph, node: RequestNode | string | null, what: string): never {
  const where = node === null ? "" : `, node '${typeof node === "string" ? node : node.id}'`;
  throw new Error(`session '${graph.id}'${where}: ${what}`);
}

function checkCount(graph: SessionGraph, node: RequestNode, field: keyof RequestNode, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    fail(graph, node, `${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
}

/**
 * Check the rules every session graph must follow, in this order: non-empty string ids, unique
 * ids, parents that exist (and are listed once, and are not the node itself), historyParent null
 * or one of the parents, non-negative integer token counts, a finite non-negative wait, no
 * cycles, and nodes listed in topological order (every parent before its children; use
 * `toposort` first for graphs from elsewhere). Throws an Error naming session and node.
 */
export function validateSession(graph: SessionGraph): void {
  if (!Array.isArray(graph.nodes)) fail(graph, null, "nodes must be an array");
  const ids = new Set<string>();
  for (const node of graph.nodes) {
    if (typeof node.id !== "string" || node.id === "") fail(graph, null, `node id must be a non-empty string, got ${JSON.stringify(node.id)}`);
    if (ids.has(node.id)) fail(graph, node, "duplicate node id");
    ids.add(node.id);
  }
  for (const node of graph.nodes) {
    const seen = new Set<string>();
    for (const parent of node.parents) {
      if (parent === node.id) fail(graph, node, "lists itself as a parent");
      if (!ids.has(parent)) fail(graph, node, `parent '${parent}' does not exist`);
      if (seen.has(parent)) fail(graph, node, `parent '${parent}' is listed twice`);
      seen.add(parent);
    }
    if (node.historyParent !== null && !seen.has(node.historyParent)) {
      fail(graph, node, `historyParent '${node.historyParent}' is not among its parents [${node.parents.join(", ")}]`);
    }
    checkCount(graph, node, "freshInputTokens", node.freshInputTokens);
    checkCount(graph, node, "outputTokens", node.outputTokens);
    if (typeof node.waitAfterReadyMs !== "number" || !Number.isFinite(node.waitAfterReadyMs) || node.waitAfterReadyMs < 0) {
      fail(graph, node, `waitAfterReadyMs must be a finite non-negative number, got ${JSON.stringify(node.waitAfterReadyMs)}`);
    }
  }
  // A cycle is reported as such (not as a mere ordering problem) so the message says what is wrong.
  const cycle = findCycle(graph.nodes);
  if (cycle) fail(graph, cycle[0] ?? null, `cycle: ${cycle.join(" -> ")}`);
  const placed = new Set<string>();
  for (const node of graph.nodes) {
    for (const parent of node.parents) {
      if (!placed.has(parent)) fail(graph, node, `listed before its parent '${parent}' (nodes must be in topological order)`);
    }
    placed.add(node.id);
  }
}

/**
 * The nodes by id. A loop, not `new Map(nodes.map(...))`: the pair arrays that makes (one per
 * node) were 100 MB of garbage reading the million-request bench trace.
 */
export function nodesById(nodes: readonly RequestNode[]): Map<string, RequestNode> {
  const byId = new Map<string, RequestNode>();
  for (const n of nodes) byId.set(n.id, n);
  return byId;
}

/** A cycle as a list of ids (first repeated at the end), or null. Assumes parents exist. */
function findCycle(nodes: RequestNode[]): string[] | null {
  const byId = nodesById(nodes);
  const state = new Map<string, "open" | "done">();
  // Iterative depth-first search over parent edges, so deep chains do not overflow the stack.
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const parents = byId.get(top.id)!.parents;
      if (top.next >= parents.length) {
        state.set(top.id, "done");
        stack.pop();
        continue;
      }
      const parent = parents[top.next++]!;
      const s = state.get(parent);
      if (s === "open") {
        const from = stack.findIndex((f) => f.id === parent);
        // Walking parent edges goes against the arrows; reverse so it reads parent -> child.
        return [...stack.slice(from).map((f) => f.id), parent].reverse();
      }
      if (s === undefined && byId.has(parent)) {
        state.set(parent, "open");
        stack.push({ id: parent, next: 0 });
      }
    }
  }
  return null;
}

/**
 * The same graph with its nodes in topological order. Stable: nodes keep their listed order
 * where the edges allow it (Kahn's algorithm, always taking the earliest listed ready node).
 * Throws when a parent is missing or there is a cycle.
 */
export function toposort(graph: SessionGraph): SessionGraph {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const waiting = graph.nodes.map((n) => new Set(n.parents).size);
  const children: number[][] = graph.nodes.map(() => []);
  graph.nodes.forEach((node, i) => {
    for (const parent of new Set(node.parents)) {
      const p = index.get(parent);
      if (p === undefined) fail(graph, node, `parent '${parent}' does not exist`);
      children[p]!.push(i);
    }
  });
  // A small binary heap of ready indices keeps the output stable in O(n log n).
  const ready = new MinHeap();
  waiting.forEach((w, i) => {
    if (w === 0) ready.push(i);
  });
  const ordered: RequestNode[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    ordered.push(graph.nodes[i]!);
    for (const c of children[i]!) if (--waiting[c]! === 0) ready.push(c);
  }
  if (ordered.length < graph.nodes.length) {
    const cycle = findCycle(graph.nodes);
    fail(graph, cycle?.[0] ?? null, `cycle: ${cycle ? cycle.join(" -> ") : "(unknown)"}`);
  }
  return { ...graph, nodes: ordered };
}

class MinHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Depth level of every node: the number of nodes on the longest path from a root to it (roots
 * are level 1). Needs topologically ordered nodes (validateSession).
 */
export function depthLevels(graph: SessionGraph): Map<string, number> {
  const level = new Map<string, number>();
  for (const node of graph.nodes) {
    let d = 1;
    for (const p of node.parents) d = Math.max(d, (level.get(p) ?? 0) + 1);
    level.set(node.id, d);
  }
  return level;
}

/** Number of nodes on the longest path through the graph (0 for an empty graph). */
export function depth(graph: SessionGraph): number {
  let max = 0;
  for (const d of depthLevels(graph).values()) max = Math.max(max, d);
  return max;
}

/**
 * Width: the most nodes that share one depth level (see depthLevels). Nodes on the same level
 * never depend on each other, so this is an antichain and a lower bound of the true maximum
 * antichain; it is the measure the trace figures use ("grouped by longest-path depth").
 */
export function width(graph: SessionGraph): number {
  const perLevel = new Map<number, number>();
  let max = 0;
  for (const d of depthLevels(graph).values()) {
    const n = (perLevel.get(d) ?? 0) + 1;
    perLevel.set(d, n);
    max = Math.max(max, n);
  }
  return max;
}

/** How many nodes list each node as a parent. */
export function fanOut(graph: SessionGraph): Map<string, number> {
  const out = new Map<string, number>(graph.nodes.map((n) => [n.id, 0]));
  for (const node of graph.nodes) for (const p of new Set(node.parents)) out.set(p, (out.get(p) ?? 0) + 1);
  return out;
}

/** How many parents each node has. */
export function fanIn(graph: SessionGraph): Map<string, number> {
  return new Map(graph.nodes.map((n) => [n.id, new Set(n.parents).size]));
}
