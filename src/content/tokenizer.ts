// Tokenizers that content rendering counts with, best first:
//   1. the server's own /tokenize endpoint (exact: the tokens the server will see),
//        llama.cpp:     POST /tokenize {content, add_special}            -> {tokens}
//                       POST /apply-template {messages}                  -> {prompt}   (chat template)
//        vLLM, SGLang:  POST /tokenize {model, prompt, add_special_tokens} -> {tokens, count, max_model_len}
//                       POST /tokenize {model, messages, add_generation_prompt} -> same (vLLM; chat template)
//   2. a tiktoken encoding (cl100k_base, o200k_base) through js-tiktoken: exact for OpenAI models,
//      close for many BPE vocabularies;
//   3. an approximation (a letter run is one token per started 4 letters; a digit, a punctuation
//      mark or a whitespace character other than a word's leading space is one token each).
// resolveTokenizer probes a server and falls back, saying what it picked and why.
//
// Web-standard only (fetch, AbortSignal.timeout), so it runs on Node, Bun and Deno.
import type { ChatMessage } from "../workload/types.js";

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
  /** Requests in flight at once for countMany (default 8). */
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

function withCounts(
  base: Pick<Tokenizer, "name" | "kind" | "tokenize" | "tokenizeChat">,
  concurrency: number,
): Tokenizer {
  const count = async (text: string) => (await base.tokenize(text)).length;
  return { ...base, count, countMany: (texts) => mapLimited(texts, concurrency, count) };
}

/** llama.cpp's llama-server. */
export function llamaCppTokenizer(baseUrl: string, options: ServerTokenizerOptions = {}): Tokenizer {
  const root = serverRoot(baseUrl);
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tokenize = async (content: string, addSpecial = false) => {
    const url = `${root}/tokenize`;
    return tokensOf(await postJson(fetchImpl, url, { content, add_special: addSpecial }, timeoutMs), url);
  };
  return withCounts(
    {
      name: `llama.cpp ${root}`,
      kind: "server",
      tokenize: (text) => tokenize(text),
      async tokenizeChat(messages, chatOptions = {}) {
        const url = `${root}/apply-template`;
        const json = await postJson(
          fetchImpl,
          url,
          { messages, add_generation_prompt: chatOptions.addGenerationPrompt ?? true },
          timeoutMs,
        );
        const prompt = (json as { prompt?: unknown } | null)?.prompt;
        if (typeof prompt !== "string") throw new Error(`POST ${url}: expected {"prompt": string}, got: ${JSON.stringify(json).slice(0, 300)}`);
        // The server tokenizes a chat prompt with special tokens (BOS) added and parsed.
        return tokenize(prompt, true);
      },
    },
    options.concurrency ?? 8,
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

const encodings = new Map<TiktokenEncoding, Promise<(text: string) => number[]>>();

async function loadEncoding(encoding: TiktokenEncoding): Promise<(text: string) => number[]> {
  const { Tiktoken } = await import("js-tiktoken/lite");
  const ranks =
    encoding === "cl100k_base"
      ? (await import("js-tiktoken/ranks/cl100k_base")).default
      : encoding === "o200k_base"
        ? (await import("js-tiktoken/ranks/o200k_base")).default
        : undefined;
  if (!ranks) throw new Error(`unknown tiktoken encoding '${String(encoding)}', expected cl100k_base or o200k_base`);
  const enc = new Tiktoken(ranks);
  // Special-token text (e.g. "<|endoftext|>") is encoded as plain text, never rejected.
  return (text) => enc.encode(text, [], []);
}

/** A js-tiktoken encoding; its rank table (a few MB) is loaded once, on first use. */
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
    tokenize: async (text) => encode(text),
    count: async (text) => encode(text).length,
    countMany: async (texts) => texts.map((t) => encode(t).length),
  };
}

// A word's single leading space belongs to it (as in GPT-style pre-tokenizers); other whitespace
// characters, digits and punctuation marks stand alone.
const APPROX_PIECES = / ?[\p{L}\p{M}]+|\p{N}|\s|[^\s\p{L}\p{M}\p{N}]/gu;

function approximatePieces(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(APPROX_PIECES)) {
    const piece = m[0];
    const letters = piece.startsWith(" ") && piece.length > 1 ? piece.slice(1) : piece;
    if (letters.length <= 4 || !/\p{L}/u.test(letters)) {
      out.push(piece);
      continue;
    }
    for (let i = 0; i < letters.length; i += 4) out.push((i === 0 && piece !== letters ? " " : "") + letters.slice(i, i + 4));
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
  return {
    name: "approximate (1 token per started 4 letters of a word)",
    kind: "approximate",
    tokenize: async (text) => approximatePieces(text).map(pieceId),
    count: async (text) => approximatePieces(text).length,
    countMany: async (texts) => texts.map((t) => approximatePieces(t).length),
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

async function firstModel(fetchImpl: FetchLike, root: string, timeoutMs: number): Promise<string> {
  const url = `${root}/v1/models`;
  let json: unknown;
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = await res.json();
  } catch (e) {
    throw new Error(`GET ${url}: ${errorText(e)}`);
  }
  const id = (json as { data?: { id?: unknown }[] } | null)?.data?.[0]?.id;
  if (typeof id !== "string") throw new Error(`GET ${url}: no model id in data[0].id`);
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
