// The words content is built from, calibrated once per tokenizer so token counts add up exactly:
// rendered text of n tokens is n words joined by single spaces, and that only works when
//   - every word, after a space, is exactly one token (checked after an anchor word, so
//     SentencePiece's space prefix cannot blur it),
//   - the first word of a message ("lead") is one token without a space too, alone and after one
//     or two newlines (where chat templates put message content),
//   - neighbouring words never merge: a random 2,000-word text counts exactly 2,000 tokens, alone
//     and after a newline. Offending words are found by bisection, dropped, and the check repeated.
// The result is plain data: keep it (e.g. as JSON) to skip calibration next time.
import { DEFAULT_WORDS } from "./words.js";
import { rngFor } from "../stats/random.js";
import type { Tokenizer } from "./tokenizer.js";
import type { Rng } from "../workload/types.js";

export interface Vocabulary {
  /** Tokenizer.name it was calibrated with. */
  tokenizer: string;
  /** Words that are one token each after a space. */
  words: string[];
  /** Words (a subset of `words`) that are also one token at the start of a message. */
  leads: string[];
}

export interface CalibrateOptions {
  /** Candidate words (default DEFAULT_WORDS): lowercase letters only are sensible. */
  candidates?: readonly string[];
  /** Length of the random texts that must count exactly (default 2000). */
  sampleWords?: number;
  /** Random texts that must pass in a row (default 2). */
  passes?: number;
  /** Give up after this many texts (default 12). */
  maxRounds?: number;
  /** Fewest words / lead words acceptable (defaults 32 / 1). */
  minWords?: number;
  minLeads?: number;
}

const ANCHOR = "the";

/** Three 16-bit draws per rng.next(): 48 bits of the double are exact, so every platform agrees. */
export function indexPicker(rng: Rng): (n: number) => number {
  let bits = 0;
  let left = 0;
  return (n) => {
    if (left === 0) {
      bits = Math.floor(rng.next() * 2 ** 48);
      left = 3;
    }
    const field = bits % 65536;
    bits = (bits - field) / 65536;
    left--;
    return Math.floor((field * n) / 65536);
  };
}

/** Picks `count` words: a lead first when the text starts a message, then words. */
export function pickWords(vocabulary: Vocabulary, rng: Rng, count: number, startsMessage = true): string[] {
  const pick = indexPicker(rng);
  const { words, leads } = vocabulary;
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    out[i] = i === 0 && startsMessage ? leads[pick(leads.length)]! : words[pick(words.length)]!;
  }
  return out;
}

/**
 * Calibrates a vocabulary for a tokenizer. Throws (naming the tokenizer) when too few candidates
 * survive or the random texts keep miscounting.
 */
export async function calibrateVocabulary(tokenizer: Tokenizer, options: CalibrateOptions = {}): Promise<Vocabulary> {
  const candidates = [...new Set(options.candidates ?? DEFAULT_WORDS)];
  const sampleWords = options.sampleWords ?? 2000;
  const passesNeeded = options.passes ?? 2;
  const maxRounds = options.maxRounds ?? 12;
  const minWords = options.minWords ?? 32;
  const minLeads = options.minLeads ?? 1;
  const fail = (why: string) => new Error(`calibrating content words for tokenizer '${tokenizer.name}': ${why}`);
  const odd = candidates.find((w) => w.length === 0 || /\s/.test(w));
  if (odd !== undefined) throw fail(`candidate ${JSON.stringify(odd)} is empty or holds whitespace; expected single words`);

  // One token after a space, measured after an anchor word.
  const [anchor, nl, nl2] = await tokenizer.countMany([ANCHOR, "\n", "\n\n"]);
  const afterAnchor = await tokenizer.countMany(candidates.map((w) => `${ANCHOR} ${w}`));
  let words = candidates.filter((_, i) => afterAnchor[i] === anchor! + 1);
  // One token at a message start: alone, and after the newlines templates put before content.
  const [alone, afterNl, afterNl2] = await Promise.all([
    tokenizer.countMany(words),
    tokenizer.countMany(words.map((w) => `\n${w}`)),
    tokenizer.countMany(words.map((w) => `\n\n${w}`)),
  ]);
  let leads = words.filter((_, i) => alone[i] === 1 && afterNl[i] === nl! + 1 && afterNl2[i] === nl2! + 1);

  // Words in context: how many tokens `ws` adds after the anchor.
  const inContext = async (texts: string[][]) =>
    (await tokenizer.countMany(texts.map((ws) => `${ANCHOR} ${ws.join(" ")}`))).map((c) => c - anchor!);

  let passes = 0;
  for (let round = 0; passes < passesNeeded; round++) {
    if (words.length < minWords || leads.length < minLeads) {
      throw fail(`only ${words.length} words and ${leads.length} lead words are single tokens (need ${minWords} and ${minLeads})`);
    }
    if (round >= maxRounds) throw fail(`random ${sampleWords}-word texts still miscount after ${maxRounds} rounds`);
    const sample = pickWords({ tokenizer: tokenizer.name, words, leads }, rngFor("calibration", String(round)), sampleWords);
    const text = sample.join(" ");
    const [total, withNl] = await tokenizer.countMany([text, `\n${text}`]);
    if (total === sampleWords && withNl === nl! + sampleWords) {
      passes++;
      continue;
    }
    passes = 0;
    const bad = new Set<string>();
    // The lead against its neighbour, at the very start.
    if (sample.length > 1 && (await tokenizer.count(`${sample[0]} ${sample[1]}`)) !== 2) bad.add(sample[0]!);
    const [all] = await inContext([sample]);
    if (all !== sample.length) await findMerges(sample, 0, sample.length, inContext, bad);
    if (bad.size === 0) {
      // Miscounted only at the message start: the lead word is the suspect.
      bad.add(sample[0]!);
    }
    words = words.filter((w) => !bad.has(w));
    leads = leads.filter((w) => !bad.has(w));
  }
  return { tokenizer: tokenizer.name, words, leads };
}

/**
 * Bisects sample[lo, hi), known to miscount, down to single words that miscount or to the pair
 * straddling a split where both halves count right but the whole does not (the two merge).
 */
async function findMerges(
  sample: string[],
  lo: number,
  hi: number,
  inContext: (texts: string[][]) => Promise<number[]>,
  bad: Set<string>,
): Promise<void> {
  if (hi - lo === 1) {
    bad.add(sample[lo]!);
    return;
  }
  const mid = (lo + hi) >> 1;
  const [left, right] = await inContext([sample.slice(lo, mid), sample.slice(mid, hi)]);
  const leftBad = left !== mid - lo;
  const rightBad = right !== hi - mid;
  if (leftBad) await findMerges(sample, lo, mid, inContext, bad);
  if (rightBad) await findMerges(sample, mid, hi, inContext, bad);
  if (!leftBad && !rightBad) {
    bad.add(sample[mid - 1]!);
    bad.add(sample[mid]!);
  }
}
