// A trace file as lines, fed one at a time to a reader, so no reader ever needs the file as one
// string (V8 refuses strings over 512 MB: "Invalid string length"). Web-standard: text chunks in,
// from a string (tests, parseTraceText) or from decoded bytes (read.ts streams files through it).

/** A reader fed one line at a time, then asked for what it read. */
export interface LineReader<T> {
  /** One line, without its line break (a "\r" before the "\n" is dropped too), numbered from 1. */
  line(text: string, line: number): void;
  /**
   * The file's last line when no line break follows it: a file still being written may stop
   * mid-line (records.jsonl, Claude Code transcripts). Without it the line goes to `line`.
   */
  lastLineWithoutBreak?(text: string, line: number): void;
  end(): T;
}

/**
 * Splits text chunks into lines: a line may be spread over any number of chunks, and CRLF or LF
 * ends it. Allocates only the line strings it hands on.
 */
export class LineSplitter {
  /** Pieces of the line not yet ended, from earlier chunks. */
  private pending: string[] = [];
  private count = 0;

  constructor(private readonly reader: Pick<LineReader<unknown>, "line" | "lastLineWithoutBreak">) {}

  push(chunk: string): void {
    let start = 0;
    let end = chunk.indexOf("\n");
    if (end === -1) {
      if (chunk !== "") this.pending.push(chunk);
      return;
    }
    if (this.pending.length > 0) {
      this.pending.push(chunk.slice(0, end));
      const text = this.pending.join("");
      this.pending = [];
      this.emit(text);
      start = end + 1;
      end = chunk.indexOf("\n", start);
    }
    while (end !== -1) {
      this.emit(chunk.slice(start, end));
      start = end + 1;
      end = chunk.indexOf("\n", start);
    }
    if (start < chunk.length) this.pending.push(chunk.slice(start));
  }

  /** The input ended: hands on a last line without line break, if any. */
  finish(): void {
    if (this.pending.length === 0) return;
    let text = this.pending.join("");
    this.pending = [];
    if (text.endsWith("\r")) text = text.slice(0, -1);
    this.count++;
    if (this.reader.lastLineWithoutBreak) this.reader.lastLineWithoutBreak(text, this.count);
    else this.reader.line(text, this.count);
  }

  private emit(text: string): void {
    this.count++;
    this.reader.line(text.endsWith("\r") ? text.slice(0, -1) : text, this.count);
  }
}

/** Feeds a whole text to a reader line by line and returns what it read. */
export function readLines<T>(text: string, reader: LineReader<T>): T {
  const splitter = new LineSplitter(reader);
  splitter.push(text);
  splitter.finish();
  return reader.end();
}

/**
 * Feeds UTF-8 bytes (a file, decompressed or not) to a reader line by line. Characters split
 * between chunks are joined (TextDecoder in streaming mode); a byte order mark is dropped.
 */
export async function readByteLines<T>(chunks: AsyncIterable<Uint8Array>, reader: LineReader<T>): Promise<T> {
  const decoder = new TextDecoder("utf-8");
  const splitter = new LineSplitter(reader);
  for await (const chunk of chunks) splitter.push(decoder.decode(chunk, { stream: true }));
  splitter.push(decoder.decode());
  splitter.finish();
  return reader.end();
}
