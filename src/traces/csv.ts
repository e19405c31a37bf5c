// A plain CSV of requests, one row each, for traces from anywhere else (columns in docs/traces.md).
// A header row names the columns; only output_tokens and one of fresh_input_tokens or
// prompt_tokens are required. Veeksha's CSV column names are accepted as aliases.
import { readLines, type LineReader } from "../stats/lines.js";
import { orderedRequests, uniqueIds } from "./order.js";
import type { EdgeType, Trace, TraceRequest, Trigger } from "./types.js";
import { asTimeMs, TraceError, Where } from "./where.js";

/** Columns the reader knows, by canonical name, with the aliases it accepts. */
export const CSV_COLUMNS = {
  session_id: [],
  request_id: [],
  parents: [],
  history_parent: [],
  conversation: [],
  fresh_input_tokens: ["new_input_length"],
  output_tokens: ["output_length", "num_decode_tokens"],
  prompt_tokens: ["input_length", "num_prefill_tokens"],
  cached_tokens: [],
  dispatched_ms: ["timestamp"],
  responded_ms: [],
  wait_after_ready_ms: [],
  trigger: [],
} as const satisfies Record<string, readonly string[]>;

type Column = keyof typeof CSV_COLUMNS;

const TRIGGERS: readonly Trigger[] = ["user", "tool_result", "subagent_result"];

/**
 * Joins lines into CSV rows of fields (RFC 4180: quoted fields may hold commas, quotes as "", and
 * line breaks, so a row may span lines). Fed line by line; a row is numbered by its first line.
 */
export class CsvRowSplitter {
  /** The row being read while a quoted field spans lines. */
  private fields: string[] = [];
  private field = "";
  private quoted = false;
  private start = 0;

  constructor(private readonly onRow: (fields: string[], line: number) => void) {}

  line(text: string, line: number): void {
    if (!this.quoted && !text.includes('"')) {
      // Fast path: no quoting on this line.
      if (text.trim() !== "") this.onRow(text.split(","), line);
      return;
    }
    if (!this.quoted) {
      this.fields = [];
      this.field = "";
      this.start = line;
    } else this.field += "\n";
    let field = this.field;
    let quoted = this.quoted;
    const fields = this.fields;
    for (let pos = 0; pos < text.length; pos++) {
      const c = text[pos]!;
      if (quoted) {
        if (c === '"') {
          if (text[pos + 1] === '"') {
            field += '"';
            pos++;
            continue;
          }
          quoted = false;
        } else field += c;
        continue;
      }
      if (c === '"' && field === "") quoted = true;
      else if (c === ",") {
        fields.push(field);
        field = "";
      } else field += c;
    }
    this.quoted = quoted;
    this.field = field;
    if (quoted) return;
    fields.push(field);
    if (fields.length > 1 || fields[0]!.trim() !== "") this.onRow(fields, this.start);
  }

  /** The input ended: a quoted field still open is an error naming the row's line. */
  end(): void {
    if (this.quoted) throw new TraceError(`line ${this.start}: a quoted field is not closed`);
  }
}

/** Splits CSV text into rows of fields (see CsvRowSplitter). */
export function* csvRows(text: string): Generator<{ line: number; fields: string[] }, void, undefined> {
  const rows: { line: number; fields: string[] }[] = [];
  const splitter = new CsvRowSplitter((fields, line) => rows.push({ line, fields }));
  readLines(text, { line: (t, n) => splitter.line(t, n), end: () => splitter.end() });
  yield* rows;
}

/** A row being read: its fields, with the header's column positions. */
class Row {
  constructor(
    private readonly file: string,
    private readonly columns: Record<Column, number>,
    readonly line: number,
    private readonly fields: string[],
  ) {}

  where(column?: Column): Where {
    const at = new Where(this.file, this.line);
    return column === undefined ? at : at.at(column);
  }

  text(column: Column): string | undefined {
    const i = this.columns[column];
    if (i < 0) return undefined;
    const v = this.fields[i]!.trim();
    return v === "" ? undefined : v;
  }

  count(column: Column): number | undefined {
    const v = this.text(column);
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) return this.where(column).expected("a whole number >= 0", v);
    return x;
  }

  /** Milliseconds, or an ISO time. */
  ms(column: Column): number | undefined {
    const v = this.text(column);
    if (v === undefined) return undefined;
    const x = Number(v);
    return Number.isFinite(x) ? x : asTimeMs(v, this.where(column));
  }
}

interface Pending {
  request: TraceRequest;
  /** The row's line, for errors (nothing else of the row is kept: a big trace has millions). */
  line: number;
  parentIds: string[];
  /** undefined: no history_parent column (pick one); null: none given. */
  historyId: string | null | undefined;
}

/** A CSV trace read line by line (readLines, or read.ts streaming a file). */
export function csvReader(file: string): LineReader<Trace> {
  let columns: Record<Column, number> | undefined;
  let width = 0;
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const rowsOfSession = new Map<string, number>();
  const lastOfSession = new Map<string, string>();
  const pending: Pending[] = [];
  // One string per session and conversation, not one per row: a million rows kept 1M copies.
  const strings = new Map<string, string>();
  const interned = (text: string): string => {
    const known = strings.get(text);
    if (known !== undefined) return known;
    strings.set(text, text);
    return text;
  };
  const onRow = (fields: string[], line: number): void => {
    if (!columns) {
      columns = readHeader(fields, file, line);
      width = fields.length;
      return;
    }
    const row = new Row(file, columns, line, fields);
    if (fields.length !== width) row.where().fail(`expected ${width} fields like the header, got ${fields.length}`);
    const session = interned(row.text("session_id") ?? `row-${line}`);
    const position = rowsOfSession.get(session) ?? 0;
    rowsOfSession.set(session, position + 1);
    const id = `${session}:${row.text("request_id") ?? position}`;
    const previous = lastOfSession.get(session);
    lastOfSession.set(session, id);
    let parentIds: string[];
    if (columns.parents >= 0) {
      parentIds = (row.text("parents") ?? "").split(/[\s;]+/).filter((p) => p !== "").map((p) => `${session}:${p}`);
    } else parentIds = previous === undefined ? [] : [previous];
    const output = row.count("output_tokens") ?? row.where("output_tokens").expected("a whole number >= 0", "");
    const conversation = row.text("conversation");
    const request: TraceRequest = {
      id,
      conversation: conversation === undefined ? session : interned(`${session}/${conversation}`),
      parents: [],
      historyParent: null,
      freshInputTokens: -1,
      outputTokens: output,
    };
    const fresh = row.count("fresh_input_tokens");
    const prompt = row.count("prompt_tokens");
    if (fresh === undefined && prompt === undefined) row.where().fail("expected fresh_input_tokens or prompt_tokens");
    if (fresh !== undefined) request.freshInputTokens = fresh;
    if (prompt !== undefined) request.promptTokens = prompt;
    const cached = row.count("cached_tokens");
    if (cached !== undefined) request.cachedTokens = cached;
    const dispatched = row.ms("dispatched_ms");
    if (dispatched !== undefined) request.dispatchedMs = dispatched;
    const responded = row.ms("responded_ms");
    if (responded !== undefined) request.respondedMs = responded;
    const wait = row.text("wait_after_ready_ms");
    if (wait !== undefined) {
      const w = Number(wait);
      if (!Number.isFinite(w) || w < 0) row.where("wait_after_ready_ms").expected("a number >= 0", wait);
      request.waitAfterReadyMs = w;
    }
    const trigger = row.text("trigger");
    if (trigger !== undefined) {
      if (!(TRIGGERS as readonly string[]).includes(trigger)) row.where("trigger").expected(`one of ${TRIGGERS.join(", ")}`, trigger);
      request.trigger = trigger as Trigger;
    }
    const history = row.text("history_parent");
    pending.push({
      request,
      line,
      parentIds,
      historyId: history !== undefined ? `${session}:${history}` : columns.history_parent >= 0 ? null : undefined,
    });
    requests.push(request);
    lines.push(line);
  };
  const splitter = new CsvRowSplitter(onRow);
  // The splitter knows lines but not the file.
  const named = (run: () => void): void => {
    try {
      run();
    } catch (e) {
      if (e instanceof TraceError && e.message.startsWith("line ")) throw new TraceError(`${file}:${e.message.slice(5)}`);
      throw e;
    }
  };
  return {
    line: (text, line) => splitter.line(text, line),
    end() {
      named(() => splitter.end());
      if (!columns) throw new TraceError(`${file}: the file is empty; expected a header row naming the columns`);
      if (requests.length === 0) throw new TraceError(`${file}: the trace has no requests (only a header)`);
      rowsOfSession.clear();
      lastOfSession.clear();
      strings.clear();
      const describe = (i: number) => `line ${lines[i]}`;
      const index = uniqueIds(requests, file, describe);
      resolveEdges(pending, index, file);
      pending.length = 0;
      return { format: "csv", source: file, requests: orderedRequests(requests, file, describe, index) };
    },
  };
}

export function parseCsvTrace(text: string, file: string): Trace {
  return readLines(text, csvReader(file));
}

function readHeader(fields: string[], file: string, line: number): Record<Column, number> {
  const byName = new Map<string, Column>();
  const columns = {} as Record<Column, number>;
  for (const [column, aliases] of Object.entries(CSV_COLUMNS) as [Column, readonly string[]][]) {
    byName.set(column, column);
    for (const alias of aliases) byName.set(alias, column);
    columns[column] = -1;
  }
  fields.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const column = byName.get(name);
    if (!column) {
      throw new TraceError(`${file}:${line}: unknown column '${raw.trim()}' (expected some of ${Object.keys(CSV_COLUMNS).join(", ")})`);
    }
    if (columns[column] >= 0) throw new TraceError(`${file}:${line}: column '${raw.trim()}' repeats column ${column}`);
    columns[column] = i;
  });
  if (columns.output_tokens < 0) throw new TraceError(`${file}:${line}: the header needs an output_tokens column`);
  if (columns.fresh_input_tokens < 0 && columns.prompt_tokens < 0) {
    throw new TraceError(`${file}:${line}: the header needs a fresh_input_tokens or prompt_tokens column`);
  }
  return columns;
}

/** Types the edges, picks history parents and fills in fresh input and waits the rows leave out. */
function resolveEdges(pending: Pending[], index: Map<string, number>, file: string): void {
  const byId = { get: (id: string) => pending[index.get(id)!]?.request, has: (id: string) => index.has(id) };
  const started = new Set<string>(); // conversations whose first request has been seen
  for (const { request, line, parentIds, historyId } of pending) {
    const where = { at: (column: Column) => new Where(file, line).at(column) };
    for (const p of parentIds) if (!byId.has(p)) where.at("parents").fail(`no request '${p.split(":").slice(1).join(":")}' in session ${p.split(":")[0]}`);
    let history: string | null;
    if (historyId !== undefined) {
      if (historyId !== null && !parentIds.includes(historyId)) where.at("history_parent").fail(`'${historyId}' is not among the parents`);
      history = historyId;
    } else {
      const same = parentIds.filter((p) => byId.get(p)!.conversation === request.conversation);
      history = same.length === 1 ? same[0]! : null;
    }
    const first = !started.has(request.conversation);
    started.add(request.conversation);
    request.historyParent = history === null ? null : byId.get(history)!.id;
    request.parents = parentIds.map((id) => {
      const parent = byId.get(id)!;
      // The parent's own id string: the edge keeps no copy of it.
      const from = parent.id;
      const type: EdgeType =
        from === history ? "sequential" : parent.conversation === request.conversation ? "dependency" : first ? "subagent_spawn" : "subagent_result";
      return { from, type };
    });
    if (request.freshInputTokens < 0) {
      const parent = history === null ? undefined : byId.get(history)!;
      if (!parent) request.freshInputTokens = request.promptTokens!;
      else if (parent.promptTokens === undefined) where.at("fresh_input_tokens").fail("is needed: the history parent has no prompt_tokens to derive it from");
      else request.freshInputTokens = Math.max(0, request.promptTokens! - parent.promptTokens - parent.outputTokens);
    }
    if (request.waitAfterReadyMs === undefined && history !== null) {
      const parent = byId.get(history)!;
      if (request.dispatchedMs !== undefined && parent.respondedMs !== undefined) {
        request.waitAfterReadyMs = Math.max(0, request.dispatchedMs - parent.respondedMs);
      }
    }
  }
}
