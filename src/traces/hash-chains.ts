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
 * The leading hash ids that more than half of `requests` share (by their first ids, in order):
 * how many, and the requests that share them all. Each position is one majority vote (Boyer and
 * Moore's), with no map of ids: on a million requests a map per position took 1.4 s.
 */
export function majorityPrefix<R extends { hashIds?: ArrayLike<number> | undefined }>(requests: readonly R[]): { blocks: number; sharing: R[] } {
  let sharing = requests.filter((r) => r.hashIds && r.hashIds.length > 0);
  const need = requests.length / 2;
  let blocks = 0;
  for (let i = 0; sharing.length > need; i++) {
    let candidate = 0;
    let votes = 0;
    for (const r of sharing) {
      const id = r.hashIds![i];
      if (id === undefined) continue;
      if (votes === 0) candidate = id;
      votes += id === candidate ? 1 : -1;
    }
    if (votes <= 0) break;
    let count = 0;
    for (const r of sharing) if (r.hashIds![i] === candidate) count++;
    if (count <= need) break;
    if (count < sharing.length) sharing = sharing.filter((r) => r.hashIds![i] === candidate);
    blocks = i + 1;
  }
  return { blocks, sharing };
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

/** Blocks of a request's prompt that are whole (the last one is partial unless the prompt fills it). */
function fullBlocks(r: TraceRequest, blockSize: number): number {
  const ids = r.hashIds?.length ?? 0;
  return r.promptTokens === undefined ? ids : Math.min(ids, Math.floor(r.promptTokens / blockSize));
}

function samePrefix(a: readonly number[], b: readonly number[], n: number): boolean {
  for (let i = n - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Links, in place, the requests that continue an earlier one (see the rules above). `requests`
 * are in dispatch order, each without parents (a reader's own objects); requests without hash
 * ids or prompt sizes stay as they are.
 */
export function linkHashChains(requests: readonly TraceRequest[], blockSize: number): HashChains {
  const scaffoldBlocks = majorityPrefix(requests).blocks;
  // The latest request whose full blocks end with this id (an id names its whole prefix; the
  // prefix is compared again in case a trace reuses ids).
  const endingWith = new Map<number, number>();
  // The first id after the scaffold of every request so far: a request whose own is not among
  // them shares no more than the scaffold with any earlier one, and is not looked up further
  // (most first requests; on a million requests this halves the time).
  const openings = new IdSet();
  const children = new Int32Array(requests.length);
  let continued = 0;
  let siblings = 0;
  let forks = 0;
  requests.forEach((r, i) => {
    const ids = r.hashIds;
    if (!ids || r.promptTokens === undefined) return;
    const prompt = r.promptTokens;
    let parent = -1;
    let sibling = -1;
    let siblingBlocks = 0;
    if (ids.length > scaffoldBlocks && openings.has(ids[scaffoldBlocks]!)) {
      for (let k = ids.length; k > scaffoldBlocks && parent < 0; k--) {
        const j = endingWith.get(ids[k - 1]!);
        if (j === undefined) continue;
        const p = requests[j]!;
        if (fullBlocks(p, blockSize) !== k || !samePrefix(p.hashIds!, ids, k)) continue;
        if (prompt > p.promptTokens!) parent = j;
        else if (sibling < 0 && prompt > k * blockSize) [sibling, siblingBlocks] = [j, k];
      }
    }
    const to = parent >= 0 ? parent : sibling;
    if (to >= 0) {
      const p = requests[to]!;
      if (parent >= 0) link(r, p, prompt - p.promptTokens!, Math.min(p.outputTokens, prompt - p.promptTokens!));
      else {
        link(r, p, prompt - siblingBlocks * blockSize, 0);
        siblings++;
      }
      continued++;
      if (++children[to]! === 2) forks++;
    }
    if (ids.length > scaffoldBlocks) openings.add(ids[scaffoldBlocks]!);
    const full = fullBlocks(r, blockSize);
    if (full > 0) endingWith.set(ids[full - 1]!, i);
  });
  return { scaffoldBlocks, continued, siblings, forks };
}
