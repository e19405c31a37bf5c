// Conversations rebuilt from prefix block hashes, for traces that list each request on its own
// (Mooncake): a request whose prompt starts with an earlier request's whole prompt continues that
// request's conversation. Only full blocks can show it: a prompt's last block is usually partial,
// and the next turn, which appends to it, hashes that block again as a different id.
//
// Rules (docs/traces.md, "Conversations from hash ids"):
// - the parent is the earlier request with the longest full-block prefix that the request starts
//   with, the latest of equals, if the request's prompt is longer than the parent's; a shorter or
//   equal one (a regeneration) continues the nearest such request before it (the parent's parent);
// - with none, a request that starts with an earlier one's whole blocks but is not longer (another
//   question on the same document, a regeneration whose parent is not in the trace) is linked to
//   it as a sibling: its fresh input is what it holds beyond those blocks, no reply. 697 of the
//   3,993 requests of Mooncake's synthetic trace are such; 76 of the conversation trace's 12,031;
// - a prefix that more than half of all requests share is the agent's scaffold, not a
//   conversation: matching only that much links nothing (on Mooncake's conversation trace every
//   request starts with the same block, and 8,039 requests would otherwise chain on it alone);
// - a fork (two requests continuing the same one) stays in the parent's conversation, a tree.
// A continuation's fresh input is its prompt minus the parent's; of that, the parent's output
// (at most) is its reply, since the next turn's prompt carries it: on the conversation trace the
// median continuation adds 474 tokens, 26 beyond the parent's output.
import { grownArray } from "../stats/column.js";
import { IdSet } from "../stats/id-set.js";
import type { TraceRequest } from "./types.js";

export interface HashChains {
  /** Leading blocks more than half of the requests share (the scaffold), never a link on its own. */
  scaffoldBlocks: number;
  /** Requests linked to an earlier one (continuations and siblings). */
  continued: number;
  /** Of those, siblings: not longer than the request they are linked to. */
  siblings: number;
  /** Requests that more than one later request is linked to. */
  forks: number;
}

/**
 * What the links are made from: requests in dispatch order, by position, their hash ids and
 * prompt sizes. Over a reader's objects (linkHashChains) or its columns (HashColumns), so both
 * forms of a trace are linked by the one set of rules.
 */
export interface HashRows {
  readonly length: number;
  /** How many hash ids request i has (0: none). */
  count(i: number): number;
  /** Request i's k-th hash id (k below count(i)). */
  id(i: number, k: number): number;
  /** Request i's prompt tokens, undefined when not given. */
  prompt(i: number): number | undefined;
  outputTokens(i: number): number;
}

/** Makes request `child` continue request `parent` (positions in the rows), adding `fresh` tokens of which `reply` are the parent's reply. */
export type Link = (child: number, parent: number, fresh: number, reply: number) => void;

/** Requests as objects, as a reader made them. */
class RequestRows implements HashRows {
  constructor(private readonly requests: readonly TraceRequest[]) {}

  get length(): number {
    return this.requests.length;
  }

  count(i: number): number {
    return this.requests[i]!.hashIds?.length ?? 0;
  }

  id(i: number, k: number): number {
    return this.requests[i]!.hashIds![k]!;
  }

  prompt(i: number): number | undefined {
    return this.requests[i]!.promptTokens;
  }

  outputTokens(i: number): number {
    return this.requests[i]!.outputTokens;
  }
}

/**
 * Requests held in columns, taken in the order `order` gives (positions in the columns): the hash
 * ids of column position r are values[start[r]] up to values[start[r + 1]]. Where each request's
 * ids start and end is looked up once, in that order: through `order` at every id, linking the
 * million-request bench file took 0.74 s, 0.54 s so.
 */
export class HashColumns implements HashRows {
  private readonly first: Int32Array;
  private readonly end: Int32Array;

  constructor(
    private readonly order: Int32Array,
    start: Int32Array,
    private readonly values: Int32Array | Float64Array,
    private readonly prompts: Float64Array,
    private readonly outputs: Float64Array,
  ) {
    this.first = new Int32Array(order.length);
    this.end = new Int32Array(order.length);
    for (let i = 0; i < order.length; i++) {
      this.first[i] = start[order[i]!]!;
      this.end[i] = start[order[i]! + 1]!;
    }
  }

  get length(): number {
    return this.order.length;
  }

  count(i: number): number {
    return this.end[i]! - this.first[i]!;
  }

  id(i: number, k: number): number {
    return this.values[this.first[i]! + k]!;
  }

  prompt(i: number): number {
    return this.prompts[this.order[i]!]!;
  }

  outputTokens(i: number): number {
    return this.outputs[this.order[i]!]!;
  }
}

/** Ids from 0 up to this index an array at most (64 MB). */
const DENSE_LIMIT = 1 << 24;

/**
 * The latest position put under each id (-1: none). Traces number their blocks 0, 1, 2, ...: such
 * ids index an Int32Array, grown for an id below 2^20 or 4 times the positions put so far (at
 * most 32 bytes a request once rounded up to a power of two), and other ids go to a Map. A
 * Map<number, number> of the million-request bench file's ids took 0.35-0.4 s of the linking's
 * 0.55 s.
 */
class LatestById {
  private dense = new Int32Array(1024).fill(-1);
  private other: Map<number, number> | undefined;
  private puts = 0;

  get(id: number): number {
    if (id >= 0 && id < this.dense.length && Number.isInteger(id)) {
      const at = this.dense[id]!;
      if (at >= 0) return at;
    }
    return this.other?.get(id) ?? -1;
  }

  set(id: number, position: number): void {
    this.puts++;
    if (id >= this.dense.length && id < Math.min(DENSE_LIMIT, Math.max(1 << 20, 4 * this.puts)) && Number.isInteger(id)) {
      this.dense = grownArray(this.dense, Math.min(DENSE_LIMIT, 2 ** Math.ceil(Math.log2(id + 1))), -1);
    }
    if (id >= 0 && id < this.dense.length && Number.isInteger(id)) this.dense[id] = position;
    else (this.other ??= new Map()).set(id, position);
  }
}

/**
 * The leading hash ids that more than half of `requests` share (by their first ids, in order):
 * how many, and the requests that share them all. Each position is one majority vote (Boyer and
 * Moore's), with no map of ids: on a million requests a map per position took 1.4 s.
 */
export function majorityPrefix(requests: readonly TraceRequest[]): { blocks: number; sharing: TraceRequest[] } {
  const { blocks, sharing } = majorityOf(new RequestRows(requests));
  return { blocks, sharing: Array.from(sharing, (i) => requests[i]!) };
}

/** majorityPrefix over rows: the blocks, and the positions of the rows that share them. */
export function majorityOf(rows: HashRows): { blocks: number; sharing: Int32Array } {
  // The sharing rows' positions, narrowed in place at each block.
  const sharing = new Int32Array(rows.length);
  let n = 0;
  for (let i = 0; i < rows.length; i++) if (rows.count(i) > 0) sharing[n++] = i;
  const need = rows.length / 2;
  let blocks = 0;
  for (let b = 0; n > need; b++) {
    let candidate = 0;
    let votes = 0;
    for (let s = 0; s < n; s++) {
      const r = sharing[s]!;
      if (b >= rows.count(r)) continue;
      const id = rows.id(r, b);
      if (votes === 0) candidate = id;
      votes += id === candidate ? 1 : -1;
    }
    if (votes <= 0) break;
    let count = 0;
    for (let s = 0; s < n; s++) if (holds(rows, sharing[s]!, b, candidate)) count++;
    if (count <= need) break;
    if (count < n) {
      let kept = 0;
      for (let s = 0; s < n; s++) if (holds(rows, sharing[s]!, b, candidate)) sharing[kept++] = sharing[s]!;
      n = kept;
    }
    blocks = b + 1;
  }
  return { blocks, sharing: sharing.subarray(0, n) };
}

/** Is row r's id at block b this one? */
function holds(rows: HashRows, r: number, b: number, id: number): boolean {
  return b < rows.count(r) && rows.id(r, b) === id;
}

/** Makes `r` continue `p`'s conversation, adding `fresh` tokens of which `reply` are p's reply. */
function link(r: TraceRequest, p: TraceRequest, fresh: number, reply: number): void {
  r.conversation = p.conversation;
  r.parents = [{ from: p.id, type: "sequential" }];
  r.historyParent = p.id;
  r.freshInputTokens = fresh;
  r.replyTokens = reply;
  // Mooncake records no response times: the wait is the gap between the two dispatches, the
  // parent's own service time included.
  if (r.dispatchedMs !== undefined && p.dispatchedMs !== undefined) r.waitAfterReadyMs = Math.max(0, r.dispatchedMs - p.dispatchedMs);
}

/** Blocks of row i's prompt that are whole (the last one is partial unless the prompt fills it). */
function fullBlocks(rows: HashRows, i: number, blockSize: number): number {
  const ids = rows.count(i);
  const prompt = rows.prompt(i);
  return prompt === undefined ? ids : Math.min(ids, Math.floor(prompt / blockSize));
}

/** Do rows i and j start with the same n ids? */
function samePrefix(rows: HashRows, i: number, j: number, n: number): boolean {
  for (let k = n - 1; k >= 0; k--) if (rows.id(i, k) !== rows.id(j, k)) return false;
  return true;
}

/**
 * Links, in place, the requests that continue an earlier one (see the rules above). `requests`
 * are in dispatch order, each without parents (a reader's own objects); requests without hash
 * ids or prompt sizes stay as they are.
 */
export function linkHashChains(requests: readonly TraceRequest[], blockSize: number): HashChains {
  return linkRows(new RequestRows(requests), blockSize, (child, parent, fresh, reply) => link(requests[child]!, requests[parent]!, fresh, reply));
}

/**
 * The links of rows in dispatch order (see the rules above), each handed to `link` in that order
 * (a parent's own link before its children's); rows without hash ids or prompt sizes get none.
 */
export function linkRows(rows: HashRows, blockSize: number, link: Link): HashChains {
  const scaffoldBlocks = majorityOf(rows).blocks;
  // The latest request whose full blocks end with this id (an id names its whole prefix; the
  // prefix is compared again in case a trace reuses ids).
  const endingWith = new LatestById();
  // The first id after the scaffold of every request so far: a request whose own is not among
  // them shares no more than the scaffold with any earlier one, and is not looked up further
  // (most first requests; on a million requests this halves the time).
  const openings = new IdSet();
  const children = new Int32Array(rows.length);
  let continued = 0;
  let siblings = 0;
  let forks = 0;
  for (let i = 0; i < rows.length; i++) {
    const prompt = rows.prompt(i);
    if (prompt === undefined) continue;
    const ids = rows.count(i);
    let parent = -1;
    let sibling = -1;
    let siblingBlocks = 0;
    if (ids > scaffoldBlocks && openings.has(rows.id(i, scaffoldBlocks))) {
      for (let k = ids; k > scaffoldBlocks && parent < 0; k--) {
        const j = endingWith.get(rows.id(i, k - 1));
        if (j < 0) continue;
        if (fullBlocks(rows, j, blockSize) !== k || !samePrefix(rows, j, i, k)) continue;
        const before = rows.prompt(j)!;
        if (prompt > before) parent = j;
        else if (sibling < 0 && prompt > k * blockSize) [sibling, siblingBlocks] = [j, k];
      }
    }
    const to = parent >= 0 ? parent : sibling;
    if (to >= 0) {
      if (parent >= 0) {
        const fresh = prompt - rows.prompt(parent)!;
        link(i, parent, fresh, Math.min(rows.outputTokens(parent), fresh));
      } else {
        link(i, sibling, prompt - siblingBlocks * blockSize, 0);
        siblings++;
      }
      continued++;
      if (++children[to]! === 2) forks++;
    }
    if (ids > scaffoldBlocks) openings.add(rows.id(i, scaffoldBlocks));
    const full = fullBlocks(rows, i, blockSize);
    if (full > 0) endingWith.set(rows.id(i, full - 1), i);
  }
  return { scaffoldBlocks, continued, siblings, forks };
}
