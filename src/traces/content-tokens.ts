// Token counts of conversation content, for raw transcripts that keep the text but not how many
// tokens each piece added (OpenClaw session logs, Claude Code transcripts). The counting rules
// are the ones OpenClaw's dag.json was built with, so the raw log and its DAG agree:
//   text, thinking, user input, tool result text: the tokens of the text;
//   a tool call: tokens of its name + tokens of its arguments as Python's json.dumps writes them
//     (", " and ": " separators, non-ASCII kept) + 1.
// Texts are gathered first and counted in one batch (a tokenizer may be a server round trip).
import { tiktokenTokenizer, type Tokenizer } from "../content/tokenizer.js";

/** A sum of token counts not known yet: texts to count plus a constant. */
export interface Tally {
  slots: number[];
  extra: number;
}

export function emptyTally(): Tally {
  return { slots: [], extra: 0 };
}

/** The texts of a whole trace; equal texts are counted once. */
export class TextBatch {
  private readonly texts: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private counts: number[] | undefined;

  add(tally: Tally, text: string): void {
    if (text === "") return;
    let slot = this.slotOf.get(text);
    if (slot === undefined) {
      slot = this.texts.push(text) - 1;
      this.slotOf.set(text, slot);
    }
    tally.slots.push(slot);
  }

  addToolCall(tally: Tally, name: string, args: unknown): void {
    this.add(tally, name);
    this.add(tally, pythonJson(args ?? {}));
    tally.extra += 1;
  }

  async count(tokenizer: Tokenizer): Promise<void> {
    this.counts = await tokenizer.countMany(this.texts);
  }

  total(tally: Tally): number {
    const counts = this.counts;
    if (!counts) throw new Error("TextBatch.total before count()");
    let sum = tally.extra;
    for (const slot of tally.slots) sum += counts[slot]!;
    return sum;
  }
}

/** The tokenizer raw transcripts are counted with unless one is given: tiktoken o200k_base. */
export function defaultTranscriptTokenizer(): Promise<Tokenizer> {
  return tiktokenTokenizer("o200k_base");
}

/** JSON as Python's json.dumps(value, ensure_ascii=False) writes it. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (typeof value === "object") {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`);
    return `{${parts.join(", ")}}`;
  }
  return JSON.stringify(String(value));
}

/** The text blocks of a message's content (a string, or an array of blocks of which `text` ones count). */
export function contentTexts(content: unknown): string[] {
  if (typeof content === "string") return [content];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const block of content) {
    if (block && typeof block === "object" && (block as { type?: unknown }).type === "text") {
      const text = (block as { text?: unknown }).text;
      if (typeof text === "string") out.push(text);
    }
  }
  return out;
}
