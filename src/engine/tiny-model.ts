// A tiny random-weight llama model for llama-server to serve (Node-only: writes a GGUF file).
//
// No weights can be downloaded where agentload's tests run, so it makes its own: a seeded
// llama-architecture model with a real SentencePiece vocabulary copied from a vocab GGUF.
// The text it produces is nonsense, which is fine: a benchmark needs the engine's real work
// (prefill, decode, KV cache, prefix reuse), not meaning.
//
// The key property: the model only ever emits plain word-piece tokens (never end-of-sequence,
// control or byte tokens), so every generated token is one stream chunk and every response is
// exactly max_tokens long, with or without ignore_eos. How the weights guarantee it:
//  - every token embedding holds the same constant C in hidden dimension 0;
//  - every layer's attention output and FFN down projection have a zero row 0, so no layer writes
//    to dimension 0 and the residual stream still holds exactly C there after the last layer;
//  - the final RMSNorm therefore leaves dimension 0 strongly positive (weight 1 there), and
//    output.weight[token][0] is +A for allowed tokens and -A for all others, so every banned
//    logit sits about 2*A*h0 below every allowed one;
//  - the other dimensions are small random values, which keeps some variety among allowed tokens.

import seedrandom from "seedrandom";
import { gguf, readGguf, requireMetadata, writeGguf } from "./gguf.js";
import type { GgufMetadata, GgufTensorInput, GgufTensorType } from "./gguf.js";

/** Bumped whenever the construction changes, so a cached model can be told apart from a stale one. */
export const TINY_MODEL_VERSION = 1;

export interface TinyModelOptions {
  /** A vocab GGUF with a SentencePiece ("llama") tokenizer, e.g. llama.cpp's models/ggml-vocab-llama-spm.gguf. */
  vocabPath: string;
  /** Where the model is written (created or replaced atomically). */
  outPath: string;
  /** Same seed, same options => byte-identical file. */
  seed?: string;
  embeddingLength?: number;
  blockCount?: number;
  headCount?: number;
  headCountKv?: number;
  feedForwardLength?: number;
  contextLength?: number;
  /** Type of the 2-D weight matrices; norms are always F32. */
  weightType?: GgufTensorType;
  name?: string;
}

export interface TinyModel {
  path: string;
  bytes: number;
  parameterCount: number;
  vocabSize: number;
  /** Tokens the model can emit: normal tokens whose piece is a plain word piece. */
  allowedTokenCount: number;
  bosTokenId: number;
  eosTokenId: number;
  seed: string;
  weightType: GgufTensorType;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
  chatTemplate: string;
}

export const TINY_MODEL_DEFAULTS = {
  seed: "agentload-tiny",
  embeddingLength: 256,
  blockCount: 4,
  headCount: 4,
  headCountKv: 4,
  feedForwardLength: 768,
  contextLength: 32768,
  // F16 decodes faster than F32 on CPU (measured with -t 1: ~2.2 vs ~3.0 ms/token) at half the size.
  weightType: "F16" as GgufTensorType,
  name: "agentload-tiny-llama",
};

/**
 * Chat template (Jinja, for llama-server --jinja). Plain-text role markers, tokenized as ordinary
 * text; BOS is added by the tokenizer (tokenizer.ggml.add_bos_token), not here. The markers hold
 * "<" and "|", which the model can never emit, so no stop string or tool-call trigger derived from
 * them can fire in generated text. Tools go in the system part; tool calls are rendered as
 * <tool_call> blocks of JSON, which llama-server's template analysis recognizes.
 */
export const TINY_CHAT_TEMPLATE = `
{%- set ns = namespace(first=0) -%}
{%- if messages and messages[0].role == 'system' -%}
  {%- set ns.first = 1 -%}
{%- endif -%}
{%- if ns.first == 1 or tools -%}
  {{- '<|system|>\\n' -}}
  {%- if ns.first == 1 and messages[0].content is string -%}
    {{- messages[0].content -}}
    {%- if tools -%}{{- '\\n' -}}{%- endif -%}
  {%- endif -%}
  {%- if tools -%}
    {{- 'Tools: ' + (tools | tojson) -}}
  {%- endif -%}
  {{- '\\n<|end|>\\n' -}}
{%- endif -%}
{%- for message in messages[ns.first:] -%}
  {{- '<|' + message.role + '|>\\n' -}}
  {%- if message.content is string -%}{{- message.content -}}{%- endif -%}
  {%- if message.tool_calls -%}
    {%- for call in message.tool_calls -%}
      {%- set fn = call.function if call.function is defined else call -%}
      {%- if not loop.first or (message.content is string and message.content) -%}{{- '\\n' -}}{%- endif -%}
      {{- '<tool_call>\\n{"name": ' + (fn.name | tojson) + ', "arguments": ' -}}
      {%- if fn.arguments is string -%}{{- fn.arguments -}}{%- else -%}{{- fn.arguments | tojson -}}{%- endif -%}
      {{- '}\\n</tool_call>' -}}
    {%- endfor -%}
  {%- endif -%}
  {{- '\\n<|end|>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|assistant|>\\n' -}}
{%- endif -%}
`.trim();

// Scales of the construction (see the header comment). The gap between any allowed and any banned
// logit is about 2*A*h0, where h0 = sqrt(width) * C / |residual| is dimension 0 after the final norm.
// Measured with llama-server on the default model (width 256, 4 layers): a banned token (EOS, a
// byte, newline, a bare space) needs a logit bias of ~395-405 to beat the greedy choice, i.e.
// h0 ~ 12.5 of at most 16; exp(-400) is 0 in float32, even at temperature 2.
const RESIDUAL_CONSTANT = 1; // C
const OUTPUT_SIGN_WEIGHT = 16; // A
const EMBEDDING_NOISE = 0.5; // norm of the other embedding dimensions, relative to C
// Attention-output and FFN-down weights get std LAYER_OUTPUT_GAIN / sqrt(n_in * width): each layer
// then adds a modest vector to the residual, which stays comparable to C over a few layers.
const LAYER_OUTPUT_GAIN = 0.3;
// Std of output.weight outside dimension 0: the variety among allowed tokens (measured: the
// greedy token's probability is typically 0.2-2% among ~24k allowed tokens).
const OUTPUT_NOISE = 0.15;

const SPM_WORD_PIECE = /^▁?[A-Za-z0-9]+$/u;
const TOKEN_TYPE_NORMAL = 1;

/**
 * Whether the model may emit this token: a normal token whose piece is a plain word piece, so it
 * always decodes to complete, visible UTF-8 text (no byte pieces, control tokens or bare spaces).
 */
export function isAllowedPiece(piece: string, tokenType: number): boolean {
  return tokenType === TOKEN_TYPE_NORMAL && SPM_WORD_PIECE.test(piece);
}

export async function writeTinyModel(opts: TinyModelOptions): Promise<TinyModel> {
  const o = { ...TINY_MODEL_DEFAULTS, ...stripUndefined(opts) };
  checkShape(o);

  const vocab = await readGguf(opts.vocabPath);
  const tokenizerModel = requireMetadata(vocab, "tokenizer.ggml.model", "string").value;
  if (tokenizerModel !== "llama") {
    throw new Error(`${opts.vocabPath}: metadata "tokenizer.ggml.model" is ${JSON.stringify(tokenizerModel)}, expected "llama" (a SentencePiece vocab)`);
  }
  const tokens = requireMetadata(vocab, "tokenizer.ggml.tokens", "array");
  const types = requireMetadata(vocab, "tokenizer.ggml.token_type", "array");
  if (tokens.itemType !== "string" || types.itemType !== "int32" || tokens.value.length !== types.value.length) {
    throw new Error(`${opts.vocabPath}: expected "tokenizer.ggml.tokens" (string array) and "tokenizer.ggml.token_type" (int32 array) of equal length`);
  }
  const pieces = tokens.value;
  const tokenTypes = types.value;
  const vocabSize = pieces.length;
  const allowed = pieces.map((p, i) => isAllowedPiece(p, tokenTypes[i]!));
  const allowedTokenCount = allowed.filter(Boolean).length;
  if (allowedTokenCount === 0) throw new Error(`${opts.vocabPath}: no token is a plain word piece; cannot build a model`);
  const bosTokenId = requireMetadata(vocab, "tokenizer.ggml.bos_token_id", "uint32").value;
  const eosTokenId = requireMetadata(vocab, "tokenizer.ggml.eos_token_id", "uint32").value;

  const metadata: GgufMetadata = {
    "general.architecture": gguf.string("llama"),
    "general.type": gguf.string("model"),
    "general.name": gguf.string(o.name),
    "general.description": gguf.string("Random weights for benchmarking inference servers; emits only plain word pieces."),
    "general.file_type": gguf.uint32(o.weightType === "F32" ? 0 : 1),
    "general.alignment": gguf.uint32(32),
    "agentload.tiny_model.version": gguf.uint32(TINY_MODEL_VERSION),
    "agentload.tiny_model.seed": gguf.string(o.seed),
    "llama.context_length": gguf.uint32(o.contextLength),
    "llama.embedding_length": gguf.uint32(o.embeddingLength),
    "llama.block_count": gguf.uint32(o.blockCount),
    "llama.feed_forward_length": gguf.uint32(o.feedForwardLength),
    "llama.attention.head_count": gguf.uint32(o.headCount),
    "llama.attention.head_count_kv": gguf.uint32(o.headCountKv),
    "llama.attention.layer_norm_rms_epsilon": gguf.float32(1e-5),
    "llama.rope.dimension_count": gguf.uint32(o.embeddingLength / o.headCount),
    "llama.rope.freq_base": gguf.float32(10000),
    "llama.vocab_size": gguf.uint32(vocabSize),
  };
  for (const [key, value] of Object.entries(vocab.metadata)) {
    if (key.startsWith("tokenizer.ggml.")) metadata[key] = value;
  }
  metadata["tokenizer.chat_template"] = gguf.string(TINY_CHAT_TEMPLATE);

  const tensors = tinyModelTensors(o, vocabSize, allowed);
  const parameterCount = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  const written = await writeGguf(opts.outPath, { metadata, tensors });

  return {
    path: written.path,
    bytes: written.bytes,
    parameterCount,
    vocabSize,
    allowedTokenCount,
    bosTokenId,
    eosTokenId,
    seed: o.seed,
    weightType: o.weightType,
    embeddingLength: o.embeddingLength,
    blockCount: o.blockCount,
    headCount: o.headCount,
    headCountKv: o.headCountKv,
    feedForwardLength: o.feedForwardLength,
    contextLength: o.contextLength,
    chatTemplate: TINY_CHAT_TEMPLATE,
  };
}

type Shape = typeof TINY_MODEL_DEFAULTS;

function checkShape(o: Shape): void {
  const positive = ["embeddingLength", "blockCount", "headCount", "headCountKv", "feedForwardLength", "contextLength"] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) throw new Error(`tiny model: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (o.embeddingLength % o.headCount !== 0 || (o.embeddingLength / o.headCount) % 2 !== 0) {
    throw new Error(`tiny model: embeddingLength ${o.embeddingLength} must split into ${o.headCount} heads of even size`);
  }
  if (o.headCount % o.headCountKv !== 0) {
    throw new Error(`tiny model: headCount ${o.headCount} must be a multiple of headCountKv ${o.headCountKv}`);
  }
  if (o.weightType !== "F32" && o.weightType !== "F16") {
    throw new Error(`tiny model: weightType must be "F32" or "F16", got ${String(o.weightType)}`);
  }
}

/** Tensor list in llama.cpp's naming; each tensor's values are made when the writer asks for them. */
function tinyModelTensors(o: Shape, vocabSize: number, allowed: boolean[]): GgufTensorInput[] {
  const d = o.embeddingLength;
  const ff = o.feedForwardLength;
  const kv = (d / o.headCount) * o.headCountKv;
  const w = o.weightType;
  // Each tensor has its own stream, so its values do not depend on the order of generation.
  const rng = (name: string) => seedrandom.alea(`${o.seed}/${name}`);
  const ones = (n: number) => () => new Float32Array(n).fill(1);
  const standard = (nIn: number) => 1 / Math.sqrt(nIn);

  const tensors: GgufTensorInput[] = [
    {
      name: "token_embd.weight", shape: [d, vocabSize], type: w,
      data: () => rowsWithFixedFirst(rng("token_embd"), d, vocabSize, () => RESIDUAL_CONSTANT,
        (EMBEDDING_NOISE * RESIDUAL_CONSTANT) / Math.sqrt(d - 1)),
    },
  ];
  for (let b = 0; b < o.blockCount; b++) {
    const p = `blk.${b}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, shape: [d], type: "F32", data: ones(d) },
      { name: `${p}.attn_q.weight`, shape: [d, d], type: w, data: () => uniform(rng(`${p}.attn_q`), d * d, standard(d)) },
      { name: `${p}.attn_k.weight`, shape: [d, kv], type: w, data: () => uniform(rng(`${p}.attn_k`), d * kv, standard(d)) },
      { name: `${p}.attn_v.weight`, shape: [d, kv], type: w, data: () => uniform(rng(`${p}.attn_v`), d * kv, standard(d)) },
      {
        name: `${p}.attn_output.weight`, shape: [d, d], type: w,
        data: () => zeroFirstRow(uniform(rng(`${p}.attn_output`), d * d, LAYER_OUTPUT_GAIN / Math.sqrt(d * d)), d),
      },
      { name: `${p}.ffn_norm.weight`, shape: [d], type: "F32", data: ones(d) },
      { name: `${p}.ffn_gate.weight`, shape: [d, ff], type: w, data: () => uniform(rng(`${p}.ffn_gate`), d * ff, standard(d)) },
      { name: `${p}.ffn_up.weight`, shape: [d, ff], type: w, data: () => uniform(rng(`${p}.ffn_up`), d * ff, standard(d)) },
      {
        name: `${p}.ffn_down.weight`, shape: [ff, d], type: w,
        data: () => zeroFirstRow(uniform(rng(`${p}.ffn_down`), ff * d, LAYER_OUTPUT_GAIN / Math.sqrt(ff * d)), ff),
      },
    );
  }
  tensors.push(
    { name: "output_norm.weight", shape: [d], type: "F32", data: ones(d) },
    {
      name: "output.weight", shape: [d, vocabSize], type: w,
      data: () => rowsWithFixedFirst(rng("output"), d, vocabSize,
        (t) => (allowed[t] ? OUTPUT_SIGN_WEIGHT : -OUTPUT_SIGN_WEIGHT), OUTPUT_NOISE),
    },
  );
  return tensors;
}

/** Values uniform in [-a, a] with standard deviation `std`. */
function uniform(random: () => number, n: number, std: number): Float32Array {
  const a = std * Math.sqrt(3);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * random() - 1) * a;
  return out;
}

/** Rows of length `width`: element 0 of row r is first(r), the rest uniform noise of std `std`. */
function rowsWithFixedFirst(random: () => number, width: number, rows: number, first: (row: number) => number, std: number): Float32Array {
  const out = uniform(random, width * rows, std);
  for (let r = 0; r < rows; r++) out[r * width] = first(r);
  return out;
}

/** Zeroes output row 0 (the first `rowLength` values): the layer never writes hidden dimension 0. */
function zeroFirstRow(values: Float32Array, rowLength: number): Float32Array {
  values.fill(0, 0, rowLength);
  return values;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
