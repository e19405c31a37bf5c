// Locations in trace files and the checked reading of values found there, so every reader's
// errors say the same thing the same way: file, line (line-based formats) or JSON path, what was
// expected and what was there.

/** A problem with a trace's content or how it was asked to be read. */
export class TraceError extends Error {
  override name = "TraceError";
}

function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A place in a trace: a file, optionally a line (JSONL, CSV), and a path of keys inside the value
 * found there. Printed "file:line: a.b[2]" for line-based files and "file: $.a.b[2]" for JSON
 * documents.
 */
export class Where {
  constructor(
    readonly file: string,
    readonly line?: number,
    readonly path: readonly (string | number)[] = [],
  ) {}

  at(...keys: (string | number)[]): Where {
    return new Where(this.file, this.line, [...this.path, ...keys]);
  }

  toString(): string {
    let keys = "";
    for (const key of this.path) keys += typeof key === "number" ? `[${key}]` : keys === "" ? key : `.${key}`;
    if (this.line !== undefined) return `${this.file}:${this.line}${keys ? `: ${keys}` : ""}`;
    return `${this.file}: $${keys && !keys.startsWith("[") ? "." : ""}${keys}`;
  }

  /** Throws a TraceError: "<where>: expected <expected>, got <value>". */
  expected(expected: string, got: unknown): never {
    throw new TraceError(`${this}: expected ${expected}, got ${shown(got)}`);
  }

  /** Throws a TraceError: "<where>: <message>". */
  fail(message: string): never {
    throw new TraceError(`${this}: ${message}`);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The member `key` of `obj` must be an object. */
export function objectAt(obj: JsonObject, key: string, where: Where): JsonObject {
  const value = obj[key];
  if (!isObject(value)) return where.at(key).expected("an object", value);
  return value;
}

export function asObject(value: unknown, where: Where): JsonObject {
  if (!isObject(value)) return where.expected("an object", value);
  return value;
}

export function arrayAt(obj: JsonObject, key: string, where: Where): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value)) return where.at(key).expected("an array", value);
  return value;
}

export function stringAt(obj: JsonObject, key: string, where: Where): string {
  const value = obj[key];
  if (typeof value !== "string" || value === "") return where.at(key).expected("a non-empty string", value);
  return value;
}

export function optionalStringAt(obj: JsonObject, key: string, where: Where): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return where.at(key).expected("a string or null", value);
  return value;
}

/** A whole number >= 0 (token counts); 12.0 is accepted, 12.5 is not. */
export function countAt(obj: JsonObject, key: string, where: Where): number {
  const value = obj[key];
  // The place is made only for the error: a million-line trace reads ten counts a line.
  return isCount(value) ? value : asCount(value, where.at(key));
}

export function optionalCountAt(obj: JsonObject, key: string, where: Where): number | undefined {
  const value = obj[key];
  if (isCount(value)) return value;
  return value === undefined || value === null ? undefined : asCount(value, where.at(key));
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

export function asCount(value: unknown, where: Where): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) return where.expected("a whole number >= 0", value);
  return value;
}

/** A finite number >= 0 (durations). */
export function optionalNonNegativeAt(obj: JsonObject, key: string, where: Where): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return where.at(key).expected("a number >= 0", value);
  return value;
}

/** An ISO 8601 date-time string or epoch milliseconds, as epoch milliseconds. */
export function asTimeMs(value: unknown, where: Where): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  return where.expected("an ISO 8601 time or epoch milliseconds", value);
}

export function optionalTimeAt(obj: JsonObject, key: string, where: Where): number | undefined {
  const value = obj[key];
  return value === undefined || value === null ? undefined : asTimeMs(value, where.at(key));
}
