// Mooncake traces (JSONL): `timestamp` (milliseconds from the trace start), `input_length`,
// `output_length`, `hash_ids` (one id per `blockSize`-token block of the prompt; equal leading
// ids mean an equal prefix). Rows with a `session_id` chain in row order within their session,
// adding `new_input_length` tokens each; the others are linked into conversations by their hash
// ids (hash-chains.ts: a prompt that starts with an earlier whole prompt continues it). Rows with
// an empty prompt or no output are left out and counted: no server can be sent the one, and the
// other is a request cut off before its first token. Read with `columns` (analyze, fit), the rows go
// straight into a table (MooncakeColumns); else each is a request object.
import { grownArray } from "../stats/column.js";
import { NumberHeap } from "../stats/number-heap.js";
import { HashColumns, linkHashChains, linkRows } from "./hash-chains.js";
import { jsonLineReader, type JsonRowReader } from "./jsonl.js";
import { readLines, type LineReader } from "../stats/lines.js";
import { orderedRequests } from "./order.js";
import { Names, RequestTable, tableTrace, type IdMaker, type NumberField } from "./table.js";
import type { Trace, TraceRequest } from "./types.js";
import { DEFAULT_BLOCK_SIZE, hashIdsAt } from "./veeksha.js";
import { asObject, countAt, isObject, optionalCountAt, optionalNonNegativeAt, TraceError, type JsonObject, type Where } from "./where.js";

export function looksLikeMooncake(first: unknown): boolean {
  return isObject(first) && "timestamp" in first && "input_length" in first && "output_length" in first;
}

/**
 * A Mooncake file read line by line (readLines, or read.ts streaming a file). With `columns`, the
 * rows go straight into columns and the trace is a table (MooncakeColumns); else one request
 * object a row.
 */
export function mooncakeReader(file: string, blockSize = DEFAULT_BLOCK_SIZE, columns = false): LineReader<Trace> {
  return jsonLineReader(file, columns ? new MooncakeColumns(file, blockSize) : mooncakeObjects(file, blockSize));
}

/** The fields every row has, checked in this order: the first one wrong is the error. */
interface RowFields {
  data: JsonObject;
  input: number;
  timestamp: number;
  output: number;
}

function rowFields(value: unknown, where: Where): RowFields {
  const data = asObject(value, where);
  const input = countAt(data, "input_length", where);
  const timestamp = optionalNonNegativeAt(data, "timestamp", where);
  if (timestamp === undefined) return where.at("timestamp").expected("milliseconds from the trace start", data.timestamp);
  const output = countAt(data, "output_length", where);
  return { data, input, timestamp, output };
}

function sessionOf(data: JsonObject): string | undefined {
  return data.session_id === undefined || data.session_id === null ? undefined : String(data.session_id);
}

const SKIPPED_WHY = "input_length or output_length 0";

function noRequests(file: string, skipped: number): never {
  throw new TraceError(`${file}: the trace has no requests${skipped > 0 ? ` (${skipped} rows left out: ${SKIPPED_WHY})` : ""}`);
}

function mooncakeObjects(file: string, blockSize: number): JsonRowReader<Trace> {
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const last = new Map<string, string>();
  let skipped = 0;
  return {
    row(value, where, line) {
      const { data, input, timestamp, output } = rowFields(value, where);
      if (input === 0 || output === 0) {
        skipped++;
        return;
      }
      const session = sessionOf(data);
      const previous = session === undefined ? undefined : last.get(session);
      const id = session === undefined ? `line-${line}` : `${session}:${line}`;
      const request: TraceRequest = {
        id,
        conversation: session ?? id,
        parents: previous === undefined ? [] : [{ from: previous, type: "sequential" }],
        historyParent: previous ?? null,
        freshInputTokens: previous === undefined ? input : (optionalCountAt(data, "new_input_length", where) ?? input),
        outputTokens: output,
        promptTokens: input,
        dispatchedMs: timestamp,
      };
      if (data.hash_ids !== undefined) request.hashIds = hashIdsAt({ data, where });
      if (session !== undefined) last.set(session, id);
      requests.push(request);
      lines.push(line);
    },
    end() {
      if (requests.length === 0) noRequests(file, skipped);
      last.clear();
      chainSessionless(requests, blockSize);
      const trace: Trace = {
        format: "mooncake",
        source: file,
        requests: orderedRequests(requests, file, (i) => `line ${lines[i]}`),
        blockSize,
      };
      if (skipped > 0) trace.skipped = { rows: skipped, why: SKIPPED_WHY };
      return trace;
    },
  };
}

export function parseMooncake(text: string, file: string, blockSize = DEFAULT_BLOCK_SIZE): Trace {
  return readLines(text, mooncakeReader(file, blockSize));
}

/** Links the rows without a session id by hash ids, in dispatch order (in place). */
function chainSessionless(requests: TraceRequest[], blockSize: number): void {
  const sessionless = requests.filter((r) => r.conversation === r.id);
  // Stable: rows dispatched at the same millisecond keep their line order.
  sessionless.sort((a, b) => a.dispatchedMs! - b.dispatchedMs!);
  if (sessionless.length > 0) linkHashChains(sessionless, blockSize);
}

/** The links made over the columns: per row its history parent (-1: none), and, for the rows linked by hash ids, reply and wait. */
interface Links {
  parent: Int32Array;
  /** Per sessionless row, the first row of its conversation (whose id names it). */
  root: Int32Array;
  /** NaN where a row is not linked by hash ids; null when none is. */
  reply: Float64Array | null;
  wait: Float64Array | null;
}

/**
 * Rows read straight into columns, linked and ordered over them, and handed on as a table
 * (table.ts): the table RequestTable.from makes of the objects reader's requests, without one
 * request object and one array of hash ids a row, and with parents by position, never by id. On
 * the million-request Mooncake-style bench file, analyze through the objects spent 1.9 s putting
 * them into a table, 1.8 s collecting garbage and 0.9 s checking their order, and took 8.6-9.3 s
 * and 0.92-1.14 GB; so, 4.4-4.5 s and 544-560 MB.
 */
class MooncakeColumns implements JsonRowReader<Trace> {
  private n = 0;
  private skipped = 0;
  private capacity = 1024;
  private line = new Int32Array(this.capacity);
  private prompt = new Float64Array(this.capacity);
  private output = new Float64Array(this.capacity);
  private dispatched = new Float64Array(this.capacity);
  private fresh = new Float64Array(this.capacity);
  /** The row before in its session (-1: the first, or no session); the linking adds the sessionless rows'. */
  private parent = new Int32Array(this.capacity);
  /** The row's session, a position in `sessions` (-1: none). */
  private session = new Int32Array(this.capacity);
  private readonly sessions: string[] = [];
  private readonly sessionIndex = new Map<string, number>();
  /** Per session, its latest row. */
  private readonly lastOfSession: number[] = [];
  /** Hash ids of row i: hashValues[hashStart[i]] up to hashValues[hashStart[i + 1]]; 32-bit while every id fits. */
  private hashStart = new Int32Array(this.capacity + 1);
  private hashValues: Int32Array | Float64Array = new Int32Array(this.capacity * 16);
  private hasHash = new Uint8Array(this.capacity);
  private anyHash = false;
  private hashes = 0;

  constructor(
    private readonly file: string,
    private readonly blockSize: number,
  ) {}

  row(value: unknown, where: Where, line: number): void {
    const { data, input, timestamp, output } = rowFields(value, where);
    if (input === 0 || output === 0) {
      this.skipped++;
      return;
    }
    this.grow();
    const i = this.n;
    const name = sessionOf(data);
    const s = name === undefined ? -1 : this.sessionPosition(name);
    const previous = s < 0 ? -1 : this.lastOfSession[s]!;
    // In the objects reader's order, so a row with two wrong fields names the same one.
    this.fresh[i] = previous < 0 ? input : (optionalCountAt(data, "new_input_length", where) ?? input);
    this.hashStart[i] = this.hashes;
    if (data.hash_ids !== undefined) {
      this.addHashIds(data.hash_ids, where);
      this.hasHash[i] = 1;
      this.anyHash = true;
    }
    this.hashStart[i + 1] = this.hashes;
    this.line[i] = line;
    this.prompt[i] = input;
    this.output[i] = output;
    this.dispatched[i] = timestamp;
    this.parent[i] = previous;
    this.session[i] = s;
    if (s >= 0) this.lastOfSession[s] = i;
    this.n++;
  }

  private grow(): void {
    if (this.n + 1 <= this.capacity) return;
    this.capacity = Math.ceil(this.capacity * 1.5) + 16;
    const c = this.capacity;
    this.line = grownArray(this.line, c);
    this.prompt = grownArray(this.prompt, c);
    this.output = grownArray(this.output, c);
    this.dispatched = grownArray(this.dispatched, c);
    this.fresh = grownArray(this.fresh, c);
    this.parent = grownArray(this.parent, c);
    this.session = grownArray(this.session, c);
    this.hashStart = grownArray(this.hashStart, c + 1);
    this.hasHash = grownArray(this.hasHash, c);
  }

  private sessionPosition(name: string): number {
    let s = this.sessionIndex.get(name);
    if (s === undefined) {
      s = this.sessions.push(name) - 1;
      this.sessionIndex.set(name, s);
      this.lastOfSession.push(-1);
    }
    return s;
  }

  /**
   * Appends a row's hash ids, checked as hashIdsAt checks them. One comparison an id while they
   * fit in 32 bits (an integer that does not, or anything else, leaves the fast loop).
   */
  private addHashIds(raw: unknown, where: Where): void {
    if (!Array.isArray(raw)) return where.at("hash_ids").expected("a list of block hash ids", raw);
    const ids = raw as unknown[];
    const at = this.hashes;
    if (at + ids.length > this.hashValues.length) this.hashValues = grownArray(this.hashValues, at + ids.length);
    let values = this.hashValues;
    let k = 0;
    if (values instanceof Int32Array) {
      for (; k < ids.length; k++) {
        const id = ids[k] as number;
        if ((id | 0) !== id) break;
        values[at + k] = id;
      }
    }
    for (; k < ids.length; k++) {
      const id = ids[k];
      if (typeof id !== "number" || !Number.isInteger(id)) return where.at("hash_ids", k).expected("an integer block hash id", id);
      if (values instanceof Int32Array && (id | 0) !== id) values = this.hashValues = Float64Array.from(values);
      values[at + k] = id;
    }
    this.hashes += ids.length;
  }

  end(): Trace {
    if (this.n === 0) noRequests(this.file, this.skipped);
    this.sessionIndex.clear();
    const links = this.linked();
    const table = this.table(links, traceOrder(links.parent, this.n));
    const meta: Omit<Trace, "requests" | "table"> = { format: "mooncake", source: this.file, blockSize: this.blockSize };
    if (this.skipped > 0) meta.skipped = { rows: this.skipped, why: SKIPPED_WHY };
    return tableTrace(table, meta);
  }

  /** The rows without a session, in dispatch order (stable: rows dispatched at the same millisecond keep their line order). */
  private sessionlessByDispatch(): Int32Array {
    let count = 0;
    for (let i = 0; i < this.n; i++) if (this.session[i]! < 0) count++;
    const order = new Int32Array(count);
    let sorted = true;
    for (let i = 0, k = 0; i < this.n; i++) {
      if (this.session[i]! >= 0) continue;
      order[k] = i;
      if (k > 0 && this.dispatched[i]! < this.dispatched[order[k - 1]!]!) sorted = false;
      k++;
    }
    const at = this.dispatched;
    if (!sorted) order.sort((a, b) => at[a]! - at[b]! || a - b);
    return order;
  }

  /** The sessionless rows linked by hash ids (hash-chains.ts), as the objects reader links its objects. */
  private linked(): Links {
    const n = this.n;
    const parent = this.parent;
    const root = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) if (this.session[i]! < 0) root[i] = i;
    const order = this.sessionlessByDispatch();
    const links: Links = { parent, root, reply: null, wait: null };
    if (order.length === 0) return links;
    const rows = new HashColumns(order, this.hashStart, this.hashValues, this.prompt, this.output);
    linkRows(rows, this.blockSize, (child, from, fresh, reply) => {
      const r = order[child]!;
      const p = order[from]!;
      parent[r] = p;
      root[r] = root[p]!;
      this.fresh[r] = fresh;
      (links.reply ??= new Float64Array(n).fill(NaN))[r] = reply;
      // As hash-chains.ts's link: the gap between the two dispatches.
      (links.wait ??= new Float64Array(n).fill(NaN))[r] = Math.max(0, this.dispatched[r]! - this.dispatched[p]!);
    });
    return links;
  }

  private idOf(r: number): string {
    return rowId(this.sessions, this.session[r]!, this.line[r]!);
  }

  /**
   * The rows' ids in trace order, made when asked for from each row's session and line (analyze
   * asks for none): as a million strings they held 34-39 MB of heap through the analysis.
   */
  private ids(order: Int32Array | null): IdMaker {
    const n = this.n;
    const line = orderedInts(this.line, order, n);
    const session = orderedInts(this.session, order, n);
    const sessions = this.sessions;
    return { length: n, id: (k) => rowId(sessions, session[k]!, line[k]!) };
  }

  /** The rows as the table RequestTable.from makes of the objects reader's requests, in trace order `order` (null: line order). */
  private table(links: Links, order: Int32Array | null): RequestTable {
    const n = this.n;
    const rank = order ? inverse(order) : null;
    const at = (k: number) => (order ? order[k]! : k);
    const conversation = new Int32Array(n);
    const conversations = new Names();
    // A sessionless conversation's position, by its first row.
    const rootConversation = new Int32Array(n).fill(-1);
    const parentStart = new Int32Array(n + 1);
    const history = new Int32Array(n);
    let edges = 0;
    for (let k = 0; k < n; k++) {
      const r = at(k);
      const s = this.session[r]!;
      if (s >= 0) conversation[k] = conversations.of(this.sessions[s]!);
      else {
        const root = links.root[r]!;
        if (rootConversation[root]! < 0) rootConversation[root] = conversations.of(this.idOf(root));
        conversation[k] = rootConversation[root]!;
      }
      const p = links.parent[r]!;
      const h = p < 0 ? -1 : rank ? rank[p]! : p;
      history[k] = h;
      parentStart[k] = edges;
      if (h >= 0) edges++;
      parentStart[k + 1] = edges;
    }
    // One sequential edge a linked row: its history parent.
    const parentIndex = new Int32Array(edges);
    for (let k = 0, e = 0; k < n; k++) if (history[k]! >= 0) parentIndex[e++] = history[k]!;
    const numbers: Record<NumberField, Float64Array | null> = {
      promptTokens: ordered(this.prompt, order, n),
      cachedTokens: null,
      scaffoldTokens: null,
      replyTokens: links.reply && ordered(links.reply, order, n),
      sharedPrefixTokens: null,
      dispatchedMs: ordered(this.dispatched, order, n),
      respondedMs: null,
      waitAfterReadyMs: links.wait && ordered(links.wait, order, n),
    };
    const hash = this.anyHash ? this.hashColumns(order) : null;
    return RequestTable.of({
      ids: this.ids(order),
      conversation,
      conversations: conversations.names,
      parentStart,
      parentIndex,
      parentType: new Uint8Array(edges),
      history,
      fresh: ordered(this.fresh, order, n),
      output: ordered(this.output, order, n),
      numbers,
      hash,
    });
  }

  /**
   * The hash id columns in trace order; in line order, the ones read. The ids stay a view of the
   * column they were read into: a copy cut to size held both at once, and put analyze's peak on
   * the million-request bench file at 669-694 MB, 584-590 MB without (the room left unused there:
   * 21 MB). So do the other columns (`ordered`): their copies cut to size put analyze at 461-468
   * MB (2 runs) and fit at 513-518 MB (3), 401-412 and 452-462 MB as views (3 runs each).
   */
  private hashColumns(order: Int32Array | null): { start: Int32Array; values: Int32Array | Float64Array; has: Uint8Array } {
    const n = this.n;
    if (!order) return { start: this.hashStart.subarray(0, n + 1), values: this.hashValues.subarray(0, this.hashes), has: this.hasHash.subarray(0, n) };
    const start = new Int32Array(n + 1);
    const values = this.hashValues instanceof Int32Array ? new Int32Array(this.hashes) : new Float64Array(this.hashes);
    const has = new Uint8Array(n);
    let to = 0;
    for (let k = 0; k < n; k++) {
      const r = order[k]!;
      start[k] = to;
      values.set(this.hashValues.subarray(this.hashStart[r]!, this.hashStart[r + 1]!), to);
      to += this.hashStart[r + 1]! - this.hashStart[r]!;
      has[k] = this.hasHash[r]!;
    }
    start[n] = to;
    return { start, values, has };
  }
}

/**
 * Rows in trace order, as orderedRequests orders the objects: every parent before its children,
 * else in line order (the earliest ready row first); null when that is line order already. A row
 * has one parent at most: an earlier row of its session, or an earlier-dispatched sessionless row,
 * so there is no cycle. Only rows out of timestamp order put a parent after its child.
 */
function traceOrder(parent: Int32Array, n: number): Int32Array | null {
  let inOrder = true;
  for (let i = 0; i < n && inOrder; i++) if (parent[i]! > i) inOrder = false;
  if (inOrder) return null;
  // Children by parent: children[first[p]] up to children[first[p + 1]].
  const first = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0) first[parent[i]! + 1] = first[parent[i]! + 1]! + 1;
  for (let i = 0; i < n; i++) first[i + 1] = first[i + 1]! + first[i]!;
  const children = new Int32Array(first[n]!);
  const filled = first.slice(0, n);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0) children[filled[parent[i]!]!++] = i;
  const ready = new NumberHeap(n);
  for (let i = 0; i < n; i++) if (parent[i]! < 0) ready.push(i);
  const order = new Int32Array(n);
  let k = 0;
  while (ready.size > 0) {
    const i = ready.pop();
    order[k++] = i;
    for (let c = first[i]!; c < first[i + 1]!; c++) ready.push(children[c]!);
  }
  if (k < n) throw new Error(`traceOrder: ${n - k} rows in a cycle`);
  return order;
}

/** Where each row went: inverse(order)[order[k]] = k. */
function inverse(order: Int32Array): Int32Array {
  const rank = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) rank[order[k]!] = k;
  return rank;
}


/** A row's id: its session's name (position s, -1: none) and line. */
function rowId(sessions: readonly string[], s: number, line: number): string {
  return s < 0 ? `line-${line}` : `${sessions[s]}:${line}`;
}

/** An Int32Array column's first n values, in `order` when given; in line order a view. */
function orderedInts(a: Int32Array, order: Int32Array | null, n: number): Int32Array {
  if (!order) return a.subarray(0, n);
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = a[order[k]!]!;
  return out;
}

/** A column's first n values, in `order` when given; in line order a view of the column read. */
function ordered(a: Float64Array, order: Int32Array | null, n: number): Float64Array {
  if (!order) return a.subarray(0, n);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = a[order[k]!]!;
  return out;
}
