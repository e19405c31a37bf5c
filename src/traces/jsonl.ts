// JSON Lines text as records that remember their line, so a reader can name file:line in errors.
import { findDeepNesting } from "../workload/nesting.js";
import type { LineReader } from "../stats/lines.js";
import { TraceError, Where } from "./where.js";

/**
 * Nesting a trace's JSON may have. Records are a few levels deep (tool arguments a few more);
 * readers and error messages walk values recursively, so JSON nested tens of thousands of levels
 * deep overflowed the stack. The text is checked before it is parsed.
 */
export const MAX_TRACE_NESTING = 1000;

function checkNesting(text: string, file: string, line?: number): void {
  const deep = findDeepNesting(text, MAX_TRACE_NESTING);
  if (!deep) return;
  const where = line === undefined ? `${file}:${deep.line}:${deep.column}` : `${file}:${line}:${deep.column}`;
  throw new TraceError(`${where}: JSON nested more than ${deep.limit} levels deep; expected trace records, which are a few levels deep`);
}

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
  where: Where;
}

/** A reader of JSON Lines, fed each non-blank line's value (readers of whole files, through jsonLineReader). */
export interface JsonRowReader<T> {
  row(value: unknown, where: Where, line: number): void;
  end(): T;
}

/**
 * What to do with a last line that has no line break and is not JSON (a file cut while being
 * written): "error" like any other line, or "skip" it (calling `skipped` with its number).
 */
export type CutLastLine = "error" | { skip: (line: number) => void };

function parseLine(raw: string, file: string, line: number): unknown {
  checkNesting(raw, file, line);
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new TraceError(`${file}:${line}: not valid JSON (${(e as Error).message})`);
  }
}

/** A line reader that parses every non-blank line as JSON and hands the values on; a line that is not JSON is an error naming it. */
export function jsonLineReader<T>(file: string, rows: JsonRowReader<T>, cut: CutLastLine = "error"): LineReader<T> {
  const reader: LineReader<T> = {
    line(raw, line) {
      if (isBlank(raw)) return;
      rows.row(parseLine(raw, file, line), new Where(file, line), line);
    },
    end: () => rows.end(),
  };
  if (cut !== "error") {
    reader.lastLineWithoutBreak = (raw, line) => {
      if (isBlank(raw)) return;
      let value: unknown;
      try {
        value = parseLine(raw, file, line);
      } catch {
        cut.skip(line);
        return;
      }
      rows.row(value, new Where(file, line), line);
    };
  }
  return reader;
}

/** Blank (whitespace only), without allocating for the usual line that starts with "{". */
function isBlank(raw: string): boolean {
  const c = raw.charCodeAt(0);
  if (c === 123 /* { */ || c === 91 /* [ */) return false;
  return raw.trim() === "";
}

/** Every non-blank line of `text` parsed as JSON; a line that is not JSON is an error naming it. */
export function* jsonLines(text: string, file: string): Generator<JsonLine, void, undefined> {
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === "") continue;
    checkNesting(raw, file, line);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new TraceError(`${file}:${line}: not valid JSON (${(e as Error).message})`);
    }
    yield { line, value, where: new Where(file, line) };
  }
}

/** The first non-blank line parsed as JSON, or undefined when there is none or it is not JSON. */
export function firstJsonLine(text: string): unknown {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === "") continue;
    try {
      return JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A whole JSON document; a syntax error names the file. */
export function jsonDocument(text: string, file: string): unknown {
  checkNesting(text, file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TraceError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
