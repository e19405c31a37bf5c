// records.jsonl under write faults: a line is written whole or not at all. A write that fails
// part-way (disk full) is cut back to the last whole line; the error names the file, the errno and
// what the file keeps; every later record gets the same error. Faults come from a sink wrapping
// a real file (so the cut is checked on disk), and from /dev/full on Linux (ENOSPC from the kernel).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../../src/records/types.js";
import { fileSink, RecordWriteError, RecordWriter, type RecordSink } from "../../../src/records/writer.js";

function record(i: number): RequestRecord {
  return {
    sessionId: `s${i}`,
    nodeId: "0",
    readyAt: i,
    plannedAt: i,
    dispatchedAt: i,
    chunkAt: [i + 1, i + 2],
    doneAt: i + 3,
    expectedPromptTokens: 100,
    sharedPrefixTokens: 0,
    freshInputTokens: 100,
    requestedOutputTokens: 2,
  };
}

const errno = (code: string, text: string) => Object.assign(new Error(`${code}: ${text}, write`), { code });

/** The file at path, full after `room` more bytes: a write reaching the limit writes up to it (as the kernel does), the next one fails. */
function fillingSink(path: string, room: number, fail = errno("ENOSPC", "no space left on device")): RecordSink & { truncated: number[] } {
  const file = fileSink(path);
  const truncated: number[] = [];
  return {
    ...file,
    truncated,
    write(bytes, offset) {
      if (room <= 0) throw fail;
      const n = Math.min(room, bytes.length - offset);
      room -= n;
      return file.write(bytes.subarray(0, offset + n), offset);
    },
    truncate(size) {
      truncated.push(size);
      file.truncate(size);
    },
  };
}

/** Every line whole JSON, the file ending in a newline (or empty). */
function wholeLines(path: string): RequestRecord[] {
  const text = readFileSync(path, "utf8");
  if (text !== "") expect(text.endsWith("\n")).toBe(true);
  return text === "" ? [] : text.trimEnd().split("\n").map((l) => JSON.parse(l) as RequestRecord);
}

describe("RecordWriter under write faults", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agentload-writer-"));
    path = join(dir, "records.jsonl");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("disk full in the middle of a line: cuts the partial line away, names file and errno, refuses every later record", () => {
    const lineBytes = JSON.stringify(record(0)).length + 1;
    const sink = fillingSink(path, 2 * lineBytes + 17);
    const writer = new RecordWriter(path, sink);
    writer.append(record(0));
    writer.append(record(1));
    let error: unknown;
    try {
      writer.append(record(2));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RecordWriteError);
    expect(error).toMatchObject({ path, code: "ENOSPC", written: 2 });
    expect((error as Error).message).toBe(
      `${path}: cannot append record 3: ENOSPC: no space left on device, write (the file keeps 2 whole records; the 17 bytes of its partial line were cut away)`,
    );
    expect(sink.truncated).toEqual([2 * lineBytes]);
    expect(() => writer.append(record(3))).toThrow(error as Error);
    expect(writer.failed).toBe(error);
    writer.close();
    expect(wholeLines(path).map((r) => r.sessionId)).toEqual(["s0", "s1"]);
  });

  it("appending to an existing file cuts back to its end, not to zero", () => {
    new RecordWriter(path).append(record(0));
    const before = readFileSync(path, "utf8");
    const writer = new RecordWriter(path, fillingSink(path, 5, errno("EFBIG", "file too large")));
    expect(() => writer.append(record(1))).toThrow(/cannot append record 1: EFBIG: file too large, write \(the file keeps 0 whole records; the 5 bytes/);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("a failure before any byte of the line leaves the file as it was, without cutting", () => {
    const sink = fillingSink(path, 0, errno("EIO", "i/o error"));
    const writer = new RecordWriter(path, sink);
    expect(() => writer.append(record(0))).toThrow(`${path}: cannot append record 1: EIO: i/o error, write (the file keeps 0 whole records)`);
    expect(sink.truncated).toEqual([]);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("says so when the partial line cannot be cut away", () => {
    const sink = fillingSink(path, 10);
    sink.truncate = () => {
      throw Object.assign(new Error("EINVAL: invalid argument, ftruncate"), { code: "EINVAL" });
    };
    const writer = new RecordWriter(path, sink);
    expect(() => writer.append(record(0))).toThrow(/its partial line \(10 bytes\) could not be cut away \(EINVAL: invalid argument, ftruncate\): the file ends in a torn line\)$/);
  });

  it("a write that returns 0 bytes is a failure, not a loop", () => {
    const writer = new RecordWriter(path, { ...fileSink(path), write: () => 0 });
    expect(() => writer.append(record(0))).toThrow(/cannot append record 1: write returned 0 of \d+ bytes/);
  });

  it("an errno the runtime does not put in its message is added to it", () => {
    const writer = new RecordWriter(path, fillingSink(path, 0, Object.assign(new Error("no space"), { code: "ENOSPC" })));
    expect(() => writer.append(record(0))).toThrow(`${path}: cannot append record 1: ENOSPC: no space (the file keeps 0 whole records)`);
  });

  it("a close that fails (write-back errors some file systems report only there) is the writer's failure", () => {
    const file = fileSink(path);
    const writer = new RecordWriter(path, {
      ...file,
      close: () => {
        file.close();
        throw Object.assign(new Error("EIO: i/o error, close"), { code: "EIO" });
      },
    });
    writer.append(record(0));
    writer.close();
    expect(writer.failed).toMatchObject({ code: "EIO", written: 1, message: `${path}: closing after 1 record failed: EIO: i/o error, close` });
  });

  it("a file that cannot be opened names the file and errno", () => {
    const missing = join(dir, "gone", "records.jsonl");
    expect(() => new RecordWriter(missing)).toThrow(new RegExp(`^${missing.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}: cannot open for appending records: ENOENT`));
  });

  it.skipIf(!existsSync("/dev/full"))("/dev/full: ENOSPC from the kernel on the first record", () => {
    const writer = new RecordWriter("/dev/full");
    // Node: "ENOSPC: no space left on device, write"; Deno: "ENOSPC: No space left on device (os error 28)".
    expect(() => writer.append(record(0))).toThrow(/^\/dev\/full: cannot append record 1: ENOSPC: no space left on device.* \(the file keeps 0 whole records\)$/i);
    writer.close();
  });
});
