// Claude Code transcripts (`~/.claude/projects/<project>/<sessionId>.jsonl`): one entry a line,
// chained by `uuid`/`parentUuid`; subagent conversations ("sidechains", `isSidechain: true`) either
// inline in the session file (older versions) or in `agent-<agentId>.jsonl` files (each entry
// carrying `agentId`), beside the session file or in `<sessionId>/subagents/`.
// - a request is one API response: the assistant entries sharing a `message.id` (Claude Code
//   writes one entry per content block), with the usage of the entry that reports the most output;
//   responses with no usage (model "<synthetic>") are not requests;
// - prompt = input_tokens + cache_creation_input_tokens + cache_read_input_tokens; cached = reads;
// - the history parent is the nearest request up the parentUuid chain; fresh input is counted as
//   for OpenClaw (content-tokens.ts); a compaction boundary (parentUuid null) starts afresh;
// - dispatch is the time of the entry the request answers (the tool result or user message just
//   before it), response the time of its last entry;
// - a `Task` (or `Agent`) tool call spawns the sidechain named by its result's `agentId` (else the
//   sidechain whose first message is the call's prompt); the request reading that tool result
//   waits for the sidechain's last request.
// A transcript is appended to while Claude Code runs, so its last line may be cut short: without a
// final newline and not valid JSON, that line is skipped with a warning naming file:line. Any
// other line that is not JSON is an error naming its line (a damaged file, not one being written:
// skipping it would break the parentUuid chain and miscount the fresh input of what follows).
import type { Tokenizer } from "../content/tokenizer.js";
import { contentTexts, defaultTranscriptTokenizer, emptyTally, TextBatch, type Tally } from "./content-tokens.js";
import { jsonLines } from "./jsonl.js";
import type { SourceText } from "./openclaw-session.js";
import { orderedRequests } from "./order.js";
import type { Trace, TraceConversation, TraceRequest, Trigger } from "./types.js";
import { asObject, asTimeMs, isObject, optionalCountAt, stringAt, TraceError, type JsonObject, type Where } from "./where.js";

export interface ClaudeCodeOptions {
  /** Counts fresh-input tokens (default tiktoken o200k_base: an estimate for Claude models). */
  tokenizer?: Tokenizer;
  /** Names the trace in reports (default: the first file's name). */
  source?: string;
}

const SPAWN_TOOLS = new Set(["Task", "Agent"]);

/** Is this the first line of a Claude Code transcript? */
export function looksLikeClaudeCode(first: unknown): boolean {
  if (!isObject(first)) return false;
  if (typeof first.sessionId === "string" && ("parentUuid" in first || "uuid" in first)) return true;
  // Many transcripts open with a summary or file snapshot entry.
  return first.type === "summary" || first.type === "file-history-snapshot" || first.type === "queue-operation";
}

interface Entry {
  uuid: string;
  parent: string | null;
  where: Where;
  raw: JsonObject;
  message: JsonObject | undefined;
  conversation: string;
  time: number;
}

interface Response {
  key: string;
  entries: Entry[];
  usage: JsonObject;
  where: Where;
}

interface SpawnCall {
  request: string;
  conversation: string;
  prompt: string | undefined;
  label: string | undefined;
  agentId?: string;
  /** The request that reads the call's result. */
  reader?: string;
}

/**
 * The text of a transcript without a last line cut short (no final newline, not valid JSON), and
 * the warning saying so; otherwise the text as it is.
 */
export function withoutCutLastLine(file: SourceText): { text: string; warning?: string } {
  const { text, name } = file;
  if (text === "" || text.endsWith("\n")) return { text };
  const start = text.lastIndexOf("\n") + 1;
  const last = text.slice(start);
  if (last.trim() === "") return { text };
  try {
    JSON.parse(last);
    return { text };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    let line = 1;
    for (let i = text.indexOf("\n"); i !== -1 && i < start; i = text.indexOf("\n", i + 1)) line++;
    return {
      text: text.slice(0, start),
      warning: `${name}:${line}: skipped the last line, cut short (no final newline, not valid JSON: the transcript is being written?)`,
    };
  }
}

export async function parseClaudeCode(files: SourceText[], options: ClaudeCodeOptions = {}): Promise<Trace> {
  if (files.length === 0) throw new Error("parseClaudeCode: no transcript files given");
  const source = options.source ?? files[0]!.name;
  const entries = new Map<string, Entry>();
  const order: Entry[] = [];
  const sessionOfAgent = new Map<string, string>();
  const warnings: string[] = [];
  let assistantEntries = 0;
  for (const file of files) {
    const { text, warning } = withoutCutLastLine(file);
    if (warning) warnings.push(warning);
    for (const { value, where } of jsonLines(text, file.name)) {
      const raw = asObject(value, where);
      const message = raw.type === "user" || raw.type === "assistant" || raw.type === "system";
      // Other entries (hook progress, snapshots) matter only as links in the parentUuid chain.
      if (!message && typeof raw.uuid !== "string") continue;
      const uuid = stringAt(raw, "uuid", where);
      if (entries.has(uuid)) continue; // resumed sessions repeat earlier entries
      const session = typeof raw.sessionId === "string" ? raw.sessionId : "session";
      const agentId = typeof raw.agentId === "string" ? raw.agentId : undefined;
      if (agentId) sessionOfAgent.set(agentId, session);
      const entry: Entry = {
        uuid,
        parent: typeof raw.parentUuid === "string" ? raw.parentUuid : null,
        where,
        raw,
        message: isObject(raw.message) ? raw.message : undefined,
        conversation: raw.isSidechain === true ? (agentId ? `${session}:agent-${agentId}` : "") : session,
        time: message || raw.timestamp !== undefined ? asTimeMs(raw.timestamp, where.at("timestamp")) : Number.NaN,
      };
      entries.set(entry.uuid, entry);
      if (message) order.push(entry);
      if (raw.type === "assistant") assistantEntries++;
    }
  }
  // Inline sidechains have no agent id: a sidechain is named by its root entry.
  const sidechains = new Set<string>();
  for (const e of order) {
    if (e.conversation === "") {
      const session = typeof e.raw.sessionId === "string" ? e.raw.sessionId : "session";
      e.conversation = `${session}:sidechain-${sidechainRoot(e, entries)}`;
    }
    if (e.raw.isSidechain === true) sidechains.add(e.conversation);
  }

  const responses = groupResponses(order);
  const responseOf = new Map<string, Response>();
  for (const r of responses) for (const e of r.entries) responseOf.set(e.uuid, r);

  const batch = new TextBatch();
  const spawnCalls = new Map<string, SpawnCall>();
  const requests: TraceRequest[] = [];
  const requestOf = new Map<Response, TraceRequest>();
  const tallies = new Map<TraceRequest, { fresh: Tally; user: Tally; reply: Tally }>();
  const firstUserText = new Map<string, string>();
  const userMessages = new Map<string, number>();

  for (const e of order) {
    if (e.raw.type !== "user" || !e.message) continue;
    const texts = userTexts(e);
    if (texts.length === 0) continue;
    if (!firstUserText.has(e.conversation)) firstUserText.set(e.conversation, texts.join("\n"));
    if (e.raw.isMeta !== true && !texts.every(isCommandOutput)) userMessages.set(e.conversation, (userMessages.get(e.conversation) ?? 0) + 1);
  }

  for (const response of responses) {
    const first = response.entries[0]!;
    const at = response.where.at("message", "usage");
    const cached = optionalCountAt(response.usage, "cache_read_input_tokens", at) ?? 0;
    const prompt =
      (optionalCountAt(response.usage, "input_tokens", at) ?? 0) +
      (optionalCountAt(response.usage, "cache_creation_input_tokens", at) ?? 0) +
      cached;
    const output = optionalCountAt(response.usage, "output_tokens", at) ?? 0;
    if (prompt + output === 0) continue;
    const request: TraceRequest = {
      id: response.key,
      conversation: first.conversation,
      parents: [],
      historyParent: null,
      freshInputTokens: 0,
      outputTokens: output,
      promptTokens: prompt,
      cachedTokens: cached,
      dispatchedMs: first.time,
      respondedMs: latestTime(response.entries),
    };
    const fresh = emptyTally();
    const user = emptyTally();
    const reply = emptyTally();
    let trigger: Trigger | undefined;
    let cur = first.parent === null ? undefined : entries.get(first.parent);
    if (cur && !responseOf.has(cur.uuid) && Number.isFinite(cur.time)) request.dispatchedMs = cur.time;
    while (cur && !(responseOf.has(cur.uuid) && requestOf.has(responseOf.get(cur.uuid)!))) {
      if (cur.raw.type === "user" && cur.message) {
        for (const block of blocksOf(cur.message.content)) {
          if (block.type !== "tool_result") continue;
          for (const text of contentTexts(block.content)) batch.add(fresh, text);
          trigger ??= "tool_result";
          const call = typeof block.tool_use_id === "string" ? spawnCalls.get(block.tool_use_id) : undefined;
          if (call) {
            call.agentId ??= agentIdOf(cur.raw, block);
            call.reader = request.id;
          }
        }
        const texts = userTexts(cur);
        for (const text of texts) {
          batch.add(fresh, text);
          batch.add(user, text);
        }
        if (texts.length > 0) trigger = "user";
      } else if (cur.raw.type === "assistant" && cur.message) {
        addAssistantBlocks(fresh, cur.message, batch); // a response that made no request (no usage)
      }
      cur = cur.parent === null ? undefined : entries.get(cur.parent);
    }
    if (cur) {
      const parent = requestOf.get(responseOf.get(cur.uuid)!)!;
      request.historyParent = parent.id;
      request.parents.push({ from: parent.id, type: "sequential" });
      for (const e of responseOf.get(cur.uuid)!.entries) addAssistantBlocks(reply, e.message!, batch);
      request.waitAfterReadyMs = Math.max(0, request.dispatchedMs! - parent.respondedMs!);
    }
    if (trigger) request.trigger = trigger;
    for (const e of response.entries) {
      for (const block of blocksOf(e.message?.content)) {
        if (block.type === "tool_use" && typeof block.name === "string" && SPAWN_TOOLS.has(block.name) && typeof block.id === "string") {
          const input = isObject(block.input) ? block.input : {};
          const label = typeof input.description === "string" ? input.description : typeof input.subagent_type === "string" ? input.subagent_type : undefined;
          spawnCalls.set(block.id, {
            request: request.id,
            conversation: request.conversation,
            prompt: typeof input.prompt === "string" ? input.prompt : undefined,
            label,
          });
        }
      }
    }
    requestOf.set(response, request);
    tallies.set(request, { fresh, user, reply });
    requests.push(request);
  }

  await batch.count(options.tokenizer ?? (await defaultTranscriptTokenizer()));
  for (const r of requests) {
    const { fresh, user, reply } = tallies.get(r)!;
    if (r.historyParent === null) {
      r.freshInputTokens = r.promptTokens!;
      r.scaffoldTokens = Math.max(0, r.promptTokens! - batch.total(user));
    } else {
      r.replyTokens = batch.total(reply);
      r.freshInputTokens = batch.total(fresh) + r.replyTokens;
    }
  }

  if (requests.length === 0) {
    const read = files.length === 1 ? source : `${source} (${files.length} transcripts)`;
    throw new TraceError(
      `${read}: the trace has no requests: expected assistant entries whose message.usage counts tokens (an API response); ${found(assistantEntries)}`,
    );
  }

  const conversations = linkSidechains(requests, spawnCalls, firstUserText, sessionOfAgent);
  // Messages typed by a person: those of main conversations (a sidechain's first message is its task).
  let typed = 0;
  for (const [conversation, n] of userMessages) if (!sidechains.has(conversation)) typed += n;
  const trace: Trace = {
    format: "claude-code",
    source,
    requests: orderedRequests(requests, source, (i) => `request '${requests[i]!.id}'`),
    conversations,
    userMessages: typed,
  };
  if (warnings.length > 0) trace.warnings = warnings;
  return trace;
}

function found(assistantEntries: number): string {
  if (assistantEntries === 0) return "found none";
  return `found ${assistantEntries} assistant entr${assistantEntries === 1 ? "y" : "ies"}, none with tokens`;
}

function sidechainRoot(e: Entry, entries: Map<string, Entry>): string {
  let cur = e;
  for (;;) {
    const parent = cur.parent === null ? undefined : entries.get(cur.parent);
    if (!parent || parent.raw.isSidechain !== true) return cur.uuid;
    cur = parent;
  }
}

/** Assistant entries grouped into API responses, in order of their first entry. */
function groupResponses(order: Entry[]): Response[] {
  const byKey = new Map<string, Response>();
  const out: Response[] = [];
  for (const e of order) {
    if (e.raw.type !== "assistant" || !e.message) continue;
    const key =
      typeof e.message.id === "string" ? e.message.id : typeof e.raw.requestId === "string" ? e.raw.requestId : e.uuid;
    const usage = isObject(e.message.usage) ? e.message.usage : undefined;
    let response = byKey.get(key);
    if (!response) {
      response = { key, entries: [], usage: usage ?? {}, where: e.where };
      byKey.set(key, response);
      out.push(response);
    }
    response.entries.push(e);
    // Streamed entries repeat the usage; the last ones carry the final output count.
    if (usage && num(usage.output_tokens) >= num(response.usage.output_tokens)) {
      response.usage = usage;
      response.where = e.where;
    }
  }
  return out;
}

function num(x: unknown): number {
  return typeof x === "number" ? x : -1;
}

type Block = JsonObject & { type?: unknown };

function blocksOf(content: unknown): Block[] {
  return Array.isArray(content) ? (content.filter(isObject) as Block[]) : [];
}

/** Text a person (or a hook) put in a user entry: its string content or text blocks, not tool results. */
function userTexts(e: Entry): string[] {
  const content = e.message?.content;
  if (typeof content === "string") return content === "" ? [] : [content];
  return blocksOf(content)
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string);
}

function isCommandOutput(text: string): boolean {
  return /^\s*<(command-|local-command-)/.test(text);
}

function addAssistantBlocks(tally: Tally, message: JsonObject, batch: TextBatch): void {
  if (typeof message.content === "string") batch.add(tally, message.content);
  for (const block of blocksOf(message.content)) {
    if (block.type === "text" && typeof block.text === "string") batch.add(tally, block.text);
    else if (block.type === "thinking" && typeof block.thinking === "string") batch.add(tally, block.thinking);
    else if (block.type === "tool_use" && typeof block.name === "string") batch.addToolCall(tally, block.name, block.input);
  }
}

function agentIdOf(entry: JsonObject, block: Block): string | undefined {
  const result = entry.toolUseResult;
  if (isObject(result) && typeof result.agentId === "string") return result.agentId;
  for (const text of contentTexts(block.content)) {
    const m = /agentId:\s*([A-Za-z0-9_-]+)/.exec(text);
    if (m) return m[1];
  }
  return undefined;
}

/** Adds spawn and result edges between conversations and lists the conversations. */
function linkSidechains(
  requests: TraceRequest[],
  spawnCalls: Map<string, SpawnCall>,
  firstUserText: Map<string, string>,
  sessionOfAgent: Map<string, string>,
): TraceConversation[] {
  const byConversation = new Map<string, TraceRequest[]>();
  for (const r of requests) {
    const list = byConversation.get(r.conversation);
    if (list) list.push(r);
    else byConversation.set(r.conversation, [r]);
  }
  const byId = new Map(requests.map((r) => [r.id, r]));
  const spawnedBy = new Map<string, string>();
  const labels = new Map<string, string>();
  for (const call of spawnCalls.values()) {
    let child: string | undefined;
    if (call.agentId) {
      const session = sessionOfAgent.get(call.agentId);
      if (session) child = `${session}:agent-${call.agentId}`;
    }
    if (child === undefined && call.prompt !== undefined) {
      child = [...byConversation.keys()].find(
        (c) => c !== call.conversation && !spawnedBy.has(c) && firstUserText.get(c)?.trim() === call.prompt!.trim(),
      );
    }
    const childRequests = child === undefined ? undefined : byConversation.get(child);
    if (child === undefined || !childRequests || spawnedBy.has(child)) continue;
    spawnedBy.set(child, call.conversation);
    if (call.label) labels.set(child, call.label);
    const root = childRequests.find((r) => r.historyParent === null)!;
    root.parents.push({ from: call.request, type: "subagent_spawn" });
    const reader = call.reader === undefined ? undefined : byId.get(call.reader);
    if (reader) {
      const last = childRequests.reduce((a, b) => (b.respondedMs! >= a.respondedMs! ? b : a));
      if (!reader.parents.some((e) => e.from === last.id)) reader.parents.push({ from: last.id, type: "subagent_result" });
    }
  }
  return [...byConversation.keys()].map((id) => {
    const c: TraceConversation = { id };
    const parent = spawnedBy.get(id);
    if (parent) c.spawnedBy = parent;
    const label = labels.get(id);
    if (label) c.label = label;
    return c;
  });
}

/** The latest entry time; a loop, as spreading a long list into Math.max overflows the stack. */
function latestTime(entries: readonly { time: number }[]): number {
  let latest = -Infinity;
  for (const e of entries) if (e.time > latest || Number.isNaN(e.time)) latest = e.time;
  return latest;
}
