// Where a run's records go as each request ends: appended to records.jsonl, added to the
// aggregator, counted in the live progress handed to onRecord. Times count from startClock().
// When records.jsonl cannot be written (disk full), the recorder stops the run: `failed` aborts
// (run.ts stops dispatching and aborts the requests in flight), later records are counted as lost,
// and throwIfFailed ends the run with a RecordsLostError carrying the summary of the records the
// file kept. The aggregator only ever sees written records, so that summary is records.jsonl's.
import { setMaxListeners } from "node:events";
import { createAggregator, type AggregatorOptions } from "../metrics/aggregator.js";
import type { ClientCpuSamples, EventLoopStall } from "../metrics/client-checks.js";
import type { RunSummary } from "../metrics/summary.js";
import type { ServerMetricsSnapshot } from "./server-metrics.js";
import { RecordWriter, RecordWriteError, type RecordSink } from "../records/writer.js";
import type { RunProgress } from "./run.js";
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
  /** The run's clock starts now: the time records and progress count from. */
  startClock(): number;
  /** A session was released; its 0-based index. */
  sessionStarted(): number;
  sessionDone(): void;
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

/** Per written record (records.jsonl line i + 1): when it was in flight, run-clock ms. */
class Spans {
  private data = new Float64Array(2 * 1024);
  length = 0;

  push(from: number, to: number): void {
    if (2 * this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[2 * this.length] = from;
    this.data[2 * this.length + 1] = to;
    this.length++;
  }

  /** How many spans overlap [from, to], and the lines (1-based) of the first `first`. */
  overlapping(from: number, to: number, first: number): { requests: number; lines: number[] } {
    const lines: number[] = [];
    let requests = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.data[2 * i]! < to && this.data[2 * i + 1]! > from) {
        requests++;
        if (lines.length < first) lines.push(i + 1);
      }
    }
    return { requests, lines };
  }
}

/** records.jsonl lines named per stall. */
const LINES_PER_STALL = 5;

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
  const aggregator = createAggregator(opts.aggregator);
  const progress: RunProgress = { sessionsStarted: 0, sessionsDone: 0, requestsDone: 0, errors: 0, elapsedMs: 0 };
  const spans = new Spans();
  let lost = 0;
  let t0 = 0;
  return {
    progress,
    startClock: () => (t0 = opts.now()),
    sessionStarted: () => progress.sessionsStarted++,
    sessionDone: () => void progress.sessionsDone++,
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
      spans.push(record.dispatchedAt, record.doneAt ?? record.chunkAt.at(-1) ?? at);
      aggregator.add(record);
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
    markStalls(samples) {
      if (!samples.stalls?.length) return samples;
      const stalls: EventLoopStall[] = samples.stalls.map((s) => ({ ...s, ...spans.overlapping(s.atMs, s.atMs + s.ms, LINES_PER_STALL) }));
      return { ...samples, stalls };
    },
    summarize: (wallMs, before, after) =>
      aggregator.summarize({
        wallMs,
        ...(before ? { serverBefore: before.values } : {}),
        ...(after ? { serverAfter: after.values } : {}),
      }),
  };
}
