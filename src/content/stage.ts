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
// generated (overhead.ts createReplyCounter). The count is awaited only for the child's record,
// off the dispatch path, while the child waits or runs. It starts when `later` says (a run: once no
// dispatch is due soon) rather than when the reply arrives: the count is a request to the engine,
// and sent ahead of the child it delayed the child's dispatch (strace of the README's main job:
// the count's writev took 2 to 4 ms while the engine's HTTP thread held the client's core).
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

/** Runs a reply's count once the dispatches due soon are out (a run: TimerQueue.whenIdle). */
export type Later = (fn: () => void) => void;

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
  /** `later` defaults to a zero timeout. */
  session(session: SessionGraph, later?: Later): SessionContent;
  /**
   * Renders every scaffold and the first session's first prompt once before the clock starts, so
   * the first dispatches are not late for reasons of lazy rendering and cold code (measured: 7 to
   * 10 ms late without it). Rendering is a pure function of the seed: nothing changes.
   */
  warmUp(firstSession: SessionGraph | undefined): void;
}

/** What a history parent leaves its children. */
interface Inherited {
  node: RequestNode;
  messages: ChatMessage[];
  /**
   * Replies in `messages` that still carry their reasoning, with what stands in for each once it
   * is dropped (the visible part); a child with dropReasoning "all" swaps them all.
   */
  carried: readonly Carried[];
  expected: Promise<NodeTokens>;
  /** Set once its reply has been told. */
  reply?: ChatMessage;
  replyTokens?: Promise<number>;
}

interface Carried {
  index: number;
  visible: ChatMessage;
}

export function createContentStage(options: ContentStageOptions): ContentStage {
  const { scaffolds, api, countReply } = options;
  const soon: Later = (fn) => void setTimeout(fn, 0);
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

  function session(session: SessionGraph, later: Later = soon): SessionContent {
    const countLater = (text: string, fallback: number) =>
      new Promise<number>((resolve) => later(() => void Promise.resolve(text).then(countReply).then(resolve, () => resolve(fallback))));
    const isHistoryParent = new Set(session.nodes.map((n) => n.historyParent).filter((p): p is string => p !== null));
    const inherited = new Map<string, Inherited>();
    return {
      promptFor(node) {
        const parent = node.historyParent === null ? undefined : inherited.get(node.historyParent);
        const history = parent ? historyOf(session, parent, node) : null;
        const messages = renderer.promptFor(session, node, node.historyParent === null ? null : (history?.conversation ?? null));
        const expected: Promise<NodeTokens> = parent
          ? Promise.all([parent.expected, parent.replyTokens!]).then(([p, reply]) =>
              inheritedPrompt(p, reply, node.freshInputTokens, overhead, history!.reply(reply)),
            )
          : Promise.resolve(rootPrompt(scaffoldSize(nodeScaffold(session, node, scaffolds)), node.freshInputTokens, overhead));
        if (isHistoryParent.has(node.id)) inherited.set(node.id, { node, messages, carried: history?.carried ?? [], expected });
        return { body: bodyOf(messages), expected };
      },
      tellReply(node, reply) {
        const entry = inherited.get(node.id);
        if (!entry) return; // no child inherits it
        entry.reply = { role: "assistant", content: reply.text };
        const fallback = reply.completionTokens ?? reply.chunkAt.length;
        entry.replyTokens = reply.text ? countLater(reply.text, fallback) : Promise.resolve(0);
      },
      end() {
        inherited.clear();
      },
    };
  }

  /**
   * The conversation `node` inherits from its history parent: the parent's prompt and reply, with
   * reasoning dropped as node.dropReasoning says. A reply without its reasoning is its visible
   * part: the server's reply text cannot be split into reasoning and answer, so the visible part is
   * rendered instead, exactly outputTokens - reasoningTokens words (render.ts visibleReply): what
   * a server sees is the same, a prompt that differs from the parent's from that reply on.
   */
  function historyOf(session: SessionGraph, parent: Inherited, node: RequestNode) {
    const parentNode = parent.node;
    const reasons = (parentNode.reasoningTokens ?? 0) > 0;
    const visible = reasons ? renderer.visibleReply(session.id, parentNode) : undefined;
    const visibleTokens = parentNode.outputTokens - (parentNode.reasoningTokens ?? 0);
    const drop = node.dropReasoning;
    let prompt: ChatMessage[] = parent.messages;
    let carried: readonly Carried[] = parent.carried;
    if (drop === "all" && carried.length > 0) {
      prompt = [...prompt];
      for (const c of carried) prompt[c.index] = c.visible;
      carried = [];
    }
    const dropsOwn = reasons && drop !== undefined;
    const conversation = conversationOf(prompt, dropsOwn ? visible! : parent.reply!);
    if (reasons && !dropsOwn) carried = [...carried, { index: prompt.length, visible: visible! }];
    return {
      conversation,
      carried,
      /** The parent's reply as the expected tokens count it, given its counted tokens. */
      reply: (counted: number) => {
        const held = reasons ? visibleTokens : counted;
        return drop === undefined ? { visible: held } : { visible: held, drop };
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
