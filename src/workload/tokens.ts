// Token accounting the workload intends, before any content exists: how long each prompt is and
// how much of it repeats the history parent's conversation byte for byte. Pure functions of the
// graph and its scaffolds; content rendering later supplies real chat-template overheads.
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

/** Prompt of a node that inherits its history parent's conversation (prompt plus reply) whole. */
export function inheritedPrompt(
  parent: NodeTokens,
  parentOutput: number,
  fresh: number,
  overhead: TemplateOverhead = NO_OVERHEAD,
): NodeTokens {
  const shared = parent.promptTokens + parentOutput + overhead.reply;
  return { promptTokens: shared + fresh + overhead.fresh, sharedPrefixTokens: shared, scaffoldTokens: parent.scaffoldTokens };
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
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
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
    out.set(node.id, inheritedPrompt(parent, parentNode.outputTokens, node.freshInputTokens, overhead));
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
