// A trace's requests as columns: one typed array per field, edges and history parents as
// positions, strings (ids, conversations, agents) once each. What `analyze` reads a big trace
// into. A request kept as an object cost about 290 bytes on the million-request bench file (the
// object 144, its one edge and the edge's array 96, its id 27, a boxed wait 16), these columns
// about 120. Requests are made as objects again only for what still reads them (`fit`).
import { cutArray as cut, grownArray } from "../stats/column.js";
import type { NodeKind, Scaffold } from "../workload/types.js";
import type { EdgeType, Trace, TraceRequest, Trigger } from "./types.js";

export const EDGE_TYPES: readonly EdgeType[] = ["sequential", "subagent_spawn", "subagent_result", "dependency"];
export const EDGE_CODE: Readonly<Record<EdgeType, number>> = { sequential: 0, subagent_spawn: 1, subagent_result: 2, dependency: 3 };
/** Codes from 1 (0: the request does not say). */
const KINDS: readonly NodeKind[] = ["turn", "spawn", "report", "compaction"];
/** Trigger codes from 1, as KINDS. */
export const TRIGGERS: readonly Trigger[] = ["user", "tool_result", "subagent_result"];

/** The optional numbers of a request, each a Float64Array column (NaN: not given), or null when no request has it. */
const NUMBER_FIELDS = [
  "promptTokens",
  "cachedTokens",
  "scaffoldTokens",
  "replyTokens",
  "sharedPrefixTokens",
  "dispatchedMs",
  "respondedMs",
  "waitAfterReadyMs",
] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

/**
 * How far back a parent is looked for by id before a map of every id is made. Parents mostly
 * come just before their children (a session's requests stay together in every format read so
 * far): a map of a million ids took 1.2 s (CPU). A parent further back makes the map.
 */
const NEARBY = 1024;

/**
 * Request ids made when asked for, one at a time, instead of held as strings: a reader that
 * names its requests by what its columns hold (Mooncake: session and line number) gives this. A
 * million ids held as strings were 34-39 MB of heap (Mooncake-style bench file), which analyze
 * never reads.
 */
export interface IdMaker {
  readonly length: number;
  id(i: number): string;
}

function isIdList(s: readonly string[] | IdMaker): s is readonly string[] {
  return Array.isArray(s);
}

export class RequestTable {
  /** Positions by id (made when first asked for). */
  private map: Map<string, number> | undefined;
  private idList: readonly string[] | undefined;

  constructor(
    readonly length: number,
    /** Each request's id: held, or made when asked for. */
    private readonly idSource: readonly string[] | IdMaker,
    /** Per request: its conversation's position in `conversations`. */
    readonly conversation: Int32Array,
    /** Conversation ids in order of their first request. */
    readonly conversations: readonly string[],
    /** The parents of request i are parentIndex[parentStart[i]] up to parentIndex[parentStart[i + 1]]. */
    readonly parentStart: Int32Array,
    readonly parentIndex: Int32Array,
    /** Per edge: its type, a position in EDGE_TYPES. */
    readonly parentType: Uint8Array,
    /** Position of each request's history parent among its parents, -1 for none. */
    readonly history: Int32Array,
    readonly fresh: Float64Array,
    readonly output: Float64Array,
    private readonly numbers: Readonly<Record<NumberField, Float64Array | null>>,
    /** Kind and trigger codes (from 1; 0: not given), null when no request has one. */
    readonly kind: Uint8Array | null,
    readonly trigger: Uint8Array | null,
    /** Agent and scaffold positions (-1: none), null when no request has one. */
    readonly agent: Int32Array | null,
    readonly agents: readonly string[],
    readonly scaffold: Int32Array | null,
    readonly scaffolds: readonly Scaffold[],
    /**
     * Hash ids of request i: hashValues[hashStart[i]] up to hashValues[hashStart[i + 1]]; hasHash[i]
     * 0 when it has none. 32-bit while every id fits (Mooncake's do: 4 bytes an id, not 8).
     */
    readonly hashStart: Int32Array | null,
    readonly hashValues: Int32Array | Float64Array | null,
    readonly hasHash: Uint8Array | null,
    /** A history parent that is not among the request's parents (none in the formats read so far), by position. */
    private readonly historyOutside: ReadonlyMap<number, string>,
  ) {}

  /** Request i's id. */
  id(i: number): string {
    const s = this.idSource;
    return isIdList(s) ? s[i]! : s.id(i);
  }

  /** Every request's id, in order (made as strings, once, when the table has an IdMaker). */
  get ids(): readonly string[] {
    const s = this.idSource;
    if (isIdList(s)) return s;
    if (!this.idList) {
      const list: string[] = new Array(this.length);
      for (let i = 0; i < this.length; i++) list[i] = s.id(i);
      this.idList = list;
    }
    return this.idList;
  }

  /** A number column, or null when no request gives it. */
  column(field: NumberField): Float64Array | null {
    return this.numbers[field];
  }

  get index(): Map<string, number> {
    if (!this.map) {
      this.map = new Map();
      for (let i = 0; i < this.length; i++) this.map.set(this.id(i), i);
    }
    return this.map;
  }

  /** Hash ids of request i (a view), or undefined. */
  hashIds(i: number): Int32Array | Float64Array | undefined {
    if (!this.hasHash || this.hasHash[i] === 0) return undefined;
    return this.hashValues!.subarray(this.hashStart![i]!, this.hashStart![i + 1]!);
  }

  /** Id of request i's history parent, or null. */
  historyParent(i: number): string | null {
    const h = this.history[i]!;
    return h >= 0 ? this.id(h) : (this.historyOutside.get(i) ?? null);
  }

  /** Position of request i's history parent, -1 for none (or one not in the trace). */
  historyPosition(i: number): number {
    const h = this.history[i]!;
    if (h >= 0 || this.historyOutside.size === 0) return h;
    const id = this.historyOutside.get(i);
    return id === undefined ? -1 : (this.index.get(id) ?? -1);
  }

  /** Does request i continue a history (its historyParent is not null)? */
  hasHistoryParent(i: number): boolean {
    return this.history[i]! >= 0 || this.historyOutside.has(i);
  }

  /**
   * The same requests in other conversations and with other edge types (forks.ts): every other
   * column is shared, not copied. `conversations` must list the ids in order of their first request.
   */
  withConversations(conversation: Int32Array, conversations: readonly string[], parentType: Uint8Array): RequestTable {
    if (conversation.length !== this.length || parentType.length !== this.parentType.length) {
      throw new RangeError("withConversations: a column of another length than the table's");
    }
    return new RequestTable(
      this.length,
      this.idSource,
      conversation,
      conversations,
      this.parentStart,
      this.parentIndex,
      parentType,
      this.history,
      this.fresh,
      this.output,
      this.numbers,
      this.kind,
      this.trigger,
      this.agent,
      this.agents,
      this.scaffold,
      this.scaffolds,
      this.hashStart,
      this.hashValues,
      this.hasHash,
      this.historyOutside,
    );
  }

  kindOf(i: number): NodeKind | undefined {
    const k = this.kind?.[i] ?? 0;
    return k === 0 ? undefined : KINDS[k - 1];
  }

  triggerOf(i: number): Trigger | undefined {
    const k = this.trigger?.[i] ?? 0;
    return k === 0 ? undefined : TRIGGERS[k - 1];
  }

  /** Request i as an object, as a reader makes it (optional fields only when given). */
  request(i: number): TraceRequest {
    const parents: TraceRequest["parents"] = [];
    for (let k = this.parentStart[i]!; k < this.parentStart[i + 1]!; k++) parents.push({ from: this.id(this.parentIndex[k]!), type: EDGE_TYPES[this.parentType[k]!]! });
    const r: TraceRequest = {
      id: this.id(i),
      conversation: this.conversations[this.conversation[i]!]!,
      parents,
      historyParent: this.historyParent(i),
      freshInputTokens: this.fresh[i]!,
      outputTokens: this.output[i]!,
    };
    for (const field of NUMBER_FIELDS) {
      const v = this.numbers[field]?.[i];
      if (v !== undefined && !Number.isNaN(v)) r[field] = v;
    }
    const scaffold = this.scaffold?.[i] ?? -1;
    if (scaffold >= 0) r.scaffold = { ...this.scaffolds[scaffold]! };
    const kind = this.kindOf(i);
    if (kind !== undefined) r.kind = kind;
    const agent = this.agent?.[i] ?? -1;
    if (agent >= 0) r.agent = this.agents[agent]!;
    const hash = this.hashIds(i);
    if (hash) r.hashIds = Array.from(hash);
    const trigger = this.triggerOf(i);
    if (trigger !== undefined) r.trigger = trigger;
    return r;
  }

  /** Every request as an object. */
  requests(): TraceRequest[] {
    const out: TraceRequest[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.request(i);
    return out;
  }

  /**
   * A table of columns a reader filled itself (csv.ts, mooncake.ts), in trace order: the columns
   * no request has are null, and the fields a reader of that kind never gives are left out.
   */
  static of(c: {
    ids: readonly string[] | IdMaker;
    conversation: Int32Array;
    conversations: readonly string[];
    parentStart: Int32Array;
    parentIndex: Int32Array;
    parentType: Uint8Array;
    history: Int32Array;
    fresh: Float64Array;
    output: Float64Array;
    numbers: Readonly<Record<NumberField, Float64Array | null>>;
    trigger?: Uint8Array | null;
    hash?: { start: Int32Array; values: Int32Array | Float64Array; has: Uint8Array } | null;
  }): RequestTable {
    const n = c.ids.length;
    for (const column of [c.conversation, c.history, c.fresh, c.output, c.trigger ?? c.fresh, c.hash?.has ?? c.fresh, ...Object.values(c.numbers).map((x) => x ?? c.fresh)]) {
      if (column.length !== n) throw new RangeError(`RequestTable.of: a column of ${column.length} values for ${n} requests`);
    }
    if (c.parentStart.length !== n + 1 || c.parentIndex.length !== c.parentType.length) throw new RangeError("RequestTable.of: edges that do not match the requests");
    if (c.hash && c.hash.start.length !== n + 1) throw new RangeError("RequestTable.of: hash ids that do not match the requests");
    return new RequestTable(
      n,
      c.ids,
      c.conversation,
      c.conversations,
      c.parentStart,
      c.parentIndex,
      c.parentType,
      c.history,
      c.fresh,
      c.output,
      c.numbers,
      null,
      c.trigger ?? null,
      null,
      [],
      null,
      [],
      c.hash?.start ?? null,
      c.hash?.values ?? null,
      c.hash?.has ?? null,
      new Map(),
    );
  }

  static from(requests: readonly TraceRequest[]): RequestTable {
    const builder = new RequestTableBuilder(requests.length);
    for (const r of requests) builder.push(r);
    return builder.finish();
  }

  /**
   * The requests as a table, each let go from `requests` once in it (the array is emptied), so the
   * objects and the table are not all held at once. Copying the million-request Mooncake-style
   * file's objects whole put analyze's peak at 1.42 GB, 0.32 GB above reading them as objects
   * (its 31 million hash ids: 8 bytes each in the objects' arrays, 4 in the table's column).
   */
  static taking(requests: TraceRequest[]): RequestTable {
    const builder = new RequestTableBuilder(requests.length);
    for (let i = 0; i < requests.length; i++) {
      builder.push(requests[i]!);
      (requests as (TraceRequest | undefined)[])[i] = undefined;
    }
    requests.length = 0;
    return builder.finish();
  }
}

/**
 * Strings numbered in order of first sight (conversation ids, as a table lists them), the last
 * one looked up kept at hand: a session's requests name the same conversation one after another.
 */
export class Names {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private last: string | undefined;
  private lastIndex = -1;

  of(name: string): number {
    if (name === this.last) return this.lastIndex;
    let k = this.index.get(name);
    if (k === undefined) {
      k = this.names.push(name) - 1;
      this.index.set(name, k);
    }
    this.last = name;
    this.lastIndex = k;
    return k;
  }
}

/**
 * Requests pushed one at a time (a reader's objects, dropped at once), in trace order: every parent
 * before its children. `push` is all a reader that fills an array calls, so a builder stands in for one.
 */
export class RequestTableBuilder {
  private n = 0;
  private readonly ids: string[] = [];
  private conversation: Int32Array;
  private readonly conversations = new Names();
  private parentStart: Int32Array;
  private parentIndex: Int32Array;
  private parentType: Uint8Array;
  private edges = 0;
  private history: Int32Array;
  private fresh: Float64Array;
  private output: Float64Array;
  private readonly numbers: Record<NumberField, Float64Array | null> = {
    promptTokens: null,
    cachedTokens: null,
    scaffoldTokens: null,
    replyTokens: null,
    sharedPrefixTokens: null,
    dispatchedMs: null,
    respondedMs: null,
    waitAfterReadyMs: null,
  };
  private kind: Uint8Array | null = null;
  private trigger: Uint8Array | null = null;
  private agent: Int32Array | null = null;
  private readonly agents: string[] = [];
  private scaffold: Int32Array | null = null;
  private readonly scaffolds: Scaffold[] = [];
  private hashStart: Int32Array | null = null;
  private hashValues: Int32Array | Float64Array | null = null;
  private hasHash: Uint8Array | null = null;
  private hashes = 0;
  private readonly historyOutside = new Map<number, string>();
  private map: Map<string, number> | undefined;

  constructor(private capacity = 1024) {
    this.capacity = Math.max(16, capacity);
    this.conversation = new Int32Array(this.capacity);
    this.parentStart = new Int32Array(this.capacity + 1);
    this.parentIndex = new Int32Array(this.capacity);
    this.parentType = new Uint8Array(this.capacity);
    this.history = new Int32Array(this.capacity);
    this.fresh = new Float64Array(this.capacity);
    this.output = new Float64Array(this.capacity);
  }

  get length(): number {
    return this.n;
  }

  /** The position of an earlier request by id (-1: none). */
  private positionOf(id: string): number {
    const i = this.n;
    if (!this.map) {
      for (let j = i - 1; j >= 0 && j >= i - NEARBY; j--) if (this.ids[j] === id) return j;
      // Every request pushed so far, the one being pushed included: push adds the later ones.
      this.map = new Map();
      for (let j = 0; j < this.ids.length; j++) this.map.set(this.ids[j]!, j);
    }
    const p = this.map.get(id);
    return p === undefined || p >= i ? -1 : p;
  }

  private grow(): void {
    const size = this.n + 1;
    if (size <= this.capacity) return;
    this.capacity = Math.max(size, Math.ceil(this.capacity * 1.5) + 16);
    const c = this.capacity;
    this.conversation = grownArray(this.conversation, c, 0);
    this.parentStart = grownArray(this.parentStart, c + 1, 0);
    this.history = grownArray(this.history, c, 0);
    this.fresh = grownArray(this.fresh, c, 0);
    this.output = grownArray(this.output, c, 0);
    for (const f of NUMBER_FIELDS) if (this.numbers[f]) this.numbers[f] = grownArray(this.numbers[f]!, c, NaN);
    if (this.kind) this.kind = grownArray(this.kind, c, 0);
    if (this.trigger) this.trigger = grownArray(this.trigger, c, 0);
    if (this.agent) this.agent = grownArray(this.agent, c, -1);
    if (this.scaffold) this.scaffold = grownArray(this.scaffold, c, -1);
    if (this.hashStart) this.hashStart = grownArray(this.hashStart, c + 1, 0);
    if (this.hasHash) this.hasHash = grownArray(this.hasHash, c, 0);
  }

  private numberColumn(field: NumberField): Float64Array {
    return (this.numbers[field] ??= this.nanColumn());
  }

  /** A new number column: NaN (not given) for every request. */
  private nanColumn(): Float64Array {
    return new Float64Array(this.capacity).fill(NaN);
  }

  push(r: TraceRequest): void {
    this.grow();
    const i = this.n;
    if (this.map) this.map.set(r.id, i);
    this.ids.push(r.id);
    this.conversation[i] = this.conversations.of(r.conversation);
    this.parentStart[i] = this.edges;
    let history = -1;
    for (const edge of r.parents) {
      const p = this.positionOf(edge.from);
      if (p < 0) throw new Error(`request ${r.id}: parent ${edge.from} is not an earlier request of the trace`);
      if (this.edges >= this.parentIndex.length) {
        this.parentIndex = grownArray(this.parentIndex, this.edges + 1, 0);
        this.parentType = grownArray(this.parentType, this.edges + 1, 0);
      }
      this.parentIndex[this.edges] = p;
      this.parentType[this.edges] = EDGE_CODE[edge.type];
      this.edges++;
      if (edge.from === r.historyParent) history = p;
    }
    this.parentStart[i + 1] = this.edges;
    this.history[i] = history;
    if (history < 0 && r.historyParent !== null) this.historyOutside.set(i, r.historyParent);
    this.fresh[i] = r.freshInputTokens;
    this.output[i] = r.outputTokens;
    // Each field by name, its column by name: a loop over NUMBER_FIELDS read r[f] and numbers[f]
    // by key. In a CPU profile of analyze of the million-request bench file, push and its column
    // lookups took 0.68 s so, 0.40 s now.
    const numbers = this.numbers;
    const { promptTokens, cachedTokens, scaffoldTokens, replyTokens, sharedPrefixTokens, dispatchedMs, respondedMs, waitAfterReadyMs } = r;
    if (promptTokens !== undefined) (numbers.promptTokens ??= this.nanColumn())[i] = promptTokens;
    if (cachedTokens !== undefined) (numbers.cachedTokens ??= this.nanColumn())[i] = cachedTokens;
    if (scaffoldTokens !== undefined) (numbers.scaffoldTokens ??= this.nanColumn())[i] = scaffoldTokens;
    if (replyTokens !== undefined) (numbers.replyTokens ??= this.nanColumn())[i] = replyTokens;
    if (sharedPrefixTokens !== undefined) (numbers.sharedPrefixTokens ??= this.nanColumn())[i] = sharedPrefixTokens;
    if (dispatchedMs !== undefined) (numbers.dispatchedMs ??= this.nanColumn())[i] = dispatchedMs;
    if (respondedMs !== undefined) (numbers.respondedMs ??= this.nanColumn())[i] = respondedMs;
    if (waitAfterReadyMs !== undefined) (numbers.waitAfterReadyMs ??= this.nanColumn())[i] = waitAfterReadyMs;
    if (r.kind !== undefined) (this.kind ??= new Uint8Array(this.capacity))[i] = KINDS.indexOf(r.kind) + 1;
    if (r.trigger !== undefined) (this.trigger ??= new Uint8Array(this.capacity))[i] = TRIGGERS.indexOf(r.trigger) + 1;
    if (r.agent !== undefined) {
      let k = this.agents.indexOf(r.agent);
      if (k < 0) k = this.agents.push(r.agent) - 1;
      (this.agent ??= new Int32Array(this.capacity).fill(-1))[i] = k;
    }
    if (r.scaffold !== undefined) {
      const s = r.scaffold;
      let k = this.scaffolds.findIndex((t) => t.id === s.id && t.systemTokens === s.systemTokens && t.toolTokens === s.toolTokens);
      if (k < 0) k = this.scaffolds.push({ ...s }) - 1;
      (this.scaffold ??= new Int32Array(this.capacity).fill(-1))[i] = k;
    }
    if (r.hashIds !== undefined || this.hashStart) {
      this.hashStart ??= new Int32Array(this.capacity + 1);
      this.hasHash ??= new Uint8Array(this.capacity);
      this.hashValues ??= new Int32Array(1024);
      const ids = r.hashIds ?? [];
      if (this.hashes + ids.length > this.hashValues.length) this.hashValues = grownArray(this.hashValues, this.hashes + ids.length, 0);
      this.hashStart[i] = this.hashes;
      this.copyHashIds(ids);
      this.hashStart[i + 1] = this.hashes;
      this.hasHash[i] = r.hashIds !== undefined ? 1 : 0;
    }
    this.n++;
  }

  /** Appends hash ids, in 32 bits until one does not fit (one loop per array type: 1.7 s a million Mooncake rows with a check per id). */
  private copyHashIds(ids: readonly number[]): void {
    const at = this.hashes;
    let k = 0;
    const values = this.hashValues!;
    if (values instanceof Int32Array) {
      for (; k < ids.length; k++) {
        const id = ids[k]!;
        if ((id | 0) !== id) break;
        values[at + k] = id;
      }
    }
    if (k < ids.length) {
      const doubles = values instanceof Float64Array ? values : (this.hashValues = Float64Array.from(values));
      for (; k < ids.length; k++) doubles[at + k] = ids[k]!;
    }
    this.hashes += ids.length;
  }

  /**
   * Sets a number of the request pushed last. A wait in milliseconds is often fractional: written
   * into the object pushed, it made V8 deoptimize addPositions again and again (a field it had
   * seen hold small integers only); written into its column, it is a plain store.
   */
  setLast(field: NumberField, value: number): void {
    if (this.n === 0) throw new Error("setLast: no request pushed yet");
    this.numberColumn(field)[this.n - 1] = value;
  }

  finish(): RequestTable {
    const n = this.n;
    const numbers = {} as Record<NumberField, Float64Array | null>;
    for (const f of NUMBER_FIELDS) numbers[f] = this.numbers[f] ? cut(this.numbers[f]!, n) : null;
    let hashStart = this.hashStart;
    if (hashStart) {
      // Requests pushed before the first with hash ids have none, and start at 0.
      hashStart = cut(hashStart, n + 1);
    }
    return new RequestTable(
      n,
      this.ids,
      cut(this.conversation, n),
      this.conversations.names,
      cut(this.parentStart, n + 1),
      cut(this.parentIndex, this.edges),
      cut(this.parentType, this.edges),
      cut(this.history, n),
      cut(this.fresh, n),
      cut(this.output, n),
      numbers,
      this.kind ? cut(this.kind, n) : null,
      this.trigger ? cut(this.trigger, n) : null,
      this.agent ? cut(this.agent, n) : null,
      this.agents,
      this.scaffold ? cut(this.scaffold, n) : null,
      this.scaffolds,
      hashStart,
      this.hashValues ? cut(this.hashValues, this.hashes) : null,
      this.hasHash ? cut(this.hasHash, n) : null,
      this.historyOutside,
    );
  }
}

/**
 * A trace whose requests live in a table. Its `requests` are made from the table when first read
 * (by what does not read columns yet: fit, replay), and from then on they are the trace: the table
 * is let go, since what reads the objects may change them.
 */
export function tableTrace(table: RequestTable, meta: Omit<Trace, "requests" | "table">): Trace {
  const trace = { ...meta } as Trace;
  // Not enumerable: a copy made by spreading ({ ...trace, requests }) gets the objects, never a
  // table that may no longer match them.
  Object.defineProperty(trace, "table", { value: table, writable: true, enumerable: false, configurable: true });
  const settle = (self: Trace, value: TraceRequest[]) => {
    Object.defineProperty(self, "requests", { value, writable: true, enumerable: true, configurable: true });
    delete self.table;
  };
  Object.defineProperty(trace, "requests", {
    configurable: true,
    enumerable: true,
    get(this: Trace) {
      const requests = table.requests();
      settle(this, requests);
      return requests;
    },
    set(this: Trace, value: TraceRequest[]) {
      settle(this, value);
    },
  });
  return trace;
}

/** A trace's fields other than its requests and table, without making a table trace's objects. */
export function traceMeta(trace: Trace): Omit<Trace, "requests" | "table"> {
  const meta: Record<string, unknown> = {};
  for (const key of Object.keys(trace)) if (key !== "requests" && key !== "table") meta[key] = (trace as unknown as Record<string, unknown>)[key];
  return meta as Omit<Trace, "requests" | "table">;
}

// A table made for a trace read as objects, once per requests array (traces are not changed once read).
const tables = new WeakMap<readonly TraceRequest[], RequestTable>();

/** The trace's requests as a table: its own, or one made from its objects (kept while they are). */
export function tableOf(trace: Trace): RequestTable {
  if (trace.table) return trace.table;
  let table = tables.get(trace.requests);
  if (!table) {
    table = RequestTable.from(trace.requests);
    tables.set(trace.requests, table);
  }
  return table;
}

/**
 * The trace with its requests in a table only. Takes the trace over: its requests array is emptied
 * as the table is filled (RequestTable.taking); use the trace returned.
 */
export function inColumns(trace: Trace): Trace {
  if (trace.table) return trace;
  const { requests, ...meta } = trace;
  return tableTrace(RequestTable.taking(requests), meta);
}
