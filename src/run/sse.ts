// Server-sent events decoded from the bytes of a response body. This is the load generator's hot
// path: a read without CR (what servers send) has its complete lines decoded as one string and
// split with indexOf; other reads are split on the bytes and each line decoded on its own. Either
// way one function (textLine) reads a line. Only the unconsumed tail of a read is kept until the
// next one. Web-standard APIs only, so it runs on Node, Bun and Deno.

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const D = 0x64;

/** Node's Buffer, when there is one: its toString(utf8, start, end) is quicker than TextDecoder on a view. */
const NodeBuffer = (globalThis as { Buffer?: { isBuffer(x: unknown): boolean } }).Buffer;
type Utf8Range = Uint8Array & { toString(encoding: "utf8", start: number, end: number): string };
/** Stateless use only (whole lines), so one instance serves every decoder. */
const utf8 = new TextDecoder();

export interface SseHandlers {
  /** One complete event: its data lines joined with "\n", and its `event:` type if any. */
  onEvent(data: string, event: string | undefined): void;
  /** A non-empty line that is neither a comment nor a `name: value` field (e.g. a JSON or HTML body). */
  onBadLine?(line: string): void;
}

export class SseDecoder {
  /** Bytes of a line that has not ended yet (kept between reads). */
  private tail: Uint8Array | null = null;
  /** The last read ended with CR: an LF at the start of the next read belongs to that line end. */
  private skipLf = false;
  private data: string | undefined;
  private event: string | undefined;

  constructor(private readonly handlers: SseHandlers) {}

  /** Feed one read of the body; complete events are handed to `onEvent` before this returns. */
  push(buf: Uint8Array): void {
    const len = buf.length;
    if (len === 0) return;
    const nodeBuffer = NodeBuffer !== undefined && NodeBuffer.isBuffer(buf);
    let pos = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf[0] === LF) pos = 1;
    }
    // Next CR at or after pos; -1 when there is none left in this read (the usual case: one search).
    let cr = buf.indexOf(CR, pos);
    if (cr === -1 && this.tail === null) {
      this.pushText(buf, pos, nodeBuffer);
      return;
    }
    while (pos < len) {
      // The blank line that ends most events: no search needed.
      if (buf[pos] === LF && this.tail === null) {
        this.dispatch();
        pos++;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      let end: number;
      let next: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
      } else if (cr !== -1) {
        end = cr;
        if (cr + 1 < len) {
          next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
        } else {
          next = len;
          this.skipLf = true;
        }
      } else {
        break;
      }
      if (this.tail === null) {
        this.line(buf, pos, end, nodeBuffer);
      } else {
        // The line began in an earlier read: join just this line, not the whole read.
        const whole = concat(this.tail, buf.subarray(pos, end));
        this.tail = null;
        this.line(whole, 0, whole.length, false);
      }
      pos = next;
    }
    // Copy (a Buffer's slice would be a view), so a large read is not kept alive by the few
    // bytes of an unfinished line.
    if (pos < len) this.tail = concat(this.tail, buf.subarray(pos));
  }

  /**
   * A read without CR that starts a line (the usual one): its complete lines decoded as one string,
   * then split there, rather than each line decoded on its own. With 16 events a read, one decode
   * instead of 16 and a slice per line (benchmarks/client-speed.ts).
   */
  private pushText(buf: Uint8Array, pos: number, nodeBuffer: boolean): void {
    const lastLf = buf.lastIndexOf(LF);
    if (lastLf >= pos) {
      const text = nodeBuffer ? (buf as Utf8Range).toString("utf8", pos, lastLf + 1) : utf8.decode(buf.subarray(pos, lastLf + 1));
      const n = text.length;
      let at = 0;
      while (at < n) {
        const lf = text.indexOf("\n", at);
        if (lf === at) this.dispatch();
        else this.textLine(text, at, lf);
        at = lf + 1;
      }
      pos = lastLf + 1;
    }
    if (pos < buf.length) this.tail = concat(null, buf.subarray(pos));
  }

  /** One line (no line end in it) of decoded text: a comment, data, or another field. */
  private textLine(text: string, start: number, end: number): void {
    const first = text.charCodeAt(start);
    if (first === COLON) return;
    if (first === D && end - start >= 4 && text.startsWith("data", start)) {
      let v = start + 4;
      if (v === end || text.charCodeAt(v) === COLON) {
        if (v < end) v++;
        if (v < end && text.charCodeAt(v) === SPACE) v++;
        const value = text.slice(v, end);
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
        return;
      }
    }
    this.fieldLine(text.slice(start, end));
  }

  /**
   * The body ended. A data line that was complete but not yet closed by a blank line is
   * delivered (some servers omit the last blank line); an unfinished line is not, as it is
   * most likely cut off. Returns true when bytes of an unfinished line were left over.
   */
  end(): boolean {
    const cut = this.tail !== null && this.tail.length > 0;
    this.tail = null;
    this.skipLf = false;
    this.dispatch();
    return cut;
  }

  /** One line of a read that has CR or began in an earlier read: decoded, then read as textLine reads it. */
  private line(buf: Uint8Array, start: number, end: number, nodeBuffer: boolean): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    const text = nodeBuffer ? (buf as Utf8Range).toString("utf8", start, end) : utf8.decode(buf.subarray(start, end));
    this.textLine(text, 0, text.length);
  }

  /** Fields other than data: rare, so plain string handling is fine here. */
  private fieldLine(line: string): void {
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      this.handlers.onBadLine?.(line);
      return;
    }
    if (name === "event") {
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      this.event = value;
    }
    // id, retry and unknown fields carry nothing we measure.
  }

  private dispatch(): void {
    const data = this.data;
    const event = this.event;
    this.data = undefined;
    this.event = undefined;
    if (data !== undefined) this.handlers.onEvent(data, event);
  }
}

/** A new array holding a then b (a may be null). */
function concat(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  const out = new Uint8Array((a === null ? 0 : a.length) + b.length);
  if (a !== null) out.set(a, 0);
  out.set(b, out.length - b.length);
  return out;
}
