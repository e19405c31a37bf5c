// agentload's own Veeksha JSONL (workload/veeksha-jsonl.ts) read back whole: the `agentload` key of
// a line names its node kind (spawn, report, compaction) and, on a request without history parent,
// the shared scaffold its prompt starts with. With them the lines are the generated session graphs
// again, and the trace is exactly what workloadTrace makes of the workload in memory: subagents as
// conversations of their own (spawnedBy), compactions continuing their conversation, the scaffold
// per agent. Veeksha ignores the key, so the same file still replays in Veeksha.
import { sessionTokens } from "../workload/tokens.js";
import type { NodeKind, RequestNode, Scaffold, SessionGraph } from "../workload/types.js";
import { listedConversations, sessionTraceRequests } from "./from-workload.js";
import { RequestTableBuilder, tableTrace } from "./table.js";
import type { SessionPositions } from "./veeksha-session-rows.js";
import type { Trace, TraceEdge, TraceRequest } from "./types.js";
import { asCount, asObject, isObject, TraceError, type Where } from "./where.js";

const KINDS: readonly NodeKind[] = ["turn", "spawn", "report", "compaction"];

/** What one line's `agentload` key says. */
export interface AgentloadExtension {
  /** The session's agent type (on a session's first line). */
  agent?: string;
  kind?: NodeKind;
  scaffold?: Scaffold;
}

/** The `agentload` key of a line, checked; undefined when the line has none. */
export function agentloadExtensionAt(data: Record<string, unknown>, where: Where): AgentloadExtension | undefined {
  const raw = data.agentload;
  if (raw === undefined || raw === null) return undefined;
  const at = where.at("agentload");
  const value = asObject(raw, at);
  const out: AgentloadExtension = {};
  if (value.kind !== undefined) {
    if (typeof value.kind !== "string" || !(KINDS as readonly string[]).includes(value.kind)) at.at("kind").expected(`one of ${KINDS.join(", ")}`, value.kind);
    out.kind = value.kind as NodeKind;
  }
  if (value.agent !== undefined) {
    if (typeof value.agent !== "string" || value.agent === "") at.at("agent").expected("a non-empty string", value.agent);
    out.agent = value.agent as string;
  }
  if (value.scaffold !== undefined) {
    const s = asObject(value.scaffold, at.at("scaffold"));
    if (typeof s.id !== "string" || s.id === "") at.at("scaffold", "id").expected("a non-empty string", s.id);
    out.scaffold = {
      id: s.id as string,
      systemTokens: asCount(s.system_tokens, at.at("scaffold", "system_tokens")),
      toolTokens: asCount(s.tool_tokens, at.at("scaffold", "tool_tokens")),
    };
  }
  return out;
}

export function hasAgentloadExtension(data: unknown): boolean {
  return isObject(data) && data.agentload !== undefined && data.agentload !== null;
}

/**
 * One session as its lines give it, in order: nodes with ids the node ids, fresh input the
 * new_input_length and kind the line's, and beside each node its line, its input_length and its
 * `agentload` key.
 */
export interface SessionLines {
  graph: SessionGraph;
  lines: ArrayLike<number>;
  inputLengths: ArrayLike<number | undefined>;
  extensions: readonly (AgentloadExtension | undefined)[];
}

/** A session's requests (checked and ordered, ids `<session>:<node>`) as its lines' nodes. */
export function sessionLinesOf(requests: readonly TraceRequest[], lineOf: ReadonlyMap<string, number>, extensionOf: ReadonlyMap<string, AgentloadExtension>): SessionLines {
  const sessionId = requests[0]?.conversation ?? "";
  const prefix = sessionId.length + 1;
  const nodes = requests.map(
    (r): RequestNode => ({
      id: r.id.slice(prefix),
      parents: r.parents.map((e) => e.from.slice(prefix)),
      historyParent: r.historyParent === null ? null : r.historyParent.slice(prefix),
      freshInputTokens: r.freshInputTokens,
      outputTokens: r.outputTokens,
      waitAfterReadyMs: r.waitAfterReadyMs ?? 0,
      // The writer leaves "turn" out: it is what a line without a kind is.
      kind: extensionOf.get(r.id)?.kind ?? "turn",
    }),
  );
  return {
    graph: { id: sessionId, nodes },
    lines: requests.map((r) => lineOf.get(r.id) ?? NaN),
    inputLengths: requests.map((r) => r.promptTokens),
    extensions: requests.map((r) => extensionOf.get(r.id)),
  };
}

/** What addPositions works in, reused: per node of the session, and one request the table copies. */
class PositionsWork {
  fresh = new Float64Array(64);
  prompt = new Float64Array(64);
  shared = new Float64Array(64);
  scaffoldTokens = new Float64Array(64);
  conversation = new Int32Array(64);
  scaffold: (Scaffold | null)[] = [];
  /** Node kinds, from the lines' `agentload` keys (looked up once per line). */
  kind: NodeKind[] = [];
  readonly names: string[] = [];
  readonly ids: string[] = [];
  private readonly parentLists: TraceEdge[][] = [];

  ready(n: number): this {
    if (this.fresh.length < n) {
      const size = n * 2;
      this.fresh = new Float64Array(size);
      this.prompt = new Float64Array(size);
      this.shared = new Float64Array(size);
      this.scaffoldTokens = new Float64Array(size);
      this.conversation = new Int32Array(size);
    }
    return this;
  }

  /** A list of `count` edges, reused (the table copies them). */
  edges(count: number): TraceEdge[] {
    let list = this.parentLists[count];
    if (!list) {
      list = [];
      for (let k = 0; k < count; k++) list.push({ from: "", type: "sequential" });
      this.parentLists[count] = list;
    }
    return list;
  }
}

/**
 * Sessions read from Veeksha's fields, one at a time, as the workload they were generated from,
 * seen as a trace: each session's requests (topologically ordered, ids `<session>:<node>`, a
 * root's freshInputTokens its new_input_length: its whole prompt, scaffold included). Session by
 * session, so a million-request file never holds its graphs and both forms of its requests at
 * once. Every input_length must be what the scaffold, the history parent's prompt and output and
 * new_input_length add up to: a line that disagrees was edited, and its structure cannot be trusted.
 */
export class GeneratedSessions {
  private readonly scaffolds = new Map<string, Scaffold>();
  private readonly requests: TraceRequest[] | RequestTableBuilder;
  private readonly spawnedBy = new Map<string, string>();

  /** With `columns`, the requests go into a table as they are made (table.ts), `size` of them. */
  constructor(
    private readonly file: string,
    columns?: { size: number },
  ) {
    this.requests = columns ? new RequestTableBuilder(columns.size) : [];
  }

  private at(line: number): string {
    return `${this.file}:${Number.isNaN(line) ? "?" : line}`;
  }

  /** A line's scaffold, checked against an earlier line's of the same id (one scaffold is one text). */
  private scaffoldAt(scaffold: Scaffold, hasHistoryParent: boolean, line: number): Scaffold {
    if (hasHistoryParent) throw new TraceError(`${this.at(line)}: agentload.scaffold: only a request without history parent starts from a scaffold`);
    const known = this.scaffolds.get(scaffold.id);
    if (known && (known.systemTokens !== scaffold.systemTokens || known.toolTokens !== scaffold.toolTokens)) {
      throw new TraceError(
        `${this.at(line)}: agentload.scaffold: scaffold '${scaffold.id}' has ${scaffold.systemTokens} + ${scaffold.toolTokens} tokens here, ` +
          `${known.systemTokens} + ${known.toolTokens} on an earlier line (one scaffold is one text)`,
      );
    }
    if (!known) this.scaffolds.set(scaffold.id, scaffold);
    return known ?? scaffold;
  }

  /** A first request's fresh input after its scaffold: its new_input_length is its whole prompt. */
  private afterScaffold(whole: number, scaffold: Scaffold, line: number): number {
    const fresh = whole - scaffold.systemTokens - scaffold.toolTokens;
    if (fresh < 0) throw new TraceError(`${this.at(line)}: new_input_length ${whole} is shorter than its scaffold '${scaffold.id}' (${scaffold.systemTokens} + ${scaffold.toolTokens} tokens)`);
    return fresh;
  }

  private badInputLength(line: number, inputLength: number, expected: number): never {
    throw new TraceError(`${this.at(line)}: input_length ${inputLength}, but the scaffold, the history parent's prompt and output and new_input_length add up to ${expected}`);
  }

  /** One session (all of one conversation: Veeksha's session). */
  add({ graph: session, lines, inputLengths, extensions }: SessionLines): void {
    const nodes = session.nodes;
    if (nodes.length === 0) return;
    nodes.forEach((node, i) => {
      const extension = extensions[i];
      if (extension?.scaffold) {
        const scaffold = this.scaffoldAt(extension.scaffold, node.historyParent !== null, lines[i]!);
        node.scaffoldId = scaffold.id;
        // The graph's fresh input is what follows the scaffold.
        node.freshInputTokens = this.afterScaffold(node.freshInputTokens, extension.scaffold, lines[i]!);
      }
      if (extension?.agent !== undefined) session.agent = extension.agent;
    });
    // Counted once, for the check and the requests (a pass over a million requests: 0.2 s in a profile).
    const tokens = sessionTokens(session, this.scaffolds);
    nodes.forEach((node, i) => {
      const inputLength = inputLengths[i];
      const expected = tokens.get(node.id)!.promptTokens;
      if (inputLength !== undefined && inputLength !== expected) this.badInputLength(lines[i]!, inputLength, expected);
    });
    sessionTraceRequests(session, this.scaffolds, this.requests, this.spawnedBy, tokens);
  }

  /**
   * One session in order as written (SessionRows.positions) straight into the table, with no graph:
   * the same requests as add() makes of its nodes (sessionTraceRequests, sessionTokens), for what a
   * generated line can hold (no reasoning). On the million-request bench file the graphs, their
   * token maps and requests took 1.3 s of analyze's 5.5 s. Only with `columns`.
   */
  addPositions(at: SessionPositions): void {
    const builder = this.requests;
    if (!(builder instanceof RequestTableBuilder)) throw new Error("addPositions fills a table: construct with columns");
    const n = at.n;
    if (n === 0) return;
    const work = this.work.ready(n);
    // The checks in add()'s order: every line's scaffold first, then every input_length.
    let agent: string | undefined;
    for (let k = 0; k < n; k++) {
      const i = at.rows[k]!;
      const extension = at.extensions.get(i);
      work.kind[k] = extension?.kind ?? "turn";
      work.fresh[k] = at.fresh[i]!;
      work.scaffold[k] = null;
      if (extension?.scaffold) {
        work.scaffold[k] = this.scaffoldAt(extension.scaffold, at.history[k]! >= 0, at.line[i]!);
        work.fresh[k] = this.afterScaffold(at.fresh[i]!, extension.scaffold, at.line[i]!);
      }
      if (extension?.agent !== undefined) agent = extension.agent;
    }
    // Prompts as sessionTokens counts them without template overhead or reasoning: a first request
    // is its scaffold and fresh input, a later one its history parent's prompt and output and its own.
    for (let k = 0; k < n; k++) {
      const h = at.history[k]!;
      const i = at.rows[k]!;
      if (h < 0) {
        const scaffold = work.scaffold[k];
        const size = scaffold ? scaffold.systemTokens + scaffold.toolTokens : 0;
        work.prompt[k] = size + work.fresh[k]!;
        work.scaffoldTokens[k] = size;
        work.shared[k] = 0;
      } else {
        work.shared[k] = work.prompt[h]! + at.output[at.rows[h]!]!;
        work.prompt[k] = work.shared[k]! + work.fresh[k]!;
        work.scaffoldTokens[k] = work.scaffoldTokens[h]!;
      }
      if (at.prompt[i] !== work.prompt[k]) this.badInputLength(at.line[i]!, at.prompt[i]!, work.prompt[k]!);
    }
    // Conversations as from-workload.ts names them: a history parent's, else a new one for the
    // session's first request or a spawn, else the first parent's (after a compaction).
    const names = work.names;
    names.length = 0;
    const ids = work.ids;
    ids.length = 0;
    for (let k = 0; k < n; k++) {
      const i = at.rows[k]!;
      const kind = work.kind[k]!;
      const h = at.history[k]!;
      const first = at.parentStart[k]!;
      const end = at.parentStart[k + 1]!;
      let c: number;
      if (h >= 0) c = work.conversation[h]!;
      else if (first === end || kind === "spawn") {
        c = names.length;
        names.push(c === 0 ? at.session : `${at.session}/${c}`);
      } else c = work.conversation[at.parentPos[first]!]!;
      work.conversation[k] = c;
      const id = `${at.session}:${at.ids[k]!}`;
      ids.push(id);
      const parents = work.edges(end - first);
      for (let q = first; q < end; q++) {
        const p = at.parentPos[q]!;
        const edge = parents[q - first]!;
        edge.from = ids[p]!;
        edge.type =
          p === h || work.conversation[p] === c ? "sequential" : kind === "spawn" && q === first ? "subagent_spawn" : kind === "report" ? "subagent_result" : "dependency";
      }
      const reply = h >= 0 ? at.output[at.rows[h]!]! : 0;
      const scaffold = work.scaffold[k];
      const wait = at.wait[i]!;
      builder.push({
        id,
        conversation: names[c]!,
        parents,
        historyParent: h >= 0 ? ids[h]! : null,
        freshInputTokens: h < 0 ? work.prompt[k]! : work.fresh[k]! + reply,
        outputTokens: at.output[i]!,
        promptTokens: work.prompt[k]!,
        sharedPrefixTokens: work.shared[k]!,
        scaffoldTokens: h < 0 ? work.scaffoldTokens[k]! : undefined,
        scaffold: h < 0 && scaffold && scaffold.systemTokens + scaffold.toolTokens > 0 ? scaffold : undefined,
        replyTokens: h >= 0 ? reply : undefined,
        kind,
        agent,
      });
      if (first < end) builder.setLast("waitAfterReadyMs", Number.isNaN(wait) ? 0 : wait * 1000);
      if (kind === "spawn" && first < end) this.spawnedBy.set(names[c]!, names[work.conversation[at.parentPos[first]!]!]!);
    }
  }

  /** Scratch arrays addPositions reuses, session after session. */
  private readonly work = new PositionsWork();

  trace(): Trace {
    if (this.requests instanceof RequestTableBuilder) {
      const table = this.requests.finish();
      return tableTrace(table, { format: "veeksha-session", source: this.file, conversations: listedConversations(table, this.spawnedBy) });
    }
    return { format: "veeksha-session", source: this.file, requests: this.requests, conversations: listedConversations(this.requests, this.spawnedBy) };
  }
}
