// NODE-ONLY: reads a trace from disk: a file, or a directory of session files, with the sibling
// files some formats spread over (OpenClaw's sessions.json and per-session logs, Claude Code's
// subagent transcripts). Files are streamed, decompressed when gzip or zstd (by their first bytes),
// and the formats read line by line (detect.ts lineReaderFor) never hold the file as one string, so
// a trace of any size reads in memory bounded by its requests. Everything after the bytes is
// web-standard (lines.ts, detect.ts and the readers).
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import * as nodeBuffer from "node:buffer";
import { pipeline, type Readable } from "node:stream";
import * as zlib from "node:zlib";
import { looksLikeClaudeCode, parseClaudeCode } from "./claude-code.js";
import { detectFormat, detectLineFormat, isCsvName, isDocumentFormat, lineReaderFor, parseTraceText, traceFormat, undetectable, type ParseTraceOptions } from "./detect.js";
import { firstJsonLine } from "./jsonl.js";
import { LineSplitter } from "../stats/lines.js";
import { parseOpenClawDag } from "./openclaw-dag.js";
import { looksLikeOpenClawSession, parseOpenClawSessions, type SourceText } from "./openclaw-session.js";
import { inColumns } from "./table.js";
import type { Trace, TraceFormat } from "./types.js";
import { isObject, TraceError } from "./where.js";

export type ReadTraceOptions = ParseTraceOptions;

/** Bytes read at a time: 1 MiB chunks read a 287 MB JSONL file in 0.3 s of the reader's time. */
const CHUNK_BYTES = 1 << 20;

type Compression = "gzip" | "zstd" | null;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function cannotRead(path: string, e: unknown): TraceError {
  const code = (e as NodeJS.ErrnoException).code;
  return new TraceError(`${path}: cannot read the trace: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
}

/** How a file is compressed, from its first bytes; a .gz or .zst name on other bytes is an error. */
async function compressionOf(path: string): Promise<Compression> {
  const head = new Uint8Array(4);
  let read: number;
  try {
    const file = await open(path, "r");
    try {
      read = (await file.read(head, 0, 4, 0)).bytesRead;
    } finally {
      await file.close();
    }
  } catch (e) {
    throw cannotRead(path, e);
  }
  const bytes = head.subarray(0, read);
  if (startsWith(bytes, GZIP_MAGIC)) return "gzip";
  if (startsWith(bytes, ZSTD_MAGIC)) return "zstd";
  if (/\.gz$/i.test(path)) throw new TraceError(`${path}: named .gz but not gzip-compressed (expected the bytes 1f 8b first)`);
  if (/\.zstd?$/i.test(path)) throw new TraceError(`${path}: named .zst but not zstd-compressed (expected the bytes 28 b5 2f fd first)`);
  return null;
}

/** zstd decompression, which Node has from 22.15 and 23.8 (Bun and Deno as their node:zlib does). */
function zstdDecompressor(path: string): NodeJS.ReadWriteStream {
  const create = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
  if (typeof create !== "function") {
    throw new TraceError(
      `${path}: the file is zstd-compressed, and this runtime (${runtimeName()}) has no zstd in node:zlib (Node has it from 22.15 and 23.8); ` +
        "decompress it first (zstd -d), recompress it with gzip, or use a newer Node",
    );
  }
  return create();
}

function runtimeName(): string {
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  if (versions.bun) return `Bun ${versions.bun}`;
  if (versions.deno) return `Deno ${versions.deno}`;
  return `Node ${process.versions.node}`;
}

/**
 * The bytes of an uncompressed file through one buffer, read again for each chunk: a chunk is valid
 * until the next is asked for. A stream's new buffer per read (287 MB of them for the
 * million-request bench file, released only by collections) put analyze's peak 60 MB higher.
 */
async function* plainFileBytes(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      let read: number;
      try {
        read = (await file.read(buffer, 0, CHUNK_BYTES, null)).bytesRead;
      } catch (e) {
        throw cannotRead(path, e);
      }
      if (read === 0) return;
      yield buffer.subarray(0, read);
    }
  } finally {
    await file.close();
  }
}

/**
 * The file's bytes, decompressed, in chunks, each valid until the next is asked for (decode it
 * first); a read or decompression failure is a TraceError naming the file.
 */
async function* fileBytes(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const compression = await compressionOf(path);
  if (compression === null) {
    yield* plainFileBytes(path);
    return;
  }
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let decompress: NodeJS.ReadWriteStream;
  try {
    decompress = compression === "gzip" ? zlib.createGunzip({ chunkSize: CHUNK_BYTES }) : zstdDecompressor(path);
  } catch (e) {
    raw.destroy();
    throw e;
  }
  const stream = pipeline(raw, decompress, () => {}) as unknown as Readable;
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    if (e instanceof TraceError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EACCES" && code !== "EISDIR") {
      throw new TraceError(`${path}: cannot decompress the trace (${compression}): ${(e as Error).message}`);
    }
    throw cannotRead(path, e);
  } finally {
    stream.destroy();
  }
}

// buffer.isAscii (Node 18.15 and 19.6 on; simdutf): where the runtime lacks it, every chunk goes
// through TextDecoder.
const isAscii = (nodeBuffer as unknown as { isAscii?: (bytes: Uint8Array) => boolean }).isAscii;

/**
 * UTF-8 bytes to text, chunk by chunk (a character split between chunks is joined; a byte order
 * mark is dropped). While every chunk is ASCII, as traces mostly are, a chunk is copied as Latin-1
 * instead of decoded: the million-request bench file (287 MB) took 0.07 s so, 0.38 s through
 * TextDecoder. From the first chunk with another byte on, TextDecoder decodes the rest.
 */
export class Utf8Chunks {
  private readonly decoder = new TextDecoder("utf-8");
  private ascii = typeof isAscii === "function";

  decode(bytes: Uint8Array): string {
    if (this.ascii && isAscii!(bytes)) return nodeBuffer.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    this.ascii = false;
    return this.decoder.decode(bytes, { stream: true });
  }

  /** The end of the bytes: what a last, cut character leaves (U+FFFD), else "". */
  end(): string {
    return this.ascii ? "" : this.decoder.decode();
  }
}

/** A whole file as text (decompressed): the formats read as one document, and sibling files. */
async function text(path: string): Promise<string> {
  const decoder = new Utf8Chunks();
  const parts: string[] = [];
  for await (const chunk of fileBytes(path)) parts.push(decoder.decode(chunk));
  parts.push(decoder.end());
  try {
    return parts.join("");
  } catch (e) {
    // V8 caps a string at 512 MB (1 GB on 64-bit builds with one-byte strings).
    throw new TraceError(`${path}: too big to read as one document (${(e as Error).message}); only the formats read line by line stream (docs/traces.md)`);
  }
}

/** The name formats are told by, without a compression extension. */
function plainName(path: string): string {
  return path.replace(/\.(gz|zst|zstd)$/i, "");
}

/** The first non-blank line of a text, when it is complete (a line break follows) or the text is all there is. */
function firstLine(head: string, complete: boolean): string | undefined {
  let start = 0;
  for (;;) {
    const end = head.indexOf("\n", start);
    if (end === -1) {
      const rest = head.slice(start);
      return complete && rest.trim() !== "" ? rest : undefined;
    }
    const line = head.slice(start, end);
    if (line.trim() !== "") return line;
    start = end + 1;
  }
}

function parsedOrUndefined(line: string | undefined): unknown {
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * A trace file: streamed line by line through its format's reader when it is read that way, else
 * read whole. The format comes from `format` when given, else the file's name (.csv) and its first
 * line; a file whose first line is not JSON (a pretty-printed dag.json) is read as a document.
 */
async function readTraceFile(path: string, options: ReadTraceOptions, format?: TraceFormat): Promise<Trace> {
  const name = plainName(path);
  const bytes = fileBytes(path);
  const decoder = new Utf8Chunks();
  let head = "";
  let done = false;
  let detected: TraceFormat | "document" | undefined = format;
  try {
    while (detected === undefined) {
      if (isCsvName(name)) {
        detected = "csv";
        break;
      }
      const line = firstLine(head, done);
      if (line !== undefined || done) {
        const first = parsedOrUndefined(line);
        detected = first === undefined || isDocumentFormat(first) ? "document" : (detectLineFormat(first) ?? "document");
        break;
      }
      const next = await bytes.next();
      if (next.done) {
        head += decoder.end();
        done = true;
      } else head += decoder.decode(next.value);
    }
    const reader = detected === "document" ? undefined : lineReaderFor(detected, path, options);
    if (reader) {
      const splitter = new LineSplitter(reader);
      splitter.push(head);
      head = "";
      for (;;) {
        const next = done ? undefined : await bytes.next();
        if (!next || next.done) break;
        splitter.push(decoder.decode(next.value));
      }
      splitter.push(decoder.end());
      splitter.finish();
      return reader.end();
    }
    // Read whole: the rest of the file after what was looked at.
    const parts = [head];
    head = "";
    for (;;) {
      const next = done ? undefined : await bytes.next();
      if (!next || next.done) break;
      parts.push(decoder.decode(next.value));
    }
    parts.push(decoder.end());
    let body: string;
    try {
      body = parts.join("");
    } catch (e) {
      throw new TraceError(`${path}: too big to read as one document (${(e as Error).message}); only the formats read line by line stream (docs/traces.md)`);
    }
    return readDocument(path, name, body, options, format);
  } finally {
    await bytes.return();
  }
}

/** A file read whole: dag.json, sessions.json, session logs, transcripts, Veeksha run outputs. */
async function readDocument(path: string, name: string, body: string, options: ReadTraceOptions, given?: TraceFormat): Promise<Trace> {
  const format = given ?? detectFormat(name, body);
  if (format === "openclaw-index") return readOpenClawIndex(path, body, options);
  if (format === "claude-code") return readClaudeCodeSessions([{ name: path, text: body }], options, path);
  if (format === undefined) throw undetectable(path);
  if (format === "veeksha-dispatch-trace") return readVeekshaRun(path, body, options);
  return parseTraceText(path, body, { ...options, format });
}

async function source(path: string): Promise<SourceText> {
  return { name: path, text: await text(path) };
}

async function listJsonl(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith(".jsonl")).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Reads the trace at `path`, detecting its format unless `options.format` gives it:
 * - a file of any format (docs/traces.md); a Claude Code session file brings its subagent
 *   transcripts (`<sessionId>/subagents/agent-*.jsonl`, or `agent-*.jsonl` beside it);
 * - an OpenClaw `sessions.json`: the sessions it lists, from the `<sessionId>.jsonl` files beside it;
 * - a Veeksha dispatch_trace.jsonl: joined with its run's metrics/request_level_metrics.jsonl;
 * - a directory: an agentload run folder's records.jsonl; a Veeksha run folder; its `dag.json`; else its OpenClaw session logs (with `sessions.json` if there);
 *   else its Claude Code session transcripts.
 */
export async function readTrace(path: string, options: ReadTraceOptions = {}): Promise<Trace> {
  const trace = await readAny(path, options);
  // Readers that fill columns as they go already did; the others' objects go into columns now.
  return options.columns ? inColumns(trace) : trace;
}

async function readAny(path: string, options: ReadTraceOptions): Promise<Trace> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceError(`${path}: cannot read the trace: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
  }
  if (isDirectory) return readDirectory(path, options);
  return readTraceFile(path, options, options.format !== undefined ? traceFormat(options.format) : undefined);
}

async function readDirectory(dir: string, options: ReadTraceOptions): Promise<Trace> {
  const names = await readdir(dir);
  // An agentload run folder (records.jsonl beside spec.resolved.json).
  if (names.includes("records.jsonl") && (options.format === undefined || traceFormat(options.format) === "agentload-run")) {
    return readTraceFile(join(dir, "records.jsonl"), options, "agentload-run");
  }
  // A Veeksha run folder: traces/dispatch_trace.jsonl (the graph) with metrics/request_level_metrics.jsonl (sizes, times).
  const dispatch = join(dir, "traces", "dispatch_trace.jsonl");
  const metrics = join(dir, "metrics", "request_level_metrics.jsonl");
  if (names.includes("traces") && (await exists(dispatch))) return readVeekshaRun(dispatch, await text(dispatch), options);
  if (names.includes("metrics") && (await exists(metrics))) return readTraceFile(metrics, options, "veeksha-request-metrics");
  if (names.includes("dag.json") && (options.format === undefined || traceFormat(options.format) === "openclaw-dag")) {
    const file = join(dir, "dag.json");
    return parseOpenClawDag(await text(file), file);
  }
  if (names.includes("sessions.json")) {
    const file = join(dir, "sessions.json");
    return readOpenClawIndex(file, await text(file), options);
  }
  const files = await Promise.all((await listJsonl(dir)).map(source));
  const openclaw = files.filter((f) => looksLikeOpenClawSession(firstJsonLine(f.text)));
  if (openclaw.length > 0) return parseOpenClawSessions(openclaw, { ...tokenizerOf(options), source: dir });
  const claude = files.filter((f) => !basename(f.name).startsWith("agent-") && looksLikeClaudeCode(firstJsonLine(f.text)));
  if (claude.length > 0) return readClaudeCodeSessions(claude, options, dir);
  throw new TraceError(`${dir}: no trace found in this directory (expected dag.json, sessions.json, OpenClaw session logs or Claude Code transcripts)`);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A Veeksha dispatch trace with its run's request_level_metrics.jsonl (in ../metrics/, or beside it). */
async function readVeekshaRun(path: string, body: string, options: ReadTraceOptions): Promise<Trace> {
  const dir = dirname(path);
  for (const candidate of [join(dir, "..", "metrics", "request_level_metrics.jsonl"), join(dir, "request_level_metrics.jsonl")]) {
    if (await exists(candidate)) {
      return parseTraceText(path, body, { ...options, format: "veeksha-dispatch-trace", veekshaMetrics: { text: await text(candidate), file: candidate } });
    }
  }
  return parseTraceText(path, body, { ...options, format: "veeksha-dispatch-trace" });
}

/** The sessions an OpenClaw sessions.json lists, from the session logs beside it (missing ones are skipped). */
async function readOpenClawIndex(path: string, body: string, options: ReadTraceOptions): Promise<Trace> {
  const dir = dirname(path);
  let listed: unknown;
  try {
    listed = JSON.parse(body);
  } catch (e) {
    throw new TraceError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const files: SourceText[] = [];
  const seen = new Set<string>();
  for (const entry of Object.values(isObject(listed) ? listed : {})) {
    if (!isObject(entry) || typeof entry.sessionId !== "string" || seen.has(entry.sessionId)) continue;
    seen.add(entry.sessionId);
    const file = typeof entry.sessionFile === "string" ? join(dir, basename(entry.sessionFile)) : join(dir, `${entry.sessionId}.jsonl`);
    try {
      files.push({ name: file, text: await text(file) });
    } catch {
      // A session listed without a log made no request (or was cleaned up): it stays listed.
    }
  }
  if (files.length === 0) throw new TraceError(`${path}: none of the sessions it lists has a <sessionId>.jsonl log beside it`);
  return parseOpenClawSessions(files, { ...tokenizerOf(options), index: { name: path, text: body }, source: path });
}

/** Claude Code session transcripts with their subagents' transcripts. */
async function readClaudeCodeSessions(mains: SourceText[], options: ReadTraceOptions, name: string): Promise<Trace> {
  const files = [...mains];
  for (const main of mains) {
    const dir = dirname(main.name);
    const first = firstJsonLine(main.text);
    const sessionId = isObject(first) && typeof first.sessionId === "string" ? first.sessionId : basename(main.name, ".jsonl");
    const candidates = [
      ...(await listJsonl(join(dir, basename(main.name, ".jsonl"), "subagents"))),
      ...(await listJsonl(dir)).filter((f) => basename(f).startsWith("agent-")),
    ];
    for (const file of candidates) {
      // Compaction agents summarise the session for itself; they are not subagents of the work.
      if (basename(file).startsWith("agent-acompact")) continue;
      const sub = await source(file);
      const head = firstJsonLine(sub.text);
      if (isObject(head) && head.sessionId !== undefined && head.sessionId !== sessionId) continue;
      files.push(sub);
    }
  }
  return parseClaudeCode(files, { ...tokenizerOf(options), source: name });
}

function tokenizerOf(options: ReadTraceOptions): Pick<ReadTraceOptions, "tokenizer"> {
  return options.tokenizer ? { tokenizer: options.tokenizer } : {};
}
