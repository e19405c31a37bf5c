// The recorder when records.jsonl cannot be written: the first failed write aborts `failed` (the
// run stops), later records are counted as lost and never aggregated or reported, and
// throwIfFailed ends the run with the summary of exactly the records the file kept. And the
// event-loop stalls the CPU sampler saw, marked with the written requests in flight during them.
// And what it holds after a long run: nothing per ended session or request.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultCatalogue } from "../../../src/metrics/catalogue.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { fileSink, RecordWriteError, type RecordSink } from "../../../src/records/writer.js";
import { MAX_STALLS } from "../../../src/run/client-cpu.js";
import { createRecorder, RecordsLostError } from "../../../src/run/recorder.js";
import type { EventLoopStall } from "../../../src/metrics/client-checks.js";

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

  it("after 20k requests in 5k sessions holds nothing per ended session or request, and marks stalls told as they happen exactly", () => {
    let clock = 0;
    const recorder = createRecorder({ ...options(), now: () => clock });
    recorder.startClock();
    const flights: [number, number][] = [];
    const told: EventLoopStall[] = [];
    let lastTick = 0;
    const queue: { ticket: number; from: number; i: number }[] = [];
    const most = { stallRecords: 0, decodeEvents: 0, openSessions: 0 };
    const end = (q: { ticket: number; from: number; i: number }) => {
      const r = { ...record(q.i, q.from, clock - q.from), sessionId: `s${Math.floor(q.i / 4)}` };
      recorder.add(r);
      recorder.requestEnded(q.ticket);
      flights.push([q.from, clock]);
      if (q.i % 4 === 3) recorder.sessionDone(r.sessionId);
      const held = recorder.held();
      most.stallRecords = Math.max(most.stallRecords, held.stallRecords);
      most.decodeEvents = Math.max(most.decodeEvents, held.aggregator.decodeEvents);
      most.openSessions = Math.max(most.openSessions, held.aggregator.openSessions);
    };
    for (let i = 0; i < 20_000; i++) {
      clock += 1 + (i % 7);
      queue.push({ ticket: recorder.requestStarted(), from: clock, i });
      if (queue.length > 16) end(queue.shift()!);
      // 150 stalls, the longest past the first MAX_STALLS, each from the last tick to now, told
      // when it ends and followed by a tick, as the sampler does.
      if (i % 120 === 60 && told.length < 150) {
        const stall = { atMs: lastTick, ms: clock - lastTick };
        told.push(stall);
        recorder.stallWatcher.stall(stall);
        recorder.stallWatcher.tick((lastTick = clock));
      }
      const longest = i >= 60 + 130 * 120 - 40 && i < 60 + 130 * 120;
      if (i % 10 === 0 && !longest) recorder.stallWatcher.tick((lastTick = clock));
    }
    while (queue.length > 0) end(queue.shift()!);
    recorder.close();

    expect(recorder.held()).toEqual({ aggregator: { openSessions: 0, openWarmupSessions: 0, requestRows: 0, decodeEvents: expect.any(Number) }, inFlight: 0, stallRecords: expect.any(Number) });
    // Records that ended after the last tick (the most while the longest stall ran, 40 records
    // without a tick), spans since the last settle: never the 20k written.
    expect(most.stallRecords).toBeLessThan(100);
    expect(most.decodeEvents).toBeLessThan(2 * (1024 + 50));
    expect(most.openSessions).toBeLessThan(10);
    expect(recorder.summarize(clock, null, null).counts).toMatchObject({ requests: 20_000, sessions: 5_000 });

    // As the sampler keeps them: the first MAX_STALLS and the longest.
    const longest = told.reduce((a, b) => (b.ms > a.ms ? b : a));
    expect(told.indexOf(longest)).toBe(130);
    const kept = [...told.slice(0, MAX_STALLS), longest];
    const marked = recorder.markStalls({ source: null, windowMs: 1000, busy: [], stalls: kept });
    const expected = kept.map((s) => {
      const lines = flights.flatMap(([from, to], k) => (from < s.atMs + s.ms && to > s.atMs ? [k + 1] : []));
      return { ...s, requests: lines.length, lines: lines.slice(0, 5) };
    });
    expect(marked.stalls).toEqual(expected);
    expect(expected.every((s) => s.requests > 0)).toBe(true);
  });
});
