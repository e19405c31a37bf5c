// Which format a trace file is in, from its name and first line, and the single-file readers
// behind one call. Web-standard only; reading files (and sibling files) is read.ts's job.
import type { Tokenizer } from "../content/tokenizer.js";
import { looksLikeClaudeCode, parseClaudeCode } from "./claude-code.js";
import { csvReader } from "./csv.js";
import { firstJsonLine } from "./jsonl.js";
import { readLines, type LineReader } from "../stats/lines.js";
import { looksLikeMooncake, mooncakeReader } from "./mooncake.js";
import { looksLikeOpenClawDag, parseOpenClawDag } from "./openclaw-dag.js";
import { looksLikeOpenClawIndex, looksLikeOpenClawSession, parseOpenClawSessions } from "./openclaw-session.js";
import { looksLikeRunRecords, runRecordsReader } from "./run-folder.js";
import { TRACE_FORMATS, type Trace, type TraceFormat } from "./types.js";
import {
  looksLikeVeekshaRequestLog,
  looksLikeVeekshaSession,
  looksLikeVeekshaSharedPrefix,
  veekshaRequestLogReader,
  veekshaSessionReader,
  veekshaSharedPrefixReader,
} from "./veeksha.js";
import { looksLikeVeekshaDispatchTrace, looksLikeVeekshaRequestMetrics, parseVeekshaDispatchTrace, parseVeekshaRequestMetrics } from "./veeksha-run.js";
import { TraceError } from "./where.js";

export interface ParseTraceOptions {
  /** The format, when detection should not decide (names or Veeksha flavor names). */
  format?: string;
  /** Tokens per hash id block (Mooncake, Veeksha shared_prefix; default 512). */
  blockSize?: number;
  /** Counts fresh input of raw transcripts (OpenClaw session logs, Claude Code; default tiktoken o200k_base). */
  tokenizer?: Tokenizer;
  /**
   * Keep the requests as columns only (`Trace.table`, table.ts), for what reads nothing else
   * (analyze, fit): a reader that can fills the columns as it goes (generated and Veeksha session
   * JSONL, CSV, Mooncake); the others' requests are put into columns at the end and let go. The
   * trace's `requests` are made again if read.
   */
  columns?: boolean;
  /** A Veeksha dispatch trace's run metrics (request_level_metrics.jsonl), which read.ts finds beside it. */
  veekshaMetrics?: { text: string; file: string };
}

const ALIASES: Record<string, TraceFormat> = {
  timed_synthetic_session: "veeksha-session",
  request_log: "veeksha-request-log",
  shared_prefix: "veeksha-shared-prefix",
  dag: "openclaw-dag",
  openclaw: "openclaw-session",
  claude: "claude-code",
};

/** A format name as given on the command line, checked. */
export function traceFormat(name: string): TraceFormat {
  if ((TRACE_FORMATS as readonly string[]).includes(name)) return name as TraceFormat;
  const alias = ALIASES[name];
  if (alias) return alias;
  throw new TraceError(`unknown trace format '${name}' (expected one of ${TRACE_FORMATS.join(", ")}, or a Veeksha flavor name)`);
}

/** Parsed whole-document JSON when the file is one (dag.json, sessions.json), else undefined. */
function jsonDocumentOf(name: string, text: string): unknown {
  if (name.endsWith(".jsonl") || !text.trimStart().startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The format of a trace file, or undefined when nothing fits. */
export function detectFormat(name: string, text: string): TraceFormat | "openclaw-index" | undefined {
  if (isCsvName(name)) return "csv";
  const doc = jsonDocumentOf(name, text);
  if (doc !== undefined) {
    if (looksLikeOpenClawDag(doc)) return "openclaw-dag";
    if (looksLikeOpenClawIndex(doc)) return "openclaw-index";
  }
  const first = firstJsonLine(text);
  if (first === undefined) return undefined;
  return detectLineFormat(first);
}

/** A .csv file (compressed or not). */
export function isCsvName(name: string): boolean {
  return /\.csv(\.(gz|zst|zstd))?$/i.test(name);
}

/** The JSON Lines format a file's first line (parsed) starts, or undefined. */
export function detectLineFormat(first: unknown): TraceFormat | undefined {
  if (looksLikeRunRecords(first)) return "agentload-run";
  if (looksLikeOpenClawSession(first)) return "openclaw-session";
  if (looksLikeClaudeCode(first)) return "claude-code";
  // Before timed_synthetic_session: a dispatch trace line has a session_context too.
  if (looksLikeVeekshaDispatchTrace(first)) return "veeksha-dispatch-trace";
  if (looksLikeVeekshaRequestMetrics(first)) return "veeksha-request-metrics";
  if (looksLikeVeekshaSharedPrefix(first)) return "veeksha-shared-prefix";
  if (looksLikeVeekshaSession(first)) return "veeksha-session";
  if (looksLikeMooncake(first)) return "mooncake";
  if (looksLikeVeekshaRequestLog(first)) return "veeksha-request-log";
  return undefined;
}

/** Is this first line (parsed) a whole JSON document of a format read as one (dag.json, sessions.json written on one line)? */
export function isDocumentFormat(first: unknown): boolean {
  return looksLikeOpenClawDag(first) || looksLikeOpenClawIndex(first);
}

/**
 * A reader fed line by line for the formats read that way (one request a line, nothing spread
 * over other files), so a file of any size streams through it (read.ts); undefined for the formats
 * read whole (dag.json, sessions.json, OpenClaw session logs, Claude Code transcripts, Veeksha run
 * outputs).
 */
export function lineReaderFor(format: TraceFormat, name: string, options: ParseTraceOptions = {}): LineReader<Trace> | undefined {
  switch (format) {
    case "veeksha-session":
      return veekshaSessionReader(name, options.columns === true);
    case "veeksha-request-log":
      return veekshaRequestLogReader(name);
    case "veeksha-shared-prefix":
      return veekshaSharedPrefixReader(name, options.blockSize);
    case "mooncake":
      return mooncakeReader(name, options.blockSize, options.columns === true);
    case "csv":
      return csvReader(name, options.columns === true);
    case "agentload-run":
      return runRecordsReader(name);
    default:
      return undefined;
  }
}

/** Says why a file's format could not be told, naming what each format starts with. */
export function undetectable(name: string): TraceError {
  return new TraceError(
    `${name}: cannot tell the trace format from its first line; give it with --format (one of ${TRACE_FORMATS.join(", ")}). ` +
      "Expected a dag.json (nodes, edges), an OpenClaw session log (first line type \"session\"), a Claude Code transcript " +
      "(sessionId, uuid), Veeksha JSONL (session_context or session_id + new_input_length; hash_ids for shared_prefix; " +
      "input_length + output_length for request_log), Mooncake JSONL (timestamp, input_length, output_length), an agentload records.jsonl or a .csv",
  );
}

/** Reads one file's text as a trace of the given (or detected) format. */
export async function parseTraceText(name: string, text: string, options: ParseTraceOptions = {}): Promise<Trace> {
  const detected = options.format !== undefined ? traceFormat(options.format) : detectFormat(name, text);
  const lines = detected === undefined || detected === "openclaw-index" ? undefined : lineReaderFor(detected, name, options);
  if (lines) return readLines(text, lines);
  switch (detected) {
    case "openclaw-dag":
      return parseOpenClawDag(text, name);
    case "openclaw-session":
      return parseOpenClawSessions([{ name, text }], withTokenizer(options));
    case "claude-code":
      return parseClaudeCode([{ name, text }], withTokenizer(options));
    case "veeksha-dispatch-trace":
      return parseVeekshaDispatchTrace(text, name, options.veekshaMetrics);
    case "veeksha-request-metrics":
      return parseVeekshaRequestMetrics(text, name);
    case "openclaw-index":
      throw new TraceError(`${name}: an OpenClaw sessions.json lists sessions; read it with the session files beside it (readTrace)`);
    default:
      throw undetectable(name);
  }
}

function withTokenizer(options: ParseTraceOptions): { tokenizer?: Tokenizer } {
  return options.tokenizer ? { tokenizer: options.tokenizer } : {};
}
