// Traces read line by line (issue 16): lines split across chunks, CRLF, characters split across
// byte chunks, gzip and zstd files, a bad line's number and a cut last line, through the line
// splitter and through readTrace on files.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { LineSplitter, readByteLines, readLines, type LineReader } from "../../../src/stats/lines.js";
import { readTrace, Utf8Chunks } from "../../../src/traces/read.js";
import { fixtures } from "../../support/traces.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-trace-lines-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A reader that lists what it is fed. */
function collector(): LineReader<[number, string, "line" | "cut"][]> & { got: [number, string, "line" | "cut"][] } {
  const got: [number, string, "line" | "cut"][] = [];
  return {
    got,
    line: (text, line) => void got.push([line, text, "line"]),
    lastLineWithoutBreak: (text, line) => void got.push([line, text, "cut"]),
    end: () => got,
  };
}

const session = (node: number, extra = "") =>
  `{"session_id": 0, "input_length": ${100 + node * 10}, "new_input_length": 10, "output_length": 5, "session_context": {"node_id": ${node}, "parent_nodes": [${node > 0 ? node - 1 : ""}], "history_parent": ${node > 0 ? node - 1 : "null"}, "wait_after_ready": 0.5}${extra}}`;

describe("the line splitter", () => {
  const text = 'first\r\n{"a": 1}\n\nfourth, é and 字\r\nlast without break';
  const expected: [number, string, "line" | "cut"][] = [
    [1, "first", "line"],
    [2, '{"a": 1}', "line"],
    [3, "", "line"],
    [4, "fourth, é and 字", "line"],
    [5, "last without break", "cut"],
  ];

  it("gives the same numbered lines however the text is cut into chunks, CRLF or LF", () => {
    for (let cut = 0; cut <= text.length; cut++) {
      for (const size of [1, 2, 3, 7]) {
        const reader = collector();
        const splitter = new LineSplitter(reader);
        splitter.push(text.slice(0, cut));
        for (let i = cut; i < text.length; i += size) splitter.push(text.slice(i, i + size));
        splitter.finish();
        expect(reader.got, `cut at ${cut}, then chunks of ${size}`).toEqual(expected);
      }
    }
  });

  it("a text ending in a line break has no cut last line; without lastLineWithoutBreak the last line is a line", () => {
    expect(readLines("a\nb\n", collector())).toEqual([
      [1, "a", "line"],
      [2, "b", "line"],
    ]);
    const plain: [number, string][] = [];
    readLines("a\nb", { line: (t, n) => void plain.push([n, t]), end: () => plain });
    expect(plain).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("joins UTF-8 characters split between byte chunks and drops a byte order mark", async () => {
    const bytes = new TextEncoder().encode(`\uFEFF${text}`);
    for (const size of [1, 2, 3, 5]) {
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      expect(await readByteLines(chunks(), collector()), `chunks of ${size} bytes`).toEqual(expected);
    }
  });
});

describe("trace files read line by line", () => {
  const lines = [session(0), session(1), session(2)];

  it("decodes ASCII chunks as Latin-1 until the first other byte, then as UTF-8 (characters split between chunks joined)", () => {
    const enc = new TextEncoder();
    const whole = `plain ascii, ${"x".repeat(40)} then é, 字 and \u{1F600} at the end`;
    const bytes = enc.encode(whole);
    for (const size of [1, 2, 3, 7, 64]) {
      const d = new Utf8Chunks();
      let out = "";
      for (let i = 0; i < bytes.length; i += size) out += d.decode(bytes.subarray(i, i + size));
      out += d.end();
      expect(out, `chunks of ${size} bytes`).toBe(whole);
    }
    // A byte order mark is not ASCII: TextDecoder takes over at once and drops it.
    const bom = new Utf8Chunks();
    expect(bom.decode(enc.encode("\uFEFFabc")) + bom.decode(enc.encode("def")) + bom.end()).toBe("abcdef");
    // A last character cut short is U+FFFD, as TextDecoder gives it.
    const cut = new Utf8Chunks();
    expect(cut.decode(enc.encode("ab")) + cut.decode(enc.encode("é").subarray(0, 1)) + cut.end()).toBe("ab\uFFFD");
  });

  it("reads a file whose first non-ASCII character straddles two 1 MiB reads", async () => {
    // Sessions of one request each, then one whose id has an "é" whose two bytes sit on either
    // side of byte 2^20 (read.ts reads 1 MiB at a time).
    const row = (id: string) => `{"session_id": "${id}", "input_length": 10, "new_input_length": 10, "output_length": 5}`;
    const rows: string[] = [];
    let size = 0;
    while (size < (1 << 20) - 4096) {
      const r = row(`s${rows.length}`);
      rows.push(r);
      size += r.length + 1;
    }
    const prefix = row("").indexOf('""') + 1;
    const id = `${"y".repeat((1 << 20) - size - prefix - 1)}é`;
    rows.push(row(id));
    const text = rows.join("\n") + "\n";
    expect(Buffer.from(text).indexOf(Buffer.from("é"))).toBe((1 << 20) - 1);
    const file = join(dir, "straddle.jsonl");
    await writeFile(file, text);
    const trace = await readTrace(file, { format: "veeksha-session" });
    expect(trace.requests).toHaveLength(rows.length);
    expect(trace.requests.at(-1)!.conversation).toBe(id);
  });

  it("reads a gzip-compressed trace (by its first bytes, whatever its name) as the plain one", async () => {
    const plain = join(dir, "plain.jsonl");
    await writeFile(plain, lines.join("\r\n") + "\r\n");
    const gz = join(dir, "trace.jsonl.gz");
    await writeFile(gz, zlib.gzipSync(lines.join("\n")));
    const unnamed = join(dir, "gzipped-without-extension");
    await writeFile(unnamed, zlib.gzipSync(lines.join("\n")));
    const expected = await readTrace(plain);
    expect(expected.requests).toHaveLength(3);
    for (const file of [gz, unnamed]) {
      const trace = await readTrace(file);
      expect(trace.format).toBe("veeksha-session");
      expect(trace.requests).toEqual(expected.requests);
    }
    // A gzip CSV is told by its name less .gz.
    const csv = join(dir, "requests.csv.gz");
    await writeFile(csv, zlib.gzipSync("session_id,fresh_input_tokens,output_tokens\r\na,10,5\r\na,7,3\r\n"));
    expect(analyzeTrace(await readTrace(csv))).toMatchObject({ format: "csv", requests: 2, sessions: 1 });
  });

  it("a file named .gz that is not gzip, or a gzip file cut short, is a clear error naming it", async () => {
    const fake = join(dir, "fake.jsonl.gz");
    await writeFile(fake, lines.join("\n"));
    await expect(readTrace(fake)).rejects.toThrow(`${fake}: named .gz but not gzip-compressed (expected the bytes 1f 8b first)`);
    const cut = join(dir, "cut.jsonl.gz");
    const whole = zlib.gzipSync(lines.join("\n"));
    await writeFile(cut, whole.subarray(0, whole.length - 10));
    await expect(readTrace(cut)).rejects.toThrow(`${cut}: cannot decompress the trace (gzip): `);
  });

  const zstd = zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer; createZstdDecompress?: unknown };
  it.runIf(typeof zstd.zstdCompressSync === "function")("reads a zstd-compressed trace (this runtime's node:zlib has zstd)", async () => {
    const file = join(dir, "trace.jsonl.zst");
    await writeFile(file, zstd.zstdCompressSync!(Buffer.from(lines.join("\n"))));
    expect((await readTrace(file)).requests).toHaveLength(3);
  });

  it.runIf(typeof zstd.createZstdDecompress !== "function")("a zstd trace on a runtime without zstd is an error saying so and what to do", async () => {
    const file = join(dir, "trace.jsonl.zst");
    // The zstd frame magic, then anything: the reader stops at the magic.
    await writeFile(file, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    await expect(readTrace(file)).rejects.toThrow(/trace\.jsonl\.zst: the file is zstd-compressed, and this runtime \(.+\) has no zstd in node:zlib \(Node has it from 22\.15 and 23\.8\); decompress it first/);
  });

  it("a bad line deep in a streamed file is named by its number", async () => {
    const rows: string[] = [];
    for (let i = 0; i < 30_000; i++) rows.push(`{"input_length": ${i + 1}, "output_length": 3}`);
    rows[24_999] = '{"input_length": 4, "output_length": }';
    const file = join(dir, "bad.jsonl");
    await writeFile(file, rows.join("\n"));
    await expect(readTrace(file)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:25000: not valid JSON`));
    const gz = join(dir, "bad.jsonl.gz");
    await writeFile(gz, zlib.gzipSync(rows.join("\n")));
    await expect(readTrace(gz)).rejects.toThrow(":25000: not valid JSON");
  });

  it("a cut last line: a run's records.jsonl leaves it out, as the records reader does; other formats name it", async () => {
    const record = (node: number) =>
      JSON.stringify({ sessionId: "0", nodeId: String(node), parents: node > 0 ? [String(node - 1)] : [], ...(node > 0 ? { historyParent: String(node - 1) } : {}), dispatchedAt: node * 100, readyAt: node * 100, freshInputTokens: 5, requestedOutputTokens: 3, expectedPromptTokens: 5 + node * 8, sharedPrefixTokens: 0, chunkAt: [node * 100 + 50] });
    const records = join(dir, "records.jsonl");
    await writeFile(records, `${record(0)}\n${record(1)}\n${record(2).slice(0, 40)}`);
    expect((await readTrace(records)).requests.map((r) => r.id)).toEqual(["0:0", "0:1"]);
    const veeksha = join(dir, "cut.jsonl");
    await writeFile(veeksha, `${lines[0]}\n${lines[1]!.slice(0, 30)}`);
    await expect(readTrace(veeksha)).rejects.toThrow(`${veeksha}:2: not valid JSON`);
  });

  it("a document format (a pretty-printed dag.json) is still read whole, gzip-compressed too", async () => {
    const plain = join(fixtures, "openclaw", "dag.json");
    const file = join(dir, "dag.json.gz");
    await writeFile(file, zlib.gzipSync(await readFile(plain)));
    const expected = await readTrace(plain);
    expect(expected.format).toBe("openclaw-dag");
    const got = await readTrace(file);
    expect({ ...got, source: plain }).toEqual(expected);
  });
});
