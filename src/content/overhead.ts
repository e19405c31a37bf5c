// Measures what a server's chat template adds around rendered content, in the shape
// workload/tokens.ts uses to predict prompt sizes (TemplateOverhead), by tokenizing whole chat
// prompts on the server:
//   A = [system S, user U1]                          (a first request)
//   B = [system S, user U1, assistant R, user U2]    (the next request of the same chain)
//   N = [user U1]                                    (a first request without scaffold)
// with every content's own token count known from the vocabulary, and
//   fresh    = |B| - |A| - |R| - |U2|     everything one more turn adds besides its content: the
//                                          reply's closing, the new message's wrapper and the
//                                          assistant opener (generation prompt)
//   reply    = 0                           the reply's closing is counted in `fresh`: a server's
//                                          cache holds the parent's prompt plus the tokens it
//                                          generated, never the closing, so the shared prefix
//                                          of workload/tokens.ts (parent prompt + reply +
//                                          overhead.reply) is then exactly what a prefix
//                                          cache can reuse
//   scaffold = |A| - |S| - |U1| - fresh    the system message's wrapper and BOS, plus the
//                                          difference between a first turn's wrapper and `fresh`
//   bareFresh = |N| - |U1|                 a scaffold-less first request's wrapper
//                                          (workload/tokens.ts counts such a prompt as
//                                          fresh + overhead.bare)
// Two samples of different sizes must agree, or the template reacts to content and counts cannot
// be exact (the error says so).
import type { TemplateOverhead } from "../workload/tokens.js";
import { renderWords, type ChatMessage } from "./render.js";
import type { Vocabulary } from "./vocabulary.js";
import { rngFor } from "../stats/random.js";
import type { Tokenizer } from "./tokenizer.js";

export interface TemplateMeasurement {
  /** For workload/tokens.ts sessionTokens(); reply is always 0 (see the header). */
  overhead: TemplateOverhead;
  /** Template tokens around a fresh message that starts a prompt with no scaffold. */
  bareFresh: number;
  /** The tokens of A are a prefix of those of B: a child's prompt extends its parent's token for token. */
  prefixPreserved: boolean;
}

interface Sizes {
  system: number;
  first: number;
  reply: number;
  next: number;
}

const SAMPLES: Sizes[] = [
  { system: 40, first: 30, reply: 20, next: 25 },
  { system: 7, first: 3, reply: 11, next: 1 },
];

function startsWith(tokens: readonly number[], prefix: readonly number[]): boolean {
  return prefix.length <= tokens.length && prefix.every((t, i) => tokens[i] === t);
}

async function measureOnce(
  tokenizeChat: NonNullable<Tokenizer["tokenizeChat"]>,
  vocabulary: Vocabulary,
  sizes: Sizes,
  sample: number,
): Promise<TemplateMeasurement> {
  const text = (part: string, n: number) => renderWords(vocabulary, rngFor("template-overhead", `${sample}/${part}`), n);
  const system: ChatMessage = { role: "system", content: text("system", sizes.system) };
  const first: ChatMessage = { role: "user", content: text("first", sizes.first) };
  const reply: ChatMessage = { role: "assistant", content: text("reply", sizes.reply) };
  const next: ChatMessage = { role: "user", content: text("next", sizes.next) };
  const [a, b, n] = await Promise.all([
    tokenizeChat([system, first]),
    tokenizeChat([system, first, reply, next]),
    tokenizeChat([first]),
  ]);
  const fresh = b.length - a.length - sizes.reply - sizes.next;
  return {
    overhead: { scaffold: a.length - sizes.system - sizes.first - fresh, fresh, reply: 0, bare: n.length - sizes.first },
    bareFresh: n.length - sizes.first,
    prefixPreserved: startsWith(b, a),
  };
}

/** Measures the template overhead through tokenizer.tokenizeChat (a server tokenizer). */
export async function measureTemplateOverhead(tokenizer: Tokenizer, vocabulary: Vocabulary): Promise<TemplateMeasurement> {
  const tokenizeChat = tokenizer.tokenizeChat;
  if (!tokenizeChat) {
    throw new Error(`tokenizer '${tokenizer.name}' cannot tokenize chat prompts (no server chat template); template overhead cannot be measured`);
  }
  const results = await Promise.all(SAMPLES.map((sizes, i) => measureOnce(tokenizeChat.bind(tokenizer), vocabulary, sizes, i)));
  const [first, ...rest] = results;
  for (const r of rest) {
    if (JSON.stringify(r) !== JSON.stringify(first)) {
      throw new Error(
        `tokenizer '${tokenizer.name}': the chat template's overhead depends on the content (${JSON.stringify(first)} vs ${JSON.stringify(r)}); prompt token counts cannot be exact`,
      );
    }
  }
  return first!;
}

/**
 * Counts an assistant reply's tokens as they stand inside a later prompt. Tokenized on its own a
 * reply can differ from in context (a SentencePiece tokenizer adds a leading space to a text's
 * start, but not after the template's role marker), so with a chat-capable tokenizer the count is
 * the difference between a conversation with the reply and one with an empty reply. The reply sits
 * between two user messages: a trailing assistant message is rendered as a prefill to continue
 * (no closing, and dropped when empty) by llama.cpp.
 */
export function createReplyCounter(tokenizer: Tokenizer): (reply: string) => Promise<number> {
  const tokenizeChat = tokenizer.tokenizeChat;
  if (!tokenizeChat) return (reply) => tokenizer.count(reply);
  const before: ChatMessage = { role: "user", content: "x" };
  const after: ChatMessage = { role: "user", content: "y" };
  const conversation = (content: string) =>
    tokenizeChat([before, { role: "assistant", content }, after], { addGenerationPrompt: false });
  let baseline: Promise<number> | undefined;
  return async (reply) => {
    baseline ??= conversation("").then((t) => t.length);
    const [withReply, without] = await Promise.all([conversation(reply), baseline]);
    return withReply.length - without;
  };
}
