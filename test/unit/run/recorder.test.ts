// The recorder when records.jsonl cannot be written: the first failed write aborts `failed` (the
// run stops), later records are counted as lost and never aggregated or reported, and
// throwIfFailed ends the run with the summary of exactly the records the file kept. And the
// event-loop stalls the CPU sampler saw, marked with the written requests in flight during them.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultCatalogue } from "../../../src/metrics/catalogue.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { fileSink, RecordWriteError, type RecordSink } from "../../../src/records/writer.js";
import { createRecorder, RecordsLostError } from "../../../src/run/recorder.js";

function record(i: number, at = i * 100, ms = 50): RequestRecord {
  return {
    sessionId: `s${i}`,
    nodeId: "0",
    readyAt: at,
    plannedAt: at,
    dispatchedAt: at,
    firstTokenAt: at + 10,
    chunkAt: [at + 10, at + ms],
    doneAt: at + ms,
    completionTokens: 2,
    expectedPromptTokens: 10,
    sharedPrefixTokens: 0,
    freshInputTokens: 10,
    requestedOutputTokens: 2,
  };
}

/** The file, full after the lines of record(0..lines - 1) and 9 bytes of the next. */
function fullAfter(path: string, lines: number): RecordSink {
  const file = fileSink(path);
  let room = 9;
  for (let i = 0; i < lines; i++) room += JSON.stringify(record(i)).length + 1;
  return {
    ...file,
    write(bytes, offset) {
      if (room <= 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      const n = Math.min(room, bytes.length - offset);
      room -= n;
      return file.write(bytes.subarray(0, offset + n), offset);
    },
  };
}

describe("recorder", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agentload-recorder-"));
    path = join(dir, "records.jsonl");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const options = (sink?: RecordSink) => ({ path, aggregator: { catalogue: defaultCatalogue }, now: () => 0, ...(sink ? { sink } : {}) });

  it("disk full: stops the run at the first failed write and ends it with the summary of the records kept", () => {
    const reported: string[] = [];
    const recorder = createRecorder({ ...options(fullAfter(path, 3)), onRecord: (r) => reported.push(r.sessionId) });
    const stopped = recorder.orFailed(new AbortController().signal);
    recorder.startClock();
    for (let i = 0; i < 3; i++) recorder.add(record(i));
    expect(recorder.failed.aborted).toBe(false);
    recorder.add(record(3)); // the failed write: the run must stop
    expect(recorder.failed.aborted).toBe(true);
    expect(stopped.aborted).toBe(true);
    expect(recorder.failed.reason).toBeInstanceOf(RecordWriteError);
    recorder.add(record(4)); // a request in flight then, ending after it
    recorder.close();

    expect(reported).toEqual(["s0", "s1", "s2"]);
    expect(recorder.progress.requestsDone).toBe(3);
    const lines = readFileSync(path, "utf8");
    expect(lines.endsWith("\n")).toBe(true);
    expect(lines.trimEnd().split("\n").map((l) => (JSON.parse(l) as RequestRecord).sessionId)).toEqual(["s0", "s1", "s2"]);

    let error: unknown;
    try {
      recorder.throwIfFailed(1000, null);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RecordsLostError);
    const lost = error as RecordsLostError;
    expect(lost.lost).toBe(2);
    expect(lost.summary!.counts.requests).toBe(3);
    expect(lost.writeError).toMatchObject({ code: "ENOSPC", written: 3, path });
    expect(lost.message).toBe(
      `records could not be written: ${path}: cannot append record 4: ENOSPC: no space left on device, write (the file keeps 3 whole records; the 9 bytes of its partial line were cut away): ` +
        "the run stopped at the first failed write, records.jsonl holds the 3 requests before it; 2 requests that ended after it (the failed one included) have no record, summary.json was not written",
    );
  });

  it("a run whose records were all written does not throw", () => {
    const recorder = createRecorder(options());
    recorder.add(record(0));
    recorder.close();
    expect(() => recorder.throwIfFailed(10, null)).not.toThrow();
    expect(recorder.orFailed(undefined)).toBe(recorder.failed);
  });

  it("a records.jsonl that cannot be opened is a RecordsLostError before the run, without a summary", () => {
    expect(() => createRecorder({ ...options(), path: join(dir, "missing", "records.jsonl") })).toThrow(RecordsLostError);
    try {
      createRecorder({ ...options(), path: join(dir, "missing", "records.jsonl") });
    } catch (e) {
      expect((e as RecordsLostError).summary).toBeUndefined();
      expect((e as Error).message).toMatch(/^records could not be written: .*missing\/records.jsonl: cannot open for appending records: ENOENT/);
    }
  });

  it("marks each event-loop stall with the written requests in flight during it (records.jsonl lines)", () => {
    const recorder = createRecorder(options());
    recorder.startClock();
    // Lines 1..4: [0, 50], [100, 150], [120, 900], [1000, 1050].
    [record(0), record(1), record(2, 120, 780), record(3, 1000)].forEach((r) => recorder.add(r));
    recorder.close();
    const marked = recorder.markStalls({ source: null, windowMs: 1000, busy: [], stalls: [{ atMs: 140, ms: 300 }, { atMs: 2000, ms: 300 }] });
    expect(marked.stalls).toEqual([
      { atMs: 140, ms: 300, requests: 2, lines: [2, 3] },
      { atMs: 2000, ms: 300, requests: 0, lines: [] },
    ]);
  });
});
