// Tokenizers that content rendering counts with, best first:
//   1. the server's own /tokenize endpoint (exact: the tokens the server will see),
//        llama.cpp:     POST /tokenize {content, add_special}            -> {tokens}
//                       POST /tokenize {content: [text, id, text, ...]}  -> {tokens} (countMany: many texts at once)
//                       POST /apply-template {messages}                  -> {prompt}   (chat template)
//        vLLM, SGLang:  POST /tokenize {model, prompt, add_special_tokens} -> {tokens, count, max_model_len}
//                       POST /tokenize {model, messages, add_generation_prompt} -> same (vLLM; chat template)
//   2. a tiktoken encoding (cl100k_base, o200k_base; js-tiktoken's rank files, bpe.ts's encoder):
//      exact for OpenAI models, close for many BPE vocabularies;
//   3. an approximation (a letter run is one token per started 4 letters; a digit, a punctuation
//      mark or a whitespace character other than a word's leading space is one token each).
// resolveTokenizer probes a server and falls back, saying what it picked and why.
//
// Web-standard only (fetch, AbortSignal.timeout), so it runs on Node, Bun and Deno.
import type { ChatMessage } from "../workload/types.js";
import { encodeSteps, inSlices, rankTable } from "./bpe.js";

export type TokenizerKind = "server" | "tiktoken" | "approximate";

export interface ChatTokenizeOptions {
  /** Append the assistant turn opener, as a chat completion request does (default true). */
  addGenerationPrompt?: boolean;
}

export interface Tokenizer {
  /** Human-readable identity, e.g. "llama.cpp http://127.0.0.1:8080", "tiktoken cl100k_base". */
  readonly name: string;
  readonly kind: TokenizerKind;
  /** Token ids of a piece of text, without special tokens such as BOS. */
  tokenize(text: string): Promise<number[]>;
  count(text: string): Promise<number>;
  /** count() of many texts (servers are called a few at a time). */
  countMany(texts: readonly string[]): Promise<number[]>;
  /**
   * Token ids of a whole chat prompt exactly as the server sees it (chat template applied, special
   * tokens added). Only server tokenizers whose server exposes its template have it.
   */
  tokenizeChat?(messages: readonly ChatMessage[], options?: ChatTokenizeOptions): Promise<number[]>;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ServerTokenizerOptions {
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /**
   * Requests in flight at once: per countMany call (default 8); for llama.cpp, across all calls of
   * the tokenizer (default 3: see LLAMA_CPP_IN_FLIGHT).
   */
  concurrency?: number;
  /** Stand-in for fetch (tests). */
  fetch?: FetchLike;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The server root: tokenize endpoints sit beside /v1, not under it. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

async function postJson(fetchImpl: FetchLike, url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res: Response;
  let text: string;
  try {
    res = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (e) {
    throw new Error(`POST ${url}: ${errorText(e)}`);
  }
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`POST ${url}: expected a JSON response, got: ${text.slice(0, 300)}`);
  }
}

function tokensOf(json: unknown, url: string): number[] {
  const tokens = (json as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "number")) {
    throw new Error(`POST ${url}: expected {"tokens": [numbers]}, got: ${JSON.stringify(json).slice(0, 300)}`);
  }
  return tokens as number[];
}

/** An error's message with its cause (fetch hides "ECONNREFUSED" and the like there). */
function errorText(e: unknown): string {
  const err = e as Error & { cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}

/** fn with at most `limit` calls in flight; the others wait their turn in order. */
function inFlightLimit<A extends unknown[], R>(limit: number, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (...args) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn(...args);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Runs fn over items with at most `limit` calls in flight, keeping the order of results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Counts many texts in one request, or undefined when the server did not answer them one by one. */
type CountBatch = (texts: readonly string[]) => Promise<number[] | undefined>;

/** Texts per batched request: 925 calibration candidates go in 4 requests, a few in flight. */
const BATCH_TEXTS = 256;

function withCounts(
  base: Pick<Tokenizer, "name" | "kind" | "tokenize" | "tokenizeChat">,
  concurrency: number,
  countBatch?: CountBatch,
): Tokenizer {
  const count = async (text: string) => (await base.tokenize(text)).length;
  const one = (texts: readonly string[]) => mapLimited(texts, concurrency, count);
  const countMany = async (texts: readonly string[]): Promise<number[]> => {
    if (!countBatch || texts.length < 2) return one(texts);
    const chunks: string[][] = [];
    for (let i = 0; i < texts.length; i += BATCH_TEXTS) chunks.push(texts.slice(i, i + BATCH_TEXTS));
    const counted = await mapLimited(chunks, concurrency, async (chunk) => (await countBatch(chunk)) ?? one(chunk));
    return counted.flat();
  };
  return { ...base, count, countMany };
}

// llama.cpp's /tokenize takes `content` as an array of strings and token ids, tokenizes each
// string on its own exactly as a request of its own would (special tokens only for the first, and
// we ask for none), and returns the concatenation with the ids passed through. Separated by an id
// no vocabulary has, n texts are counted in one request: the vocabulary's 3,339 requests become 24
// (measured under Node, whose fetch costs about 1 ms a request: 3.0 to 6.6 s -> 0.1 to 0.3 s), with
// the same counts, so the same words (checked against the built-in engine).
const SEPARATOR = -7_000_001;
/** Checked once per tokenizer against separate requests before any batch is trusted. */
const BATCH_CHECK = ["hello world", "\n\nthe", " x", ""];

function splitCounts(tokens: readonly number[], n: number): number[] | undefined {
  const counts = [0];
  for (const t of tokens) {
    if (t === SEPARATOR) counts.push(0);
    else counts[counts.length - 1]!++;
  }
  return counts.length === n ? counts : undefined;
}

/** A batch counter for llama.cpp, enabled only when the server's answer matches separate requests. */
function llamaCppBatch(post: (content: unknown) => Promise<number[]>, single: (text: string) => Promise<number[]>): CountBatch {
  // A batch the server refuses or miscounts is counted text by text instead.
  const batch = async (texts: readonly string[]) =>
    post(texts.flatMap((t, i) => (i === 0 ? [t] : [SEPARATOR, t]))).then((tokens) => splitCounts(tokens, texts.length), () => undefined);
  let usable: Promise<boolean> | undefined;
  return async (texts) => {
    usable ??= Promise.all([batch(BATCH_CHECK), Promise.all(BATCH_CHECK.map(single))]).then(
      ([batched, separate]) => batched !== undefined && batched.every((c, i) => c === separate[i]!.length),
      () => false,
    );
    return (await usable) ? batch(texts) : undefined;
  };
}

// llama-server answers from a fixed pool of HTTP threads (n_parallel + 4 in the built-in engine's
// llama.cpp, n_parallel + 2 in older ones, so never fewer than 3); requests beyond it wait. Measured
// against the built-in engine (-np 4): of 12 /tokenize requests sent at once from Node, 4 were
// answered after 3 s instead of 30 ms. Calibration used to send 24 at once (three countMany calls
// of 8), and now and then lost those 3 s. Three at a time, across all calls, stays within any
// pool; calibration takes as long with 2, 3 or 4 (0.1 to 0.5 s, in the noise of this machine).
const LLAMA_CPP_IN_FLIGHT = 3;

/** llama.cpp's llama-server. */
export function llamaCppTokenizer(baseUrl: string, options: ServerTokenizerOptions = {}): Tokenizer {
  const root = serverRoot(baseUrl);
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const inFlight = options.concurrency ?? LLAMA_CPP_IN_FLIGHT;
  const post = inFlightLimit(inFlight, (url: string, body: unknown) => postJson(fetchImpl, url, body, timeoutMs));
  const tokenize = async (content: string | unknown[], addSpecial = false) => {
    const url = `${root}/tokenize`;
    return tokensOf(await post(url, { content, add_special: addSpecial }), url);
  };
  return withCounts(
    {
      name: `llama.cpp ${root}`,
      kind: "server",
      tokenize: (text) => tokenize(text),
      async tokenizeChat(messages, chatOptions = {}) {
        const url = `${root}/apply-template`;
        const json = await post(url, { messages, add_generation_prompt: chatOptions.addGenerationPrompt ?? true });
        const prompt = (json as { prompt?: unknown } | null)?.prompt;
        if (typeof prompt !== "string") throw new Error(`POST ${url}: expected {"prompt": string}, got: ${JSON.stringify(json).slice(0, 300)}`);
        // The server tokenizes a chat prompt with special tokens (BOS) added and parsed.
        return tokenize(prompt, true);
      },
    },
    inFlight,
    llamaCppBatch((content) => tokenize(content as unknown[]), (text) => tokenize(text)),
  );
}

/** vLLM's /tokenize; SGLang's has the same request and response for text prompts. */
export function vllmTokenizer(baseUrl: string, model: string, options: ServerTokenizerOptions = {}): Tokenizer {
  const root = serverRoot(baseUrl);
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = `${root}/tokenize`;
  return withCounts(
    {
      name: `vllm-compatible ${root} (${model})`,
      kind: "server",
      tokenize: async (prompt) =>
        tokensOf(await postJson(fetchImpl, url, { model, prompt, add_special_tokens: false }, timeoutMs), url),
      // vLLM applies the chat template and adds no extra special tokens by default, like its chat endpoint.
      tokenizeChat: async (messages, chatOptions = {}) =>
        tokensOf(
          await postJson(
            fetchImpl,
            url,
            { model, messages, add_generation_prompt: chatOptions.addGenerationPrompt ?? true },
            timeoutMs,
          ),
          url,
        ),
    },
    options.concurrency ?? 8,
  );
}

export type TiktokenEncoding = "cl100k_base" | "o200k_base";

type Encode = (text: string) => Promise<number[]>;

const encodings = new Map<TiktokenEncoding, Promise<Encode>>();

/**
 * Local counting runs in slices of this many ms, yielding to the event loop between them: a reply
 * is counted while other requests stream. js-tiktoken's own encode held the loop 21 to 59 s here
 * for a 16 KB reply without whitespace (no chunk stamped, timers late, Ctrl-C unheard); in 2 ms
 * slices a chunk arriving meanwhile is stamped at most a slice and a step (bpe.ts) late. The
 * count's own wall time does not matter: only the child's record waits for it (stage.ts).
 */
const COUNT_SLICE_MS = 2;

async function loadEncoding(encoding: TiktokenEncoding): Promise<Encode> {
  const file =
    encoding === "cl100k_base"
      ? (await import("js-tiktoken/ranks/cl100k_base")).default
      : encoding === "o200k_base"
        ? (await import("js-tiktoken/ranks/o200k_base")).default
        : undefined;
  if (!file) throw new Error(`unknown tiktoken encoding '${String(encoding)}', expected cl100k_base or o200k_base`);
  // js-tiktoken's rank files with an encoder of our own (bpe.ts): the same ids as its encode,
  // special-token text (e.g. "<|endoftext|>") encoded as plain text, never rejected.
  const table = rankTable(file);
  return (text) => inSlices(encodeSteps(table, text), COUNT_SLICE_MS);
}

/** A tiktoken encoding; its rank table (a few MB, from js-tiktoken) is loaded once, on first use. */
export async function tiktokenTokenizer(encoding: TiktokenEncoding): Promise<Tokenizer> {
  let loading = encodings.get(encoding);
  if (!loading) {
    loading = loadEncoding(encoding);
    encodings.set(encoding, loading);
    loading.catch(() => encodings.delete(encoding));
  }
  const encode = await loading;
  return {
    name: `tiktoken ${encoding}`,
    kind: "tiktoken",
    tokenize: encode,
    count: async (text) => (await encode(text)).length,
    countMany: async (texts) => {
      const counts: number[] = [];
      for (const t of texts) counts.push((await encode(t)).length);
      return counts;
    },
  };
}

// A word's single leading space belongs to it (as in GPT-style pre-tokenizers); other whitespace
// characters, digits and punctuation marks stand alone.
const APPROX_PIECES = / ?[\p{L}\p{M}]+|\p{N}|\s|[^\s\p{L}\p{M}\p{N}]/gu;

/** About 0.4 ms: a 1 MB letter run (262,144 pieces) took 420 ms in one go. */
const PIECES_PER_STEP = 256;

/** The approximation's pieces as ids (pieceId), in steps like bpe.ts's: a pause every PIECES_PER_STEP pieces. */
function* approximateSteps(text: string): Generator<void, number[]> {
  const out: number[] = [];
  const piece = (p: string) => out.push(pieceId(p)) % PIECES_PER_STEP === 0;
  for (const m of text.matchAll(APPROX_PIECES)) {
    const whole = m[0];
    const letters = whole.startsWith(" ") && whole.length > 1 ? whole.slice(1) : whole;
    if (letters.length <= 4 || !/\p{L}/u.test(letters)) {
      if (piece(whole)) yield;
      continue;
    }
    for (let i = 0; i < letters.length; i += 4) if (piece((i === 0 && whole !== letters ? " " : "") + letters.slice(i, i + 4))) yield;
  }
  return out;
}

/** FNV-1a of a piece: stable pseudo token ids for the approximation. */
function pieceId(piece: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < piece.length; i++) h = Math.imul(h ^ piece.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** No vocabulary at all: roughly one token per 4 letters of a word; ids are hashes of the pieces. */
export function approximateTokenizer(): Tokenizer {
  const tokenize = (text: string) => inSlices(approximateSteps(text), COUNT_SLICE_MS);
  return {
    name: "approximate (1 token per started 4 letters of a word)",
    kind: "approximate",
    tokenize,
    count: async (text) => (await tokenize(text)).length,
    countMany: async (texts) => {
      const counts: number[] = [];
      for (const t of texts) counts.push((await tokenize(t)).length);
      return counts;
    },
  };
}

export interface ResolveTokenizerOptions extends ServerTokenizerOptions {
  /** Model name for vLLM/SGLang requests; default: the first of GET /v1/models. */
  model?: string;
  /** What to use when the server has no tokenize endpoint (default cl100k_base). */
  fallback?: TiktokenEncoding | "approximate";
  /** Per probe request (default 5 s). */
  probeTimeoutMs?: number;
}

export interface ResolvedTokenizer {
  tokenizer: Tokenizer;
  /** One line: which tokenizer was picked and why. */
  reason: string;
  /** What was tried before it, one line each. */
  tried: string[];
}

const PROBE_TEXT = "hello world";
const PROBE_CHAT: ChatMessage[] = [{ role: "user", content: PROBE_TEXT }];

/** GET /v1/models: the `data` entries (llama.cpp, vLLM and SGLang add their own fields to each). */
export async function listModels(baseUrl: string, options: Pick<ServerTokenizerOptions, "fetch" | "timeoutMs"> = {}): Promise<unknown[]> {
  const url = `${serverRoot(baseUrl)}/v1/models`;
  let json: unknown;
  try {
    const res = await (options.fetch ?? fetch)(url, { signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = await res.json();
  } catch (e) {
    throw new Error(`GET ${url}: ${errorText(e)}`);
  }
  const data = (json as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data : [];
}

async function firstModel(fetchImpl: FetchLike, root: string, timeoutMs: number): Promise<string> {
  const id = ((await listModels(root, { fetch: fetchImpl, timeoutMs }))[0] as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string") throw new Error(`GET ${root}/v1/models: no model id in data[0].id`);
  return id;
}

/** Keeps tokenizeChat only when the server answers it. */
async function probeChat(tokenizer: Tokenizer, tried: string[]): Promise<Tokenizer> {
  try {
    const tokens = await tokenizer.tokenizeChat!(PROBE_CHAT);
    if (tokens.length > 0) return tokenizer;
    tried.push(`${tokenizer.name}: chat template tokenization returned no tokens; template overhead cannot be measured`);
  } catch (e) {
    tried.push(`${tokenizer.name}: no chat template tokenization (${errorText(e)})`);
  }
  return { ...tokenizer, tokenizeChat: undefined };
}

/**
 * The best tokenizer for a server: its /tokenize endpoint (llama.cpp shape first, then vLLM/SGLang),
 * else the fallback. Without baseUrl, the fallback directly. Never throws for an unreachable server.
 */
export async function resolveTokenizer(baseUrl?: string, options: ResolveTokenizerOptions = {}): Promise<ResolvedTokenizer> {
  const tried: string[] = [];
  const probeOptions = { ...options, timeoutMs: options.probeTimeoutMs ?? 5_000 };
  const fetchImpl = options.fetch ?? fetch;
  const done = (tokenizer: Tokenizer, how: string): ResolvedTokenizer => ({ tokenizer, reason: `${tokenizer.name}: ${how}`, tried });
  if (baseUrl !== undefined) {
    const root = serverRoot(baseUrl);
    const llama = llamaCppTokenizer(root, probeOptions);
    try {
      // llama.cpp answers a body without "content" with no tokens, so a non-empty answer is a real one.
      if ((await llama.tokenize(PROBE_TEXT)).length > 0) {
        const full = await probeChat(llamaCppTokenizer(root, options), tried);
        return done(full, "the server's own tokenizer (llama.cpp /tokenize)");
      }
      tried.push(`${llama.name}: /tokenize returned no tokens for ${JSON.stringify(PROBE_TEXT)}`);
    } catch (e) {
      tried.push(`${llama.name}: ${errorText(e)}`);
    }
    try {
      const model = options.model ?? (await firstModel(fetchImpl, root, probeOptions.timeoutMs));
      const vllm = vllmTokenizer(root, model, probeOptions);
      if ((await vllm.tokenize(PROBE_TEXT)).length > 0) {
        const full = await probeChat(vllmTokenizer(root, model, options), tried);
        return done(full, "the server's own tokenizer (vLLM/SGLang /tokenize)");
      }
      tried.push(`${vllm.name}: /tokenize returned no tokens for ${JSON.stringify(PROBE_TEXT)}`);
    } catch (e) {
      tried.push(`vllm-compatible ${root}: ${errorText(e)}`);
    }
  }
  const why = baseUrl === undefined ? "no server given" : "the server has no usable tokenize endpoint";
  const fallback = options.fallback ?? "cl100k_base";
  if (fallback === "approximate") return done(approximateTokenizer(), `${why}; approximation requested as fallback`);
  try {
    return done(await tiktokenTokenizer(fallback), `${why}; counts are exact only for models using ${fallback}`);
  } catch (e) {
    tried.push(`tiktoken ${fallback}: ${errorText(e)}`);
    return done(approximateTokenizer(), `${why}, and tiktoken failed to load; counts are estimates`);
  }
}
