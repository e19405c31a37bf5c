// OpenClaw request DAGs (`dag.json`): one node per assistant inference with its usage, timings and
// fresh-token breakdown, edges typed sequential / subagent_spawn / subagent_result, and the
// sessions (conversations) involved, including ones that made no request.
import { jsonDocument } from "./jsonl.js";
import { orderedRequests } from "./order.js";
import type { EdgeType, Trace, TraceConversation, TraceRequest, Trigger } from "./types.js";
import {
  arrayAt,
  asObject,
  countAt,
  isObject,
  objectAt,
  optionalCountAt,
  optionalNonNegativeAt,
  optionalStringAt,
  optionalTimeAt,
  stringAt,
  Where,
} from "./where.js";

const EDGE_TYPES: readonly EdgeType[] = ["sequential", "subagent_spawn", "subagent_result"];
const TRIGGERS: readonly Trigger[] = ["user", "tool_result", "subagent_result"];

/** Is this parsed JSON an OpenClaw dag.json (an object with `nodes` and `edges` arrays)? */
export function looksLikeOpenClawDag(data: unknown): boolean {
  return isObject(data) && Array.isArray(data.nodes) && Array.isArray(data.edges);
}

export function parseOpenClawDag(text: string, file: string): Trace {
  const root = asObject(jsonDocument(text, file), new Where(file));
  const top = new Where(file);
  const nodes = arrayAt(root, "nodes", top);
  const edges = arrayAt(root, "edges", top);

  const requests: TraceRequest[] = [];
  const byId = new Map<string, TraceRequest>();
  nodes.forEach((raw, i) => {
    const at = top.at("nodes", i);
    const node = asObject(raw, at);
    const usage = objectAt(node, "usage", at);
    const usageAt = at.at("usage");
    const fresh = objectAt(node, "new_tokens", at);
    const cached = countAt(usage, "cache_read", usageAt);
    const request: TraceRequest = {
      id: stringAt(node, "id", at),
      conversation: stringAt(node, "session_id", at),
      parents: [],
      historyParent: null,
      freshInputTokens: countAt(fresh, "total", at.at("new_tokens")),
      outputTokens: countAt(usage, "output", usageAt),
      // A cache write (Anthropic's cache creation) is prompt the server processed too.
      promptTokens: countAt(usage, "input", usageAt) + cached + (optionalCountAt(usage, "cache_write", usageAt) ?? 0),
      cachedTokens: cached,
    };
    const reply = fresh.from_previous_assistant;
    if (typeof reply === "number") request.replyTokens = countAt(fresh, "from_previous_assistant", at.at("new_tokens"));
    const injected = fresh.from_injected;
    if (typeof injected === "number") request.scaffoldTokens = countAt(fresh, "from_injected", at.at("new_tokens"));
    const dispatched = optionalTimeAt(node, "timestamp_dispatched", at);
    const responded = optionalTimeAt(node, "timestamp_responded", at);
    if (dispatched !== undefined) request.dispatchedMs = dispatched;
    if (responded !== undefined) request.respondedMs = responded;
    const wait = optionalNonNegativeAt(node, "wait_after_ready_ms", at);
    if (wait !== undefined) request.waitAfterReadyMs = wait;
    const trigger = optionalStringAt(node, "trigger", at);
    if (trigger !== undefined && (TRIGGERS as readonly string[]).includes(trigger)) request.trigger = trigger as Trigger;
    if (byId.has(request.id)) at.at("id").fail(`node id '${request.id}' is used twice`);
    byId.set(request.id, request);
    requests.push(request);
  });
  if (requests.length === 0) top.at("nodes").fail("the trace has no requests: expected at least one node (an assistant inference with usage)");

  edges.forEach((raw, i) => {
    const at = top.at("edges", i);
    const edge = asObject(raw, at);
    const from = stringAt(edge, "from", at);
    const to = stringAt(edge, "to", at);
    const type = stringAt(edge, "type", at);
    if (!(EDGE_TYPES as readonly string[]).includes(type)) at.at("type").expected(`one of ${EDGE_TYPES.join(", ")}`, type);
    if (!byId.has(from)) at.at("from").fail(`no node has id '${from}'`);
    const child = byId.get(to) ?? at.at("to").fail(`no node has id '${to}'`);
    if (child.parents.some((p) => p.from === from)) at.fail(`edge ${from} -> ${to} is listed twice`);
    child.parents.push({ from, type: type as EdgeType });
    if (edge.is_history_parent === true) {
      if (child.historyParent !== null) at.at("is_history_parent").fail(`node '${to}' already has history parent '${child.historyParent}'`);
      child.historyParent = from;
    }
  });
  // Only a request that starts afresh has a scaffold of its own; the others' injected tokens are
  // content added mid-conversation, and only they carry a parent's reply.
  for (const r of requests) {
    if (r.historyParent !== null) delete r.scaffoldTokens;
    else delete r.replyTokens;
  }

  const trace: Trace = {
    format: "openclaw-dag",
    source: file,
    requests: orderedRequests(requests, file, (i) => `node ${JSON.stringify(requests[i]!.id)}`),
  };
  if (isObject(root.sessions)) trace.conversations = listedSessions(root.sessions, top.at("sessions"));
  return trace;
}

function listedSessions(sessions: Record<string, unknown>, at: Where): TraceConversation[] {
  return Object.entries(sessions).map(([id, raw]) => {
    const where = at.at(id);
    const entry = asObject(raw, where);
    const conversation: TraceConversation = { id };
    const key = optionalStringAt(entry, "session_key", where);
    const spawnedBy = optionalStringAt(entry, "spawned_by", where);
    const label = optionalStringAt(entry, "label", where);
    if (key) conversation.key = key;
    if (spawnedBy) conversation.spawnedBy = spawnedBy;
    if (label) conversation.label = label;
    return conversation;
  });
}
