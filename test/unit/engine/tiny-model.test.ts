import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gguf, readGguf, readTensor, requireMetadata, writeGguf } from "../../../src/engine/gguf.js";
import type { GgufFile } from "../../../src/engine/gguf.js";
import { isAllowedPiece, writeTinyModel } from "../../../src/engine/tiny-model.js";
import type { TinyModel, TinyModelOptions } from "../../../src/engine/tiny-model.js";

const VOCAB = process.env.AGENTLOAD_VOCAB_GGUF ?? "/tmp/nlc/src/models/ggml-vocab-llama-spm.gguf";
const haveVocab = existsSync(VOCAB);

describe("isAllowedPiece", () => {
  it.each([
    ["▁Hello", 1, true],
    ["ing", 1, true],
    ["▁2024", 1, true],
    ["▁", 1, false], // a bare space
    ["▁▁", 1, false],
    ["▁hello,", 1, false],
    ["é", 1, false],
    ["<0x0A>", 6, false], // byte token
    ["</s>", 3, false], // control token
    ["word", 3, false], // plain text, but not a normal token
  ])("%s (type %i) -> %s", (piece, type, allowed) => {
    expect(isAllowedPiece(piece, type)).toBe(allowed);
  });
});

describe.skipIf(!haveVocab)(haveVocab ? "writeTinyModel" : `writeTinyModel (skipped: ${VOCAB} not found; set AGENTLOAD_VOCAB_GGUF)`, () => {
  let dir: string;
  let vocab: GgufFile;
  const small = { embeddingLength: 64, blockCount: 2, headCount: 4, headCountKv: 2, feedForwardLength: 96, contextLength: 512 };
  const write = (name: string, extra: Partial<TinyModelOptions> = {}): Promise<TinyModel> =>
    writeTinyModel({ vocabPath: VOCAB, outPath: join(dir, name), ...small, ...extra });
  let model: TinyModel;
  let file: GgufFile;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "agentload-tiny-"));
    vocab = await readGguf(VOCAB);
    model = await write("small.gguf", { seed: "s1" });
    file = await readGguf(model.path);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes llama metadata that matches the options", () => {
    const u32 = (key: string) => requireMetadata(file, key, "uint32").value;
    expect(requireMetadata(file, "general.architecture", "string").value).toBe("llama");
    expect(u32("llama.embedding_length")).toBe(64);
    expect(u32("llama.block_count")).toBe(2);
    expect(u32("llama.attention.head_count")).toBe(4);
    expect(u32("llama.attention.head_count_kv")).toBe(2);
    expect(u32("llama.feed_forward_length")).toBe(96);
    expect(u32("llama.context_length")).toBe(512);
    expect(u32("llama.rope.dimension_count")).toBe(16);
    expect(u32("llama.vocab_size")).toBe(32000);
    expect(u32("general.file_type")).toBe(1); // mostly F16, the default
    expect(requireMetadata(file, "agentload.tiny_model.seed", "string").value).toBe("s1");
    expect(requireMetadata(file, "tokenizer.chat_template", "string").value).toBe(model.chatTemplate);
  });

  it("copies every tokenizer.ggml.* key from the vocab unchanged", () => {
    const keys = Object.keys(vocab.metadata).filter((k) => k.startsWith("tokenizer.ggml."));
    expect(keys).toContain("tokenizer.ggml.tokens");
    expect(keys).toContain("tokenizer.ggml.scores");
    expect(keys).toContain("tokenizer.ggml.token_type");
    for (const key of keys) expect(file.metadata[key], key).toEqual(vocab.metadata[key]);
    expect(model.bosTokenId).toBe(1);
    expect(model.eosTokenId).toBe(2);
  });

  it("has llama's tensors with the right shapes and types, and counts its parameters", () => {
    const d = 64, kv = 32, ff = 96, V = 32000;
    const expected: [string, number[], string][] = [["token_embd.weight", [d, V], "F16"]];
    for (const b of [0, 1]) {
      expected.push(
        [`blk.${b}.attn_norm.weight`, [d], "F32"],
        [`blk.${b}.attn_q.weight`, [d, d], "F16"],
        [`blk.${b}.attn_k.weight`, [d, kv], "F16"],
        [`blk.${b}.attn_v.weight`, [d, kv], "F16"],
        [`blk.${b}.attn_output.weight`, [d, d], "F16"],
        [`blk.${b}.ffn_norm.weight`, [d], "F32"],
        [`blk.${b}.ffn_gate.weight`, [d, ff], "F16"],
        [`blk.${b}.ffn_up.weight`, [d, ff], "F16"],
        [`blk.${b}.ffn_down.weight`, [ff, d], "F16"],
      );
    }
    expected.push(["output_norm.weight", [d], "F32"], ["output.weight", [d, V], "F16"]);
    expect(file.tensors.map((t) => [t.name, t.shape, t.typeName])).toEqual(expected);
    expect(model.parameterCount).toBe(2 * V * d + 2 * (2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d) + d);
    expect(model.bytes).toBe(file.fileSize);
  });

  it("writes byte-identical files for the same seed, different ones for another seed", async () => {
    const again = await write("again.gguf", { seed: "s1" });
    const other = await write("other.gguf", { seed: "s2" });
    const [a, b, c] = await Promise.all([model.path, again.path, other.path].map((p) => readFile(p)));
    expect(a!.equals(b!)).toBe(true);
    expect(a!.equals(c!)).toBe(false);
    expect(a!.length).toBe(c!.length);
  });

  it("keeps hidden dimension 0 out of every layer's writes and fixed in every embedding", async () => {
    const d = 64, ff = 96;
    const embd = await readTensor(file, "token_embd.weight");
    for (let t = 0; t < 32000; t++) expect(embd[t * d]).toBe(1);
    expect(new Set(Array.from(embd.subarray(1, d))).size).toBeGreaterThan(d / 2); // the rest is random
    for (const b of [0, 1]) {
      const attnOut = await readTensor(file, `blk.${b}.attn_output.weight`);
      expect(attnOut.subarray(0, d).every((v) => v === 0)).toBe(true); // row 0 writes dimension 0
      expect(attnOut.subarray(d, 2 * d).some((v) => v !== 0)).toBe(true);
      const down = await readTensor(file, `blk.${b}.ffn_down.weight`);
      expect(down.subarray(0, ff).every((v) => v === 0)).toBe(true);
      expect(down.subarray(ff, 2 * ff).some((v) => v !== 0)).toBe(true);
    }
    for (const name of ["blk.0.attn_norm.weight", "blk.1.ffn_norm.weight", "output_norm.weight"]) {
      expect((await readTensor(file, name)).every((v) => v === 1), name).toBe(true);
    }
  });

  it("lets only printable word pieces win: output.weight[token][0] is +A exactly for them", async () => {
    const d = 64;
    const out = await readTensor(file, "output.weight");
    const tokens = requireMetadata(vocab, "tokenizer.ggml.tokens", "array").value as string[];
    const types = requireMetadata(vocab, "tokenizer.ggml.token_type", "array").value as number[];
    const allowed: number[] = [];
    const signs = new Set<number>();
    for (let t = 0; t < tokens.length; t++) {
      const first = out[t * d]!;
      signs.add(Math.abs(first));
      if (first > 0) allowed.push(t);
    }
    expect(signs.size).toBe(1); // one magnitude A, sign by token
    expect(allowed.length).toBe(model.allowedTokenCount);
    expect(allowed.length).toBeGreaterThan(20000);
    for (const t of allowed) {
      expect(types[t], tokens[t]).toBe(1);
      expect(tokens[t]!.replace("▁", " "), tokens[t]).toMatch(/^ ?[A-Za-z0-9]+$/);
    }
    // The tokens that would break streaming or stop early are all banned.
    for (const t of [0, 1, 2, 3, 13, 29871]) expect(out[t * d], tokens[t]).toBeLessThan(0);
    // The noise outside dimension 0 is small against A but not zero, so outputs vary.
    const noise = out.subarray(1, d);
    expect(noise.some((v) => v !== 0)).toBe(true);
    expect(Math.max(...noise.map(Math.abs))).toBeLessThan(Math.abs(out[0]!) / 10);
  });

  it("writes all-F32 weights when asked", async () => {
    const f32 = await write("f32.gguf", { weightType: "F32" });
    const read = await readGguf(f32.path);
    expect(new Set(read.tensors.map((t) => t.typeName))).toEqual(new Set(["F32"]));
    expect(requireMetadata(read, "general.file_type", "uint32").value).toBe(0);
    expect(f32.parameterCount).toBe(model.parameterCount);
  });

  it("rejects shapes llama.cpp cannot load, and vocabularies that are not SentencePiece", async () => {
    await expect(write("bad.gguf", { embeddingLength: 60 })).rejects.toThrow(
      "tiny model: embeddingLength 60 must split into 4 heads of even size",
    );
    await expect(write("bad.gguf", { headCountKv: 3 })).rejects.toThrow("headCount 4 must be a multiple of headCountKv 3");
    await expect(write("bad.gguf", { blockCount: 0 })).rejects.toThrow("blockCount must be a positive integer, got 0");

    const bpe = join(dir, "bpe-vocab.gguf");
    await writeGguf(bpe, { metadata: { "tokenizer.ggml.model": gguf.string("gpt2") }, tensors: [] });
    await expect(writeTinyModel({ vocabPath: bpe, outPath: join(dir, "x.gguf") })).rejects.toThrow(
      `${bpe}: metadata "tokenizer.ggml.model" is "gpt2", expected "llama" (a SentencePiece vocab)`,
    );
    expect(existsSync(join(dir, "bad.gguf"))).toBe(false);
  });
});
