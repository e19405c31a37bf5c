import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GgufError,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  gguf,
  readGguf,
  readTensor,
  requireMetadata,
  writeGguf,
} from "../../../src/engine/gguf.js";
import type { GgufMetadata, GgufTensorInput } from "../../../src/engine/gguf.js";

const VOCAB = process.env.AGENTLOAD_VOCAB_GGUF ?? "/tmp/nlc/src/models/ggml-vocab-llama-spm.gguf";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-gguf-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const metadata: GgufMetadata = {
  "general.architecture": gguf.string("test"),
  "t.u8": gguf.uint8(255),
  "t.i8": gguf.int8(-128),
  "t.u16": gguf.uint16(65535),
  "t.i16": gguf.int16(-32768),
  "t.u32": gguf.uint32(4294967295),
  "t.i32": gguf.int32(-2147483648),
  "t.f32": gguf.float32(0.1),
  "t.f64": gguf.float64(Math.PI),
  "t.u64": gguf.uint64(2n ** 64n - 1n),
  "t.i64": gguf.int64(-(2n ** 63n)),
  "t.bool.true": gguf.bool(true),
  "t.bool.false": gguf.bool(false),
  "t.string": gguf.string("héllo ▁wörld\n"),
  "t.empty": gguf.string(""),
  "t.strings": gguf.array("string", ["<s>", "▁a", "", "日本"]),
  "t.ints": gguf.array("int32", [1, -2, 3]),
  "t.floats": gguf.array("float32", [0.5, -1.25, 1e-7]),
  "t.u64s": gguf.array("uint64", [0n, 7n]),
  "t.bools": gguf.array("bool", [true, false]),
  "t.nested": gguf.array("array", [gguf.array("uint8", [1, 2]), gguf.array("string", ["x"])]),
  "t.no.items": gguf.array("int32", []),
};

const f32Values = new Float32Array([1, -2, 3.5, 0.1, 1e-3, -7]);
const f16Values = new Float32Array([1, -2, 0.1, 65504, 1e-5]);
const tensors: GgufTensorInput[] = [
  { name: "a.weight", shape: [3, 2], type: "F32", data: () => f32Values },
  { name: "b.half", shape: [5], type: "F16", data: () => f16Values },
  { name: "c.odd", shape: [7, 1, 1], type: "F32", data: () => new Float32Array(7).fill(2) },
];

describe("GGUF writer and reader", () => {
  it("round-trips every metadata type, in order", async () => {
    const path = join(dir, "all.gguf");
    await writeGguf(path, { metadata, tensors });
    const file = await readGguf(path);
    expect(file.version).toBe(3);
    expect(Object.keys(file.metadata)).toEqual(Object.keys(metadata));
    const expected = structuredClone(metadata);
    // float32 values come back as the nearest float32.
    expected["t.f32"] = gguf.float32(Math.fround(0.1));
    expected["t.floats"] = gguf.array("float32", [0.5, -1.25, Math.fround(1e-7)]);
    expect(file.metadata).toEqual(expected);
  });

  it("writes the header as the spec lays it out", async () => {
    const path = join(dir, "header.gguf");
    await writeGguf(path, { metadata: { "k": gguf.uint32(7) }, tensors: [] });
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(bytes.readUInt32LE(4)).toBe(3); // version
    expect(bytes.readBigUInt64LE(8)).toBe(0n); // tensors
    expect(bytes.readBigUInt64LE(16)).toBe(1n); // metadata entries
    expect(bytes.readBigUInt64LE(24)).toBe(1n); // key length
    expect(bytes.subarray(32, 33).toString()).toBe("k");
    expect(bytes.readUInt32LE(33)).toBe(4); // uint32 type id
    expect(bytes.readUInt32LE(37)).toBe(7);
    expect(bytes.length).toBe(64); // 41 bytes padded to 32
  });

  it("reads back tensor infos and data, 32-byte aligned", async () => {
    const path = join(dir, "tensors.gguf");
    const result = await writeGguf(path, { metadata, tensors });
    const file = await readGguf(path);
    expect(file.alignment).toBe(32);
    expect(file.dataOffset % 32).toBe(0);
    expect(file.dataOffset).toBe(result.dataOffset);
    expect(file.tensors.map((t) => [t.name, t.shape, t.typeName, t.offset, t.byteLength])).toEqual([
      ["a.weight", [3, 2], "F32", 0, 24],
      ["b.half", [5], "F16", 32, 10],
      ["c.odd", [7, 1, 1], "F32", 64, 28],
    ]);
    // Every tensor, the last included, is padded to the alignment.
    expect(file.fileSize).toBe(file.dataOffset + 96);
    expect(result.bytes).toBe(file.fileSize);
    expect(Array.from(await readTensor(file, "a.weight"))).toEqual(Array.from(f32Values));
    const half = Array.from(f16Values, (v) => float16BitsToFloat32(float32ToFloat16Bits(v)));
    expect(Array.from(await readTensor(file, "b.half"))).toEqual(half);
    expect(half[2]).toBeCloseTo(0.1, 3);
    expect(Array.from(await readTensor(file, "c.odd"))).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });

  it("honours general.alignment", async () => {
    const path = join(dir, "align64.gguf");
    await writeGguf(path, { metadata: { "general.alignment": gguf.uint32(64) }, tensors });
    const file = await readGguf(path);
    expect(file.alignment).toBe(64);
    expect(file.dataOffset % 64).toBe(0);
    expect(file.tensors.map((t) => t.offset)).toEqual([0, 64, 128]);
    expect(Array.from(await readTensor(file, "c.odd"))).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });

  it("asks for each tensor's data only when writing it", async () => {
    const calls: string[] = [];
    const lazy = tensors.map((t) => ({ ...t, data: () => (calls.push(t.name), t.data()) }));
    await writeGguf(join(dir, "lazy.gguf"), { metadata: {}, tensors: lazy });
    expect(calls).toEqual(["a.weight", "b.half", "c.odd"]);
  });

  it("rejects bad input, names the file and what was wrong, and leaves no file behind", async () => {
    const sub = await mkdtemp(join(dir, "bad-"));
    const path = join(sub, "bad.gguf");
    await expect(writeGguf(path, { metadata: { "t.u8": gguf.uint8(256) }, tensors: [] })).rejects.toThrow(
      `${path}: metadata "t.u8": expected an integer in [0, 255] for type uint8, got 256`,
    );
    await expect(writeGguf(path, { metadata: { "t.a": gguf.array("string", ["ok", 3 as unknown as string]) }, tensors: [] }))
      .rejects.toThrow(`metadata "t.a"[1]: expected a string`);
    const short = { name: "short", shape: [4, 2], type: "F32" as const, data: () => new Float32Array(7) };
    await expect(writeGguf(path, { metadata: {}, tensors: [short] })).rejects.toThrow(
      `${path}: tensor "short": data() returned 7 values, expected a Float32Array of 8 values (shape [4, 2])`,
    );
    await expect(writeGguf(path, { metadata: {}, tensors: [tensors[0]!, tensors[0]!] })).rejects.toThrow('tensor "a.weight" appears twice');
    await expect(writeGguf(path, { metadata: { "general.alignment": gguf.uint32(48) }, tensors: [] })).rejects.toThrow(
      "general.alignment",
    );
    expect(await readdir(sub)).toEqual([]);
  });
});

describe("float16 conversion", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // rounds up to infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // below half of it: zero
    [-0, 0x8000],
    [1 + 2 ** -11, 0x3c00], // tie: to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
    [Infinity, 0x7c00],
  ])("%f -> %i", (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it("keeps NaN a NaN and inverts exactly on representable values", () => {
    expect(float16BitsToFloat32(float32ToFloat16Bits(NaN))).toBeNaN();
    for (let bits = 0; bits < 0x7c00; bits += 37) {
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
      expect(float32ToFloat16Bits(-float16BitsToFloat32(bits))).toBe(bits | 0x8000);
    }
  });
});

describe("reading broken files", () => {
  it("names the file when the magic is wrong", async () => {
    const path = join(dir, "not-gguf.bin");
    await writeFile(path, "GGML and then some bytes");
    const err = await readGguf(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GgufError);
    expect((err as Error).message).toBe(
      `${path}: not a GGUF file: magic is "GGML" (bytes 47474d4c), expected "GGUF"`,
    );
  });

  it("names the file and the place when it is truncated", async () => {
    const full = join(dir, "full.gguf");
    await writeGguf(full, { metadata, tensors });
    const bytes = await readFile(full);
    const file = await readGguf(full);
    const cuts: [number, RegExp][] = [
      [2, /needs 4 bytes at offset 0 for the magic/],
      [30, /tensor count 3 cannot fit in the 14 bytes left at offset 16/],
      [bytes.indexOf("t.string") + 14, /for metadata "t.string"/],
      [bytes.indexOf("t.strings") + 9 + 4 + 4 + 8 + 8 + 3, /metadata "t.strings" array length 4 cannot fit/],
      [bytes.indexOf("b.half") + 6 + 2, /for tensor "b.half" dimension count/],
      [file.dataOffset + 40, /truncated: tensor "b.half" data ends at byte/],
    ];
    for (const [at, where] of cuts) {
      const path = join(dir, `cut-${at}.gguf`);
      await writeFile(path, bytes.subarray(0, at));
      const err = await readGguf(path).catch((e: unknown) => e);
      expect(err, `cut at ${at}`).toBeInstanceOf(GgufError);
      expect((err as Error).message.startsWith(`${path}: truncated`), (err as Error).message).toBe(true);
      expect((err as Error).message).toMatch(where);
    }
  });

  it("rejects an unknown version and reports missing or mistyped metadata", async () => {
    const path = join(dir, "v9.gguf");
    await writeGguf(path, { metadata: { "a.b": gguf.uint32(1) }, tensors: [] });
    const file = await readGguf(path);
    expect(() => requireMetadata(file, "a.c", "string")).toThrow(`${path}: missing metadata "a.c" (expected string)`);
    expect(() => requireMetadata(file, "a.b", "string")).toThrow(`${path}: metadata "a.b": expected string, got uint32 1`);
    expect(requireMetadata(file, "a.b", "uint32").value).toBe(1);
    await expect(readTensor(file, "nope")).rejects.toThrow(`${path}: no tensor named "nope"`);

    const bytes = await readFile(path);
    bytes.writeUInt32LE(9, 4);
    await writeFile(path, bytes);
    await expect(readGguf(path)).rejects.toThrow(`${path}: unsupported GGUF version 9, expected 3 (or 2)`);
  });
});

describe.skipIf(!existsSync(VOCAB))(existsSync(VOCAB) ? "llama.cpp's vocab GGUF" : `llama.cpp's vocab GGUF (skipped: ${VOCAB} not found; set AGENTLOAD_VOCAB_GGUF)`, () => {
  it("reads it and writes it back byte for byte", async () => {
    const vocab = await readGguf(VOCAB);
    const tokens = requireMetadata(vocab, "tokenizer.ggml.tokens", "array");
    expect(tokens.itemType).toBe("string");
    expect(tokens.value.length).toBe(32000);
    expect(tokens.value.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(vocab.tensors).toEqual([]);

    const copy = join(dir, "vocab-copy.gguf");
    await writeGguf(copy, { metadata: vocab.metadata, tensors: [] });
    const original = await readFile(VOCAB);
    const written = await readFile(copy);
    // llama.cpp's writer pads the header to the alignment even without tensors; the Python one does not.
    expect(written.subarray(0, original.length).equals(original)).toBe(true);
    expect(written.length - original.length).toBeLessThan(32);
    expect(written.subarray(original.length).every((b) => b === 0)).toBe(true);
  });
});
