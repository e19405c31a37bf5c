// Shared by the trace tests: fixture paths, the ../shared traces, and a tokenizer whose counts
// can be checked by hand (one token per character).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tokenizer } from "../../src/content/tokenizer.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

export const fixtures = join(root, "fixtures/traces");
export const sharedTraces = join(root, "../shared/traces");
export const haveShared = existsSync(join(sharedTraces, "openclaw/case-study-1-interp/dag.json"));
export const sharedSkipReason = `skipped: ${sharedTraces} not found (../shared is absent in this checkout)`;

export const charTokenizer: Tokenizer = {
  name: "characters",
  kind: "approximate",
  tokenize: async (text) => Array.from(text, (_, i) => i),
  count: async (text) => text.length,
  countMany: async (texts) => texts.map((t) => t.length),
};
