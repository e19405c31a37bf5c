// Where a run's records go as each request ends: appended to records.jsonl, added to the
// aggregator, counted in the live progress handed to onRecord. Times count from startClock().
import { createAggregator, type AggregatorOptions } from "../metrics/aggregator.js";
import type { RunSummary } from "../metrics/summary.js";
import type { ServerMetricsSnapshot } from "./server-metrics.js";
import { RecordWriter } from "../records/writer.js";
import type { RunProgress } from "./run.js";
import type { RequestRecord } from "./types.js";

export interface RecorderOptions {
  /** The records.jsonl path. */
  path: string;
  aggregator: AggregatorOptions;
  now: () => number;
  onRecord?: ((record: RequestRecord, progress: RunProgress) => void) | undefined;
}

export interface Recorder {
  readonly progress: RunProgress;
  /** The run's clock starts now: the time records and progress count from. */
  startClock(): number;
  /** A session was released; its 0-based index. */
  sessionStarted(): number;
  sessionDone(): void;
  add(record: RequestRecord): void;
  /** No more records: closes records.jsonl. */
  close(): void;
  summarize(wallMs: number, before: ServerMetricsSnapshot | null, after: ServerMetricsSnapshot | null): RunSummary;
}

export function createRecorder(opts: RecorderOptions): Recorder {
  const writer = new RecordWriter(opts.path);
  const aggregator = createAggregator(opts.aggregator);
  const progress: RunProgress = { sessionsStarted: 0, sessionsDone: 0, requestsDone: 0, errors: 0, elapsedMs: 0 };
  let t0 = 0;
  return {
    progress,
    startClock: () => (t0 = opts.now()),
    sessionStarted: () => progress.sessionsStarted++,
    sessionDone: () => void progress.sessionsDone++,
    add(record) {
      writer.append(record);
      aggregator.add(record);
      progress.requestsDone++;
      if (record.error) progress.errors++;
      progress.elapsedMs = opts.now() - t0;
      opts.onRecord?.(record, progress);
    },
    close: () => writer.close(),
    summarize: (wallMs, before, after) =>
      aggregator.summarize({
        wallMs,
        ...(before ? { serverBefore: before.values } : {}),
        ...(after ? { serverAfter: after.values } : {}),
      }),
  };
}
