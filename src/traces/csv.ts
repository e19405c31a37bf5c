// A plain CSV of requests, one row each, for traces from anywhere else (columns in docs/traces.md).
// A header row names the columns; only output_tokens and one of fresh_input_tokens or
// prompt_tokens are required. Veeksha's CSV column names are accepted as aliases.
import { readLines, type LineReader } from "../stats/lines.js";
import { grownArray } from "../stats/column.js";
import { orderedRequests } from "./order.js";
import { EDGE_CODE, Names, RequestTable, tableTrace, TRIGGERS } from "./table.js";
import type { EdgeType, Trace } from "./types.js";
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

/** A Float64Array column that grows as rows come, NaN where a row gives nothing. */
class Floats {
  values = new Float64Array(1024).fill(NaN);
  given = false;

  set(i: number, value: number): void {
    if (i >= this.values.length) this.values = grownArray(this.values, i + 1, NaN);
    this.values[i] = value;
    this.given = true;
  }

  get(i: number): number {
    return i < this.values.length ? this.values[i]! : NaN;
  }

  /** The first n values (NaN past the last set). */
  cut(n: number): Float64Array {
    return grownArray(this.values, n, NaN).slice(0, n);
  }
}

/** An Int32Array column that grows as rows come. */
class Ints {
  values = new Int32Array(1024);

  set(i: number, value: number): void {
    if (i >= this.values.length) this.values = grownArray(this.values, i + 1);
    this.values[i] = value;
  }

  cut(n: number): Int32Array {
    return grownArray(this.values, n).slice(0, n);
  }
}

/** A row's history parent before it is resolved: none given (the reader picks one), or given as none. */
const PICK = -3;
const NONE = -1;
/** A parent or history parent named by a later row: its id is kept until every row is in. */
const LATER = -2;

/** A request named by its session and its id in the session. */
interface RequestRef {
  session: string;
  request: string;
}

/**
 * Rows by request id, a map per session, the session of the row before at hand. A request's id in
 * the trace is "session:request"; one map of those (a million new strings hashed) took 0.8 s of a
 * CSV's 5.3 s to analyze, in the bench's CPU profile. Ids with a colon in either part can
 * spell the same whole id two ways ("a:b" + "c", "a" + "b:c"), and only those can: they are kept
 * by whole id, as before.
 */
class RequestIds {
  private readonly bySession = new Map<string, Map<string, number>>();
  private readonly withColon = new Map<string, number>();
  private lastSession: string | undefined;
  private lastRows: Map<string, number> | undefined;

  get(session: string, request: string): number | undefined {
    if (session.includes(":") || request.includes(":")) return this.withColon.get(`${session}:${request}`);
    return this.rowsOf(session)?.get(request);
  }

  /** Row `row` is the request: returns the row that was it before, if any (then it stays that one). */
  add(session: string, request: string, row: number): number | undefined {
    let rows: Map<string, number> | undefined = this.withColon;
    let key = request;
    if (session.includes(":") || request.includes(":")) key = `${session}:${request}`;
    else {
      rows = this.rowsOf(session);
      if (!rows) {
        rows = new Map();
        this.bySession.set(session, rows);
        this.lastRows = rows;
      }
    }
    const before = rows.get(key);
    if (before === undefined) rows.set(key, row);
    return before;
  }

  /** Every request by whole id (ids: the rows' whole ids, each once). */
  static byId(ids: readonly string[]): Map<string, number> {
    return new Map(ids.map((id, i) => [id, i]));
  }

  clear(): void {
    this.bySession.clear();
    this.withColon.clear();
    this.lastSession = undefined;
    this.lastRows = undefined;
  }

  private rowsOf(session: string): Map<string, number> | undefined {
    if (session !== this.lastSession) {
      this.lastSession = session;
      this.lastRows = this.bySession.get(session);
    }
    return this.lastRows;
  }
}

/**
 * A CSV trace read line by line (readLines, or read.ts streaming a file). The rows go into
 * columns as they come (no object per row); parents are ids until every row is in, since a row
 * may name a later one. With `columns` the trace keeps its requests in that table (table.ts);
 * otherwise they are made into objects. The 995,732-row bench file took 790-819 MB to analyze as
 * objects moved into columns at the end.
 */
export function csvReader(file: string, columns = false): LineReader<Trace> {
  let header: Record<Column, number> | undefined;
  let width = 0;
  let n = 0;
  const ids: string[] = [];
  const positions = new RequestIds();
  /** The first id used twice: its row and the row that had it before. */
  let twice: { at: number; also: number } | undefined;
  const lines = new Ints();
  const conversation = new Ints();
  const conversations = new Names();
  const output = new Floats();
  // Fresh input NaN: not given, derived from the prompts once the history parent is known.
  const fresh = new Floats();
  const prompt = new Floats();
  const cached = new Floats();
  const dispatched = new Floats();
  const responded = new Floats();
  const wait = new Floats();
  let trigger: Uint8Array | null = null;
  // Parents of row i: parentIndex[parentStart[i]] up to parentStart[i + 1] (LATER: by id, in later).
  const parentStart = new Ints();
  let parentIndex = new Int32Array(1024);
  let edges = 0;
  const history = new Ints();
  const later = new Map<number, RequestRef>();
  const historyLater = new Map<number, RequestRef>();
  const rowsOfSession = new Map<string, number>();
  const lastOfSession = new Map<string, number>();
  // The session of the row before, its rows so far and its last row: rowsOfSession and
  // lastOfSession hold them for the other sessions (a session's rows mostly follow each other).
  let current: string | undefined;
  let currentRows = 0;
  let currentLast = -1;
  // One string per session and conversation, not one per row: a million rows kept 1M copies.
  const strings = new Map<string, string>();
  const interned = (text: string): string => {
    const known = strings.get(text);
    if (known !== undefined) return known;
    strings.set(text, text);
    return text;
  };
  const addParent = (session: string, request: string | number): void => {
    if (edges >= parentIndex.length) parentIndex = grownArray(parentIndex, edges + 1);
    if (typeof request === "number") parentIndex[edges] = request;
    else {
      const p = positions.get(session, request);
      parentIndex[edges] = p ?? LATER;
      if (p === undefined) later.set(edges, { session, request });
    }
    edges++;
  };
  const onRow = (fields: string[], line: number): void => {
    if (!header) {
      header = readHeader(fields, file, line);
      width = fields.length;
      return;
    }
    const row = new Row(file, header, line, fields);
    if (fields.length !== width) row.where().fail(`expected ${width} fields like the header, got ${fields.length}`);
    const i = n;
    const sessionText = row.text("session_id") ?? `row-${line}`;
    if (sessionText !== current) {
      if (current !== undefined) {
        rowsOfSession.set(current, currentRows);
        lastOfSession.set(current, currentLast);
      }
      current = interned(sessionText);
      currentRows = rowsOfSession.get(current) ?? 0;
      currentLast = lastOfSession.get(current) ?? -1;
    }
    const session = current;
    const position = currentRows++;
    const request = row.text("request_id") ?? String(position);
    const id = `${session}:${request}`;
    const previous = currentLast;
    currentLast = i;
    parentStart.set(i, edges);
    if (header.parents >= 0) {
      for (const p of (row.text("parents") ?? "").split(/[\s;]+/)) if (p !== "") addParent(session, p);
    } else if (previous >= 0) addParent(session, previous);
    output.set(i, row.count("output_tokens") ?? row.where("output_tokens").expected("a whole number >= 0", ""));
    const named = row.text("conversation");
    const c = named === undefined ? session : interned(`${session}/${named}`);
    conversation.set(i, conversations.of(c));
    const freshTokens = row.count("fresh_input_tokens");
    const promptTokens = row.count("prompt_tokens");
    if (freshTokens === undefined && promptTokens === undefined) row.where().fail("expected fresh_input_tokens or prompt_tokens");
    if (freshTokens !== undefined) fresh.set(i, freshTokens);
    if (promptTokens !== undefined) prompt.set(i, promptTokens);
    const cachedTokens = row.count("cached_tokens");
    if (cachedTokens !== undefined) cached.set(i, cachedTokens);
    const sent = row.ms("dispatched_ms");
    if (sent !== undefined) dispatched.set(i, sent);
    const done = row.ms("responded_ms");
    if (done !== undefined) responded.set(i, done);
    const waited = row.text("wait_after_ready_ms");
    if (waited !== undefined) {
      const w = Number(waited);
      if (!Number.isFinite(w) || w < 0) row.where("wait_after_ready_ms").expected("a number >= 0", waited);
      wait.set(i, w);
    }
    const cause = row.text("trigger");
    if (cause !== undefined) {
      const code = (TRIGGERS as readonly string[]).indexOf(cause);
      if (code < 0) row.where("trigger").expected(`one of ${TRIGGERS.join(", ")}`, cause);
      trigger ??= new Uint8Array(Math.max(1024, i + 1));
      if (i >= trigger.length) trigger = grownArray(trigger, i + 1);
      trigger[i] = code + 1;
    }
    const historyId = row.text("history_parent");
    if (historyId !== undefined) {
      const h = positions.get(session, historyId);
      history.set(i, h ?? LATER);
      if (h === undefined) historyLater.set(i, { session, request: historyId });
    } else history.set(i, header.history_parent >= 0 ? NONE : PICK);
    const seen = positions.add(session, request, i);
    if (seen !== undefined) twice ??= { at: i, also: seen };
    ids.push(id);
    lines.set(i, line);
    n++;
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
      if (!header) throw new TraceError(`${file}: the file is empty; expected a header row naming the columns`);
      if (n === 0) throw new TraceError(`${file}: the trace has no requests (only a header)`);
      rowsOfSession.clear();
      lastOfSession.clear();
      strings.clear();
      const line = lines.cut(n);
      const describe = (i: number) => `line ${line[i]}`;
      if (twice) throw new TraceError(`${file}: ${describe(twice.at)}: request id '${ids[twice.at]}' is used twice (also ${describe(twice.also)})`);
      parentStart.set(n, edges);
      const rows: CsvRows = {
        file,
        n,
        ids,
        positions,
        line,
        conversation: conversation.cut(n),
        conversations: conversations.names.length,
        parentStart: parentStart.cut(n + 1),
        parentIndex: parentIndex.slice(0, edges),
        later,
        history: history.cut(n),
        historyLater,
        fresh: fresh.cut(n),
        output: output.cut(n),
        prompt,
        responded,
        dispatched,
        wait,
      };
      const { parentType, historyOf } = resolveEdges(rows);
      const numbers = {
        promptTokens: prompt.given ? prompt.cut(n) : null,
        cachedTokens: cached.given ? cached.cut(n) : null,
        scaffoldTokens: null,
        replyTokens: null,
        sharedPrefixTokens: null,
        dispatchedMs: dispatched.given ? dispatched.cut(n) : null,
        respondedMs: responded.given ? responded.cut(n) : null,
        waitAfterReadyMs: wait.given ? wait.cut(n) : null,
      };
      const table = RequestTable.of({
        ids,
        conversation: rows.conversation,
        conversations: conversations.names,
        parentStart: rows.parentStart,
        parentIndex: rows.parentIndex,
        parentType,
        history: historyOf,
        fresh: rows.fresh,
        output: rows.output,
        numbers,
        trigger: trigger ? grownArray(trigger, n).slice(0, n) : null,
      });
      const meta = { format: "csv" as const, source: file };
      if (inOrder(rows, describe)) {
        // The map of a million ids is about 50 MB, and nothing reads it from here on.
        positions.clear();
        return columns ? tableTrace(table, meta) : { ...meta, requests: table.requests() };
      }
      // A row names a later one as its parent: ordered as objects (rare; order.ts says why on a cycle).
      positions.clear();
      const requests = orderedRequests(table.requests(), file, describe, RequestIds.byId(ids));
      return columns ? tableTrace(RequestTable.from(requests), meta) : { ...meta, requests };
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

/** The rows read, as columns, while their edges are resolved. */
interface CsvRows {
  file: string;
  n: number;
  ids: readonly string[];
  positions: RequestIds;
  line: Int32Array;
  conversation: Int32Array;
  conversations: number;
  parentStart: Int32Array;
  /** LATER where the parent is named by a later row: its id is in `later`, by edge. */
  parentIndex: Int32Array;
  later: ReadonlyMap<number, RequestRef>;
  /** PICK, NONE, a position, or LATER (the id in historyLater, by row). */
  history: Int32Array;
  historyLater: ReadonlyMap<number, RequestRef>;
  /** NaN where the row gave none: filled in here. */
  fresh: Float64Array;
  output: Float64Array;
  prompt: Floats;
  responded: Floats;
  dispatched: Floats;
  /** Filled in here where the row gave none and the times tell it. */
  wait: Floats;
}

/**
 * Types the edges, picks history parents and fills in fresh input and waits the rows leave out,
 * in row order; parents named by later rows are found by id first. Returns the edges' types and
 * each row's history parent (-1 for none).
 */
function resolveEdges(rows: CsvRows): { parentType: Uint8Array; historyOf: Int32Array } {
  const { file, n, ids, positions, parentStart, parentIndex, conversation, fresh, output, prompt } = rows;
  const parentType = new Uint8Array(parentIndex.length);
  const historyOf = new Int32Array(n);
  const started = new Uint8Array(rows.conversations); // conversations whose first request has been seen
  for (let i = 0; i < n; i++) {
    const where = { at: (column: Column) => new Where(file, rows.line[i]!).at(column) };
    const from = parentStart[i]!;
    const to = parentStart[i + 1]!;
    for (let k = from; k < to; k++) {
      if (parentIndex[k] !== LATER) continue;
      const ref = rows.later.get(k)!;
      const p = positions.get(ref.session, ref.request);
      if (p === undefined) where.at("parents").fail(`no request '${ref.request}' in session ${ref.session}`);
      parentIndex[k] = p!;
    }
    let history = rows.history[i]!;
    if (history === LATER) {
      const ref = rows.historyLater.get(i)!;
      history = positions.get(ref.session, ref.request) ?? LATER;
      if (!among(parentIndex, from, to, history)) where.at("history_parent").fail(`'${ref.session}:${ref.request}' is not among the parents`);
    } else if (history >= 0) {
      if (!among(parentIndex, from, to, history)) where.at("history_parent").fail(`'${ids[history]}' is not among the parents`);
    } else if (history === PICK) {
      history = NONE;
      let same = 0;
      for (let k = from; k < to; k++) {
        if (conversation[parentIndex[k]!] === conversation[i]) {
          same++;
          history = parentIndex[k]!;
        }
      }
      if (same !== 1) history = NONE;
    }
    historyOf[i] = history;
    const first = started[conversation[i]!] === 0;
    started[conversation[i]!] = 1;
    for (let k = from; k < to; k++) {
      const p = parentIndex[k]!;
      const type: EdgeType = p === history ? "sequential" : conversation[p] === conversation[i] ? "dependency" : first ? "subagent_spawn" : "subagent_result";
      parentType[k] = EDGE_CODE[type];
    }
    if (Number.isNaN(fresh[i]!)) {
      if (history === NONE) fresh[i] = prompt.get(i);
      else if (Number.isNaN(prompt.get(history))) where.at("fresh_input_tokens").fail("is needed: the history parent has no prompt_tokens to derive it from");
      else fresh[i] = Math.max(0, prompt.get(i) - prompt.get(history) - output[history]!);
    }
    if (Number.isNaN(rows.wait.get(i)) && history !== NONE) {
      const sent = rows.dispatched.get(i);
      const done = rows.responded.get(history);
      if (!Number.isNaN(sent) && !Number.isNaN(done)) rows.wait.set(i, Math.max(0, sent - done));
    }
  }
  return { parentType, historyOf };
}

function among(values: Int32Array, from: number, to: number, value: number): boolean {
  for (let k = from; k < to; k++) if (values[k] === value) return true;
  return false;
}

/**
 * Are the rows in topological order (every parent before its child)? Checks what order.ts checks
 * of each request first, with its messages: a request that is its own parent, a parent listed twice.
 */
function inOrder(rows: CsvRows, describe: (i: number) => string): boolean {
  const { file, n, ids, parentStart, parentIndex } = rows;
  let ordered = true;
  for (let i = 0; i < n; i++) {
    for (let k = parentStart[i]!; k < parentStart[i + 1]!; k++) {
      const p = parentIndex[k]!;
      if (p === i) throw new TraceError(`${file}: ${describe(i)}: request '${ids[i]}' lists itself as a parent`);
      for (let j = parentStart[i]!; j < k; j++) if (parentIndex[j] === p) throw new TraceError(`${file}: ${describe(i)}: request '${ids[i]}' lists parent '${ids[p]}' twice`);
      if (p > i) ordered = false;
    }
  }
  return ordered;
}
