// A generated workload seen as a trace, in memory: what a perfect recording of it would hold (no
// timestamps), fresh input counted as traces count it (docs/traces.md). Lets the analyzer and the
// fitter run on synthetic workloads (round trips, benchmarks) through the same path as real traces.
import { nodeScaffold, scaffoldSize, sessionTokens, type NodeTokens, type ScaffoldLookup } from "../workload/tokens.js";
import { nodesById } from "../workload/graph.js";
import type { RequestNode, SessionGraph, Workload } from "../workload/types.js";
import { RequestTable } from "./table.js";
import type { EdgeType, Trace, TraceRequest } from "./types.js";

/**
 * Conversations (the session's first is named as the session, the others `<session>/<k>`): a chain of history parents is one; a node without one starts a new conversation
 * when it is a session's first or a spawned subagent's first, and continues its first parent's
 * otherwise (the request after a compaction).
 */
function conversations(session: SessionGraph): Map<string, string> {
  const of = new Map<string, string>();
  let next = 0;
  for (const node of session.nodes) {
    let c: string;
    if (node.historyParent !== null) c = of.get(node.historyParent)!;
    // The session's own conversation is named as the session, so its graph keeps the session's id.
    else if (node.parents.length === 0 || node.kind === "spawn") c = next++ === 0 ? session.id : `${session.id}/${next - 1}`;
    else c = of.get(node.parents[0]!)!;
    of.set(node.id, c);
  }
  return of;
}

function edgeType(node: RequestNode, parent: string, conversation: Map<string, string>): EdgeType {
  if (parent === node.historyParent) return "sequential";
  if (conversation.get(parent) === conversation.get(node.id)) return "sequential";
  if (node.kind === "spawn" && parent === node.parents[0]) return "subagent_spawn";
  if (node.kind === "report") return "subagent_result";
  return "dependency";
}

/**
 * One session's requests as a trace holds them, appended to `requests`; spawned conversations go
 * into `spawnedBy`. Each request id is made once: its children's edges and history parent share
 * the string (a million requests kept 40 bytes a request less). A caller that counted the
 * session's tokens already passes them as `tokens`. GeneratedSessions.addPositions
 * (veeksha-agentload.ts) makes the same requests from a generated file's rows without graphs:
 * a change here goes there too (test/unit/traces/table.test.ts compares the two).
 */
export function sessionTraceRequests(
  session: SessionGraph,
  scaffolds: ScaffoldLookup,
  requests: { push(request: TraceRequest): unknown },
  spawnedBy: Map<string, string>,
  tokens: ReadonlyMap<string, NodeTokens> = sessionTokens(session, scaffolds),
): void {
  const conversation = conversations(session);
  const byId = nodesById(session.nodes);
  const ids = new Map<string, string>();
  const idOf = (node: string): string => ids.get(node) ?? `${session.id}:${node}`;
  for (const node of session.nodes) {
    const t = tokens.get(node.id)!;
    const id = `${session.id}:${node.id}`;
    ids.set(node.id, id);
    const c = conversation.get(node.id)!;
    // The parent's reply as a trace counts it in fresh input: its visible part (the whole output
    // without reasoning), as OpenClaw's from_previous_assistant does; reasoning a prompt carries
    // shows in its size only.
    const parentNode = node.historyParent === null ? undefined : byId.get(node.historyParent)!;
    const reply = parentNode ? parentNode.outputTokens - (parentNode.reasoningTokens ?? 0) : 0;
    const request: TraceRequest = {
      id,
      conversation: c,
      parents: node.parents.map((p) => ({ from: idOf(p), type: edgeType(node, p, conversation) })),
      historyParent: node.historyParent === null ? null : idOf(node.historyParent),
      // Fresh input as a trace counts it (docs/traces.md): a request without history parent is
      // all fresh (scaffold and task); a later one adds its parent's reply to what the node adds.
      freshInputTokens: node.historyParent === null ? t.promptTokens : node.freshInputTokens + reply,
      outputTokens: node.outputTokens,
      promptTokens: t.promptTokens,
      sharedPrefixTokens: t.sharedPrefixTokens,
      // Every field a generated request may have, in one shape from the start: set afterwards, they
      // went to a separate property store (a million requests: 311 MB of heap, 287 MB so).
      scaffoldTokens: undefined,
      scaffold: undefined,
      replyTokens: undefined,
      kind: undefined,
      trigger: undefined,
      agent: undefined,
      waitAfterReadyMs: undefined,
    };
    if (node.historyParent === null) {
      request.scaffoldTokens = t.scaffoldTokens;
      const scaffold = nodeScaffold(session, node, scaffolds);
      if (scaffold && scaffoldSize(scaffold) > 0) request.scaffold = { ...scaffold };
    } else request.replyTokens = reply;
    if (node.kind !== undefined) request.kind = node.kind;
    // A prompt that drops the reasoning of every earlier reply answers a new user message.
    if (node.dropReasoning === "all") request.trigger = "user";
    if (session.agent !== undefined) request.agent = session.agent;
    if (node.parents.length > 0) request.waitAfterReadyMs = node.waitAfterReadyMs;
    if (node.kind === "spawn" && node.parents.length > 0) spawnedBy.set(c, conversation.get(node.parents[0]!)!);
    requests.push(request);
  }
}

/** The conversations of the requests (or of a table: its conversations), in order of first request, with who spawned each. */
export function listedConversations(requests: readonly TraceRequest[] | RequestTable, spawnedBy: ReadonlyMap<string, string>): NonNullable<Trace["conversations"]> {
  const listed: NonNullable<Trace["conversations"]> = [];
  const add = (id: string) => {
    const parent = spawnedBy.get(id);
    listed.push(parent === undefined ? { id } : { id, spawnedBy: parent });
  };
  // A table lists each conversation once, in order of its first request.
  if (requests instanceof RequestTable) {
    for (const id of requests.conversations) add(id);
    return listed;
  }
  let last: string | undefined;
  const seen = new Set<string>();
  for (const r of requests) {
    // Requests of one conversation mostly follow each other: skip the set for them.
    if (r.conversation === last || seen.has(r.conversation)) continue;
    last = r.conversation;
    seen.add(r.conversation);
    add(r.conversation);
  }
  return listed;
}

export function workloadTrace(workload: Workload): Trace {
  const requests: TraceRequest[] = [];
  const spawnedBy = new Map<string, string>();
  for (const session of workload.sessions) sessionTraceRequests(session, workload.scaffolds, requests, spawnedBy);
  return { format: "workload", source: `workload ${workload.name}`, requests, conversations: listedConversations(requests, spawnedBy) };
}
