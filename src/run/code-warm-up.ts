// Before the clock starts: the client's own per-request code, run on made-up replies, so that the
// first dispatches of a run do not wait for code still being compiled. A run's first 400 ms at 500
// requests/s against the calibration server hold most of its late dispatches; 7 pairs of 2 s runs
// in turn against one calibration server kept warm between them: 19-50 dispatches over 1 ms in
// those 400 ms with this warm-up (mean 35) against 26-81 without (mean 59), the run's p99 2.0-6.2
// ms (median 3.5) against 3.4-17.9 ms (median 5.2). Each round decodes a stream of SSE chunks
// through the recorder the transport uses, builds the request's record, writes its line to a sink
// that keeps nothing and adds it to an aggregator of its own with the run's objectives: nothing
// reaches the server, records.jsonl or the run's figures.
import type { AggregatorOptions } from "../metrics/aggregator.js";
import type { RecordSink } from "../records/writer.js";
import type { SessionGraph } from "../workload/types.js";
import { requestRecord } from "./record.js";
import { createRecorder } from "./recorder.js";
import { StreamRecorder } from "./stream-recorder.js";

/** Rounds of the warm-up (each one request of CHUNKS chunks): 300 take 15-30 ms here. */
export const WARM_UP_ROUNDS = 300;
const CHUNKS = 16;

/** A sink that takes every byte and keeps none. */
const discard: RecordSink = { size: () => 0, write: (bytes, offset) => bytes.length - offset, truncate: () => {}, close: () => {} };

function cannedStream(api: "chat" | "completions"): Uint8Array[] {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    const choice = api === "chat" ? { index: 0, delta: { content: ` word${i}` }, finish_reason: null } : { index: 0, text: ` word${i}`, finish_reason: null };
    const object = api === "chat" ? "chat.completion.chunk" : "text_completion";
    chunks.push(encoder.encode(`data: ${JSON.stringify({ id: "warm-up", object, created: 0, model: "warm-up", choices: [choice] })}\n\n`));
  }
  const usage = { prompt_tokens: 100, completion_tokens: CHUNKS, prompt_tokens_details: { cached_tokens: 50 } };
  chunks.push(encoder.encode(`data: ${JSON.stringify({ id: "warm-up", object: "chat.completion.chunk", created: 0, model: "warm-up", choices: [], usage })}\n\ndata: [DONE]\n\n`));
  return chunks;
}

/**
 * Runs the client's per-request code `rounds` times on made-up replies of the session's first
 * node. Nothing it does is kept; a session without nodes (or none) warms nothing. Returns how many
 * records it aggregated and how many of them decoded as a whole reply (all of them, unless the
 * decoder no longer reads the canned stream: the warm-up then warms less, and its test fails).
 */
export function warmUpClientCode(o: {
  session: SessionGraph | undefined;
  api: "chat" | "completions";
  aggregator: AggregatorOptions;
  now: () => number;
  rounds?: number;
}): { records: number; whole: number } {
  const node = o.session?.nodes[0];
  if (!o.session || !node) return { records: 0, whole: 0 };
  const stream = cannedStream(o.api);
  const recorder = createRecorder({ path: "(warm-up)", aggregator: o.aggregator, now: o.now, sink: discard });
  const t0 = recorder.startClock();
  const expected = { promptTokens: 100, sharedPrefixTokens: 0, scaffoldTokens: 50 };
  const rounds = o.rounds ?? WARM_UP_ROUNDS;
  let whole = 0;
  for (let i = 0; i < rounds; i++) {
    const start = o.now();
    const ticket = recorder.requestStarted();
    const rec = new StreamRecorder();
    rec.obs.dispatchedAt = start;
    rec.headers(200, "text/event-stream");
    for (const chunk of stream) rec.read(chunk, o.now());
    rec.end(o.now());
    const obs = rec.result();
    if (obs.error === undefined && obs.chunkAt.length === CHUNKS && obs.completionTokens === CHUNKS && obs.cachedTokens === 50) whole++;
    const session = { ...o.session, id: `warm-up-${i}` };
    recorder.add(requestRecord({ session, node, readyAt: start, plannedAt: start }, obs, expected, { t0, warmup: false }));
    recorder.requestEnded(ticket);
    recorder.sessionDone(session.id);
  }
  recorder.close();
  return { records: recorder.progress.requestsDone, whole };
}
