// The line of records.jsonl for one request: its times relative to the run's start (rounded to
// microseconds), what the server reported, and what the content stage expected it to hold.
import { nodeScaffold, scaffoldSize, type NodeTokens, type ScaffoldLookup } from "../workload/tokens.js";
import type { NodeStart } from "./session-runner.js";
import type { RequestRecord, StreamObservation } from "./types.js";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function requestRecord(
  { session, node, readyAt, plannedAt }: NodeStart,
  obs: StreamObservation,
  expected: NodeTokens,
  run: { t0: number; warmup: boolean; scaffolds?: ScaffoldLookup },
): RequestRecord {
  const { t0 } = run;
  const record: RequestRecord = {
    sessionId: session.id,
    nodeId: node.id,
    readyAt: round3(readyAt - t0),
    plannedAt: round3(plannedAt - t0),
    dispatchedAt: round3(obs.dispatchedAt - t0),
    chunkAt: obs.chunkAt.map((c) => round3(c - t0)),
    expectedPromptTokens: expected.promptTokens,
    sharedPrefixTokens: expected.sharedPrefixTokens,
    freshInputTokens: node.freshInputTokens,
    requestedOutputTokens: node.outputTokens,
  };
  // For the ideal cache (metrics/cache-attribution.ts): the part of the prompt every session of the scaffold shares.
  if (expected.scaffoldTokens > 0) record.scaffoldTokens = expected.scaffoldTokens;
  if (obs.firstTokenAt !== undefined) record.firstTokenAt = round3(obs.firstTokenAt - t0);
  if (obs.firstContentAt !== undefined) record.firstContentAt = round3(obs.firstContentAt - t0);
  if (obs.doneAt !== undefined) record.doneAt = round3(obs.doneAt - t0);
  if (obs.promptTokens !== undefined) record.promptTokens = obs.promptTokens;
  if (obs.cachedTokens !== undefined) record.cachedTokens = obs.cachedTokens;
  if (obs.completionTokens !== undefined) record.completionTokens = obs.completionTokens;
  if (node.kind) record.kind = node.kind;
  if (session.agent) record.agent = session.agent;
  // Absent rather than [] when there are none, like every optional field: one line per request adds up.
  if (node.parents.length > 0) record.parents = [...node.parents];
  // What a run folder read back as a trace needs to rebuild the conversations (traces/run-folder.ts).
  if (node.historyParent !== null) record.historyParent = node.historyParent;
  else if (run.scaffolds) {
    const scaffold = nodeScaffold(session, node, run.scaffolds);
    if (scaffold && scaffoldSize(scaffold) > 0) record.scaffold = { ...scaffold };
  }
  if (run.warmup) record.warmup = true;
  if (obs.attempts !== undefined && obs.attempts > 1) record.attempts = obs.attempts;
  if (obs.error) record.error = obs.error;
  return record;
}
