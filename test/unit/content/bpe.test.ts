// bpe.ts, the tiktoken encoder reply counting uses when the server has no /tokenize: the same ids
// as js-tiktoken's own encode (checked on seeded texts of every kind, long runs included up to
// where js-tiktoken still ends in time), and work in bounded steps, so a whitespace-free run of
// any length leaves the event loop free between them (js-tiktoken took 21 to 59 s for 16 KB here).
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { describe, expect, it } from "vitest";
import { encodeSteps, inSlices, rankTable, runToEnd, type RankTable } from "../../../src/content/bpe.js";

/** Seeded texts: random mixes of letters, digits, punctuation, whitespace, accents, CJK, emoji; runs of one class; code. */
function corpus(seed: number): string[] {
  let x = seed;
  const random = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const chars = Array.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t\r.,;:!?'\"()[]{}<>/\\-_=+*&^%$#@~`|éüßñÉ中文日本語한국어😀🚀\u0301");
  const pick = (set: string[]) => set[Math.floor(random() * set.length)]!;
  const texts = ["", "hello world", "<|endoftext|> is plain text here", "   \n\n  \t x", "I'm don't WE'LL they've", "1234567890123", "\ud800 a lone surrogate", "a".repeat(1500), " ".repeat(700), "=".repeat(900), "ab".repeat(600)];
  for (let i = 0; i < 400; i++) texts.push(Array.from({ length: Math.floor(random() * 200) }, () => pick(chars)).join(""));
  for (let i = 0; i < 40; i++) {
    const set = chars.slice(Math.floor(random() * 60), 64 + Math.floor(random() * 20));
    texts.push(Array.from({ length: Math.floor(random() * 1200) }, () => pick(set)).join(""));
  }
  texts.push("export function* encodeSteps(table: RankTable, text: string): Generator<void, number[]> {\n  const out: number[] = [];\n  return out;\n}\n");
  return texts;
}

/** The text's bytes back from ids (every id a token of the table). */
function decode(table: RankTable, ids: number[]): string {
  const byRank = new Map<number, string>();
  for (const [bytes, rank] of table.ranks) byRank.set(rank, bytes);
  const bytes = ids.map((id) => byRank.get(id)!).join("");
  return new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
}

const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");

describe.each([
  ["cl100k_base", cl100k],
  ["o200k_base", o200k],
])("bpe over %s", (_name, file) => {
  const table = rankTable(file);

  it("gives js-tiktoken's ids for every text of the corpus", () => {
    const reference = new Tiktoken(file);
    const differ = corpus(12345).filter((text) => JSON.stringify(runToEnd(encodeSteps(table, text))) !== JSON.stringify(reference.encode(text, [], [])));
    expect(differ).toEqual([]);
  }, 120_000);

  it("encodes 16 KB and 256 KB runs without whitespace into tokens that decode back to them", () => {
    for (const text of [letters(16 * 1024), "a".repeat(16 * 1024), "中文".repeat(2731), letters(256 * 1024)]) {
      expect(decode(table, runToEnd(encodeSteps(table, text)))).toBe(text);
    }
  }, 120_000);
});

describe("bounded steps", () => {
  const table = rankTable(cl100k);

  it("splits a 1 MB run into steps of about 1024 units of work or fewer", () => {
    let steps = 0;
    const gen = encodeSteps(table, "a".repeat(1 << 20));
    while (!gen.next().done) steps++;
    // Its pairs alone (2^20) are 1024 steps; merges and tokens out add more.
    expect(steps).toBeGreaterThan(2 ** 20 / 1024);
  }, 60_000);

  it("lets timers fire while a long run is encoded in slices", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const ids = await inSlices(encodeSteps(table, letters(256 * 1024)), 2);
    clearInterval(timer);
    expect(ids.length).toBeGreaterThan(100_000);
    // In one go (js-tiktoken's encode) not one tick could fire before the ids were there.
    expect(ticks).toBeGreaterThan(5);
  }, 60_000);
});
