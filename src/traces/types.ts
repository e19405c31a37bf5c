// A trace as every reader returns it: the requests an agent really made, with what the trace knows
// about each (token counts, server usage, timestamps, dependencies). Plain data, one shape for all
// formats, so analysis, fitting and the conversion to session graphs never look at a format again.
import type { NodeKind, Scaffold } from "../workload/types.js";
import type { RequestTable } from "./table.js";

/** The trace formats readTrace understands (see docs/traces.md). */
export type TraceFormat =
  | "openclaw-dag"
  | "openclaw-session"
  | "claude-code"
  | "veeksha-session"
  | "veeksha-request-log"
  | "veeksha-shared-prefix"
  | "mooncake"
  | "csv"
  | "agentload-run"
  | "veeksha-dispatch-trace"
  | "veeksha-request-metrics"
  // Not a file format: a generated workload seen as a trace (from-workload.ts).
  | "workload";

/** The formats a trace file can be in. */
export const TRACE_FORMATS: readonly Exclude<TraceFormat, "workload">[] = [
  "openclaw-dag",
  "openclaw-session",
  "claude-code",
  "veeksha-session",
  "veeksha-request-log",
  "veeksha-shared-prefix",
  "mooncake",
  "csv",
  "agentload-run",
  "veeksha-dispatch-trace",
  "veeksha-request-metrics",
];

/**
 * Why a request waits for another:
 * - sequential: the next request of the same conversation (its history parent);
 * - subagent_spawn: a subagent's first request, after the request that spawned it;
 * - subagent_result: a request that reads a finished subagent's result, after the subagent's last request;
 * - dependency: any other ordering constraint (Veeksha DAG joins, concurrency limits).
 */
export type EdgeType = "sequential" | "subagent_spawn" | "subagent_result" | "dependency";

export interface TraceEdge {
  /** Id of the request that must finish first. */
  from: string;
  type: EdgeType;
}

/** What made a request happen, when the trace says. */
export type Trigger = "user" | "tool_result" | "subagent_result";

/** One inference request of the trace. */
export interface TraceRequest {
  /** Unique within the trace. */
  id: string;
  /**
   * The conversation (one agent's context) the request belongs to: an OpenClaw session, a Claude
   * Code sidechain, a Veeksha session. A subagent is a conversation of its own.
   */
  conversation: string;
  /** Requests that must finish before this one; each listed once. */
  parents: TraceEdge[];
  /** The parent whose conversation this request's prompt continues (null: starts afresh). */
  historyParent: string | null;
  /**
   * Tokens appended to the context since the history parent's request (tool results, user input,
   * the parent's visible reply, injected content); the whole prompt for a request without one.
   */
  freshInputTokens: number;
  /**
   * Of freshInputTokens: the history parent's reply as this prompt carries it (its visible text and
   * tool calls), when the trace tells. A generated workload adds the parent's output by itself.
   */
  replyTokens?: number;
  /** Tokens generated (including hidden reasoning where the trace counts it). */
  outputTokens: number;
  /** The whole prompt as the server counted it, cached part included. */
  promptTokens?: number;
  /** Prompt tokens the server read from its prefix cache. */
  cachedTokens?: number;
  /**
   * Of a request without history parent: tokens of its prompt that are the agent's system prompt
   * and tool definitions rather than the task, when the trace tells them apart.
   */
  scaffoldTokens?: number;
  /**
   * Of a request without history parent: the shared scaffold its prompt starts with, when the trace
   * names it (generated workloads, agentload run folders). Requests naming one id start with the same
   * scaffoldTokens (its systemTokens + toolTokens) byte for byte, across sessions too.
   */
  scaffold?: Scaffold;
  /** What the request stands for in the agent's life, when the trace says (generated workloads, run folders). */
  kind?: NodeKind;
  /** The agent type of the request's session (spec `agents[].name`), when the trace says (generated workloads, run folders). */
  agent?: string;
  /** Tokens at the start of the prompt that repeat an earlier request's prompt (Veeksha's cacheable history). */
  sharedPrefixTokens?: number;
  /** Prefix block hashes (Mooncake, Veeksha shared_prefix): equal leading ids mean equal prompt prefixes. */
  hashIds?: number[];
  /** Milliseconds (epoch or trace-relative, one clock per trace) when the request was sent. */
  dispatchedMs?: number;
  /** Milliseconds when its response finished. */
  respondedMs?: number;
  /**
   * How long the request waited once ready, as the trace records it (OpenClaw: dispatch minus its
   * sequential parent's response; Veeksha and generated workloads: after all parents finished).
   */
  waitAfterReadyMs?: number;
  trigger?: Trigger;
}

/** An agent conversation the trace lists, even one that made no request. */
export interface TraceConversation {
  id: string;
  /** The agent framework's own name for it (OpenClaw session key). */
  key?: string;
  /** Key or id of the conversation that spawned it (subagents). */
  spawnedBy?: string;
  /** Human label given at spawn time. */
  label?: string;
}

export interface Trace {
  format: TraceFormat;
  /** Where it came from (file or directory), for messages and reports. */
  source: string;
  /** Topologically ordered: every parent appears before its children. */
  requests: TraceRequest[];
  /**
   * The same requests as columns, when the trace was read into them (`columns`, what analyze
   * does): then `requests` are made from it when first read, and it is let go (table.ts).
   */
  table?: RequestTable;
  /** Conversations the trace lists (OpenClaw, Claude Code); others are known only through their requests. */
  conversations?: TraceConversation[];
  /** Messages a person typed (not tool results, not injected system messages), when the trace holds them. */
  userMessages?: number;
  /** Tokens per hash id block (traces with hashIds). */
  blockSize?: number;
  /** What the reader skipped, one line each naming file:line (a transcript's last line cut short while being written). */
  warnings?: string[];
  /** Rows the reader left out, and why (Mooncake: an empty prompt or no output). */
  skipped?: { rows: number; why: string };
}
