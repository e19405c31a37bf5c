// Raw OpenClaw session logs (`<sessionId>.jsonl`: a `session` header, then one entry a line, each
// with `id` and `parentId`), read into the same requests OpenClaw's dag.json holds:
// - a request is an assistant message with non-zero usage (aborted replies have none);
// - its history parent is the nearest request up its parentId chain; what lies between (user
//   input, tool results, injected system messages) plus the parent's visible reply is its fresh
//   input, counted by the rules in content-tokens.ts; a first request's fresh input is its prompt;
// - dispatch is the assistant message's own `timestamp` (epoch ms, written when the request was
//   sent), response the entry's `timestamp`;
// - with several sessions: a `sessions_spawn` tool call whose result names a `childSessionKey`
//   spawns that session (keys are mapped to session ids by `sessions.json`, else the child is
//   found by its task text); a "[System Message]" user message naming a finished child
//   (`[sessionId: ...]`, its key or its label) is its completion event, and the request that
//   reads it waits for the child's last request.
import type { Tokenizer } from "../content/tokenizer.js";
import { contentTexts, defaultTranscriptTokenizer, emptyTally, TextBatch, type Tally } from "./content-tokens.js";
import { jsonDocument, jsonLines } from "./jsonl.js";
import { orderedRequests } from "./order.js";
import type { Trace, TraceConversation, TraceRequest, Trigger } from "./types.js";
import { asObject, asTimeMs, countAt, isObject, optionalCountAt, stringAt, TraceError, type JsonObject, Where } from "./where.js";

/** A file's name (for messages) and text. */
export interface SourceText {
  name: string;
  text: string;
}

export interface OpenClawSessionOptions {
  /** `sessions.json`: session keys mapped to `{ sessionId, spawnedBy?, label? }`. */
  index?: SourceText;
  /** Counts fresh-input tokens (default tiktoken o200k_base). */
  tokenizer?: Tokenizer;
  /** Names the trace in reports (default: the single file's name, else "openclaw sessions"). */
  source?: string;
}

const SYSTEM_MESSAGE = "[System Message]";

/** Is this the first line of an OpenClaw session log? */
export function looksLikeOpenClawSession(first: unknown): boolean {
  return isObject(first) && first.type === "session" && typeof first.id === "string";
}

/** Is this parsed JSON an OpenClaw sessions.json (keys mapped to objects with a sessionId)? */
export function looksLikeOpenClawIndex(data: unknown): boolean {
  if (!isObject(data)) return false;
  const values = Object.values(data);
  return values.length > 0 && values.every((v) => isObject(v) && typeof v.sessionId === "string");
}

interface Entry {
  id: string | undefined;
  /** Index of the parent entry in the file, -1 for none. */
  parent: number;
  line: number;
  where: Where;
  raw: JsonObject;
  message: JsonObject | undefined;
  role: string | undefined;
}

interface SpawnCall {
  /** The request that made the call. */
  request: string;
  conversation: string;
  task: string | undefined;
  label: string | undefined;
  childKey?: string;
}

interface PendingRequest {
  request: TraceRequest;
  where: Where;
  tool: Tally;
  user: Tally;
  injected: Tally;
  previous: Tally;
  /** Completion-event texts this request reads (matched to children once all files are read). */
  completions: { text: string; at: number }[];
}

interface SessionFile {
  id: string;
  file: string;
  /** Text of the first user message: a spawned child's task. */
  firstUserText: string | undefined;
  requests: PendingRequest[];
  /** Real user messages (not system messages). */
  userMessages: number;
}

export async function parseOpenClawSessions(files: SourceText[], options: OpenClawSessionOptions = {}): Promise<Trace> {
  if (files.length === 0) throw new Error("parseOpenClawSessions: no session files given");
  const batch = new TextBatch();
  const spawnCalls = new Map<string, SpawnCall>(); // by tool call id
  const sessions = files.map((f) => readSessionFile(f, batch, spawnCalls));
  const seen = new Map<string, string>();
  for (const s of sessions) {
    const other = seen.get(s.id);
    if (other !== undefined) throw new TraceError(`${s.file}: session id '${s.id}' is also the session of ${other}`);
    seen.set(s.id, s.file);
  }
  await batch.count(options.tokenizer ?? (await defaultTranscriptTokenizer()));

  const requests: TraceRequest[] = [];
  for (const s of sessions) {
    for (const p of s.requests) {
      const r = p.request;
      const user = batch.total(p.user);
      if (r.historyParent === null) {
        r.freshInputTokens = r.promptTokens ?? 0;
        r.scaffoldTokens = Math.max(0, r.freshInputTokens - user);
      } else {
        r.replyTokens = batch.total(p.previous);
        r.freshInputTokens = batch.total(p.tool) + user + batch.total(p.injected) + r.replyTokens;
      }
      requests.push(r);
    }
  }

  if (requests.length === 0) {
    const read = files.length === 1 ? files[0]!.name : `${options.source ?? "openclaw sessions"} (${files.length} session logs)`;
    throw new TraceError(`${read}: the trace has no requests: expected assistant messages with non-zero usage`);
  }

  const index = options.index ? readIndex(options.index) : [];
  const conversations = linkSubagents(sessions, index, spawnCalls);
  const spawned = new Set(conversations.filter((c) => c.spawnedBy !== undefined).map((c) => c.id));
  let userMessages = 0;
  for (const s of sessions) if (!spawned.has(s.id)) userMessages += s.userMessages;

  const source = options.source ?? (files.length === 1 ? files[0]!.name : "openclaw sessions");
  return {
    format: "openclaw-session",
    source,
    requests: orderedRequests(requests, source, (i) => `request '${requests[i]!.id}'`),
    conversations,
    userMessages,
  };
}

function readSessionFile(file: SourceText, batch: TextBatch, spawnCalls: Map<string, SpawnCall>): SessionFile {
  const entries: Entry[] = [];
  const indexOf = new Map<string, number>();
  let sessionId: string | undefined;
  for (const { line, value, where } of jsonLines(file.text, file.name)) {
    const raw = asObject(value, where);
    if (raw.type === "session" && sessionId === undefined) {
      sessionId = stringAt(raw, "id", where);
      continue;
    }
    const id = typeof raw.id === "string" ? raw.id : undefined;
    let parent = entries.length - 1; // entries without parentId follow the one before them
    if ("parentId" in raw) {
      if (raw.parentId === null) parent = -1;
      else if (typeof raw.parentId === "string") {
        const p = indexOf.get(raw.parentId);
        if (p === undefined) return where.at("parentId").fail(`no earlier entry has id '${raw.parentId}'`);
        parent = p;
      } else return where.at("parentId").expected("an entry id or null", raw.parentId);
    }
    const message = raw.type === "message" ? asObject(raw.message, where.at("message")) : undefined;
    const role = message && typeof message.role === "string" ? message.role : undefined;
    if (id !== undefined) indexOf.set(id, entries.length);
    entries.push({ id, parent, line, where, raw, message, role });
  }
  const id = sessionId ?? baseName(file.name);
  const session: SessionFile = { id, file: file.name, firstUserText: undefined, requests: [], userMessages: 0 };

  const requestAt = new Map<number, TraceRequest>();
  entries.forEach((e, i) => {
    if (e.role === "user") {
      const text = contentTexts(e.message!.content).join("\n");
      if (!text.includes(SYSTEM_MESSAGE)) {
        session.userMessages++;
        session.firstUserText ??= text;
      }
    }
    if (e.role !== "assistant") return;
    const usage = e.message!.usage;
    if (!isObject(usage)) return;
    const at = e.where.at("message", "usage");
    const cached = optionalCountAt(usage, "cacheRead", at) ?? 0;
    const prompt = countAt(usage, "input", at) + cached + (optionalCountAt(usage, "cacheWrite", at) ?? 0);
    const output = countAt(usage, "output", at);
    const total = optionalCountAt(usage, "totalTokens", at) ?? prompt + output;
    if (total === 0) return; // an aborted reply: no inference happened
    if (e.id === undefined) e.where.at("id").expected("an entry id", e.raw.id);
    const responded = asTimeMs(e.raw.timestamp, e.where.at("timestamp"));
    const sent = e.message!.timestamp;
    const request: TraceRequest = {
      id: `${id}:${e.id}`,
      conversation: id,
      parents: [],
      historyParent: null,
      freshInputTokens: 0,
      outputTokens: output,
      promptTokens: prompt,
      cachedTokens: cached,
      dispatchedMs: sent === undefined ? responded : asTimeMs(sent, e.where.at("message", "timestamp")),
      respondedMs: responded,
    };
    requestAt.set(i, request);
    for (const block of blocks(e.message!.content)) {
      if (block.type === "toolCall" && block.name === "sessions_spawn" && typeof block.id === "string") {
        const args = isObject(block.arguments) ? block.arguments : {};
        spawnCalls.set(block.id, {
          request: request.id,
          conversation: id,
          task: typeof args.task === "string" ? args.task : undefined,
          label: typeof args.label === "string" ? args.label : undefined,
        });
      }
    }
  });

  for (const [i, request] of requestAt) {
    const pending: PendingRequest = {
      request,
      where: entries[i]!.where,
      tool: emptyTally(),
      user: emptyTally(),
      injected: emptyTally(),
      previous: emptyTally(),
      completions: [],
    };
    let trigger: Trigger | undefined;
    const rank = { user: 3, tool_result: 2, subagent_result: 1 } as const;
    const raise = (t: Trigger) => {
      if (trigger === undefined || rank[t] > rank[trigger]) trigger = t;
    };
    let cur = entries[i]!.parent;
    while (cur >= 0 && !requestAt.has(cur)) {
      const e = entries[cur]!;
      if (e.role === "toolResult") {
        for (const text of contentTexts(e.message!.content)) batch.add(pending.tool, text);
        noteSpawnResult(e.message!, spawnCalls);
        raise("tool_result");
      } else if (e.role === "user") {
        const texts = contentTexts(e.message!.content);
        const joined = texts.join("\n");
        if (joined.includes(SYSTEM_MESSAGE)) {
          for (const text of texts) batch.add(pending.injected, text);
          pending.completions.push({ text: joined, at: eventTime(e) });
          raise("subagent_result");
        } else {
          for (const text of texts) batch.add(pending.user, text);
          raise("user");
        }
      } else if (e.role === "assistant") {
        addAssistant(pending.previous, e.message!, batch); // a reply that was not a request (aborted)
      }
      cur = e.parent;
    }
    if (cur >= 0) {
      const parent = requestAt.get(cur)!;
      request.historyParent = parent.id;
      request.parents.push({ from: parent.id, type: "sequential" });
      addAssistant(pending.previous, entries[cur]!.message!, batch);
      request.waitAfterReadyMs = Math.max(0, request.dispatchedMs! - parent.respondedMs!);
    }
    // A completion event that matches no child is dropped as a trigger once linking is done.
    if (trigger !== undefined) request.trigger = trigger;
    session.requests.push(pending);
  }
  session.requests.sort((a, b) => a.where.line! - b.where.line!);
  return session;
}

function baseName(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.jsonl$/, "");
}

type Block = JsonObject & { type?: unknown };

function blocks(content: unknown): Block[] {
  return Array.isArray(content) ? (content.filter(isObject) as Block[]) : [];
}

/** The visible content of an assistant reply (text, thinking, tool calls), as the next request's fresh input. */
function addAssistant(tally: Tally, message: JsonObject, batch: TextBatch): void {
  if (typeof message.content === "string") batch.add(tally, message.content);
  for (const block of blocks(message.content)) {
    if (block.type === "text" && typeof block.text === "string") batch.add(tally, block.text);
    else if (block.type === "thinking" && typeof block.thinking === "string") batch.add(tally, block.thinking);
    else if (block.type === "toolCall" && typeof block.name === "string") batch.addToolCall(tally, block.name, block.arguments);
  }
}

function eventTime(e: Entry): number {
  const t = e.raw.timestamp;
  return typeof t === "string" || typeof t === "number" ? asTimeMs(t, e.where.at("timestamp")) : Number.NaN;
}

const SUBAGENT_KEY = /agent:[^\s"',]+:subagent:[0-9a-zA-Z-]+/;

/** Records the child session key a sessions_spawn result names. */
function noteSpawnResult(message: JsonObject, spawnCalls: Map<string, SpawnCall>): void {
  const call = typeof message.toolCallId === "string" ? spawnCalls.get(message.toolCallId) : undefined;
  if (!call) return;
  const details = message.details;
  if (isObject(details) && typeof details.childSessionKey === "string") {
    call.childKey = details.childSessionKey;
    return;
  }
  for (const text of contentTexts(message.content)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isObject(parsed) && typeof parsed.childSessionKey === "string") {
        call.childKey = parsed.childSessionKey;
        return;
      }
    } catch {
      // not JSON: look for a key in the text
    }
    const m = SUBAGENT_KEY.exec(text);
    if (m) {
      call.childKey = m[0];
      return;
    }
  }
}

interface IndexEntry {
  key: string;
  sessionId: string;
  spawnedBy?: string;
  label?: string;
}

function readIndex(index: SourceText): IndexEntry[] {
  const top = new Where(index.name);
  const data = asObject(jsonDocument(index.text, index.name), top);
  return Object.entries(data).map(([key, raw]) => {
    const at = top.at(key);
    const entry = asObject(raw, at);
    const out: IndexEntry = { key, sessionId: stringAt(entry, "sessionId", at) };
    if (typeof entry.spawnedBy === "string") out.spawnedBy = entry.spawnedBy;
    if (typeof entry.label === "string") out.label = entry.label;
    return out;
  });
}

/**
 * Adds spawn and result edges between sessions and returns the conversations: every session the
 * index lists (with or without a file) and every file read.
 */
function linkSubagents(sessions: SessionFile[], index: IndexEntry[], spawnCalls: Map<string, SpawnCall>): TraceConversation[] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const idOfKey = new Map(index.map((e) => [e.key, e.sessionId]));
  const keyOfId = new Map(index.map((e) => [e.sessionId, e.key]));
  const labels = new Map(index.filter((e) => e.label !== undefined).map((e) => [e.sessionId, e.label!]));

  const spawnedBy = new Map<string, string>(); // child session id -> parent session id
  const claimed = new Set<string>();
  for (const call of spawnCalls.values()) {
    let childId = call.childKey !== undefined ? idOfKey.get(call.childKey) : undefined;
    // Without an index entry, the child is the session whose first user message carries the task.
    if (childId === undefined && call.task) {
      childId = sessions.find((s) => s.id !== call.conversation && !claimed.has(s.id) && s.firstUserText?.includes(call.task!))?.id;
    }
    const child = childId === undefined ? undefined : byId.get(childId);
    if (!child || claimed.has(child.id)) continue;
    claimed.add(child.id);
    spawnedBy.set(child.id, call.conversation);
    if (call.label && !labels.has(child.id)) labels.set(child.id, call.label);
    const first = child.requests.find((p) => p.request.historyParent === null);
    if (first) first.request.parents.push({ from: call.request, type: "subagent_spawn" });
  }

  // Completion events: match the text to a child of the reading session, newest eligible child first.
  for (const s of sessions) {
    for (const p of s.requests) {
      for (const event of p.completions) {
        const child = sessions.find((c) => spawnedBy.get(c.id) === s.id && mentions(event.text, c, keyOfId.get(c.id), labels.get(c.id)));
        if (!child || child.requests.length === 0) continue;
        const finished = child.requests.filter((c) => !(c.request.respondedMs! > event.at));
        const last = (finished.length > 0 ? finished : child.requests).reduce((a, b) =>
          b.request.respondedMs! >= a.request.respondedMs! ? b : a,
        );
        if (!p.request.parents.some((e) => e.from === last.request.id)) {
          p.request.parents.push({ from: last.request.id, type: "subagent_result" });
        }
      }
      if (p.request.trigger === "subagent_result" && !p.request.parents.some((e) => e.type === "subagent_result")) {
        delete p.request.trigger;
      }
    }
  }

  const conversations: TraceConversation[] = [];
  const listed = new Set<string>();
  for (const e of index) {
    const c: TraceConversation = { id: e.sessionId, key: e.key };
    const parent = e.spawnedBy ?? keyOfParent(spawnedBy.get(e.sessionId), keyOfId);
    if (parent) c.spawnedBy = parent;
    if (e.label) c.label = e.label;
    conversations.push(c);
    listed.add(e.sessionId);
  }
  for (const s of sessions) {
    if (listed.has(s.id)) continue;
    const c: TraceConversation = { id: s.id };
    const parent = spawnedBy.get(s.id);
    if (parent) c.spawnedBy = keyOfId.get(parent) ?? parent;
    const label = labels.get(s.id);
    if (label) c.label = label;
    conversations.push(c);
  }
  return conversations;
}

function keyOfParent(parentId: string | undefined, keyOfId: Map<string, string>): string | undefined {
  return parentId === undefined ? undefined : (keyOfId.get(parentId) ?? parentId);
}

function mentions(text: string, child: SessionFile, key: string | undefined, label: string | undefined): boolean {
  if (text.includes(child.id) || (key !== undefined && text.includes(key))) return true;
  return label !== undefined && text.includes(`"${label}"`);
}
