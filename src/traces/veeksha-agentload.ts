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
import type { Trace, TraceRequest } from "./types.js";
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

  /** One session (all of one conversation: Veeksha's session). */
  add({ graph: session, lines, inputLengths, extensions }: SessionLines): void {
    const nodes = session.nodes;
    if (nodes.length === 0) return;
    nodes.forEach((node, i) => {
      const extension = extensions[i];
      const scaffold = extension?.scaffold;
      if (scaffold) {
        if (node.historyParent !== null) throw new TraceError(`${this.at(lines[i]!)}: agentload.scaffold: only a request without history parent starts from a scaffold`);
        const known = this.scaffolds.get(scaffold.id);
        if (known && (known.systemTokens !== scaffold.systemTokens || known.toolTokens !== scaffold.toolTokens)) {
          throw new TraceError(
            `${this.at(lines[i]!)}: agentload.scaffold: scaffold '${scaffold.id}' has ${scaffold.systemTokens} + ${scaffold.toolTokens} tokens here, ` +
              `${known.systemTokens} + ${known.toolTokens} on an earlier line (one scaffold is one text)`,
          );
        }
        if (!known) this.scaffolds.set(scaffold.id, scaffold);
        node.scaffoldId = scaffold.id;
        // A first request's new_input_length is its whole prompt; the graph's fresh input is what follows the scaffold.
        const whole = node.freshInputTokens;
        node.freshInputTokens = whole - scaffold.systemTokens - scaffold.toolTokens;
        if (node.freshInputTokens < 0) {
          throw new TraceError(`${this.at(lines[i]!)}: new_input_length ${whole} is shorter than its scaffold '${scaffold.id}' (${scaffold.systemTokens} + ${scaffold.toolTokens} tokens)`);
        }
      }
      if (extension?.agent !== undefined) session.agent = extension.agent;
    });
    // Counted once, for the check and the requests (a pass over a million requests: 0.2 s in a profile).
    const tokens = sessionTokens(session, this.scaffolds);
    nodes.forEach((node, i) => {
      const inputLength = inputLengths[i];
      const expected = tokens.get(node.id)!.promptTokens;
      if (inputLength !== undefined && inputLength !== expected) {
        throw new TraceError(`${this.at(lines[i]!)}: input_length ${inputLength}, but the scaffold, the history parent's prompt and output and new_input_length add up to ${expected}`);
      }
    });
    sessionTraceRequests(session, this.scaffolds, this.requests, this.spawnedBy, tokens);
  }

  trace(): Trace {
    if (this.requests instanceof RequestTableBuilder) {
      const table = this.requests.finish();
      return tableTrace(table, { format: "veeksha-session", source: this.file, conversations: listedConversations(table, this.spawnedBy) });
    }
    return { format: "veeksha-session", source: this.file, requests: this.requests, conversations: listedConversations(this.requests, this.spawnedBy) };
  }
}
