// The prefix cache a workload allows at best: its prompts (workload/prompt-segments.ts) replayed in
// dispatch order through (a) a cache that never evicts and (b) an LRU cache of N blocks, each
// prompt token classed as a hit, a miss with its reason, or new input.
//
// Definitions (docs/metrics.md, "Ideal prefix cache"):
//   - A request looks the cache up at its dispatch; its prompt enters the cache with its first
//     token (a prefix still being computed serves no one: two sessions sent together both compute
//     their scaffold), its reply (what its children inherit) when it ends. A hit is the prompt's
//     longest leading part in the cache (prefix semantics: nothing after the first missing token
//     counts). Hit rate = hit tokens / prompt tokens.
//   - The infinite cache works per token: it is the bound for any prefix cache, whatever its page
//     size. It misses only content seen for the first time (or still being computed).
//   - The LRU cache works in blocks of `blockTokens` (vLLM's default block is 16 tokens); a block
//     is the prompt's first (k+1)·B tokens, so equal blocks mean equal prefixes. Touching a prompt
//     refreshes its blocks last-first, so the start of a prefix is evicted last (as vLLM frees a
//     request's blocks tail first). A prompt's partial last block is never cached.
//   - fresh (new input): content no earlier request had: the node's own message, a hash id seen for
//     the first time, a block cache's partial last block. No cache could have it: it is not a miss.
//   - A miss is a token some earlier request sent (or the scaffold, seen for the first time), by
//     the request's reason:
//       scaffold    a session's first request: its scaffold (cold the first time it is seen,
//                   evicted later);
//       blocks      a session's first request that starts with hash-id blocks (no scaffold):
//                   blocks an earlier session sent, evicted;
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

export type MissReason = "scaffold" | "blocks" | "spawn" | "compaction" | "ttl" | "fork" | "history";
export const MISS_REASONS: readonly MissReason[] = ["scaffold", "blocks", "spawn", "compaction", "ttl", "fork", "history"];

/** One dispatched request, as the simulation needs it. */
export interface CacheRequest {
  sessionId: string;
  prompt: PromptSegments;
  /**
   * When it was sent, when its prompt was in the server's cache (its first token: a prefix still
   * being computed serves nobody) and when its reply was whole; any one clock.
   */
  dispatchAt: number;
  prefilledAt: number;
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

export const noMisses = (): Record<MissReason, number> => ({ scaffold: 0, blocks: 0, spawn: 0, compaction: 0, ttl: 0, fork: 0, history: 0 });

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
      // A prompt that drops reasoning repeats the conversation only so far: the deepest prefix
      // that ends there (its end is where an earlier prompt of the conversation ended).
      const upTo = r.prompt.start.upTo;
      if (upTo !== undefined) while (at > 0 && trie.end[at]! > upTo) at = trie.parent[at]!;
    }
    for (const s of r.prompt.own) at = trie.child(at, s);
    promptNode[i] = at;
    conversationNode[i] = r.prompt.reply ? trie.child(at, r.prompt.reply) : at;
    return at;
  };
  requests.forEach((_, i) => nodeOf(i));

  const steps = cacheSteps(requests);
  // The reasons depend on the order only: a fork is a history parent's second child dispatched.
  const reasons = new Array<MissReason>(requests.length);
  const childrenSent = new Map<string, number>();
  for (const e of steps) {
    if (e.phase !== LOOKUP) continue;
    const r = requests[e.i]!;
    const start = r.prompt.start;
    if (start.from !== "history") {
      const first = r.prompt.own[0]?.kind;
      reasons[e.i] = start.from !== "session" ? start.from : first === "block" ? "blocks" : "scaffold";
      continue;
    }
    const parent = keyOf(r, start.parent);
    const sent = childrenSent.get(parent) ?? 0;
    childrenSent.set(parent, sent + 1);
    reasons[e.i] = r.waitMs > options.ttlMs ? "ttl" : sent > 0 ? "fork" : "history";
  }

  const infinite = infiniteCache(trie, steps, promptNode, conversationNode, reasons, requests);
  const lru = options.lru ? lruCache(trie, steps, promptNode, conversationNode, reasons, requests, options.lru) : null;
  return { infinite, lru };
}

/** A request's lookup at dispatch, its prompt entering the cache, its reply entering it: in this order. */
const LOOKUP = 1;
const PROMPT = 2;
const REPLY = 3;
interface Step {
  at: number;
  phase: typeof LOOKUP | typeof PROMPT | typeof REPLY;
  i: number;
}

/**
 * Every request's steps in time order; at one instant replies and prompts enter before lookups (a
 * child sent the moment its parent ended sees the reply). A step due before its request's previous
 * one (equal or rounded times) comes right after it.
 */
function cacheSteps(requests: readonly CacheRequest[]): Step[] {
  const raw: Step[] = [];
  requests.forEach((r, i) => {
    raw.push({ at: r.dispatchAt, phase: LOOKUP, i }, { at: r.prefilledAt, phase: PROMPT, i });
    if (r.replied) raw.push({ at: r.endAt, phase: REPLY, i });
  });
  const rank = (s: Step) => (s.phase === LOOKUP ? 1 : 0);
  raw.sort((a, b) => a.at - b.at || rank(a) - rank(b) || b.phase - a.phase || a.i - b.i);
  const done = new Uint8Array(requests.length);
  const waiting = new Map<number, Step[]>();
  const out: Step[] = [];
  for (const step of raw) {
    if (done[step.i] !== step.phase - 1) {
      const list = waiting.get(step.i) ?? [];
      list.push(step);
      waiting.set(step.i, list);
      continue;
    }
    out.push(step);
    done[step.i] = step.phase;
    const later = waiting.get(step.i)?.sort((a, b) => a.phase - b.phase) ?? [];
    for (const next of later) {
      if (done[step.i] !== next.phase - 1) break;
      out.push(next);
      done[step.i] = next.phase;
    }
    waiting.delete(step.i);
  }
  return out;
}

function emptyOutcome(reason: MissReason, promptTokens: number): CacheOutcome {
  return { promptTokens, hitTokens: 0, missed: noMisses(), fresh: 0, reason };
}

function infiniteCache(
  trie: PrefixTrie,
  steps: readonly Step[],
  promptNode: readonly number[],
  conversationNode: readonly number[],
  reasons: readonly MissReason[],
  requests: readonly CacheRequest[],
): CacheOutcome[] {
  const inserted = new Uint8Array(trie.parent.length);
  inserted[0] = 1;
  const out = new Array<CacheOutcome>(requests.length);
  for (const e of steps) {
    const path = trie.path(e.phase === REPLY ? conversationNode[e.i]! : promptNode[e.i]!);
    if (e.phase === LOOKUP) {
      const o = emptyOutcome(reasons[e.i]!, trie.end[promptNode[e.i]!]!);
      let k = 0;
      for (; k < path.length && inserted[path[k]!]; k++) o.hitTokens = trie.end[path[k]!]!;
      for (; k < path.length; k++) {
        const n = path[k]!;
        const s = trie.segment[n]!;
        // In a cache that never evicts, what is not there was never seen (or is still being computed).
        if (s.kind === "scaffold") o.missed.scaffold += s.tokens;
        else if (s.kind === "reply") o.missed[o.reason] += s.tokens; // its parent's reply never arrived
        else o.fresh += s.tokens;
      }
      out[e.i] = o;
    } else for (const n of path) inserted[n] = 1;
  }
  return out;
}

function lruCache(
  trie: PrefixTrie,
  steps: readonly Step[],
  promptNode: readonly number[],
  conversationNode: readonly number[],
  reasons: readonly MissReason[],
  requests: readonly CacheRequest[],
  { blocks: capacity, blockTokens: size }: { blocks: number; blockTokens: number },
): CacheOutcome[] {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`LRU cache: blockTokens must be a positive integer, got ${size}`);
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`LRU cache: blocks must be a positive integer, got ${capacity}`);
  const cache = new LruBlocks(capacity);
  const out = new Array<CacheOutcome>(requests.length);
  const blocks: BlockList = { ids: [], scaffoldOnly: [] };
  for (const e of steps) {
    blocksOf(trie, e.phase === REPLY ? conversationNode[e.i]! : promptNode[e.i]!, size, cache, blocks);
    const n = blocks.ids.length;
    if (e.phase === LOOKUP) {
      const total = trie.end[promptNode[e.i]!]!;
      const o = emptyOutcome(reasons[e.i]!, total);
      let k = 0;
      for (; k < n && cache.has(blocks.ids[k]!); k++) o.hitTokens += size;
      for (; k < n; k++) {
        if (cache.touchedBefore(blocks.ids[k]!)) o.missed[o.reason] += size;
        else if (blocks.scaffoldOnly[k]) o.missed.scaffold += size;
        else o.fresh += size;
      }
      o.fresh += total - n * size;
      out[e.i] = o;
    } else for (let k = n - 1; k >= 0; k--) cache.touch(blocks.ids[k]!);
  }
  return out;
}

/**
 * Blocks by interned id in a doubly linked recency list (0 is the sentinel: next[0] is the least
 * recent, prev[0] the most recent), so a touch and an eviction are O(1) whatever the cache holds.
 */
class LruBlocks {
  private readonly index = new Map<number, number>();
  private prev = new Int32Array(1024);
  private next = new Int32Array(1024);
  private present = new Uint8Array(1024);
  private touched = new Uint8Array(1024);
  private size = 0;
  /** Ids handed out so far (ids start at 1). */
  private count = 0;

  constructor(private readonly capacity: number) {}

  /** The id of a block key, interned on first sight. */
  id(key: number): number {
    let id = this.index.get(key);
    if (id === undefined) {
      id = ++this.count;
      this.index.set(key, id);
      if (id >= this.prev.length) this.grow();
    }
    return id;
  }

  has(id: number): boolean {
    return this.present[id] === 1;
  }

  /** Whether the block was ever in the cache. */
  touchedBefore(id: number): boolean {
    return this.touched[id] === 1;
  }

  touch(id: number): void {
    if (this.present[id]) this.unlink(id);
    else this.size++;
    this.present[id] = 1;
    this.touched[id] = 1;
    const last = this.prev[0]!;
    this.next[last] = id;
    this.prev[id] = last;
    this.next[id] = 0;
    this.prev[0] = id;
    if (this.size > this.capacity) {
      const lru = this.next[0]!;
      this.unlink(lru);
      this.present[lru] = 0;
      this.size--;
    }
  }

  private unlink(id: number): void {
    const p = this.prev[id]!;
    const n = this.next[id]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  private grow(): void {
    this.prev = doubled(this.prev, Int32Array);
    this.next = doubled(this.next, Int32Array);
    this.present = doubled(this.present, Uint8Array);
    this.touched = doubled(this.touched, Uint8Array);
  }
}

interface BlockList {
  ids: number[];
  scaffoldOnly: boolean[];
}

// A block's key: the trie node holding its last token and that token's end within the node's
// segment. Exact in a double while nodes < 2^29 and segments < 2^24 tokens (limits.ts caps a
// request at 10^7 tokens).
const OFFSET_SPAN = 2 ** 24;

/** The whole blocks of the prompt ending at `node` into `out`: each named by where its last token lies. */
function blocksOf(trie: PrefixTrie, node: number, size: number, cache: LruBlocks, out: BlockList): void {
  out.ids.length = 0;
  out.scaffoldOnly.length = 0;
  let blockStart = 0;
  let scaffoldOnly = true;
  for (const n of trie.path(node)) {
    const segmentStart = trie.end[trie.parent[n]!]!;
    const isScaffold = trie.segment[n]!.kind === "scaffold";
    // Every block that ends inside this segment.
    for (let blockEnd = blockStart + size; blockEnd <= trie.end[n]!; blockEnd += size) {
      out.ids.push(cache.id(n * OFFSET_SPAN + (blockEnd - segmentStart)));
      out.scaffoldOnly.push(scaffoldOnly && isScaffold);
      blockStart = blockEnd;
      scaffoldOnly = true;
    }
    if (trie.end[n]! > blockStart) scaffoldOnly &&= isScaffold;
  }
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
      out.push({ sessionId: graph.id, prompt: prompts.get(node.id)!, dispatchAt: at, prefilledAt: at + 0.25, endAt: at + 0.5, waitMs: node.waitAfterReadyMs, measured: true, replied: true });
    }
  }
  return out;
}

/** A copy of `a` with twice its length, the new half zeroed. */
function doubled<T extends Int32Array | Uint8Array>(a: T, Kind: new (length: number) => T): T {
  const b = new Kind(a.length * 2);
  b.set(a);
  return b;
}
