// JSON Lines text as records that remember their line, so a reader can name file:line in errors.
import { TraceError, Where } from "./where.js";

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
  where: Where;
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
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TraceError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
