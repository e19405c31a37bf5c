// What one RequestRecord measures. All times are milliseconds on the run's one monotonic clock.
import type { RequestRecord } from "../records/types.js";

export interface RequestMetrics {
  /** No error: the stream finished. Only these count for latency and token metrics. */
  ok: boolean;
  /** Time to first chunk carrying any generated token (content, reasoning or tool call). */
  ttfc?: number;
  /** Time to first visible content. */
  ttfv?: number;
  /** Dispatch to the end of the stream (doneAt, else the last chunk). */
  e2e?: number;
  /** (e2e - ttfc) / (outputTokens - 1); undefined for fewer than 2 output tokens. */
  tpot?: number;
  /** Gaps between consecutive chunks. */
  tbcGaps: number[];
  tbcMean?: number;
  tbcMax?: number;
  /** The server's usage.completion_tokens, else the number of chunks. */
  outputTokens: number;
  outputTokensFrom: "usage" | "chunks";
  expectedPromptTokens: number;
  reportedPromptTokens?: number;
  /** reported - expected; 0 proves the prompt content is token-exact. */
  promptDeviation?: number;
  cachedTokens?: number;
  sharedPrefixTokens: number;
  /** dispatchedAt - plannedAt: how late the client sent the request. */
  dispatchLateness: number;
  /**
   * TTFC and E2E from the planned dispatch (plannedAt) instead of the actual one: a client that
   * sent late still counts the wait (coordinated omission; AIPerf's effective, GuideLLM's
   * scheduled latency). Equal to ttfc/e2e plus the lateness.
   */
  ttfcScheduled?: number;
  e2eScheduled?: number;
  /** The span in which the request was decoding: first token to end of stream. */
  decode?: { start: number; end: number };
}

export function requestMetrics(record: RequestRecord): RequestMetrics {
  const t0 = record.dispatchedAt;
  const chunks = record.chunkAt;
  const lastChunk = chunks.length > 0 ? chunks[chunks.length - 1] : undefined;
  const end = record.doneAt ?? lastChunk;

  const gaps: number[] = [];
  let maxGap = -Infinity;
  for (let i = 1; i < chunks.length; i++) {
    const gap = chunks[i]! - chunks[i - 1]!;
    gaps.push(gap);
    if (gap > maxGap) maxGap = gap;
  }

  const outputTokens = record.completionTokens ?? chunks.length;
  const m: RequestMetrics = {
    ok: record.error === undefined,
    tbcGaps: gaps,
    outputTokens,
    outputTokensFrom: record.completionTokens !== undefined ? "usage" : "chunks",
    expectedPromptTokens: record.expectedPromptTokens,
    sharedPrefixTokens: record.sharedPrefixTokens,
    dispatchLateness: record.dispatchedAt - record.plannedAt,
  };
  if (record.firstTokenAt !== undefined) m.ttfc = record.firstTokenAt - t0;
  if (record.firstContentAt !== undefined) m.ttfv = record.firstContentAt - t0;
  if (end !== undefined) m.e2e = end - t0;
  if (record.firstTokenAt !== undefined) m.ttfcScheduled = record.firstTokenAt - record.plannedAt;
  if (end !== undefined) m.e2eScheduled = end - record.plannedAt;
  if (m.ttfc !== undefined && m.e2e !== undefined && outputTokens >= 2) {
    m.tpot = (m.e2e - m.ttfc) / (outputTokens - 1);
  }
  if (gaps.length > 0) {
    m.tbcMean = (lastChunk! - chunks[0]!) / gaps.length;
    m.tbcMax = maxGap;
  }
  if (record.promptTokens !== undefined) {
    m.reportedPromptTokens = record.promptTokens;
    m.promptDeviation = record.promptTokens - record.expectedPromptTokens;
  }
  if (record.cachedTokens !== undefined) m.cachedTokens = record.cachedTokens;
  if (record.firstTokenAt !== undefined && end !== undefined) {
    m.decode = { start: record.firstTokenAt, end };
  }
  return m;
}
