// records.jsonl: one line per request, written with synchronous appends the moment the request
// ends, so a crash or Ctrl-C keeps everything measured so far. A line is written whole or not at
// all: a write that fails part-way (disk full, file too large, I/O error) is cut back to the last
// whole line, and the writer then refuses every further record with the error that stopped it,
// which names the file and the errno. Before this, a full disk failed each record on its own (the
// run went on, 248 of 400 records were lost) and left a torn last line.
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import type { RequestRecord } from "./types.js";

/** Where the lines go: the file, or a stand-in that injects faults (tests). */
export interface RecordSink {
  /** The file's size before the first line (appending to an existing file keeps it). */
  size(): number;
  /** Writes bytes from offset on, as many as it can; returns how many (as fs.writeSync). */
  write(bytes: Uint8Array, offset: number): number;
  /** Cuts the file back to size bytes. */
  truncate(size: number): void;
  close(): void;
}

/** The file at path, opened for appending. */
export function fileSink(path: string): RecordSink {
  const fd = openSync(path, "a");
  return {
    size: () => fstatSync(fd).size,
    write: (bytes, offset) => writeSync(fd, bytes, offset),
    truncate: (size) => ftruncateSync(fd, size),
    close: () => closeSync(fd),
  };
}

/** "ENOSPC: no space left on device, write": Node's message already leads with the errno; other runtimes' may not. */
function errnoText(e: unknown): { code: string | undefined; text: string } {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(e);
  return { code, text: code && !message.includes(code) ? `${code}: ${message}` : message };
}

/** records.jsonl could not be opened or written: names the file, the errno and what was kept. */
export class RecordWriteError extends Error {
  constructor(
    readonly path: string,
    /** The errno name (ENOSPC, EFBIG, EIO, ...), when the runtime gave one. */
    readonly code: string | undefined,
    /** Whole records in the file (this writer's); undefined when it could not be opened. */
    readonly written: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "RecordWriteError";
  }
}

const encoder = new TextEncoder();

export class RecordWriter {
  /** Whole records this writer has written. */
  count = 0;
  private sink: RecordSink | null;
  /** Where the next line starts: the file ends in a whole line here. */
  private size: number;
  private failure: RecordWriteError | null = null;

  constructor(
    readonly path: string,
    sink?: RecordSink,
  ) {
    try {
      this.sink = sink ?? fileSink(path);
      this.size = this.sink.size();
    } catch (e) {
      const { code, text } = errnoText(e);
      throw new RecordWriteError(path, code, undefined, `${path}: cannot open for appending records: ${text}`);
    }
  }

  /** The error that stopped this writer, if one did. */
  get failed(): RecordWriteError | null {
    return this.failure;
  }

  /** Appends the record's line whole, or throws a RecordWriteError (and every later call throws it too). */
  append(record: RequestRecord): void {
    if (this.failure) throw this.failure;
    if (this.sink === null) throw new RecordWriteError(this.path, undefined, this.count, `${this.path}: record writer is closed`);
    const line = encoder.encode(JSON.stringify(record) + "\n");
    let done = 0;
    try {
      // writeSync may write less than asked (a file reaching its size limit writes up to it).
      while (done < line.length) {
        const n = this.sink.write(line, done);
        if (!(n > 0)) throw new Error(`write returned ${n} of ${line.length - done} bytes`);
        done += n;
      }
    } catch (e) {
      throw (this.failure = this.writeFailure(e, done));
    }
    this.size += line.length;
    this.count++;
  }

  /** The failure of record count + 1, after cutting its partial line (done bytes) away. */
  private writeFailure(e: unknown, done: number): RecordWriteError {
    const { code, text } = errnoText(e);
    let kept = "";
    if (done > 0) {
      try {
        this.sink!.truncate(this.size);
        kept = `; the ${done} bytes of its partial line were cut away`;
      } catch (t) {
        kept = `; its partial line (${done} bytes) could not be cut away (${errnoText(t).text}): the file ends in a torn line`;
      }
    }
    const records = `${this.count} whole record${this.count === 1 ? "" : "s"}`;
    return new RecordWriteError(this.path, code, this.count, `${this.path}: cannot append record ${this.count + 1}: ${text} (the file keeps ${records}${kept})`);
  }

  close(): void {
    const sink = this.sink;
    this.sink = null;
    if (!sink) return;
    try {
      sink.close();
    } catch (e) {
      const { code, text } = errnoText(e);
      // A close that fails (NFS, some disks report write-back errors only here) loses data too.
      if (!this.failure) this.failure = new RecordWriteError(this.path, code, this.count, `${this.path}: closing after ${this.count} record${this.count === 1 ? "" : "s"} failed: ${text}`);
    }
  }
}
