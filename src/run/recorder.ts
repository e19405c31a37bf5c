// Where a run's records go as each request ends: appended to records.jsonl, added to the
// aggregator, counted in the live progress handed to onRecord. Times count from startClock().
// When records.jsonl cannot be written (disk full), the recorder stops the run: `failed` aborts
// (run.ts stops dispatching and aborts the requests in flight), later records are counted as lost,
// and throwIfFailed ends the run with a RecordsLostError carrying the summary of the records the
// file kept. The aggregator only ever sees written records, so that summary is records.jsonl's.
// Nothing here grows with the run: the aggregator is bounded and told when sessions end and which
// dispatches are still in flight (requestStarted/requestEnded: the decode sweep settles up to the
// earliest), and stalls are marked as they happen (stall-marks.ts).
import { setMaxListeners } from "node:events";
import { createAggregator, type AggregatorHeld, type AggregatorOptions } from "../metrics/aggregator.js";
import type { ClientCpuSamples } from "../metrics/client-checks.js";
import type { RunSummary } from "../metrics/summary.js";
import type { ServerMetricsSnapshot } from "./server-metrics.js";
import { RecordWriter, RecordWriteError, type RecordSink } from "../records/writer.js";
import type { RunProgress } from "./run.js";
import { StallMarks, type StallWatcher } from "./stall-marks.js";
import type { RequestRecord } from "./types.js";

export interface RecorderOptions {
  /** The records.jsonl path. */
  path: string;
  aggregator: AggregatorOptions;
  now: () => number;
  onRecord?: ((record: RequestRecord, progress: RunProgress) => void) | undefined;
  /** Where records.jsonl's lines go (default: the file at path); tests inject faults here. */
  sink?: RecordSink;
}

export interface Recorder {
  readonly progress: RunProgress;
  /** The run's clock starts `inMs` from now (default at once): the time records and progress count from. */
  startClock(inMs?: number): number;
  /** A session was released; its 0-based index. */
  sessionStarted(): number;
  /** The session has ended: every record of it was added; its state in the aggregator is freed. */
  sessionDone(sessionId: string): void;
  /**
   * A request is about to be sent: a ticket to hand to requestEnded once its record was added (or
   * it never will be). Until then the decode sweep keeps everything from its start on.
   */
  requestStarted(): number;
  requestEnded(ticket: number): void;
  /** Told by the CPU sampler as stalls happen (run.ts passes it as the sampler's watcher). */
  readonly stallWatcher: StallWatcher;
  /** Writes the record (then aggregates and reports it); after a write failure, counts it as lost. */
  add(record: RequestRecord): void;
  /** Aborted when records.jsonl cannot be written: the run must stop. */
  readonly failed: AbortSignal;
  /** signal, also aborted when records.jsonl cannot be written (signal absent: `failed` alone). */
  orFailed(signal: AbortSignal | undefined): AbortSignal;
  /** No more records: closes records.jsonl. */
  close(): void;
  /** Throws a RecordsLostError when records.jsonl could not be written (after close). */
  throwIfFailed(wallMs: number, before: ServerMetricsSnapshot | null): void;
  /** The sampler's event-loop stalls, each with the requests written to records.jsonl that were in flight during it. */
  markStalls(samples: ClientCpuSamples): ClientCpuSamples;
  summarize(wallMs: number, before: ServerMetricsSnapshot | null, after: ServerMetricsSnapshot | null): RunSummary;
  /** What it holds that grows with sessions or requests (tests: it stays bounded). */
  held(): { aggregator: AggregatorHeld; inFlight: number; stallRecords: number };
}

/** The run stopped because records.jsonl could not be written; the summary is that of the records it kept. */
export class RecordsLostError extends Error {
  constructor(
    readonly writeError: RecordWriteError,
    /** Records that ended after the failure (the failed one included), not written. */
    readonly lost: number,
    /** Of the records written; absent when the file could not even be opened. */
    readonly summary?: RunSummary,
  ) {
    const kept = writeError.written ?? 0;
    const lostText = lost > 0 ? `; ${lost === 1 ? "1 request that ended after it (the failed one) has" : `${lost} requests that ended after it (the failed one included) have`} no record` : "";
    const what = summary ? `: the run stopped at the first failed write, records.jsonl holds the ${kept} request${kept === 1 ? "" : "s"} before it${lostText}, summary.json was not written` : "";
    super(`records could not be written: ${writeError.message}${what}`);
    this.name = "RecordsLostError";
  }
}

/**
 * The decode sweep settles every so many records: a settle goes over every event it holds (those of
 * the requests in flight too), so settling per record would pay that per record. The sweep then
 * holds the events of the spans added since the last settle and of those that ended after the
 * earliest request still in flight was sent: a request as long as its timeout holds back the
 * requests of that long.
 */
const SETTLE_EVERY = 1024;
/** Records' times are rounded to microseconds (record.ts): a dispatch stamped after a ticket may read up to half a microsecond before it. */
const ROUNDING_MS = 0.001;

export function createRecorder(opts: RecorderOptions): Recorder {
  const failed = new AbortController();
  setMaxListeners(Infinity, failed.signal);
  let writer: RecordWriter;
  try {
    writer = new RecordWriter(opts.path, opts.sink);
  } catch (e) {
    if (e instanceof RecordWriteError) throw new RecordsLostError(e, 0);
    throw e;
  }
  const aggregator = createAggregator({ ...opts.aggregator, bounded: true });
  const progress: RunProgress = { sessionsStarted: 0, sessionsDone: 0, requestsDone: 0, errors: 0, elapsedMs: 0 };
  const stalls = new StallMarks();
  /** Requests in flight: ticket -> when it was taken (run clock); insertion order is time order. */
  const inFlight = new Map<number, number>();
  let tickets = 0;
  let sinceSettle = 0;
  let lost = 0;
  let t0 = 0;
  /** Nothing in flight now dispatched before the earliest ticket (or now, with none). */
  const settle = () => {
    sinceSettle = 0;
    const earliest = inFlight.values().next();
    aggregator.settle((earliest.done ? opts.now() - t0 : earliest.value) - ROUNDING_MS);
  };
  return {
    progress,
    startClock: (inMs = 0) => (t0 = opts.now() + inMs),
    sessionStarted: () => progress.sessionsStarted++,
    sessionDone(sessionId) {
      progress.sessionsDone++;
      aggregator.sessionEnded(sessionId);
    },
    requestStarted() {
      inFlight.set(++tickets, opts.now() - t0);
      return tickets;
    },
    requestEnded: (ticket) => void inFlight.delete(ticket),
    stallWatcher: stalls,
    add(record) {
      if (writer.failed) {
        lost++;
        return;
      }
      try {
        writer.append(record);
      } catch (e) {
        if (!(e instanceof RecordWriteError)) throw e;
        lost++;
        failed.abort(e);
        return;
      }
      const at = opts.now() - t0;
      stalls.record(writer.count, record.dispatchedAt, record.doneAt ?? record.chunkAt.at(-1) ?? at);
      aggregator.add(record);
      // Only a run that says which requests are in flight knows what is settled.
      if (tickets > 0 && ++sinceSettle >= SETTLE_EVERY) settle();
      progress.requestsDone++;
      if (record.error) progress.errors++;
      progress.elapsedMs = at;
      opts.onRecord?.(record, progress);
    },
    failed: failed.signal,
    orFailed(signal) {
      if (!signal) return failed.signal;
      const either = AbortSignal.any([signal, failed.signal]);
      // Every in-flight request listens on it, as on run-control's signal.
      setMaxListeners(Infinity, either);
      return either;
    },
    close: () => writer.close(),
    throwIfFailed(wallMs, before) {
      const failure = writer.failed;
      if (!failure) return;
      throw new RecordsLostError(failure, lost, aggregator.summarize({ wallMs, ...(before ? { serverBefore: before.values } : {}) }));
    },
    markStalls: (samples) => stalls.mark(samples),
    held: () => ({ aggregator: aggregator.held(), inFlight: inFlight.size, stallRecords: stalls.held }),
    summarize: (wallMs, before, after) =>
      aggregator.summarize({
        wallMs,
        ...(before ? { serverBefore: before.values } : {}),
        ...(after ? { serverAfter: after.values } : {}),
      }),
  };
}
