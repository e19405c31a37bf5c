// Core plain-data types of a workload: the session graph every stage after the spec works on.
// Kept free of behaviour so generators, trace readers, the dispatcher and reports can share them.

/** What a request node stands for in the agent's life. */
export type NodeKind = "turn" | "spawn" | "report" | "compaction";

/** One inference request in a session graph. */
export interface RequestNode {
  /** Unique within its session. */
  id: string;
  /** Nodes that must finish before this one is ready. */
  parents: string[];
  /**
   * The parent whose whole conversation (its prompt plus its reply) this node's prompt starts with.
   * null: the node starts from its scaffold alone (a session's first request, a subagent's first
   * request, the request after a compaction).
   */
  historyParent: string | null;
  /** Tokens this node adds on top of what it inherits (the new user or tool-result message). */
  freshInputTokens: number;
  /** Tokens the server is asked to generate (max_tokens, with ignore_eos where supported). */
  outputTokens: number;
  /** Milliseconds between the node becoming ready (all parents done) and its dispatch. */
  waitAfterReadyMs: number;
  kind?: NodeKind;
  /** Of outputTokens: hidden reasoning, which a later prompt may carry or drop (the rest is the visible reply). */
  reasoningTokens?: number;
  /**
   * How this node's prompt carries the reasoning of earlier replies. "parent": its history
   * parent's reply without its reasoning (the visible part only); "all": every reply of its history
   * without reasoning (a new user turn, where agents drop the reasoning of the turn before).
   * Absent: replies as they were inherited.
   */
  dropReasoning?: "parent" | "all";
  /** Which scaffold this node's prompt starts with when it differs from the session's (subagents). */
  scaffoldId?: string;
  /**
   * Traces with prefix block hashes (Mooncake, Veeksha shared_prefix): the fresh input starts with
   * these blocks of `blockSize` tokens (the last may be cut short by freshInputTokens). A block id
   * renders the same text in every session, so requests that share leading ids share a prefix.
   */
  prefixBlocks?: { ids: number[]; blockSize: number };
}

/**
 * The shared start of every prompt of one agent type: system prompt and tool definitions.
 * Byte-identical across all sessions that name it, so servers can share its prefix cache.
 */
export interface Scaffold {
  id: string;
  systemTokens: number;
  toolTokens: number;
}

/** One agent session: a DAG of requests that start from a scaffold. */
export interface SessionGraph {
  id: string;
  /** Agent type name this session was drawn from (spec `agents[].name`). */
  agent?: string;
  /** Default scaffold of this session's nodes. */
  scaffoldId?: string;
  /** Topologically ordered: every parent appears before its children. */
  nodes: RequestNode[];
  /** Milliseconds from the workload start at which the session arrives (timed traces, rate traffic). */
  arrivalMs?: number;
}

/** Everything a run needs from the workload side, ready to dispatch. */
export interface Workload {
  name: string;
  seed: string;
  scaffolds: Scaffold[];
  sessions: SessionGraph[];
}

/** A seeded source of uniform numbers in [0, 1); defined with the random streams in stats/. */
export type { Rng } from "../stats/random.js";

/** A tool call in an assistant message (OpenAI chat format). */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** An OpenAI chat message, as far as rendering and replies need. */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string };
