// GGUF v3 writer and reader (Node-only: uses node:fs).
//
// Layout: header (magic, version, tensor count, metadata count), metadata key/values, tensor infos,
// padding to the alignment, then the tensor data, each tensor padded to the alignment. All numbers are
// little-endian. Dimensions are listed innermost first (ne0 is contiguous), as ggml does.
// The writer streams tensor data to the file one tensor at a time, asking for each tensor's values only
// when it is written, so a model larger than memory comfort never exists as one buffer.

import { open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";

export const GGUF_MAGIC = "GGUF";
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, named as in the GGUF spec; the array index is the type id on disk. */
const VALUE_TYPE_IDS = [
  "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
  "bool", "string", "array", "uint64", "int64", "float64",
] as const;

export type GgufValueType = (typeof VALUE_TYPE_IDS)[number];
export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
export type GgufBigIntType = "uint64" | "int64";

export type GgufArrayValue =
  | { type: "array"; itemType: GgufNumberType; value: number[] }
  | { type: "array"; itemType: GgufBigIntType; value: bigint[] }
  | { type: "array"; itemType: "bool"; value: boolean[] }
  | { type: "array"; itemType: "string"; value: string[] }
  | { type: "array"; itemType: "array"; value: GgufArrayValue[] };

export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | GgufArrayValue;

export type GgufMetadata = Record<string, GgufValue>;

/** The value shape for one type name, e.g. GgufValueOf<"uint32"> is { type: "uint32"; value: number }. */
export type GgufValueOf<T extends GgufValueType> = T extends "array"
  ? GgufArrayValue
  : T extends GgufNumberType
    ? { type: T; value: number }
    : T extends GgufBigIntType
      ? { type: T; value: bigint }
      : T extends "bool"
        ? { type: T; value: boolean }
        : { type: T; value: string };

/** Short constructors for metadata values, e.g. `gguf.uint32(4)`, `gguf.array("string", names)`. */
export const gguf = {
  uint8: (value: number): GgufValue => ({ type: "uint8", value }),
  int8: (value: number): GgufValue => ({ type: "int8", value }),
  uint16: (value: number): GgufValue => ({ type: "uint16", value }),
  int16: (value: number): GgufValue => ({ type: "int16", value }),
  uint32: (value: number): GgufValue => ({ type: "uint32", value }),
  int32: (value: number): GgufValue => ({ type: "int32", value }),
  float32: (value: number): GgufValue => ({ type: "float32", value }),
  float64: (value: number): GgufValue => ({ type: "float64", value }),
  uint64: (value: bigint): GgufValue => ({ type: "uint64", value }),
  int64: (value: bigint): GgufValue => ({ type: "int64", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  array: ((itemType: GgufArrayValue["itemType"], value: unknown[]) =>
    ({ type: "array", itemType, value }) as GgufArrayValue) as {
    (itemType: GgufNumberType, value: number[]): GgufArrayValue;
    (itemType: GgufBigIntType, value: bigint[]): GgufArrayValue;
    (itemType: "bool", value: boolean[]): GgufArrayValue;
    (itemType: "string", value: string[]): GgufArrayValue;
    (itemType: "array", value: GgufArrayValue[]): GgufArrayValue;
  },
};

/** ggml tensor types this module can write and decode. Other types are read as infos only. */
export type GgufTensorType = "F32" | "F16";

const TENSOR_TYPE_IDS: Record<GgufTensorType, number> = { F32: 0, F16: 1 };
const TENSOR_TYPE_BYTES: Record<GgufTensorType, number> = { F32: 4, F16: 2 };

/** Names of ggml types by id, for messages and infos (only the plain, unblocked ones carry a size here). */
const GGML_TYPE_NAMES: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
  11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 24: "I8", 25: "I16", 26: "I32",
  27: "I64", 28: "F64", 30: "BF16",
};
const PLAIN_TYPE_BYTES: Record<number, number> = { 0: 4, 1: 2, 24: 1, 25: 2, 26: 4, 27: 8, 28: 8, 30: 2 };

export class GgufError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "GgufError";
  }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

export interface GgufTensorInput {
  name: string;
  /** Dimensions innermost first: a weight mapping n_in to n_out is [n_in, n_out]. */
  shape: readonly number[];
  type: GgufTensorType;
  /** Called once, when this tensor is written; values are converted to `type`. */
  data: () => Float32Array;
}

export interface GgufWriteInput {
  /** Written in insertion order. `general.alignment` (uint32), when present, sets the alignment. */
  metadata: GgufMetadata;
  tensors: readonly GgufTensorInput[];
}

export interface GgufWriteResult {
  path: string;
  bytes: number;
  /** File offset where tensor data begins. */
  dataOffset: number;
}

/**
 * Writes a GGUF v3 file. The file appears at `path` only when complete (written under a temporary
 * name in the same folder, then renamed), so a half-written model is never picked up from a cache.
 */
export async function writeGguf(path: string, input: GgufWriteInput): Promise<GgufWriteResult> {
  const alignment = alignmentOf(path, input.metadata);
  const header = new ByteWriter(path);
  header.string(GGUF_MAGIC, "magic", false);
  header.u32(GGUF_VERSION);
  header.u64(BigInt(input.tensors.length));
  header.u64(BigInt(Object.keys(input.metadata).length));
  for (const [key, value] of Object.entries(input.metadata)) {
    header.string(key, `metadata key "${key}"`);
    header.u32(VALUE_TYPE_IDS.indexOf(value.type));
    header.value(value, `metadata "${key}"`);
  }

  const names = new Set<string>();
  let offset = 0;
  for (const tensor of input.tensors) {
    checkTensor(path, tensor, names);
    header.string(tensor.name, `tensor name "${tensor.name}"`);
    header.u32(tensor.shape.length);
    for (const dim of tensor.shape) header.u64(BigInt(dim));
    header.u32(TENSOR_TYPE_IDS[tensor.type]);
    header.u64(BigInt(offset));
    offset += padTo(tensorByteLength(tensor), alignment);
  }

  const headerBytes = header.toBuffer();
  const dataOffset = padTo(headerBytes.length, alignment);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, "w");
  try {
    let written = 0;
    const write = async (buf: Uint8Array): Promise<void> => {
      await fh.write(buf);
      written += buf.length;
    };
    await write(headerBytes);
    await write(new Uint8Array(dataOffset - headerBytes.length));
    for (const tensor of input.tensors) {
      const values = tensor.data();
      const count = elementCount(tensor.shape);
      if (!(values instanceof Float32Array) || values.length !== count) {
        const got = values instanceof Float32Array ? `${values.length} values` : typeof values;
        throw new GgufError(path, `tensor "${tensor.name}": data() returned ${got}, expected a Float32Array of ${count} values (shape [${tensor.shape.join(", ")}])`);
      }
      const bytes = encodeTensor(values, tensor.type);
      await write(bytes);
      await write(new Uint8Array(padTo(bytes.length, alignment) - bytes.length));
    }
    await fh.close();
    await rename(tmp, path);
    return { path, bytes: written, dataOffset };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

function alignmentOf(path: string, metadata: GgufMetadata): number {
  const entry = metadata["general.alignment"];
  if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (entry.type !== "uint32" || !isPowerOfTwo(entry.value)) {
    throw new GgufError(path, `metadata "general.alignment" must be a uint32 power of two, got ${describeValue(entry)}`);
  }
  return entry.value;
}

function checkTensor(path: string, tensor: GgufTensorInput, names: Set<string>): void {
  const where = `tensor "${tensor.name}"`;
  if (names.has(tensor.name)) throw new GgufError(path, `${where} appears twice`);
  names.add(tensor.name);
  if (tensor.shape.length < 1 || tensor.shape.length > 4) {
    throw new GgufError(path, `${where}: expected 1 to 4 dimensions, got ${tensor.shape.length}`);
  }
  for (const dim of tensor.shape) {
    if (!Number.isSafeInteger(dim) || dim < 1) {
      throw new GgufError(path, `${where}: dimensions must be positive integers, got [${tensor.shape.join(", ")}]`);
    }
  }
  if (!(tensor.type in TENSOR_TYPE_IDS)) {
    throw new GgufError(path, `${where}: type must be one of ${Object.keys(TENSOR_TYPE_IDS).join(", ")}, got ${String(tensor.type)}`);
  }
}

function tensorByteLength(tensor: GgufTensorInput): number {
  return elementCount(tensor.shape) * TENSOR_TYPE_BYTES[tensor.type];
}

function encodeTensor(values: Float32Array, type: GgufTensorType): Uint8Array {
  if (type === "F32") return littleEndianBytes(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]!);
  return littleEndianBytes(out);
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a typed array in little-endian order (a copy is swapped on a big-endian host). */
function littleEndianBytes(arr: Float32Array | Uint16Array): Uint8Array {
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const width = arr.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) swapped[i + j] = bytes[i + width - 1 - j]!;
  }
  return swapped;
}

/** Header bytes, growing as values are appended. */
class ByteWriter {
  private chunks: Buffer[] = [];
  constructor(private readonly path: string) {}

  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.chunks.push(b);
  }

  u64(v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    this.chunks.push(b);
  }

  string(s: string, what: string, withLength = true): void {
    if (typeof s !== "string") throw new GgufError(this.path, `${what}: expected a string, got ${typeof s}`);
    const bytes = Buffer.from(s, "utf8");
    if (withLength) this.u64(BigInt(bytes.length));
    this.chunks.push(bytes);
  }

  value(v: GgufValue, what: string): void {
    if (v.type === "array") {
      if (!VALUE_TYPE_IDS.includes(v.itemType) || !Array.isArray(v.value)) {
        throw new GgufError(this.path, `${what}: expected an array of a GGUF value type, got ${describeValue(v)}`);
      }
      this.u32(VALUE_TYPE_IDS.indexOf(v.itemType));
      this.u64(BigInt(v.value.length));
      v.value.forEach((item, i) => this.scalar(v.itemType, item, `${what}[${i}]`));
      return;
    }
    this.scalar(v.type, v.value, what);
  }

  private scalar(type: GgufValueType, value: unknown, what: string): void {
    const fail = (expected: string): never => {
      throw new GgufError(this.path, `${what}: expected ${expected} for type ${type}, got ${JSON.stringify(value, bigintReplacer) ?? typeof value}`);
    };
    switch (type) {
      case "string":
        if (typeof value !== "string") fail("a string");
        this.string(value as string, what);
        return;
      case "bool":
        if (typeof value !== "boolean") fail("a boolean");
        this.chunks.push(Buffer.from([value ? 1 : 0]));
        return;
      case "uint64":
      case "int64": {
        const [lo, hi] = type === "uint64" ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
        if (typeof value !== "bigint" || value < lo || value > hi) fail(`a bigint in [${lo}, ${hi}]`);
        const b = Buffer.alloc(8);
        if (type === "uint64") b.writeBigUInt64LE(value as bigint);
        else b.writeBigInt64LE(value as bigint);
        this.chunks.push(b);
        return;
      }
      case "float32":
      case "float64": {
        if (typeof value !== "number") fail("a number");
        const b = Buffer.alloc(type === "float32" ? 4 : 8);
        if (type === "float32") b.writeFloatLE(value as number);
        else b.writeDoubleLE(value as number);
        this.chunks.push(b);
        return;
      }
      case "array": {
        const nested = value as GgufArrayValue;
        if (typeof nested !== "object" || nested === null || nested.type !== "array") fail("a nested array value");
        this.value(nested, what);
        return;
      }
      default: {
        const { bytes, signed } = INT_LAYOUT[type];
        const bits = BigInt(bytes * 8);
        const lo = signed ? -(2 ** Number(bits - 1n)) : 0;
        const hi = signed ? 2 ** Number(bits - 1n) - 1 : 2 ** Number(bits) - 1;
        if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
          fail(`an integer in [${lo}, ${hi}]`);
        }
        const b = Buffer.alloc(bytes);
        if (signed) b.writeIntLE(value as number, 0, bytes);
        else b.writeUIntLE(value as number, 0, bytes);
        this.chunks.push(b);
      }
    }
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const INT_LAYOUT = {
  uint8: { bytes: 1, signed: false },
  int8: { bytes: 1, signed: true },
  uint16: { bytes: 2, signed: false },
  int16: { bytes: 2, signed: true },
  uint32: { bytes: 4, signed: false },
  int32: { bytes: 4, signed: true },
} as const;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export interface GgufTensorInfo {
  name: string;
  /** Dimensions innermost first. */
  shape: number[];
  /** ggml type id, and its name when known ("F32", "F16", "Q8_0", ...). */
  typeId: number;
  typeName: string;
  /** Offset of the data from the start of the data section. */
  offset: number;
  /** Data size in bytes, when the type is a plain (unblocked) one. */
  byteLength?: number;
}

export interface GgufFile {
  path: string;
  version: number;
  alignment: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  /** File offset where the data section begins. */
  dataOffset: number;
  fileSize: number;
}

/** Reads the header, metadata and tensor infos of a GGUF file (v2 or v3); tensor data stays on disk. */
export async function readGguf(path: string): Promise<GgufFile> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const r = new HeaderReader(fh, path, size);

    await r.need(4, "the magic");
    const magic = r.bytes(4);
    if (magic.toString("latin1") !== GGUF_MAGIC) {
      throw new GgufError(path, `not a GGUF file: magic is ${JSON.stringify(magic.toString("latin1"))} (bytes ${magic.toString("hex")}), expected "GGUF"`);
    }
    await r.need(4 + 8 + 8, "the header");
    const version = r.u32();
    if (version !== 2 && version !== 3) {
      throw new GgufError(path, `unsupported GGUF version ${version}, expected 3 (or 2)`);
    }
    const tensorCount = r.count(r.u64(), 32, "tensor count");
    const metadataCount = r.count(r.u64(), 13, "metadata count");

    const metadata: GgufMetadata = {};
    for (let i = 0; i < metadataCount; i++) {
      const key = await r.string(`metadata key #${i}`);
      await r.need(4, `the type of metadata "${key}"`);
      const typeId = r.u32();
      metadata[key] = await r.value(typeId, `metadata "${key}"`);
    }

    const alignmentEntry = metadata["general.alignment"];
    let alignment = GGUF_DEFAULT_ALIGNMENT;
    if (alignmentEntry !== undefined) {
      if (alignmentEntry.type !== "uint32" || !isPowerOfTwo(alignmentEntry.value)) {
        throw new GgufError(path, `metadata "general.alignment" must be a uint32 power of two, got ${describeValue(alignmentEntry)}`);
      }
      alignment = alignmentEntry.value;
    }

    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = await r.string(`tensor info #${i} name`);
      const where = `tensor "${name}"`;
      await r.need(4, `${where} dimension count`);
      const dims = r.u32();
      if (dims < 1 || dims > 4) throw new GgufError(path, `${where}: expected 1 to 4 dimensions, got ${dims}`);
      await r.need(dims * 8 + 4 + 8, `${where} info`);
      const shape: number[] = [];
      for (let d = 0; d < dims; d++) shape.push(r.safeNumber(r.u64(), `${where} dimension ${d}`));
      const typeId = r.u32();
      const offset = r.safeNumber(r.u64(), `${where} offset`);
      if (offset % alignment !== 0) {
        throw new GgufError(path, `${where}: data offset ${offset} is not a multiple of the alignment ${alignment}`);
      }
      const typeName = GGML_TYPE_NAMES[typeId] ?? `type ${typeId}`;
      const plain = PLAIN_TYPE_BYTES[typeId];
      const info: GgufTensorInfo = { name, shape, typeId, typeName, offset };
      if (plain !== undefined) info.byteLength = elementCount(shape) * plain;
      tensors.push(info);
    }

    const dataOffset = padTo(r.position, alignment);
    for (const t of tensors) {
      const end = dataOffset + t.offset + (t.byteLength ?? 0);
      if (end > size) {
        throw new GgufError(path, `truncated: tensor "${t.name}" data ends at byte ${end}, but the file has ${size} bytes`);
      }
    }
    return { path, version, alignment, metadata, tensors, dataOffset, fileSize: size };
  } finally {
    await fh.close();
  }
}

/** Reads one F32 or F16 tensor's values as float32, in file order (innermost dimension first). */
export async function readTensor(file: GgufFile, name: string): Promise<Float32Array> {
  const info = file.tensors.find((t) => t.name === name);
  if (info === undefined) throw new GgufError(file.path, `no tensor named "${name}"`);
  if (info.typeId !== TENSOR_TYPE_IDS.F32 && info.typeId !== TENSOR_TYPE_IDS.F16) {
    throw new GgufError(file.path, `tensor "${name}" has type ${info.typeName}; only F32 and F16 can be decoded`);
  }
  const length = info.byteLength ?? 0;
  const start = file.dataOffset + info.offset;
  const buf = Buffer.alloc(length);
  const fh = await open(file.path, "r");
  try {
    const { bytesRead } = await fh.read(buf, 0, length, start);
    if (bytesRead !== length) {
      throw new GgufError(file.path, `truncated: tensor "${name}" needs ${length} bytes at offset ${start}, read ${bytesRead}`);
    }
  } finally {
    await fh.close();
  }
  const count = elementCount(info.shape);
  const out = new Float32Array(count);
  if (info.typeId === TENSOR_TYPE_IDS.F32) {
    for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(i * 4);
  } else {
    for (let i = 0; i < count; i++) out[i] = float16BitsToFloat32(buf.readUInt16LE(i * 2));
  }
  return out;
}

/** The metadata entry under `key`, checked to be of `type`; a clear error otherwise. */
export function requireMetadata<T extends GgufValueType>(
  file: GgufFile,
  key: string,
  type: T,
): GgufValueOf<T> {
  const entry = file.metadata[key];
  if (entry === undefined) throw new GgufError(file.path, `missing metadata "${key}" (expected ${type})`);
  if (entry.type !== type) {
    throw new GgufError(file.path, `metadata "${key}": expected ${type}, got ${describeValue(entry)}`);
  }
  return entry as GgufValueOf<T>;
}

/** Reads header bytes through a window that refills from the file on demand. */
class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  position = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly size: number,
  ) {}

  /** Makes the next `n` bytes available, or reports truncation naming `what` was being read. */
  async need(n: number, what: string): Promise<void> {
    if (this.position + n <= this.bufStart + this.buf.length) return;
    if (this.position + n > this.size) {
      throw new GgufError(this.path, `truncated: needs ${n} bytes at offset ${this.position} for ${what}, but the file has ${this.size} bytes`);
    }
    const length = Math.min(Math.max(n, 1 << 20), this.size - this.position);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, this.position);
    if (bytesRead < n) throw new GgufError(this.path, `short read at offset ${this.position} for ${what}`);
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = this.position;
  }

  private take(n: number): number {
    const at = this.position - this.bufStart;
    this.position += n;
    return at;
  }

  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.take(8));
  }

  safeNumber(v: bigint, what: string): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(this.path, `${what} is too large: ${v}`);
    return Number(v);
  }

  /** A count of items each at least `minBytes` long, checked against what is left of the file. */
  count(v: bigint, minBytes: number, what: string): number {
    const left = this.size - this.position;
    if (v * BigInt(minBytes) > BigInt(left)) {
      throw new GgufError(this.path, `truncated or corrupt: ${what} ${v} cannot fit in the ${left} bytes left at offset ${this.position}`);
    }
    return Number(v);
  }

  async string(what: string): Promise<string> {
    await this.need(8, `${what} length`);
    const length = this.count(this.u64(), 1, `${what} length`);
    await this.need(length, what);
    return this.bytes(length).toString("utf8");
  }

  async value(typeId: number, what: string): Promise<GgufValue> {
    const type = VALUE_TYPE_IDS[typeId];
    if (type === undefined) throw new GgufError(this.path, `${what}: unknown value type id ${typeId}`);
    if (type !== "array") return { type, value: await this.scalar(type, what) } as GgufValue;
    await this.need(4 + 8, `${what} array header`);
    const itemTypeId = this.u32();
    const itemType = VALUE_TYPE_IDS[itemTypeId];
    if (itemType === undefined) throw new GgufError(this.path, `${what}: unknown array item type id ${itemTypeId}`);
    const length = this.count(this.u64(), MIN_ITEM_BYTES[itemType], `${what} array length`);
    const items: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) {
      items[i] = itemType === "array"
        ? await this.value(VALUE_TYPE_IDS.indexOf("array"), `${what}[${i}]`)
        : await this.scalar(itemType, `${what}[${i}]`);
    }
    return { type: "array", itemType, value: items } as GgufArrayValue;
  }

  private async scalar(type: Exclude<GgufValueType, "array">, what: string): Promise<number | bigint | boolean | string> {
    switch (type) {
      case "string":
        return this.string(what);
      case "bool": {
        await this.need(1, what);
        const b = this.buf[this.take(1)]!;
        if (b > 1) throw new GgufError(this.path, `${what}: bool byte must be 0 or 1, got ${b}`);
        return b === 1;
      }
      case "uint64":
      case "int64":
        await this.need(8, what);
        return type === "uint64" ? this.u64() : this.buf.readBigInt64LE(this.take(8));
      case "float32":
        await this.need(4, what);
        return this.buf.readFloatLE(this.take(4));
      case "float64":
        await this.need(8, what);
        return this.buf.readDoubleLE(this.take(8));
      default: {
        const { bytes, signed } = INT_LAYOUT[type];
        await this.need(bytes, what);
        const at = this.take(bytes);
        return signed ? this.buf.readIntLE(at, bytes) : this.buf.readUIntLE(at, bytes);
      }
    }
  }
}

/** The fewest bytes one item of each type takes, to reject impossible counts before allocating. */
const MIN_ITEM_BYTES: Record<GgufValueType, number> = {
  uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4,
  uint64: 8, int64: 8, float64: 8, string: 8, array: 12,
};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

function padTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function bigintReplacer(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}n` : v;
}

function describeValue(v: GgufValue): string {
  const shown = JSON.stringify(v.value, bigintReplacer) ?? String(v.value);
  return `${v.type} ${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}`;
}

// IEEE 754 half precision, by bit manipulation (Node 20 has no Float16Array).
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Rounds a float32 to the nearest float16 (ties to even) and returns its 16 bits. */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // inf or NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // Subnormal half (or zero): value = mantissa * 2^-24 in half units.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
