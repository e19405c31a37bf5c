import { describe, expect, it } from "vitest";
import { SseDecoder } from "../../../src/run/sse.js";

interface Decoded {
  events: { data: string; event?: string }[];
  bad: string[];
  cut: boolean;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feed the reads in order, then end the body. */
function decode(reads: Uint8Array[]): Decoded {
  const out: Decoded = { events: [], bad: [], cut: false };
  const d = new SseDecoder({
    onEvent: (data, event) => out.events.push(event === undefined ? { data } : { data, event }),
    onBadLine: (line) => out.bad.push(line),
  });
  for (const r of reads) d.push(r);
  out.cut = d.end();
  return out;
}

/** A stream with every feature the decoder must handle. */
const RICH =
  ": ping\n" +
  'data: {"choices":[{"delta":{"content":"héllo ✓ 🚀"}}]}\n\n' +
  "event: message\r\n" +
  "data: line one\r\n" +
  "data: line two\r\n\r\n" +
  "id: 7\nretry: 100\n" +
  "data:no-space\n\n" +
  "data:  two spaces\r\r" +
  "data\n\n" +
  ": keep-alive\r\n" +
  "data: [DONE]\n\n";

const RICH_EVENTS = [
  { data: '{"choices":[{"delta":{"content":"héllo ✓ 🚀"}}]}' },
  { data: "line one\nline two", event: "message" },
  { data: "no-space" },
  { data: " two spaces" },
  { data: "" },
  { data: "[DONE]" },
];

/** The same features with LF line ends only: reads without CR are decoded whole (SseDecoder.pushText). */
const RICH_LF =
  ": ping\n" +
  'data: {"choices":[{"delta":{"content":"héllo ✓ 🚀"}}]}\n\n' +
  "event: message\n" +
  "data: line one\n" +
  "data: line two\n\n" +
  "id: 7\nretry: 100\n" +
  "data:no-space\n\n" +
  "{not sse}\n" +
  "data\n\n" +
  "event: error\ndata: é\n\n" +
  "data: [DONE]\n\n";

const RICH_LF_EVENTS = [
  { data: '{"choices":[{"delta":{"content":"héllo ✓ 🚀"}}]}' },
  { data: "line one\nline two", event: "message" },
  { data: "no-space" },
  { data: "" },
  { data: "é", event: "error" },
  { data: "[DONE]" },
];

describe("SseDecoder", () => {
  it("decodes data, multi-line data, event types, comments, LF, CRLF and CR line ends", () => {
    const r = decode([bytes(RICH)]);
    expect(r.events).toEqual(RICH_EVENTS);
    expect(r.bad).toEqual([]);
    expect(r.cut).toBe(false);
  });

  // Node transports hand over Buffers (decoded on a faster path), the fetch transport Uint8Arrays.
  describe.each([
    ["Uint8Array", (s: string) => bytes(s)],
    ["Buffer", (s: string) => Buffer.from(s, "utf8")],
  ] as const)("reads as %s", (_name, make) => {
    it("gives the same events when the stream is split into two reads at every byte", () => {
      const all = make(RICH);
      for (let i = 1; i < all.length; i++) {
        const r = decode([all.subarray(0, i), all.subarray(i)]);
        expect(r.events, `split at byte ${i}`).toEqual(RICH_EVENTS);
        expect(r.bad).toEqual([]);
      }
    });

    it("gives the same events and bad lines for LF-only reads split at every byte", () => {
      const all = make(RICH_LF);
      expect(decode([all])).toEqual({ events: RICH_LF_EVENTS, bad: ["{not sse}"], cut: false });
      for (let i = 1; i < all.length; i++) {
        const r = decode([all.subarray(0, i), all.subarray(i)]);
        expect(r.events, `split at byte ${i}`).toEqual(RICH_LF_EVENTS);
        expect(r.bad, `split at byte ${i}`).toEqual(["{not sse}"]);
      }
    });

    it("gives the same events when every byte is its own read", () => {
      const all = make(RICH);
      const reads = Array.from(all, (_, i) => all.subarray(i, i + 1));
      expect(decode(reads).events).toEqual(RICH_EVENTS);
    });
  });

  it("splits at every pair of positions in a short stream (three reads)", () => {
    const all = bytes('data: {"a":"ü"}\r\n\r\ndata: [DONE]\r\n\r\n');
    for (let i = 1; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const r = decode([all.subarray(0, i), all.subarray(i, j), all.subarray(j)]);
        expect(r.events, `split at ${i}, ${j}`).toEqual([{ data: '{"a":"ü"}' }, { data: "[DONE]" }]);
      }
    }
  });

  it("hands events to the handler during push, not later", () => {
    const seen: string[] = [];
    const d = new SseDecoder({ onEvent: (data) => seen.push(data) });
    d.push(bytes("data: a\n\ndata: b"));
    expect(seen).toEqual(["a"]);
    d.push(bytes("\n\n"));
    expect(seen).toEqual(["a", "b"]);
  });

  it("does not keep a read alive through the tail it keeps (copies the unfinished line)", () => {
    const seen: string[] = [];
    const d = new SseDecoder({ onEvent: (data) => seen.push(data) });
    const read = bytes("data: x\n\ndata: y");
    d.push(read);
    read.fill(0x21); // the transport may reuse its buffer
    d.push(bytes("z\n\n"));
    expect(seen).toEqual(["x", "yz"]);
  });

  it("reports lines that are not SSE fields (a JSON or HTML body) as bad lines", () => {
    const r = decode([bytes('{"error":"x"}\n<html>\nplain words here\nunknown-field: fine\ndata: ok\n\n')]);
    expect(r.bad).toEqual(['{"error":"x"}', "<html>", "plain words here"]);
    expect(r.events).toEqual([{ data: "ok" }]);
  });

  it("at the end, delivers a complete data line left without its blank line", () => {
    const r = decode([bytes("data: a\n\ndata: [DONE]\n")]);
    expect(r.events).toEqual([{ data: "a" }, { data: "[DONE]" }]);
    expect(r.cut).toBe(false);
  });

  it("at the end, drops an unfinished line and says it was cut", () => {
    const r = decode([bytes('data: a\n\ndata: {"choi')]);
    expect(r.events).toEqual([{ data: "a" }]);
    expect(r.cut).toBe(true);
  });

  it("ignores empty reads, also right after a CR", () => {
    const r = decode([bytes("data: a\r"), new Uint8Array(0), bytes("\n\r\ndata: b\n\n")]);
    expect(r.events).toEqual([{ data: "a" }, { data: "b" }]);
  });

  it("treats 'database:' as a field named database, not as data", () => {
    const r = decode([bytes("database: x\ndata: y\n\n")]);
    expect(r.events).toEqual([{ data: "y" }]);
    expect(r.bad).toEqual([]);
  });
});
