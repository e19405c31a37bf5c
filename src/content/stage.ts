// The content stage of a run: the prompts of each session as it runs, and what each prompt is
// expected to hold in tokens.
//
//   const prompts = stage.session(session);      // when the session is released
//   const prompt = prompts.promptFor(node);      // rendered before the request is sent
//   const obs = await send(prompt.body);
//   prompts.tellReply(node, obs);                // its children inherit prompt + reply
//   const { promptTokens, sharedPrefixTokens } = await prompt.expected;
//   prompts.end();                               // when the session has ended: frees its conversations
//
// A child's expected prompt counts its history parent's reply as the server will see it inside
// the child's prompt: a reply re-tokenized in context need not have as many tokens as were
// generated (overhead.ts createReplyCounter). The count starts when the reply arrives and is
// awaited only for the child's record, off the dispatch path, while the child waits or runs.
import { conversationOf, createContentRenderer, type ContentRenderer } from "./render.js";
import type { Vocabulary } from "./vocabulary.js";
import { inheritedPrompt, NO_OVERHEAD, nodeScaffold, rootPrompt, scaffoldSize, type NodeTokens, type TemplateOverhead } from "../workload/tokens.js";
import type { ChatMessage, RequestNode, Scaffold, SessionGraph } from "../workload/types.js";

export interface ContentStageOptions {
  seed: string;
  scaffolds: readonly Scaffold[];
  vocabulary: Vocabulary;
  /** How prompts are sent: chat messages, or (completions) their texts as one prompt. */
  api: "chat" | "completions";
  /** The chat template's tokens around messages (default none: content only). */
  overhead?: TemplateOverhead;
  /** An assistant reply's tokens as they stand inside a later prompt. */
  countReply: (reply: string) => Promise<number>;
  /** Mixed into all text (see ContentRendererOptions.salt). */
  salt?: string;
}

/** What a request carries of its prompt: spread into the client's request. */
export type PromptBody = { messages: ChatMessage[] } | { prompt: string };

export interface NodePrompt {
  body: PromptBody;
  /** Expected prompt and shared-prefix tokens, once the history parent's reply is counted. */
  expected: Promise<NodeTokens>;
}

/** As much of a received reply as the content needs (a StreamObservation has it). */
export interface ReplyObservation {
  text: string;
  completionTokens?: number;
  /** One entry per chunk that carried generated tokens. */
  chunkAt: readonly unknown[];
}

/** One session's prompts. */
export interface SessionContent {
  /** The node's prompt; its history parent's reply must have been told. */
  promptFor(node: RequestNode): NodePrompt;
  /** The reply the node received: kept, with its token count, for the node's children. */
  tellReply(node: RequestNode, reply: ReplyObservation): void;
  /** The session has ended: forget its conversations. */
  end(): void;
}

export interface ContentStage {
  readonly renderer: ContentRenderer;
  session(session: SessionGraph): SessionContent;
  /**
   * Renders every scaffold and the first session's first prompt once before the clock starts, so
   * the first dispatches are not late for reasons of lazy rendering and cold code (measured: 7 to
   * 10 ms late without it). Rendering is a pure function of the seed: nothing changes.
   */
  warmUp(firstSession: SessionGraph | undefined): void;
}

/** What a history parent leaves its children. */
interface Inherited {
  messages: ChatMessage[];
  expected: Promise<NodeTokens>;
  /** Set once its reply has been told. */
  conversation?: ChatMessage[];
  replyTokens?: Promise<number>;
}

export function createContentStage(options: ContentStageOptions): ContentStage {
  const { scaffolds, api, countReply } = options;
  const overhead = options.overhead ?? NO_OVERHEAD;
  const renderer = createContentRenderer({
    seed: options.seed,
    scaffolds,
    vocabulary: options.vocabulary,
    ...(options.salt !== undefined ? { salt: options.salt } : {}),
  });
  // /v1/completions has no chat template: the messages' texts, blank-line separated (its expected
  // prompt tokens then count content only, so they are not exact there).
  const bodyOf = (messages: ChatMessage[]): PromptBody =>
    api === "chat" ? { messages } : { prompt: messages.map((m) => m.content ?? "").join("\n\n") };

  function session(session: SessionGraph): SessionContent {
    const isHistoryParent = new Set(session.nodes.map((n) => n.historyParent).filter((p): p is string => p !== null));
    const inherited = new Map<string, Inherited>();
    return {
      promptFor(node) {
        const parent = node.historyParent === null ? undefined : inherited.get(node.historyParent);
        const messages = renderer.promptFor(session, node, node.historyParent === null ? null : (parent?.conversation ?? null));
        const expected: Promise<NodeTokens> = parent
          ? Promise.all([parent.expected, parent.replyTokens!]).then(([p, reply]) => inheritedPrompt(p, reply, node.freshInputTokens, overhead))
          : Promise.resolve(rootPrompt(scaffoldSize(nodeScaffold(session, node, scaffolds)), node.freshInputTokens, overhead));
        if (isHistoryParent.has(node.id)) inherited.set(node.id, { messages, expected });
        return { body: bodyOf(messages), expected };
      },
      tellReply(node, reply) {
        const entry = inherited.get(node.id);
        if (!entry) return; // no child inherits it
        entry.conversation = conversationOf(entry.messages, reply.text);
        const fallback = reply.completionTokens ?? reply.chunkAt.length;
        entry.replyTokens = reply.text ? countReply(reply.text).catch(() => fallback) : Promise.resolve(0);
      },
      end() {
        inherited.clear();
      },
    };
  }

  function warmUp(first: SessionGraph | undefined): void {
    for (const s of scaffolds) renderer.scaffoldMessages(s.id);
    const node = first?.nodes[0];
    if (first && node && node.historyParent === null) JSON.stringify(renderer.promptFor(first, node, null));
  }

  return { renderer, session, warmUp };
}
