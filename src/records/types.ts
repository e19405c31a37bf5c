// One line of records.jsonl per request, and how a request failed. Times are monotonic
// milliseconds (performance.now()), one clock for the whole run.

import type { NodeKind } from "../workload/types.js";

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

/** One line of records.jsonl. */
export interface RequestRecord {
  sessionId: string;
  nodeId: string;
  kind?: NodeKind;
  /** The session's agent type (spec `agents[].name`), for sub-metrics such as e2e{agent:explorer}. */
  agent?: string;
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
