// Content rendering: turns request nodes into OpenAI chat messages whose token counts are exact
// under a calibrated vocabulary (vocabulary.ts) and whose prefixes repeat where the workload says
// they do.
//
//   const { tokenizer } = await resolveTokenizer(baseUrl);
//   const vocabulary = await calibrateVocabulary(tokenizer);
//   const content = createContentRenderer({ seed: workload.seed, scaffolds: workload.scaffolds, vocabulary });
//   const prompt = content.promptFor(session, node, parentConversation);   // send it
//   conversations.set(node.id, conversationOf(prompt, replyText));          // for its children
//
// A prompt is
//   - the scaffold as one system message: system-prompt words, then tool-definition words (kept
//     as text inside the system message, not in `tools`, so the template cannot reformat them),
//     absent when the scaffold has no tokens;
//   - then, for a node with a history parent, the parent's whole conversation instead: its
//     prompt plus the assistant reply actually received (which starts with the same scaffold),
//     or, where the node drops reasoning (RequestNode.dropReasoning), replies that had reasoning
//     replaced by their visible part (visibleReply: outputTokens - reasoningTokens words);
//   - then one new message of exactly node.freshInputTokens tokens: `user`, or `tool` when the
//     caller passes the tool_call_id it answers.
// A node without a history parent (a session's first request, a subagent's first request via
// node.scaffoldId, the request after a compaction) starts from its scaffold again.
//
// Text is words from the vocabulary joined by single spaces, so n words are n tokens; the first
// word of a message is a "lead" word that is one token without a space as well.
// Seeds: a scaffold's text depends on its id only (plus the optional salt), so it is byte-identical
// across all sessions and runs that use it; a node's new message depends on the workload seed,
// session id and node id, so sessions never share content beyond their scaffold (other than by
// chance in their first word or two). Same inputs, same text on Node, Bun and Deno.
//
// Expected prompt tokens: content tokens (scaffold, inherited replies, fresh messages) plus the
// chat template's overhead; workload/tokens.ts sessionTokens() adds them up given a
// TemplateOverhead, which overhead.ts measures on the server. A run renders through stage.ts,
// which also counts the replies its sessions receive.
import { pickWords, type Vocabulary } from "./vocabulary.js";
import { rngFor } from "../stats/random.js";
import type { ChatMessage, RequestNode, Rng, Scaffold, SessionGraph, ToolCall } from "../workload/types.js";

export type { ChatMessage, ToolCall };

export interface ContentRendererOptions {
  /** The workload seed (a number and its decimal string render the same content). */
  seed: string | number;
  scaffolds: readonly Scaffold[] | ReadonlyMap<string, Scaffold>;
  vocabulary: Vocabulary;
  /**
   * Mixed into all text, scaffolds included. Set it (e.g. to a run id) to keep a server's prefix
   * cache from serving one run's prompts from an earlier run's identical ones.
   */
  salt?: string;
}

export interface FreshOptions {
  /** Render the new message as a `tool` result answering this call id instead of a `user` message. */
  toolCallId?: string;
}

/** The session a node belongs to, as far as rendering needs. */
export type SessionRef = Pick<SessionGraph, "id" | "scaffoldId">;

export interface ContentRenderer {
  readonly vocabulary: Vocabulary;
  /** The scaffold's system message ([] for no scaffold or an empty one); the same object every time. */
  scaffoldMessages(scaffoldId: string | undefined): readonly ChatMessage[];
  /** The node's new message: exactly node.freshInputTokens tokens of content. */
  freshMessage(sessionId: string, node: RequestNode, options?: FreshOptions): ChatMessage;
  /**
   * What stands for the node's reply in a later prompt that drops its reasoning: an assistant
   * message of exactly outputTokens - reasoningTokens tokens of content.
   */
  visibleReply(sessionId: string, node: RequestNode): ChatMessage;
  /**
   * The node's whole prompt. historyParentConversation: the history parent's prompt plus its reply
   * (conversationOf), required exactly when node.historyParent is set.
   */
  promptFor(
    session: SessionRef,
    node: RequestNode,
    historyParentConversation: readonly ChatMessage[] | null,
    options?: FreshOptions,
  ): ChatMessage[];
}

/** A node's conversation as its children inherit it: its prompt and the reply it received. */
export function conversationOf(prompt: readonly ChatMessage[], reply: string | ChatMessage): ChatMessage[] {
  return [...prompt, typeof reply === "string" ? { role: "assistant", content: reply } : reply];
}

/** `count` tokens of text: vocabulary words joined by single spaces, a lead word first. */
export function renderWords(vocabulary: Vocabulary, rng: Rng, count: number, startsMessage = true): string {
  if (!Number.isInteger(count) || count < 0) throw new Error(`token count must be a non-negative integer, got ${count}`);
  return count === 0 ? "" : pickWords(vocabulary, rng, count, startsMessage).join(" ");
}

function checkVocabulary(v: Vocabulary): void {
  const where = `vocabulary for tokenizer '${v.tokenizer}'`;
  if (v.words.length === 0 || v.leads.length === 0) throw new Error(`${where}: expected at least one word and one lead word`);
  if (v.words.length > 65536 || v.leads.length > 65536) throw new Error(`${where}: at most 65536 words are supported`);
}

export function createContentRenderer(options: ContentRendererOptions): ContentRenderer {
  const { vocabulary } = options;
  checkVocabulary(vocabulary);
  const seed = String(options.seed);
  const salt = options.salt ?? "";
  const scaffolds = new Map<string, Scaffold>(
    options.scaffolds instanceof Map ? options.scaffolds : (options.scaffolds as readonly Scaffold[]).map((s) => [s.id, s]),
  );
  const rendered = new Map<string, readonly ChatMessage[]>();

  function scaffoldMessages(scaffoldId: string | undefined): readonly ChatMessage[] {
    if (scaffoldId === undefined) return [];
    const cached = rendered.get(scaffoldId);
    if (cached) return cached;
    const scaffold = scaffolds.get(scaffoldId);
    if (!scaffold) {
      throw new Error(`unknown scaffold '${scaffoldId}' (known: ${[...scaffolds.keys()].map((k) => `'${k}'`).join(", ") || "none"})`);
    }
    // Seeded by scaffold id (and salt) only: identical for every session that names it.
    const part = (name: string) => rngFor(salt, JSON.stringify(["scaffold", scaffoldId, name]));
    const system = renderWords(vocabulary, part("system"), scaffold.systemTokens);
    const tools = renderWords(vocabulary, part("tools"), scaffold.toolTokens, system === "");
    const text = system && tools ? `${system} ${tools}` : system || tools;
    const messages: readonly ChatMessage[] = text ? Object.freeze([Object.freeze({ role: "system", content: text } as const)]) : [];
    rendered.set(scaffoldId, messages);
    return messages;
  }

  // Shared blocks first (seeded by block id only, like scaffolds), then the node's own rest.
  function renderBlocks(node: RequestNode, rng: Rng): string {
    const { ids, blockSize } = node.prefixBlocks!;
    const parts: string[] = [];
    let left = node.freshInputTokens;
    for (let k = 0; k < ids.length && left > 0; k++) {
      const size = Math.min(blockSize, left);
      parts.push(renderWords(vocabulary, rngFor(salt, JSON.stringify(["block", ids[k]])), size, k === 0));
      left -= size;
    }
    if (left > 0) parts.push(renderWords(vocabulary, rng, left, parts.length === 0));
    return parts.join(" ");
  }

  function freshMessage(sessionId: string, node: RequestNode, fresh: FreshOptions = {}): ChatMessage {
    const rng = rngFor(seed, JSON.stringify(["content", salt, sessionId, node.id]));
    let content: string;
    try {
      content = node.prefixBlocks ? renderBlocks(node, rng) : renderWords(vocabulary, rng, node.freshInputTokens);
    } catch (e) {
      throw new Error(`session '${sessionId}', node '${node.id}': freshInputTokens: ${(e as Error).message}`);
    }
    return fresh.toolCallId === undefined ? { role: "user", content } : { role: "tool", content, tool_call_id: fresh.toolCallId };
  }

  function visibleReply(sessionId: string, node: RequestNode): ChatMessage {
    const rng = rngFor(seed, JSON.stringify(["visible", salt, sessionId, node.id]));
    return { role: "assistant", content: renderWords(vocabulary, rng, Math.max(0, node.outputTokens - (node.reasoningTokens ?? 0))) };
  }

  function promptFor(
    session: SessionRef,
    node: RequestNode,
    historyParentConversation: readonly ChatMessage[] | null,
    fresh: FreshOptions = {},
  ): ChatMessage[] {
    const where = `session '${session.id}', node '${node.id}'`;
    if (node.historyParent === null) {
      if (historyParentConversation !== null) {
        throw new Error(`${where}: has no history parent (it starts from its scaffold), but a parent conversation was given`);
      }
      return [...scaffoldMessages(node.scaffoldId ?? session.scaffoldId), freshMessage(session.id, node, fresh)];
    }
    if (historyParentConversation === null) {
      throw new Error(`${where}: needs the conversation of its history parent '${node.historyParent}'`);
    }
    const last = historyParentConversation[historyParentConversation.length - 1];
    if (last?.role !== "assistant") {
      throw new Error(
        `${where}: the conversation of history parent '${node.historyParent}' must end with its assistant reply, ends with ${last ? `a '${last.role}' message` : "nothing"}`,
      );
    }
    return [...historyParentConversation, freshMessage(session.id, node, fresh)];
  }

  return { vocabulary, scaffoldMessages, freshMessage, visibleReply, promptFor };
}
