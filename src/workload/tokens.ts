// Token accounting the workload intends, before any content exists: how long each prompt is and
// how much of it repeats the history parent's conversation byte for byte. Pure functions of the
// graph and its scaffolds; content rendering later supplies real chat-template overheads.
import { nodesById } from "./graph.js";
import type { RequestNode, Scaffold, SessionGraph } from "./types.js";

/**
 * Tokens the chat template adds around messages; all 0 here (the workload counts content only).
 * scaffold: around the system prompt and tool definitions; fresh: around each node's new input;
 * reply: around an inherited assistant reply.
 */
export interface TemplateOverhead {
  scaffold: number;
  fresh: number;
  reply: number;
  /** Around the first message of a prompt that has no scaffold (default: `fresh`). */
  bare?: number;
}

export const NO_OVERHEAD: TemplateOverhead = { scaffold: 0, fresh: 0, reply: 0 };

/** What one node's prompt is expected to hold. */
export interface NodeTokens {
  /** scaffold + inherited history (history parent's prompt and reply) + fresh input. */
  promptTokens: number;
  /** Tokens at the start of the prompt equal to the history parent's prompt plus its reply (0 without one). */
  sharedPrefixTokens: number;
  /** Scaffold tokens at the start of the prompt (system + tools), shared across sessions of an agent type. */
  scaffoldTokens: number;
  /** Reasoning tokens of earlier replies the prompt still carries (dropReasoning "all" drops them); absent: none. */
  carriedReasoning?: number;
  /** With carriedReasoning: the prompt's tokens before the first reply whose reasoning it carries. */
  stableTokens?: number;
}

/** A history parent's reply as a child's prompt holds it. */
export interface InheritedReply {
  /** Tokens of the reply's visible part (what stays when its reasoning is dropped). */
  visible: number;
  /** The child's RequestNode.dropReasoning. */
  drop?: "parent" | "all";
}

export function scaffoldSize(scaffold: Scaffold | undefined): number {
  return scaffold ? scaffold.systemTokens + scaffold.toolTokens : 0;
}

/** Prompt of a node that starts from its scaffold (no history parent). */
export function rootPrompt(scaffoldTokens: number, fresh: number, overhead: TemplateOverhead = NO_OVERHEAD): NodeTokens {
  if (scaffoldTokens === 0) return { promptTokens: fresh + (overhead.bare ?? overhead.fresh), sharedPrefixTokens: 0, scaffoldTokens: 0 };
  const scaffold = scaffoldTokens + overhead.scaffold;
  return { promptTokens: scaffold + fresh + overhead.fresh, sharedPrefixTokens: 0, scaffoldTokens: scaffold };
}

/**
 * Prompt of a node that inherits its history parent's conversation (prompt plus reply): whole, or
 * (`reply.drop`) with the parent's reasoning, or all carried reasoning, left out. Dropping
 * reasoning cuts the prompt short where the first dropped reasoning stood, so the part a server
 * can reuse from the parent's request ends there.
 */
export function inheritedPrompt(
  parent: NodeTokens,
  parentOutput: number,
  fresh: number,
  overhead: TemplateOverhead = NO_OVERHEAD,
  reply: InheritedReply = { visible: parentOutput },
): NodeTokens {
  const reasoning = parentOutput - reply.visible;
  const carried = parent.carriedReasoning ?? 0;
  const whole = parent.promptTokens + parentOutput + overhead.reply;
  const tokens = (base: number, shared: number, carriedAfter: number, stable: number | undefined): NodeTokens => {
    const out: NodeTokens = { promptTokens: base + fresh + overhead.fresh, sharedPrefixTokens: shared, scaffoldTokens: parent.scaffoldTokens };
    if (carriedAfter > 0) {
      out.carriedReasoning = carriedAfter;
      out.stableTokens = stable!;
    }
    return out;
  };
  if (reply.drop === undefined || reasoning === 0 && (reply.drop === "parent" || carried === 0)) {
    // The reply as it was; its reasoning, if any, is carried from here on.
    return tokens(whole, whole, carried + reasoning, carried > 0 ? parent.stableTokens : parent.promptTokens);
  }
  const base = (reply.drop === "all" ? parent.promptTokens - carried : parent.promptTokens) + reply.visible + overhead.reply;
  if (reply.drop === "parent") return tokens(base, parent.promptTokens, carried, parent.stableTokens);
  return tokens(base, carried > 0 ? parent.stableTokens! : parent.promptTokens, 0, undefined);
}

export type ScaffoldLookup = ReadonlyMap<string, Scaffold> | readonly Scaffold[];

function lookup(scaffolds: ScaffoldLookup, id: string): Scaffold | undefined {
  if (Array.isArray(scaffolds)) return (scaffolds as readonly Scaffold[]).find((s) => s.id === id);
  return (scaffolds as ReadonlyMap<string, Scaffold>).get(id);
}

/** The scaffold a node's prompt starts with: its own, else its session's, else none. */
export function nodeScaffold(graph: SessionGraph, node: RequestNode, scaffolds: ScaffoldLookup): Scaffold | undefined {
  const id = node.scaffoldId ?? graph.scaffoldId;
  if (id === undefined) return undefined;
  const scaffold = lookup(scaffolds, id);
  if (!scaffold) throw new Error(`session '${graph.id}', node '${node.id}': unknown scaffold '${id}'`);
  return scaffold;
}

/**
 * Expected tokens of every node of a session, by node id. Nodes must be topologically ordered
 * (validateSession) so each history parent is counted before its children.
 */
export function sessionTokens(
  graph: SessionGraph,
  scaffolds: ScaffoldLookup,
  overhead: TemplateOverhead = NO_OVERHEAD,
): Map<string, NodeTokens> {
  const out = new Map<string, NodeTokens>();
  const byId = nodesById(graph.nodes);
  for (const node of graph.nodes) {
    if (node.historyParent === null) {
      out.set(node.id, rootPrompt(scaffoldSize(nodeScaffold(graph, node, scaffolds)), node.freshInputTokens, overhead));
      continue;
    }
    const parent = out.get(node.historyParent);
    const parentNode = byId.get(node.historyParent);
    if (!parent || !parentNode) {
      throw new Error(`session '${graph.id}', node '${node.id}': history parent '${node.historyParent}' must come before it`);
    }
    out.set(node.id, inheritedPrompt(parent, parentNode.outputTokens, node.freshInputTokens, overhead, replyOf(parentNode, node)));
  }
  return out;
}

/** Sums over many nodes, kept as sums so they can be merged across sessions. */
export interface ReuseTotals {
  promptTokens: number;
  sharedPrefixTokens: number;
}

export function addReuse(totals: ReuseTotals, tokens: Iterable<NodeTokens>): ReuseTotals {
  let { promptTokens, sharedPrefixTokens } = totals;
  for (const t of tokens) {
    promptTokens += t.promptTokens;
    sharedPrefixTokens += t.sharedPrefixTokens;
  }
  return { promptTokens, sharedPrefixTokens };
}

/** Expected prompt reuse ratio: shared-prefix tokens / prompt tokens (0 when there are no prompt tokens). */
export function promptReuseRatio(totals: ReuseTotals): number {
  return totals.promptTokens > 0 ? totals.sharedPrefixTokens / totals.promptTokens : 0;
}

/** How `child` holds its history parent's reply, by the workload's counts (no content). */
export function replyOf(parent: Pick<RequestNode, "outputTokens" | "reasoningTokens">, child: Pick<RequestNode, "dropReasoning">): InheritedReply {
  const visible = parent.outputTokens - (parent.reasoningTokens ?? 0);
  return child.dropReasoning === undefined ? { visible } : { visible, drop: child.dropReasoning };
}
