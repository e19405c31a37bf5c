// Reading a run back: records.jsonl (one RequestRecord per line, as writer.ts appends them) and the
// run folder around it (spec.resolved.json, summary.json). The writer appends a whole line at once,
// so only a crash mid-write can leave a broken line, and then only the last one, with no newline
// after it: that line is skipped with a note. A broken line anywhere else is an error naming the
// file and line.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { Buffer } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import { join } from "node:path";
import { LineSplitter } from "../stats/lines.js";
import type { RequestRecord, RunMetadata } from "./types.js";

export interface ReadRecordsOptions {
  /** Told about anything skipped, e.g. a torn last line (one line of text, naming file and line). */
  onNote?: (line: string) => void;
}

/** The records of a records.jsonl, in file order. Blank lines are skipped. */
export function readRecords(path: string, options: ReadRecordsOptions = {}): RequestRecord[] {
  const records: RequestRecord[] = [];
  forEachRecord(path, (r) => void records.push(r), options);
  return records;
}

/** Bytes read at a time: the file is never held whole (a soak's is hundreds of MB). */
const CHUNK_BYTES = 1 << 20;

/**
 * Each record of a records.jsonl in file order, read a chunk at a time: a reader that keeps only
 * what it needs of each record holds that, not the file. Blank lines are skipped.
 */
export function forEachRecord(path: string, visit: (record: RequestRecord) => void, options: ReadRecordsOptions = {}): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${path}: no such records file`);
    throw err;
  }
  const parse = (line: string, number: number, last: boolean) => {
    if (line.trim() === "") return;
    const where = `${path}:${number}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      // Text after the last newline is a line the writer did not finish (or a file written by
      // hand without a final newline): only there may a line be torn.
      if (last) {
        options.onNote?.(`${where}: ignored a torn last line (the run stopped while writing it)`);
        return;
      }
      throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
    }
    const missing = missingFields(value);
    if (missing.length > 0) throw new Error(`${where}: not a request record (no ${missing.join(", ")})`);
    visit(value as RequestRecord);
  };
  const lines = new LineSplitter({ line: (text, n) => parse(text, n, false), lastLineWithoutBreak: (text, n) => parse(text, n, true) });
  try {
    const decoder = new StringDecoder("utf8");
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let n = readSync(fd, buffer, 0, buffer.length, null); n > 0; n = readSync(fd, buffer, 0, buffer.length, null)) {
      lines.push(decoder.write(buffer.subarray(0, n)));
    }
    lines.push(decoder.end());
    lines.finish();
  } finally {
    closeSync(fd);
  }
}

function missingFields(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["sessionId", "nodeId", "dispatchedAt"];
  const v = value as Record<string, unknown>;
  const missing: string[] = [];
  if (typeof v.sessionId !== "string") missing.push("sessionId");
  if (typeof v.nodeId !== "string") missing.push("nodeId");
  if (typeof v.dispatchedAt !== "number") missing.push("dispatchedAt");
  return missing;
}

/** A run folder as written by a run: its records and, when present, the resolved spec and summary. */
export interface RunFolderContents {
  dir: string;
  /** spec.resolved.json, or null when the folder has none. */
  resolvedSpec: unknown | null;
  /** summary.json, or null when the folder has none (e.g. the run crashed before writing it). */
  summary: unknown | null;
  /** run.json (where and how the run was measured), or null for a folder written before it existed. */
  metadata: RunMetadata | null;
  records: RequestRecord[];
}

/** Reads a run folder: records.jsonl is required, spec.resolved.json, summary.json and run.json are optional. */
export function readRunFolder(dir: string, options: ReadRecordsOptions = {}): RunFolderContents {
  if (!existsSync(dir)) throw new Error(`${dir}: no such run folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: not a run folder (not a directory)`);
  const recordsPath = join(dir, "records.jsonl");
  if (!existsSync(recordsPath)) throw new Error(`${recordsPath}: not found (a run folder holds records.jsonl)`);
  return {
    dir,
    resolvedSpec: readOptionalJson(join(dir, "spec.resolved.json")),
    summary: readOptionalJson(join(dir, "summary.json")),
    metadata: readOptionalJson(join(dir, "run.json")) as RunMetadata | null,
    records: readRecords(recordsPath, options),
  };
}

function readOptionalJson(path: string): unknown | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}
