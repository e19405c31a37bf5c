// The rows of a timed_synthetic_session file as columns of numbers while the file is read: one
// entry per row in a handful of number arrays, no object per row. A session's requests are made
// only once all rows are in (a session's rows may be anywhere in the file), session by session.
// Reading agentload's million-request benchmark trace, rows kept as objects (a request, its edges,
// the row) were most of the 1.1 GB peak and the 5 s of garbage collection.
import type { AgentloadExtension, SessionLines } from "./veeksha-agentload.js";
import type { TraceEdge, TraceRequest } from "./types.js";
import type { RequestNode, SessionGraph } from "../workload/types.js";
import { Where } from "./where.js";
import { grownArray, NumberColumn, type Numbers } from "../stats/column.js";

/** What a row says beyond its request's sizes. */
export interface SessionRowInput {
  session: string;
  line: number;
  fresh: number;
  output: number;
  prompt: number;
  /** cacheable_history_tokens, or undefined. */
  shared: number | undefined;
  /** With session_context: node id, parents and history parent (node ids). */
  context: { node: number; parents: number[]; history: number | null } | null;
  /** Seconds: wait_after_ready (with session_context) or wait_after_previous_response_s (without). */
  wait: number | undefined;
  /** turn_idx of a legacy row, when given. */
  turn: number | undefined;
  extension: AgentloadExtension | undefined;
}

/** One session's rows (positions in the columns, in file order). */
export interface SessionOfRows {
  readonly session: string;
  readonly rows: Int32Array;
  readonly withContext: boolean;
}

const ROW_COLUMNS = ["session", "line", "fresh", "output", "prompt", "shared", "node", "history", "wait", "turn", "parentStart", "parents"] as const;
type RowColumn = (typeof ROW_COLUMNS)[number];

/** Node ids as strings, made once for the small numbers every session repeats (0, 1, 2, ...). */
const NODE_IDS: string[] = [];
const CACHED_NODE_IDS = 1 << 16;

function nodeId(node: number): string {
  if (!(node < CACHED_NODE_IDS) || !Number.isInteger(node)) return String(node);
  for (let k = NODE_IDS.length; k <= node; k++) NODE_IDS.push(String(k));
  return NODE_IDS[node]!;
}

/** The values of every row, by row (NaN: not given), and the `agentload` keys by row. */
export interface RowValues {
  fresh: Numbers;
  output: Numbers;
  prompt: Numbers;
  wait: Numbers;
  line: Numbers;
  extensions: RowExtensions;
}

/** The `agentload` keys of the rows, by row. */
export interface RowExtensions {
  get(row: number): AgentloadExtension | undefined;
  /** How many rows have one. */
  readonly size: number;
}

/**
 * The rows' `agentload` keys as one code per row into the distinct keys seen (0: none). Every line
 * of a generated trace has one, and they repeat (a handful of kinds, agents and scaffolds). Kept
 * as a million parsed objects in a Map by row, on the million-request bench file they took 0.2 s
 * to store and look up and 35-40 MB of analyze's peak, and the collector copied them.
 */
class ExtensionColumn implements RowExtensions {
  private readonly codes = new NumberColumn();
  private readonly distinct: AgentloadExtension[] = [];
  /** Past this many distinct keys a key is looked up by its text instead of compared with each. */
  private byText: Map<string, number> | undefined;
  size = 0;

  /** Row `row` (the next) has `extension`, or none. */
  push(row: number, extension: AgentloadExtension | undefined): void {
    while (this.codes.length < row) this.codes.push(0);
    if (!extension) return this.codes.push(0);
    this.size++;
    this.codes.push(this.codeOf(extension) + 1);
  }

  get(row: number): AgentloadExtension | undefined {
    const code = row < this.codes.length ? this.codes.values[row]! : 0;
    return code === 0 ? undefined : this.distinct[code - 1];
  }

  private codeOf(e: AgentloadExtension): number {
    const distinct = this.distinct;
    if (!this.byText) {
      for (let k = 0; k < distinct.length; k++) if (sameExtension(distinct[k]!, e)) return k;
      if (distinct.length < 32) return distinct.push(e) - 1;
      this.byText = new Map(distinct.map((d, k) => [extensionText(d), k]));
    }
    const text = extensionText(e);
    let k = this.byText.get(text);
    if (k === undefined) {
      k = distinct.push(e) - 1;
      this.byText.set(text, k);
    }
    return k;
  }
}

function sameExtension(a: AgentloadExtension, b: AgentloadExtension): boolean {
  if (a.kind !== b.kind || a.agent !== b.agent) return false;
  const s = a.scaffold;
  const t = b.scaffold;
  return s === t || (s !== undefined && t !== undefined && s.id === t.id && s.systemTokens === t.systemTokens && s.toolTokens === t.toolTokens);
}

function extensionText(e: AgentloadExtension): string {
  const s = e.scaffold;
  return JSON.stringify([e.kind ?? null, e.agent ?? null, s ? [s.id, s.systemTokens, s.toolTokens] : null]);
}

/**
 * A session as positions: node k on row rows[k], with id ids[k]; its parents' positions are
 * parentPos[parentStart[k]] up to parentPos[parentStart[k + 1]] (in the line's order), its history
 * parent's history[k] (-1: none). The arrays may be longer than the session: read n of them.
 */
export interface SessionPositions extends RowValues {
  session: string;
  n: number;
  rows: Int32Array;
  ids: readonly string[];
  parentStart: Int32Array;
  parentPos: Int32Array;
  history: Int32Array;
}

/** A session's graph and per-node arrays, reused: nodes() fills them again for each session. */
class SessionPool {
  readonly graph: SessionGraph = { id: "", nodes: [] };
  readonly ids: string[] = [];
  readonly lines: number[] = [];
  readonly inputLengths: number[] = [];
  readonly extensions: (AgentloadExtension | undefined)[] = [];
  private readonly made: RequestNode[] = [];

  private at: SessionPositions | undefined;

  /** The positions object, its arrays long enough for the session's rows. */
  positions(session: string, rows: Int32Array, source: SessionRows): SessionPositions {
    const n = rows.length;
    let at = this.at;
    if (!at) at = this.at = { session, n, rows, ids: this.ids, parentStart: new Int32Array(64), parentPos: new Int32Array(64), history: new Int32Array(64), ...source.values };
    at.session = session;
    at.n = n;
    at.rows = rows;
    if (at.history.length < n) {
      at.history = new Int32Array(n * 2);
      at.parentStart = new Int32Array(n * 2 + 1);
    }
    return at;
  }

  /** The k-th node, cleared (parents empty, no scaffold). */
  node(k: number): RequestNode {
    let node = this.made[k];
    if (!node) {
      node = { id: "", parents: [], historyParent: null, freshInputTokens: 0, outputTokens: 0, waitAfterReadyMs: 0, kind: "turn", scaffoldId: undefined };
      this.made.push(node);
    }
    node.parents.length = 0;
    node.scaffoldId = undefined;
    return node;
  }
}

export class SessionRows {
  /** Session ids in order of first row; a row refers to its session by position. */
  readonly sessions: string[] = [];
  private readonly sessionIndex = new Map<string, number>();
  /** Per session: its first row, and whether its rows have session_context. */
  private readonly firstRow: number[] = [];
  private readonly withContext: boolean[] = [];
  // Per row (NaN for "not given"), as growable typed columns (stats/column.ts): number[] columns
  // left 312 MB of outgrown copies in the old generation on the million-request bench file.
  // parents[parentStart[i]] up to parents[parentStart[i + 1]] are row i's parents.
  private readonly columns: Record<RowColumn, NumberColumn> = Object.fromEntries(ROW_COLUMNS.map((c) => [c, new NumberColumn()])) as Record<RowColumn, NumberColumn>;
  /** The columns' values, read once every row is in (a column's array changes while it grows). */
  private v = {} as Record<RowColumn, Numbers>;
  private readonly extensions = new ExtensionColumn();
  private lastSession: string | undefined;
  private lastIndex = 0;
  /** What nodes() and positions() hand on, reused session after session. */
  private readonly pool = new SessionPool();

  /** Row values for positions(): the columns once every row is in. */
  get values(): RowValues {
    return { fresh: this.v.fresh, output: this.v.output, prompt: this.v.prompt, wait: this.v.wait, line: this.v.line, extensions: this.extensions };
  }

  constructor(private readonly file: string) {
    this.columns.parentStart.push(0);
  }

  get size(): number {
    return this.columns.line.length;
  }

  /** Every row is in: the columns are read from here on. */
  private settle(): void {
    for (const c of ROW_COLUMNS) this.v[c] = this.columns[c].values;
  }

  get generated(): boolean {
    return this.extensions.size > 0;
  }

  /** The session's position, undefined for a new session. */
  private indexOf(session: string): number | undefined {
    // A session's rows mostly follow each other: the last one found answers without the map.
    if (session === this.lastSession) return this.lastIndex;
    const k = this.sessionIndex.get(session);
    if (k !== undefined) {
      this.lastSession = session;
      this.lastIndex = k;
    }
    return k;
  }

  /** The session's rows so far have (true) or lack (false) session_context; undefined for a new session. */
  hasContext(session: string): boolean | undefined {
    const k = this.indexOf(session);
    return k === undefined ? undefined : this.withContext[k];
  }

  firstLineOf(session: string): number {
    return this.columns.line.values[this.firstRow[this.sessionIndex.get(session)!]!]!;
  }

  add(row: SessionRowInput): void {
    let k = this.indexOf(row.session);
    if (k === undefined) {
      k = this.sessions.length;
      this.sessions.push(row.session);
      this.sessionIndex.set(row.session, k);
      this.firstRow.push(this.columns.line.length);
      this.withContext.push(row.context !== null);
    }
    const c = this.columns;
    const i = c.line.length;
    c.session.push(k);
    c.line.push(row.line);
    c.fresh.push(row.fresh);
    c.output.push(row.output);
    c.prompt.push(row.prompt);
    c.shared.push(row.shared ?? NaN);
    c.node.push(row.context?.node ?? NaN);
    c.history.push(row.context?.history ?? NaN);
    c.wait.push(row.wait ?? NaN);
    c.turn.push(row.turn ?? NaN);
    for (const p of row.context?.parents ?? []) c.parents.push(p);
    c.parentStart.push(c.parents.length);
    this.extensions.push(i, row.extension);
  }

  /** Each session's rows in turn, in file order. The columns are let go once every session was handed on. */
  *bySession(): Generator<SessionOfRows, void, undefined> {
    this.settle();
    const n = this.size;
    const sessions = this.sessions.length;
    // Rows grouped by session, in file order within each (a counting sort).
    const start = new Int32Array(sessions + 1);
    for (let i = 0; i < n; i++) start[this.v.session[i]! + 1]!++;
    for (let k = 0; k < sessions; k++) start[k + 1]! += start[k]!;
    const order = new Int32Array(n);
    const next = start.slice(0, sessions);
    for (let i = 0; i < n; i++) order[next[this.v.session[i]!]!++] = i;
    for (let k = 0; k < sessions; k++) yield { session: this.sessions[k]!, rows: order.subarray(start[k]!, start[k + 1]!), withContext: this.withContext[k]! };
  }

  /**
   * A session's requests (its rows in file order, ids `<session>:<node>`, or `<session>:<position>`
   * for legacy chains), with the lines they came from and the extensions of their lines by request id.
   */
  requests(s: SessionOfRows): { requests: TraceRequest[]; lines: number[]; extensions: Map<string, AgentloadExtension> } {
    const extensions = new Map<string, AgentloadExtension>();
    const made = s.withContext ? this.graph(s.session, s.rows, extensions) : this.chain(s.session, s.rows);
    return { ...made, extensions };
  }

  /**
   * A session with session_context as its lines' nodes (ids the node ids, fresh input the
   * new_input_length), made straight from the columns when its rows need no checking nor
   * reordering: every node once, each parent on an earlier row and listed once, the history parent
   * among them. What it returns is valid until the next call: the nodes and arrays are reused
   * (made anew per session, the nodes were 305 MB of old-generation garbage on the million-request
   * bench file, since V8 allocates them there once they look long-lived). Otherwise undefined: requests() and orderedRequests order it or name the line at
   * fault. Through requests() every request was made twice: making the trace of the million-request
   * bench file (one thread, garbage collection included, best of 6) took 2.45 s, 1.7 s so.
   */
  nodes(s: SessionOfRows): SessionLines | undefined {
    const at = this.positions(s);
    if (!at) return undefined;
    const pool = this.pool;
    const nodes = pool.graph.nodes;
    const { lines, inputLengths, extensions } = pool;
    nodes.length = 0;
    lines.length = 0;
    inputLengths.length = 0;
    extensions.length = 0;
    for (let k = 0; k < at.n; k++) {
      const i = at.rows[k]!;
      const node = pool.node(k);
      for (let q = at.parentStart[k]!; q < at.parentStart[k + 1]!; q++) node.parents.push(at.ids[at.parentPos[q]!]!);
      const wait = this.v.wait[i]!;
      const extension = this.extensions.get(i);
      node.id = at.ids[k]!;
      node.historyParent = at.history[k]! < 0 ? null : at.ids[at.history[k]!]!;
      node.freshInputTokens = this.v.fresh[i]!;
      node.outputTokens = this.v.output[i]!;
      node.waitAfterReadyMs = !Number.isNaN(wait) && (node.parents.length > 0 || wait > 0) ? wait * 1000 : 0;
      // The writer leaves "turn" out: it is what a line without a kind is.
      node.kind = extension?.kind ?? "turn";
      nodes.push(node);
      lines.push(this.v.line[i]!);
      inputLengths.push(this.v.prompt[i]!);
      extensions.push(extension);
    }
    pool.graph.id = s.session;
    pool.graph.agent = undefined;
    return { graph: pool.graph, lines, inputLengths, extensions };
  }

  /**
   * A session with session_context as positions (node k on the session's k-th row), when its rows
   * need no checking nor reordering (nodes() says when). Valid until the next call: its arrays are
   * reused. Values of row i are read with the row accessors (fresh(i), output(i), ...).
   */
  positions(s: SessionOfRows): SessionPositions | undefined {
    if (!s.withContext) return undefined;
    const rows = s.rows;
    const n = rows.length;
    const pool = this.pool;
    // Node k on row k, as agentload writes them (node_id is the position): a node is found by its
    // number, without a map per session.
    let numbered = true;
    const ids = pool.ids;
    ids.length = 0;
    for (let k = 0; k < n; k++) {
      const node = this.v.node[rows[k]!]!;
      if (node !== k) numbered = false;
      ids.push(nodeId(node));
    }
    let position: Map<number, number> | undefined;
    if (!numbered) {
      position = new Map();
      for (let k = 0; k < n; k++) {
        const node = this.v.node[rows[k]!]!;
        if (position.has(node)) return undefined;
        position.set(node, k);
      }
    }
    const at = pool.positions(s.session, rows, this);
    let edges = 0;
    for (let k = 0; k < n; k++) {
      const i = rows[k]!;
      const history = this.v.history[i]!;
      let historyListed = Number.isNaN(history);
      at.parentStart[k] = edges;
      const first = this.v.parentStart[i]!;
      const end = this.v.parentStart[i + 1]!;
      for (let q = first; q < end; q++) {
        const p = this.v.parents[q]!;
        const to = position ? position.get(p) : p;
        if (to === undefined || to >= k) return undefined;
        for (let r = first; r < q; r++) if (this.v.parents[r] === p) return undefined;
        if (p === history) historyListed = true;
        if (edges === at.parentPos.length) at.parentPos = grownArray(at.parentPos, edges + 1);
        at.parentPos[edges++] = to;
      }
      if (!historyListed) return undefined;
      at.history[k] = Number.isNaN(history) ? -1 : position ? position.get(history)! : history;
    }
    at.parentStart[n] = edges;
    return at;
  }

  private request(i: number, session: string): TraceRequest {
    const request: TraceRequest = {
      id: "",
      conversation: session,
      parents: [],
      historyParent: null,
      freshInputTokens: this.v.fresh[i]!,
      outputTokens: this.v.output[i]!,
      promptTokens: this.v.prompt[i]!,
    };
    if (!Number.isNaN(this.v.shared[i]!)) request.sharedPrefixTokens = this.v.shared[i]!;
    return request;
  }

  /** A legacy session (rows without session_context): a chain in row order, or turn_idx order. */
  private chain(session: string, rows: Int32Array): { requests: TraceRequest[]; lines: number[] } {
    let chain = Array.from(rows);
    if (!Number.isNaN(this.v.turn[chain[0]!]!)) {
      const without = chain.find((i) => Number.isNaN(this.v.turn[i]!));
      if (without !== undefined) new Where(this.file, this.v.line[without]).at("turn_idx").expected("a whole number >= 0", undefined);
      chain = chain.sort((a, b) => this.v.turn[a]! - this.v.turn[b]!);
    }
    const requests: TraceRequest[] = [];
    let previous: string | undefined;
    chain.forEach((i, position) => {
      const request = this.request(i, session);
      request.id = `${session}:${position}`;
      if (previous !== undefined) {
        request.parents = [{ from: previous, type: "sequential" }];
        request.historyParent = previous;
        request.waitAfterReadyMs = (Number.isNaN(this.v.wait[i]!) ? 0 : this.v.wait[i]!) * 1000;
      }
      previous = request.id;
      requests.push(request);
    });
    return { requests, lines: chain.map((i) => this.v.line[i]!) };
  }

  /** A session of rows with session_context: its graph. */
  private graph(session: string, rows: Int32Array, extensions: Map<string, AgentloadExtension>): { requests: TraceRequest[]; lines: number[] } {
    // Ids of the session's nodes, made once: a parent's edge shares its request's id string.
    const ids = new Map<number, string>();
    for (const i of rows) {
      const node = this.v.node[i]!;
      if (ids.has(node)) new Where(this.file, this.v.line[i]).at("session_context", "node_id").fail(`session ${session} has node ${node} twice`);
      ids.set(node, `${session}:${node}`);
    }
    const idOf = (node: number) => ids.get(node) ?? `${session}:${node}`;
    const requests: TraceRequest[] = [];
    const lines: number[] = [];
    for (const i of rows) {
      const request = this.request(i, session);
      request.id = ids.get(this.v.node[i]!)!;
      const history = Number.isNaN(this.v.history[i]!) ? null : this.v.history[i]!;
      const parents: TraceEdge[] = [];
      for (let k = this.v.parentStart[i]!; k < this.v.parentStart[i + 1]!; k++) {
        const p = this.v.parents[k]!;
        parents.push({ from: idOf(p), type: p === history ? "sequential" : "dependency" });
      }
      request.parents = parents;
      request.historyParent = history === null ? null : idOf(history);
      const wait = this.v.wait[i]!;
      if (!Number.isNaN(wait) && (parents.length > 0 || wait > 0)) request.waitAfterReadyMs = wait * 1000;
      const extension = this.extensions.get(i);
      if (extension) extensions.set(request.id, extension);
      requests.push(request);
      lines.push(this.v.line[i]!);
    }
    return { requests, lines };
  }
}
