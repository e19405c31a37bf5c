// Setting up a run's content against its server: pick a tokenizer (the server's own when it has
// one), calibrate the vocabulary to it, measure the chat template's overhead when the tokenizer
// can apply the template, and say what was picked and measured in one-line notes.
import { createReplyCounter, measureTemplateOverhead } from "./overhead.js";
import { createContentStage, type ContentStage } from "./stage.js";
import { resolveTokenizer } from "./tokenizer.js";
import { calibrateVocabulary } from "./vocabulary.js";
import { NO_OVERHEAD } from "../workload/tokens.js";
import type { Scaffold } from "../workload/types.js";

export interface ContentSetupOptions {
  /** The server: its OpenAI-compatible base URL (with /v1) and model. */
  server: { apiUrl: string; model?: string };
  /** Sent with every request to the server (its API key, extra headers): /tokenize takes the same key as /v1. */
  headers?: Record<string, string>;
  seed: string;
  scaffolds: readonly Scaffold[];
  api: "chat" | "completions";
  /** Mixed into all text (see ContentRendererOptions.salt). */
  salt?: string;
}

export interface ContentSetup {
  stage: ContentStage;
  /** One line each: the tokenizer picked and why, the template overhead measured. */
  notes: string[];
}

export async function setUpContent(options: ContentSetupOptions): Promise<ContentSetup> {
  const { server } = options;
  const headers = options.headers;
  const withHeaders = headers && Object.keys(headers).length > 0 ? (input: string, init?: RequestInit) => fetch(input, { ...init, headers: { ...headers, ...(init?.headers as Record<string, string> | undefined) } }) : undefined;
  const { tokenizer, reason } = await resolveTokenizer(server.apiUrl, { ...(server.model ? { model: server.model } : {}), ...(withHeaders ? { fetch: withHeaders } : {}) });
  const notes = [`tokenizer: ${reason}`];
  const vocabulary = await calibrateVocabulary(tokenizer);
  let overhead = NO_OVERHEAD;
  if (tokenizer.tokenizeChat) {
    const m = await measureTemplateOverhead(tokenizer, vocabulary);
    overhead = m.overhead;
    notes.push(`chat template overhead: scaffold ${m.overhead.scaffold}, per turn ${m.overhead.fresh} tokens`);
  } else {
    notes.push("chat template overhead: not measurable with this tokenizer; expected prompt tokens count content only");
  }
  const stage = createContentStage({
    seed: options.seed,
    scaffolds: options.scaffolds,
    vocabulary,
    api: options.api,
    overhead,
    countReply: createReplyCounter(tokenizer),
    ...(options.salt !== undefined ? { salt: options.salt } : {}),
  });
  return { stage, notes };
}
