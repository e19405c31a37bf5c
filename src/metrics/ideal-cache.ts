// The prefix cache a workload allows at best: its prompts (workload/prompt-segments.ts) replayed in
// dispatch order through (a) a cache that never evicts and (b) an LRU cache of N blocks, each
// prompt token classed as a hit, a miss with its reason, or new input.
//
// Definitions (docs/metrics.md, "Ideal prefix cache"):
//   - A request's prompt enters the cache at its dispatch, its reply (what its children inherit)
//     when it ends. A hit is the prompt's longest leading part in the cache (prefix semantics:
//     nothing after the first missing token counts). Hit rate = hit tokens / prompt tokens.
//   - The infinite cache works per token: it is the bound for any prefix cache, whatever its page
//     size. It misses only content seen for the first time.
//   - The LRU cache works in blocks of `blockTokens` (vLLM's default block is 16 tokens); a block
//     is the prompt's first (k+1)·B tokens, so equal blocks mean equal prefixes. Touching a prompt
//     refreshes its blocks last-first, so the start of a prefix is evicted last (as vLLM frees a
//     request's blocks tail first). A prompt's partial last block is never cached.
//   - fresh (new input): content no earlier request had: the node's own message, a hash id seen for
//     the first time, a block cache's partial last block. No cache could have it: it is not a miss.
//   - A miss is a token some earlier request had (or the scaffold, seen for the first time), by
//     the request's reason:
//       scaffold    a session's first request: its scaffold (cold the first time it is seen,
//                   evicted later);
//       spawn       a subagent's first request (it starts from its scaffold);
//       compaction  the request after a compaction (it starts from its scaffold again);
//       ttl         a request that waited longer than `ttlMs` before its dispatch lost what it inherits;
//       fork        a second or later child of one history parent lost the parent's conversation;
//       history     a first child lost its history parent's conversation.
//     First-seen scaffold tokens are "scaffold" whatever the request (the cold start a warm server
//     would not pay); every other missed token takes its request's reason.
// It runs once over a finished run's records, never on the dispatch path: the infinite cache costs
// O(segments) per request, the LRU cache O(prompt tokens / blockTokens) per request.
import { promptSegments, type PromptSegments, type Segment } from "../workload/prompt-segments.js";
import { sessionTokens, type ScaffoldLookup } from "../workload/tokens.js";
import type { SessionGraph } from "../workload/types.js";

export type MissReason = "scaffold" | "spawn" | "compaction" | "ttl" | "fork" | "history";
export const MISS_REASONS: readonly MissReason[] = ["scaffold", "spawn", "compaction", "ttl", "fork", "history"];

/** One dispatched request, as the simulation needs it. */
export interface CacheRequest {
  sessionId: string;
  prompt: PromptSegments;
  /** When it was sent and when its reply was whole (any one clock; a given order: its index). */
  dispatchAt: number;
  endAt: number;
  /** Milliseconds it waited, once ready, before its dispatch (the TTL reason compares it). */
  waitMs: number;
  /** Counted in the totals; warm-up requests are not, but still fill the cache. */
  measured: boolean;
  /** Its reply entered the server's cache (it ended well). */
  replied: boolean;
}

/** Where one request's prompt tokens stand in a simulated cache. */
export interface CacheOutcome {
  promptTokens: number;
  hitTokens: number;
  /** Tokens an earlier request had (or a first-seen scaffold), not in the cache, by reason. */
  missed: Record<MissReason, number>;
  /** New input: no cache could have had it. */
  fresh: number;
  /** Why this request would lose what it could reuse (see the header). */
  reason: MissReason;
}

export interface CacheTotals {
  requests: number;
  promptTokens: number;
  hitTokens: number;
  /** hitTokens / promptTokens; null without prompt tokens. */
  hitRate: number | null;
  missed: Record<MissReason, number>;
  fresh: number;
}

export interface SimulationOptions {
  /** A request whose wait before dispatch exceeds this lost what it inherits to "ttl". */
  ttlMs: number;
  /** Simulate an LRU cache of this many blocks of blockTokens tokens as well. */
  lru?: { blocks: number; blockTokens: number };
}

export interface SimulationResult {
  /** By request, in the order given. */
  infinite: CacheOutcome[];
  lru: CacheOutcome[] | null;
}

export const noMisses = (): Record<MissReason, number> => ({ scaffold: 0, spawn: 0, compaction: 0, ttl: 0, fork: 0, history: 0 });

/** Interned prompt prefixes: one node per distinct list of segments from the prompt's start. */
class PrefixTrie {
  private readonly index = new Map<string, number>();
  readonly parent: number[] = [-1];
  readonly segment: (Segment | null)[] = [null];
  /** Tokens from the prompt's start to the end of the node's segment. */
  readonly end: number[] = [0];

  child(node: number, segment: Segment): number {
    if (segment.tokens <= 0) return node;
    const key = `${node}\u0000${segment.key}\u0000${segment.tokens}`;
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.parent.length;
      this.index.set(key, id);
      this.parent.push(node);
      this.segment.push(segment);
      this.end.push(this.end[node]! + segment.tokens);
    }
    return id;
  }

  /** The nodes from the start to `node`, first first (the root left out). */
  path(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = this.parent[n]!) out.push(n);
    return out.reverse();
  }
}

export function simulatePrefixCache(requests: readonly CacheRequest[], options: SimulationOptions): SimulationResult {
  const trie = new PrefixTrie();
  const keyOf = (r: CacheRequest, nodeId: string) => `${r.sessionId}\u0000${nodeId}`;
  const byKey = new Map(requests.map((r, i) => [keyOf(r, r.prompt.nodeId), i]));
  const promptNode = new Array<number>(requests.length).fill(-1);
  const conversationNode = new Array<number>(requests.length).fill(-1);
  const nodeOf = (i: number, seen = new Set<number>()): number => {
    if (promptNode[i]! >= 0) return promptNode[i]!;
    const r = requests[i]!;
    let at = 0;
    if (r.prompt.start.from === "history") {
      const p = byKey.get(keyOf(r, r.prompt.start.parent));
      if (p === undefined || seen.has(p)) throw new Error(`session '${r.sessionId}', node '${r.prompt.nodeId}': history parent '${r.prompt.start.parent}' is not among the requests`);
      seen.add(i);
      nodeOf(p, seen);
      at = conversationNode[p]!;
    }
    for (const s of r.prompt.own) at = trie.child(at, s);
    promptNode[i] = at;
    conversationNode[i] = r.prompt.reply ? trie.child(at, r.prompt.reply) : at;
    return at;
  };
  requests.forEach((_, i) => nodeOf(i));

  // Dispatches and ends in time order; at one instant ends first (a child sent the moment its parent ended sees the reply).
  const events: { at: number; end: boolean; i: number }[] = [];
  requests.forEach((r, i) => {
    events.push({ at: r.dispatchAt, end: false, i });
    if (r.replied) events.push({ at: r.endAt, end: true, i });
  });
  events.sort((a, b) => a.at - b.at || Number(b.end) - Number(a.end) || a.i - b.i);

  // The reasons depend on the order only: a fork is a history parent's second child dispatched.
  const reasons = new Array<MissReason>(requests.length);
  const childrenSent = new Map<string, number>();
  for (const e of events) {
    if (e.end) continue;
    const r = requests[e.i]!;
    const start = r.prompt.start;
    if (start.from !== "history") {
      reasons[e.i] = start.from === "session" ? "scaffold" : start.from;
      continue;
    }
    const parent = keyOf(r, start.parent);
    const sent = childrenSent.get(parent) ?? 0;
    childrenSent.set(parent, sent + 1);
    reasons[e.i] = r.waitMs > options.ttlMs ? "ttl" : sent > 0 ? "fork" : "history";
  }

  const infinite = infiniteCache(trie, events, promptNode, conversationNode, reasons, requests);
  const lru = options.lru ? lruCache(trie, events, promptNode, conversationNode, reasons, requests, options.lru) : null;
  return { infinite, lru };
}

function emptyOutcome(reason: MissReason, promptTokens: number): CacheOutcome {
  return { promptTokens, hitTokens: 0, missed: noMisses(), fresh: 0, reason };
}

function infiniteCache(
  trie: PrefixTrie,
  events: readonly { end: boolean; i: number }[],
  promptNode: readonly number[],
  conversationNode: readonly number[],
  reasons: readonly MissReason[],
  requests: readonly CacheRequest[],
): CacheOutcome[] {
  const inserted = new Uint8Array(trie.parent.length);
  inserted[0] = 1;
  const out = new Array<CacheOutcome>(requests.length);
  for (const e of events) {
    const path = trie.path(e.end ? conversationNode[e.i]! : promptNode[e.i]!);
    if (!e.end) {
      const o = emptyOutcome(reasons[e.i]!, trie.end[promptNode[e.i]!]!);
      let k = 0;
      for (; k < path.length && inserted[path[k]!]; k++) o.hitTokens = trie.end[path[k]!]!;
      for (; k < path.length; k++) {
        const n = path[k]!;
        const s = trie.segment[n]!;
        // In a cache that never evicts, what is not there was never seen.
        if (s.kind === "scaffold") o.missed.scaffold += s.tokens;
        else if (s.kind === "reply") o.missed[o.reason] += s.tokens; // its parent's reply never arrived
        else o.fresh += s.tokens;
      }
      out[e.i] = o;
    }
    for (const n of path) inserted[n] = 1;
  }
  return out;
}

function lruCache(
  trie: PrefixTrie,
  events: readonly { end: boolean; i: number }[],
  promptNode: readonly number[],
  conversationNode: readonly number[],
  reasons: readonly MissReason[],
  requests: readonly CacheRequest[],
  { blocks: capacity, blockTokens: size }: { blocks: number; blockTokens: number },
): CacheOutcome[] {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`LRU cache: blockTokens must be a positive integer, got ${size}`);
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`LRU cache: blocks must be a positive integer, got ${capacity}`);
  // Map order is recency: a touched block is deleted and set again, the first key is the least recent.
  const cache = new Map<string, true>();
  const seen = new Set<string>();
  const out = new Array<CacheOutcome>(requests.length);
  for (const e of events) {
    const blocks = blocksOf(trie, e.end ? conversationNode[e.i]! : promptNode[e.i]!, size);
    if (!e.end) {
      const total = trie.end[promptNode[e.i]!]!;
      const o = emptyOutcome(reasons[e.i]!, total);
      let k = 0;
      for (; k < blocks.length && cache.has(blocks[k]!.key); k++) o.hitTokens += size;
      for (; k < blocks.length; k++) {
        const b = blocks[k]!;
        if (seen.has(b.key)) o.missed[o.reason] += size;
        else if (b.scaffoldOnly) o.missed.scaffold += size;
        else o.fresh += size;
      }
      o.fresh += total - blocks.length * size;
      out[e.i] = o;
    }
    for (let k = blocks.length - 1; k >= 0; k--) {
      const key = blocks[k]!.key;
      cache.delete(key);
      cache.set(key, true);
      seen.add(key);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
    }
  }
  return out;
}

/** The whole blocks of the prompt ending at `node`: each named by where its last token lies. */
function blocksOf(trie: PrefixTrie, node: number, size: number): { key: string; scaffoldOnly: boolean }[] {
  const path = trie.path(node);
  const out: { key: string; scaffoldOnly: boolean }[] = [];
  let blockStart = 0;
  let scaffoldOnly = true;
  for (const n of path) {
    const segmentStart = trie.end[trie.parent[n]!]!;
    const isScaffold = trie.segment[n]!.kind === "scaffold";
    // Every block that ends inside this segment.
    for (let blockEnd = blockStart + size; blockEnd <= trie.end[n]!; blockEnd += size) {
      out.push({ key: `${n}:${blockEnd - segmentStart}`, scaffoldOnly: scaffoldOnly && isScaffold });
      blockStart = blockEnd;
      scaffoldOnly = true;
    }
    if (trie.end[n]! > blockStart) scaffoldOnly &&= isScaffold;
  }
  return out;
}

/** The outcomes of the measured requests added up. */
export function cacheTotals(requests: readonly CacheRequest[], outcomes: readonly CacheOutcome[]): CacheTotals {
  const t: CacheTotals = { requests: 0, promptTokens: 0, hitTokens: 0, hitRate: null, missed: noMisses(), fresh: 0 };
  outcomes.forEach((o, i) => {
    if (!requests[i]!.measured) return;
    t.requests++;
    t.promptTokens += o.promptTokens;
    t.hitTokens += o.hitTokens;
    t.fresh += o.fresh;
    for (const r of MISS_REASONS) t.missed[r] += o.missed[r];
  });
  t.hitRate = t.promptTokens > 0 ? t.hitTokens / t.promptTokens : null;
  return t;
}

/**
 * A workload's requests in a given order (default: session after session, each node after its
 * predecessor in the graph has ended), with the token counts the workload intends (no template
 * overhead): the ideal cache of a workload before any run.
 */
export function requestsInOrder(sessions: readonly SessionGraph[], scaffolds: ScaffoldLookup): CacheRequest[] {
  const out: CacheRequest[] = [];
  for (const graph of sessions) {
    const prompts = promptSegments(graph, sessionTokens(graph, scaffolds));
    for (const node of graph.nodes) {
      const at = out.length;
      out.push({ sessionId: graph.id, prompt: prompts.get(node.id)!, dispatchAt: at, endAt: at + 0.5, waitMs: node.waitAfterReadyMs, measured: true, replied: true });
    }
  }
  return out;
}
