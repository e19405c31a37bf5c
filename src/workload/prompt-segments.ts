// A prompt's prefix structure as runs of tokens ("segments") that are either byte-identical to a
// run elsewhere in the workload or unique, which is what a prefix cache can reuse:
//   - the scaffold (`s:<scaffold id>`): identical in every session that names it (content/render.ts
//     seeds it by scaffold id only);
//   - the history parent's conversation: its prompt's segments, then its reply (`r:<session>/<node>`);
//   - hash-id blocks (`b:<id>:<tokens>`, RequestNode.prefixBlocks): identical wherever the id recurs;
//   - the node's own new input (`f:<session>/<node>`): unique.
// Two prompts share their first n tokens exactly when their segment lists agree that far, so a
// simulated cache (metrics/ideal-cache.ts) needs only these lists, never the text.
// Template tokens around messages are counted in the segment they precede or follow as the
// token counts given say (the scaffold's with the scaffold; the rest of a prompt's overhead with
// its new input), so the shares are right to a few template tokens per request.
import { nodesById } from "./graph.js";
import type { NodeTokens } from "./tokens.js";
import type { RequestNode, SessionGraph } from "./types.js";

export type SegmentKind = "scaffold" | "reply" | "block" | "fresh";

/** A run of tokens: equal keys mean equal text. */
export interface Segment {
  key: string;
  tokens: number;
  kind: SegmentKind;
}

/** How a prompt starts, which says why a cache may lack it (metrics/ideal-cache.ts MissReason). */
export type PromptStart =
  /** From the scaffold: a session's first request. */
  | { from: "session" }
  /** From the scaffold: a subagent's first request (no history parent, but parents). */
  | { from: "spawn" }
  /** From the scaffold again: the request after a compaction (a parent of kind "compaction"). */
  | { from: "compaction" }
  /**
   * From the history parent's whole conversation; with `upTo`, only its first upTo tokens (a
   * prompt that drops reasoning, RequestNode.dropReasoning: it differs from the first dropped
   * reply on, which is where an earlier prompt of the conversation ended).
   */
  | { from: "history"; parent: string; upTo?: number };

/** One node's prompt as segments: what it inherits (by reference) and what it adds. */
export interface PromptSegments {
  nodeId: string;
  start: PromptStart;
  /** The segments after the inherited conversation (the scaffold too, for a prompt without history). */
  own: Segment[];
  /** The reply its children inherit; null when no child inherits it or its length is not known. */
  reply: Segment | null;
}

/** Token counts of one node's prompt: the expected ones of a run's record, or sessionTokens'. */
export type PromptCounts = Pick<NodeTokens, "promptTokens" | "sharedPrefixTokens" | "scaffoldTokens">;

/**
 * Each node's prompt as segments, for the nodes `counts` has (a run's records may lack some: not
 * dispatched, warm-up kept apart). A reply's length is what its first counted child inherits
 * beyond the parent's prompt (sharedPrefixTokens - the parent's promptTokens), which counts the
 * reply as it tokenizes inside the child's prompt; negative differences count as 0.
 */
export function promptSegments(graph: SessionGraph, counts: ReadonlyMap<string, PromptCounts>): Map<string, PromptSegments> {
  const byId = nodesById(graph.nodes);
  const out = new Map<string, PromptSegments>();
  const at = (node: RequestNode) => `${graph.id}/${node.id}`;
  for (const node of graph.nodes) {
    const c = counts.get(node.id);
    if (!c) continue;
    const own: Segment[] = [];
    let start: PromptStart;
    let fresh: number;
    const parentPrompt = node.historyParent === null ? 0 : (counts.get(node.historyParent)?.promptTokens ?? 0);
    if (node.historyParent !== null && out.has(node.historyParent) && node.dropReasoning !== undefined && c.sharedPrefixTokens <= parentPrompt) {
      // It repeats the conversation only up to the first reply it drops the reasoning of; what
      // follows (visible parts, its new input) is its own. Its parent's reply length is left to a
      // child that carries it whole.
      start = { from: "history", parent: node.historyParent, upTo: c.sharedPrefixTokens };
      fresh = c.promptTokens - c.sharedPrefixTokens;
    } else if (node.historyParent !== null && out.has(node.historyParent)) {
      start = { from: "history", parent: node.historyParent };
      const parent = out.get(node.historyParent)!;
      if (parent.reply === null) {
        const replyTokens = Math.max(0, c.sharedPrefixTokens - parentPrompt);
        parent.reply = { key: `r:${graph.id}/${node.historyParent}`, tokens: replyTokens, kind: "reply" };
      }
      fresh = c.promptTokens - parentPrompt - parent.reply.tokens;
    } else {
      start = startOf(node, byId);
      if (node.historyParent !== null) {
        // Its history parent was not counted (not dispatched): nothing of it can be shared.
        own.push({ key: `f:${at(node)}`, tokens: c.promptTokens, kind: "fresh" });
        out.set(node.id, { nodeId: node.id, start, own, reply: null });
        continue;
      }
      const scaffoldId = node.scaffoldId ?? graph.scaffoldId;
      if (c.scaffoldTokens > 0 && scaffoldId !== undefined) own.push({ key: `s:${scaffoldId}`, tokens: c.scaffoldTokens, kind: "scaffold" });
      fresh = c.promptTokens - (c.scaffoldTokens > 0 ? c.scaffoldTokens : 0);
    }
    own.push(...freshSegments(graph, node, Math.max(0, fresh)));
    out.set(node.id, { nodeId: node.id, start, own, reply: null });
  }
  return out;
}

function startOf(node: RequestNode, byId: ReadonlyMap<string, RequestNode>): PromptStart {
  if (node.parents.some((p) => byId.get(p)?.kind === "compaction")) return { from: "compaction" };
  return node.parents.length > 0 ? { from: "spawn" } : { from: "session" };
}

/** The new input: its hash-id blocks first (as content/render.ts renders them), then the rest. */
function freshSegments(graph: SessionGraph, node: RequestNode, tokens: number): Segment[] {
  const out: Segment[] = [];
  let left = tokens;
  if (node.prefixBlocks) {
    const { ids, blockSize } = node.prefixBlocks;
    let content = node.freshInputTokens;
    for (let k = 0; k < ids.length && content > 0 && left > 0; k++) {
      const size = Math.min(blockSize, content, left);
      out.push({ key: `b:${ids[k]}:${size}`, tokens: size, kind: "block" });
      content -= size;
      left -= size;
    }
  }
  if (left > 0) out.push({ key: `f:${graph.id}/${node.id}`, tokens: left, kind: "fresh" });
  return out;
}
