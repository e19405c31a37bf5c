// Plain data that flows through a run: what the client is asked to send and what it observed.
// The record written for every request is in ../records/types.ts. Times are monotonic
// milliseconds (performance.now()), one clock for the whole run.

import type { RequestError } from "../records/types.js";
import type { ChatMessage } from "../workload/types.js";
export type { ChatMessage };
export type { ErrorKind, RequestError, RequestRecord } from "../records/types.js";

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
  /**
   * A reply without any generated token is not an `empty` error. For the warm-up only: its one
   * token may be a reasoning model's `<think>`, which the server's reasoning parser swallows.
   */
  allowEmpty?: boolean;
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
  /** Sends of this request when more than one (see RequestRecord.attempts). */
  attempts?: number;
  error?: RequestError;
}
