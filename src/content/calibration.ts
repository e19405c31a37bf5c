// What content set-up learns about a server's tokenizer, and how to tell later that it still holds.
//
// A calibration (the vocabulary and the chat template's overhead) depends on the tokenizer and the
// chat template only, never on a workload: seeds, salts and scaffolds are applied afterwards by
// the content stage. So it can be kept per server and model (calibration-cache.ts), provided a
// kept one is checked against the server before use:
//   - the key's probe: the token ids of a fixed text, taken before the cache is consulted, so a
//     different vocabulary behind the same URL and model name finds another entry;
//   - the words probe: the ids of all calibrated words in one text, so every word is still the
//     single token it was (one /tokenize request);
//   - the chat probe: the ids of a short conversation through the chat template, so the template
//     and its overhead are the ones measured (one /apply-template and one /tokenize request).
// Ids are kept as a count and a hash, never as text of the server's.
import { createHash } from "node:crypto";
import { measureTemplateOverhead, type TemplateMeasurement } from "./overhead.js";
import { renderWords, type ChatMessage } from "./render.js";
import { listModels, type Tokenizer } from "./tokenizer.js";
import { calibrateVocabulary, type Vocabulary } from "./vocabulary.js";
import { DEFAULT_WORDS } from "./words.js";
import { rngFor } from "../stats/random.js";

export interface Calibration {
  vocabulary: Vocabulary;
  /** undefined: the tokenizer cannot apply the chat template, so prompts count content only. */
  template?: TemplateMeasurement;
}

/** Token ids, kept short: how many and a hash of them. */
export interface IdsDigest {
  count: number;
  sha256: string;
}

/** What a kept calibration must still reproduce on the server. */
export interface CalibrationProbes {
  words: IdsDigest;
  chat?: IdsDigest;
}

export function digestIds(ids: readonly number[]): IdsDigest {
  return { count: ids.length, sha256: sha256(ids.join(",")) };
}

export function sameDigest(a: IdsDigest | undefined, b: IdsDigest | undefined): boolean {
  return a?.count === b?.count && a?.sha256 === b?.sha256;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Calibrates a tokenizer from scratch: the vocabulary, then the template overhead when measurable. */
export async function calibrate(tokenizer: Tokenizer): Promise<Calibration> {
  const vocabulary = await calibrateVocabulary(tokenizer);
  if (!tokenizer.tokenizeChat) return { vocabulary };
  return { vocabulary, template: await measureTemplateOverhead(tokenizer, vocabulary) };
}

/** A short conversation of every role the overhead measurement uses, in calibrated words. */
function chatProbe(vocabulary: Vocabulary): ChatMessage[] {
  const text = (part: string) => renderWords(vocabulary, rngFor("calibration-probe", part), 5);
  return [
    { role: "system", content: text("system") },
    { role: "user", content: text("first") },
    { role: "assistant", content: text("reply") },
    { role: "user", content: text("next") },
  ];
}

/** The probes of a calibration on this tokenizer (after calibrating, and to check a kept one). */
export async function probeCalibration(tokenizer: Tokenizer, calibration: Calibration): Promise<CalibrationProbes> {
  const { vocabulary } = calibration;
  const wordsText = `${vocabulary.leads.join(" ")}\n${vocabulary.words.join(" ")}`;
  const [words, chat] = await Promise.all([
    tokenizer.tokenize(wordsText),
    calibration.template && tokenizer.tokenizeChat ? tokenizer.tokenizeChat(chatProbe(vocabulary)) : undefined,
  ]);
  return { words: digestIds(words), ...(chat ? { chat: digestIds(chat) } : {}) };
}

/** Whether a kept calibration holds for this tokenizer: same probes, same chat ability. */
export function probesMatch(tokenizer: Tokenizer, kept: CalibrationProbes, now: CalibrationProbes): boolean {
  if ((kept.chat !== undefined) !== (tokenizer.tokenizeChat !== undefined)) return false;
  return sameDigest(kept.words, now.words) && sameDigest(kept.chat, now.chat);
}

// Letters, digits, punctuation, newlines, non-Latin scripts and a long word: vocabularies that
// differ anywhere common tend to differ here.
const KEY_PROBE = "The quick brown fox jumps over the lazy dog.\n\n0123456789 Ünïcödé 東京 Привет; tokenization_probe()";

/**
 * What identifies the tokenizer behind a server, cheaply (two requests): the model's entry of
 * /v1/models (llama.cpp: n_vocab, parameters and size; vLLM: the model path and context length;
 * volatile fields such as `created` left out) and the key probe's ids.
 */
export async function tokenizerFingerprint(
  tokenizer: Tokenizer,
  server: { apiUrl: string; model?: string },
  options: { fetch?: (input: string, init?: RequestInit) => Promise<Response>; timeoutMs?: number } = {},
): Promise<{ model: string | undefined; identity: string; probe: IdsDigest }> {
  const [models, probe] = await Promise.all([listModels(server.apiUrl, options).catch(() => []), tokenizer.tokenize(KEY_PROBE)]);
  // A server of one model (llama.cpp) serves it whatever name a request gives.
  const entry = (models.find((m) => (m as { id?: unknown }).id === server.model) ?? (server.model && models.length > 1 ? undefined : models[0])) as
    | Record<string, unknown>
    | undefined;
  const meta = (entry?.meta ?? {}) as Record<string, unknown>;
  const identity = entry
    ? JSON.stringify([entry.id, entry.root, entry.owned_by, entry.max_model_len, meta.vocab_type, meta.n_vocab, meta.n_params, meta.size])
    : "no /v1/models entry";
  const model = server.model ?? (typeof entry?.id === "string" ? entry.id : undefined);
  return { model, identity, probe: digestIds(probe) };
}

/** Changes when the candidate words change, so a kept vocabulary is one this version would pick. */
export const CANDIDATES_DIGEST = sha256(DEFAULT_WORDS.join(" ")).slice(0, 16);
