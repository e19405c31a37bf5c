// Plain data that flows through a run: what the client is asked to send, what it observed, and
// the record written for every request. Times are monotonic milliseconds (performance.now()),
// one clock for the whole run.

import type { ChatMessage } from "../workload/content.js";
import type { NodeKind } from "../workload/types.js";
export type { ChatMessage };

/** One request as the client sends it. */
export interface ClientRequest {
  api: "chat" | "completions";
  /** chat */
  messages?: ChatMessage[];
  /** completions */
  prompt?: string;
  model?: string;
  maxTokens: number;
  ignoreEos?: boolean;
  /** Merged into the JSON body last (server-specific fields). */
  extraBody?: Record<string, unknown>;
}

export type ErrorKind =
  | "http" // non-2xx status
  | "connect" // could not connect / connect timeout
  | "first-token-timeout" // no first chunk in time
  | "total-timeout" // stream did not finish in time
  | "reset" // connection closed or reset mid-stream, or a stream that ended without [DONE] and without a finish_reason
  | "malformed" // a stream event that is not valid SSE/JSON (or an unparsable HTTP response)
  | "server" // the stream carried an error object
  | "aborted"; // the run was stopped (Ctrl-C) before the request ended

export interface RequestError {
  kind: ErrorKind;
  status?: number;
  message: string;
}

/** What the client measured for one streamed request. */
export interface StreamObservation {
  dispatchedAt: number;
  /** First chunk of any kind that carries generated tokens (content, reasoning or tool call). */
  firstTokenAt?: number;
  /** First chunk with visible content. */
  firstContentAt?: number;
  /** Arrival stamp of every chunk that carried generated tokens, in order. */
  chunkAt: number[];
  doneAt?: number;
  /** The assistant reply as received (the next request's history contains it). */
  text: string;
  /** Tokens of generated output counted from chunks (one per chunk), when the server does not report usage. */
  countedChunks: number;
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
  finishReason?: string;
  error?: RequestError;
}

/** One line of records.jsonl. */
export interface RequestRecord {
  sessionId: string;
  nodeId: string;
  kind?: NodeKind;
  /** When all parents had finished (planned dispatch = readyAt + waitAfterReadyMs). */
  readyAt: number;
  plannedAt: number;
  dispatchedAt: number;
  firstTokenAt?: number;
  firstContentAt?: number;
  chunkAt: number[];
  doneAt?: number;
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
  /** As the workload intends. */
  expectedPromptTokens: number;
  sharedPrefixTokens: number;
  freshInputTokens: number;
  requestedOutputTokens: number;
  warmup?: boolean;
  error?: RequestError;
}
