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
import type { TraceRequest } from "./types.js";

export interface HashChains {
  /** The requests, continuations linked to their parents (the others unchanged). */
  requests: TraceRequest[];
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
 * how many, and the requests that share them all.
 */
export function majorityPrefix(requests: readonly TraceRequest[]): { blocks: number; sharing: TraceRequest[] } {
  let sharing = requests.filter((r) => r.hashIds && r.hashIds.length > 0);
  const need = requests.length / 2;
  let blocks = 0;
  for (let i = 0; sharing.length > need; i++) {
    const counts = new Map<number, TraceRequest[]>();
    for (const r of sharing) {
      const id = r.hashIds![i];
      if (id === undefined) continue;
      const list = counts.get(id);
      if (list) list.push(r);
      else counts.set(id, [r]);
    }
    let top: TraceRequest[] = [];
    for (const list of counts.values()) if (list.length > top.length) top = list;
    if (top.length <= need) break;
    sharing = top;
    blocks = i + 1;
  }
  return { blocks, sharing };
}

function link(r: TraceRequest, p: TraceRequest, fresh: number, reply: number): TraceRequest {
  const linked: TraceRequest = {
    ...r,
    conversation: p.conversation,
    parents: [{ from: p.id, type: "sequential" }],
    historyParent: p.id,
    freshInputTokens: fresh,
    replyTokens: reply,
  };
  // Mooncake records no response times: the wait is the gap between the two dispatches, the
  // parent's own service time included.
  if (r.dispatchedMs !== undefined && p.dispatchedMs !== undefined) linked.waitAfterReadyMs = Math.max(0, r.dispatchedMs - p.dispatchedMs);
  return linked;
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
 * Links requests that continue an earlier one (see the rules above). `requests` are in dispatch
 * order, each without parents; requests without hash ids or prompt sizes stay as they are.
 */
export function rebuildHashChains(requests: readonly TraceRequest[], blockSize: number): HashChains {
  const scaffoldBlocks = majorityPrefix(requests).blocks;
  // The latest request whose full blocks end with this id (an id names its whole prefix; the
  // prefix is compared again in case a trace reuses ids).
  const endingWith = new Map<number, number>();
  const out: TraceRequest[] = [];
  const children = new Map<string, number>();
  let continued = 0;
  let siblings = 0;
  requests.forEach((r, i) => {
    const ids = r.hashIds;
    let linked = r;
    if (ids && r.promptTokens !== undefined) {
      let parent: TraceRequest | undefined;
      let sibling: { p: TraceRequest; blocks: number } | undefined;
      for (let k = ids.length; k > scaffoldBlocks && !parent; k--) {
        const j = endingWith.get(ids[k - 1]!);
        if (j === undefined) continue;
        const p = out[j]!;
        if (fullBlocks(p, blockSize) !== k || !samePrefix(p.hashIds!, ids, k)) continue;
        if (r.promptTokens > p.promptTokens!) parent = p;
        else if (!sibling && r.promptTokens > k * blockSize) sibling = { p, blocks: k };
      }
      if (parent) {
        const fresh = r.promptTokens - parent.promptTokens!;
        linked = link(r, parent, fresh, Math.min(parent.outputTokens, fresh));
      } else if (sibling) {
        linked = link(r, sibling.p, r.promptTokens - sibling.blocks * blockSize, 0);
        siblings++;
      }
      if (linked !== r) {
        continued++;
        children.set(linked.historyParent!, (children.get(linked.historyParent!) ?? 0) + 1);
      }
      const full = fullBlocks(r, blockSize);
      if (full > 0) endingWith.set(ids[full - 1]!, i);
    }
    out.push(linked);
  });
  let forks = 0;
  for (const n of children.values()) if (n > 1) forks++;
  return { requests: out, scaffoldBlocks, continued, siblings, forks };
}
