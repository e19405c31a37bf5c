// One line of records.jsonl per request, and how a request failed. Times are monotonic
// milliseconds (performance.now()), one clock for the whole run.

import type { NodeKind, Scaffold } from "../workload/types.js";

export type ErrorKind =
  | "http" // non-2xx status (the message names the URL, never the key; 429/503 keep Retry-After)
  | "connect" // could not connect / connect timeout
  | "tls" // the TLS handshake failed: certificate refused, or an https URL for a plain-HTTP server
  | "protocol" // the response is not HTTP/1.1: a bad status line or header
  | "not-stream" // a 2xx whose Content-Type is not text/event-stream (a JSON reply, an HTML page)
  | "first-token-timeout" // no first chunk in time
  | "idle-timeout" // a token came, then none within timeouts.idleMs (a stalled stream)
  | "total-timeout" // stream did not finish in time
  | "reset" // connection closed or reset mid-stream, or a stream that ended without [DONE] and without a finish_reason
  | "empty" // the stream ended well but carried no generated token: nothing to measure
  | "malformed" // a stream event that is not valid SSE/JSON
  | "server" // the stream carried an error object
  | "aborted"; // the run was stopped (Ctrl-C) before the request ended

export interface RequestError {
  kind: ErrorKind;
  status?: number;
  message: string;
  /**
   * The server's Retry-After on an HTTP error (429, 503), in ms from when it answered (seconds,
   * or an HTTP date less the client's clock). Recorded, not honoured: the session goes on as
   * `traffic.onError` says.
   */
  retryAfterMs?: number;
}

/** One line of records.jsonl. */
export interface RequestRecord {
  sessionId: string;
  nodeId: string;
  kind?: NodeKind;
  /** The session's agent type (spec `agents[].name`), for sub-metrics such as e2e{agent:explorer}. */
  agent?: string;
  /**
   * The nodes of the same session this request waited for (its graph node's parents), so a
   * report can draw spawn and join edges; absent when it waited for none (a session's first request).
   */
  parents?: string[];
  /**
   * The parent whose conversation (prompt and reply) this request's prompt continues; absent when
   * it starts afresh (a session's or subagent's first request, the request after a compaction).
   * Runs before this field existed lack it everywhere.
   */
  historyParent?: string;
  /**
   * Of a request without history parent: the shared scaffold (system prompt and tools) its prompt
   * starts with, when not empty. With historyParent and kind, the run folder reads back as a trace.
   */
  scaffold?: Scaffold;
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
  /** The scaffold's tokens at the start of the prompt as expected (template included); absent when 0. */
  scaffoldTokens?: number;
  freshInputTokens: number;
  requestedOutputTokens: number;
  warmup?: boolean;
  /**
   * How many times the client sent this request, when more than once: the client sends again,
   * once, when the connection broke before any response header (a keep-alive socket the server
   * had just closed). The server may have received both; absent means 1.
   */
  attempts?: number;
  error?: RequestError;
}

// run.json: where and how a run was measured (run/run-metadata.ts gathers it).
/** The machine and runtime a run was measured from. */
export interface HostEnvironment {
  /** "node 20.19.0", "bun 1.2.3", "deno 2.1.0". */
  runtime: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel?: string;
}

export interface RunMetadata {
  tool: { name: "agentload"; version: string };
  /** ISO time the run started (its set-up, a few seconds before its clock). */
  startedAt: string;
  server: { url: string; model?: string };
  /** The workload's name, and its fingerprint (run/fingerprint.ts): the resolved spec's hash and its session count. */
  workload: { name: string; fingerprint?: { spec: string; sessions: number } };
  host: HostEnvironment;
  /**
   * A shard's run (`agentload run --shard i/N`): its index, the shard count and the start time
   * every shard waited for (`--start-at`, ISO), when one was given; `agentload merge` checks them.
   */
  shard?: { index: number; count: number; startAt?: string };
  /** A merged run (`agentload merge`): the shard folders it was merged from, in shard order. */
  mergedFrom?: string[];
  /** The client's CPU class when it was not the default (`agentload run --realtime`: policy "fifo", priority 10). */
  client?: { cpuClass: { policy: string; priority: number } };
}
