// NODE-ONLY: reads a trace from disk: a file, or a directory of session files, with the sibling
// files some formats spread over (OpenClaw's sessions.json and per-session logs, Claude Code's
// subagent transcripts). Everything after reading is web-standard (detect.ts and the readers).
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { looksLikeClaudeCode, parseClaudeCode } from "./claude-code.js";
import { detectFormat, parseTraceText, traceFormat, undetectable, type ParseTraceOptions } from "./detect.js";
import { firstJsonLine } from "./jsonl.js";
import { parseOpenClawDag } from "./openclaw-dag.js";
import { looksLikeOpenClawSession, parseOpenClawSessions, type SourceText } from "./openclaw-session.js";
import type { Trace } from "./types.js";
import { isObject, TraceError } from "./where.js";

export type ReadTraceOptions = ParseTraceOptions;

async function text(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceError(`${path}: cannot read the trace: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
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
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceError(`${path}: cannot read the trace: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
  }
  if (isDirectory) return readDirectory(path, options);
  const body = await text(path);
  const format = options.format !== undefined ? traceFormat(options.format) : detectFormat(path, body);
  if (format === "openclaw-index") return readOpenClawIndex(path, body, options);
  if (format === "claude-code") return readClaudeCodeSessions([{ name: path, text: body }], options, path);
  if (format === undefined) throw undetectable(path);
  if (format === "veeksha-dispatch-trace") return readVeekshaRun(path, body, options);
  return parseTraceText(path, body, { ...options, format });
}

async function readDirectory(dir: string, options: ReadTraceOptions): Promise<Trace> {
  const names = await readdir(dir);
  // An agentload run folder (records.jsonl beside spec.resolved.json).
  if (names.includes("records.jsonl") && (options.format === undefined || traceFormat(options.format) === "agentload-run")) {
    const file = join(dir, "records.jsonl");
    return parseTraceText(file, await text(file), { ...options, format: "agentload-run" });
  }
  // A Veeksha run folder: traces/dispatch_trace.jsonl (the graph) with metrics/request_level_metrics.jsonl (sizes, times).
  const dispatch = join(dir, "traces", "dispatch_trace.jsonl");
  const metrics = join(dir, "metrics", "request_level_metrics.jsonl");
  if (names.includes("traces") && (await exists(dispatch))) return readVeekshaRun(dispatch, await text(dispatch), options);
  if (names.includes("metrics") && (await exists(metrics))) return parseTraceText(metrics, await text(metrics), { ...options, format: "veeksha-request-metrics" });
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
      files.push({ name: file, text: await readFile(file, "utf8") });
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
