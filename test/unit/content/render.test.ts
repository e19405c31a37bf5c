import { describe, expect, it } from "vitest";
import { conversationOf, createContentRenderer, renderWords, type ChatMessage } from "../../../src/content/render.js";
import { measureTemplateOverhead } from "../../../src/content/overhead.js";
import { calibrateVocabulary, indexPicker, type Vocabulary } from "../../../src/content/vocabulary.js";
import { DEFAULT_WORDS } from "../../../src/content/words.js";
import { rngFor } from "../../../src/stats/random.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import type { Tokenizer } from "../../../src/content/tokenizer.js";
import type { RequestNode, Scaffold, SessionGraph } from "../../../src/workload/types.js";

// A fake tokenizer with the traps real ones have:
//   - "<...>" markers and "\n" are one token each, and so is a word (with its leading space);
//   - some words are two tokens wherever they are ("twoTokens");
//   - some words are two tokens at a message start, without a space before them ("noLead");
//   - some neighbours merge into one token ("merges": "red" then " fox").
// Ids come from a shared table, so equal pieces get equal ids across calls.
interface FakeRules {
  twoTokens?: string[];
  noLead?: string[];
  merges?: [string, string][];
}

function fakeTokenizer(rules: FakeRules = {}, template?: (messages: readonly ChatMessage[], gen: boolean) => string): Tokenizer {
  const ids = new Map<string, number>();
  const id = (piece: string) => {
    if (!ids.has(piece)) ids.set(piece, ids.size + 1);
    return ids.get(piece)!;
  };
  const two = new Set(rules.twoTokens);
  const noLead = new Set(rules.noLead);
  const merges = new Set((rules.merges ?? []).map(([a, b]) => `${a} ${b}`));
  const tokenize = async (text: string) => {
    const out: number[] = [];
    const pieces = text.match(/<[^>]*>|\n| ?[^\s<]+| /g) ?? [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const word = piece.trim();
      const next = pieces[i + 1];
      if (next?.startsWith(" ") && merges.has(`${word} ${next.trim()}`)) {
        out.push(id(piece + next));
        i++;
      } else if (two.has(word) || (noLead.has(word) && !piece.startsWith(" "))) {
        out.push(id(`${piece}#1`), id(`${piece}#2`));
      } else {
        out.push(id(piece));
      }
    }
    return out;
  };
  const tok: Tokenizer = {
    name: "fake",
    kind: "approximate",
    tokenize,
    count: async (t) => (await tokenize(t)).length,
    countMany: async (ts) => Promise.all(ts.map(async (t) => (await tokenize(t)).length)),
  };
  if (template) tok.tokenizeChat = async (messages, o = {}) => tokenize(template(messages, o.addGenerationPrompt ?? true));
  return tok;
}

/** Like llama.cpp's tiny-model template: BOS, then "<|role|>\n" content "\n<|end|>\n" per message. */
function fakeTemplate(messages: readonly ChatMessage[], gen: boolean): string {
  return "<s>" + messages.map((m) => `<|${m.role}|>\n${m.content ?? ""}\n<|end|>\n`).join("") + (gen ? "<|assistant|>\n" : "");
}

const plainVocabulary: Vocabulary = { tokenizer: "fake", words: [...DEFAULT_WORDS], leads: [...DEFAULT_WORDS] };

function node(id: string, fresh: number, extra: Partial<RequestNode> = {}): RequestNode {
  return { id, parents: [], historyParent: null, freshInputTokens: fresh, outputTokens: 5, waitAfterReadyMs: 0, ...extra };
}

const text = (m: ChatMessage | undefined) => (m?.content ?? "") as string;

describe("calibrateVocabulary", () => {
  const candidates = ["the", "red", "fox", "people", "sun", "moon", "tree", "rock", "lake", "bird", "wind", "star"];

  it("keeps only words that are one token and never merge, and leads that are one token at a message start", async () => {
    const tok = fakeTokenizer({ twoTokens: ["people"], noLead: ["sun", "moon"], merges: [["red", "fox"]] });
    const v = await calibrateVocabulary(tok, { candidates, minWords: 4 });
    expect(v.tokenizer).toBe("fake");
    expect(v.words).not.toContain("people");
    // The merging pair is found in the random texts and dropped (12 candidates: it surely occurs).
    expect(v.words.includes("red") && v.words.includes("fox")).toBe(false);
    expect(v.words).toEqual(expect.arrayContaining(["the", "sun", "moon", "tree", "rock", "lake", "bird", "wind", "star"]));
    expect(v.leads).not.toContain("sun");
    expect(v.leads).not.toContain("moon");
    expect(v.leads.every((w) => v.words.includes(w))).toBe(true);
  });

  it("is deterministic", async () => {
    const rules = { merges: [["rock", "lake"]] as [string, string][] };
    const a = await calibrateVocabulary(fakeTokenizer(rules), { candidates, minWords: 4 });
    const b = await calibrateVocabulary(fakeTokenizer(rules), { candidates, minWords: 4 });
    expect(a).toEqual(b);
  });

  it("fails clearly when too few words survive", async () => {
    await expect(calibrateVocabulary(fakeTokenizer({ twoTokens: candidates.slice(2) }), { candidates })).rejects.toThrow(
      "calibrating content words for tokenizer 'fake': only 2 words and 2 lead words are single tokens (need 32 and 1)",
    );
    await expect(calibrateVocabulary(fakeTokenizer(), { candidates: ["good", "two words"] })).rejects.toThrow(
      'candidate "two words" is empty or holds whitespace',
    );
  });
});

describe("rendered text", () => {
  it("has exactly the asked number of tokens, at a message start and inside a template", async () => {
    const tok = fakeTokenizer({ twoTokens: ["people"], noLead: ["sun"], merges: [["red", "fox"]] });
    const v = await calibrateVocabulary(tok, { candidates: DEFAULT_WORDS.concat("sun") });
    const content = createContentRenderer({ seed: 1, scaffolds: [], vocabulary: v });
    for (const n of [0, 1, 2, 7, 500, 5000]) {
      const m = content.freshMessage("s", node(`n${n}`, n));
      expect(await tok.count(text(m))).toBe(n);
      expect(await tok.count(`<|user|>\n${text(m)}\n<|end|>`)).toBe(n + 4);
    }
  });

  it("is n words joined by single spaces, a lead word first", () => {
    const v: Vocabulary = { tokenizer: "t", words: ["a", "b"], leads: ["L"] };
    expect(renderWords(v, rngFor(1, "x"), 0)).toBe("");
    const s = renderWords(v, rngFor(1, "x"), 100_000);
    const words = s.split(" ");
    expect(words).toHaveLength(100_000);
    expect(words[0]).toBe("L");
    expect(new Set(words.slice(1))).toEqual(new Set(["a", "b"]));
    expect(renderWords(v, rngFor(1, "x"), 3, false).startsWith("L")).toBe(false);
  });

  it("rejects counts that are not non-negative integers, naming the node", () => {
    const content = createContentRenderer({ seed: 1, scaffolds: [], vocabulary: plainVocabulary });
    expect(() => content.freshMessage("s7", node("n3", -1))).toThrow("session 's7', node 'n3': freshInputTokens: token count must be a non-negative integer, got -1");
    expect(() => renderWords(plainVocabulary, rngFor(1, "x"), 2.5)).toThrow("got 2.5");
  });

  it("picks indices uniformly enough to reach every word, the same way every time", () => {
    const pick = indexPicker(rngFor(3, "p"));
    const seen = Array.from({ length: 3000 }, () => pick(10));
    expect(new Set(seen).size).toBe(10);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(9);
    const again = indexPicker(rngFor(3, "p"));
    expect(Array.from({ length: 3000 }, () => again(10))).toEqual(seen);
  });
});

describe("scaffolds", () => {
  const scaffolds: Scaffold[] = [
    { id: "coder", systemTokens: 300, toolTokens: 200 },
    { id: "sub", systemTokens: 50, toolTokens: 0 },
    { id: "tools-only", systemTokens: 0, toolTokens: 20 },
    { id: "empty", systemTokens: 0, toolTokens: 0 },
  ];

  it("render system words then tool words as one system message of exactly their tokens", async () => {
    const tok = fakeTokenizer();
    const content = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary });
    const [coder] = content.scaffoldMessages("coder");
    expect(coder?.role).toBe("system");
    expect(await tok.count(text(coder))).toBe(500);
    expect(await tok.count(text(content.scaffoldMessages("sub")[0]))).toBe(50);
    expect(await tok.count(text(content.scaffoldMessages("tools-only")[0]))).toBe(20);
    expect(content.scaffoldMessages("empty")).toEqual([]);
    expect(content.scaffoldMessages(undefined)).toEqual([]);
  });

  it("are byte-identical across sessions and workload seeds, and differ between scaffold ids", () => {
    const a = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary });
    const b = createContentRenderer({ seed: 2, scaffolds, vocabulary: plainVocabulary });
    const p1 = a.promptFor({ id: "1", scaffoldId: "coder" }, node("0", 10), null);
    const p2 = a.promptFor({ id: "2", scaffoldId: "coder" }, node("0", 10), null);
    const p3 = b.promptFor({ id: "9", scaffoldId: "coder" }, node("4", 10), null);
    expect(text(p1[0])).toBe(text(p2[0]));
    expect(text(p1[0])).toBe(text(p3[0]));
    expect(a.scaffoldMessages("coder")).toBe(a.scaffoldMessages("coder"));
    const sub = text(a.scaffoldMessages("sub")[0]).split(" ");
    const coder = text(a.scaffoldMessages("coder")[0]).split(" ");
    expect(sub.slice(0, 10)).not.toEqual(coder.slice(0, 10));
  });

  it("change with the salt", () => {
    const plain = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary });
    const salted = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary, salt: "run-2" });
    expect(text(salted.scaffoldMessages("coder")[0])).not.toBe(text(plain.scaffoldMessages("coder")[0]));
    expect(text(salted.freshMessage("s", node("0", 50)))).not.toBe(text(plain.freshMessage("s", node("0", 50))));
  });

  it("report an unknown id with the known ones", () => {
    const content = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary });
    expect(() => content.scaffoldMessages("nope")).toThrow("unknown scaffold 'nope' (known: 'coder', 'sub', 'tools-only', 'empty')");
  });
});

describe("fresh messages", () => {
  const content = createContentRenderer({ seed: 5, scaffolds: [], vocabulary: plainVocabulary });

  it("differ between sessions and nodes, sharing at most a chance word or two at the start", () => {
    const texts = Array.from({ length: 50 }, (_, s) => text(content.freshMessage(String(s), node("0", 200))));
    texts.push(text(content.freshMessage("0", node("1", 200))));
    expect(new Set(texts).size).toBe(texts.length);
    let longest = 0;
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i]!.split(" ");
        const b = texts[j]!.split(" ");
        let k = 0;
        while (a[k] === b[k]) k++;
        longest = Math.max(longest, k);
      }
    }
    expect(longest).toBeLessThanOrEqual(2);
  });

  it("share prefix blocks across sessions by block id (Mooncake hash_ids), with exact word counts", () => {
    const blocks = (ids: number[]) => ({ prefixBlocks: { ids, blockSize: 16 } });
    const a = text(content.freshMessage("a", node("0", 40, blocks([7, 8, 9]))));
    const b = text(content.freshMessage("b", node("0", 50, blocks([7, 8, 5, 6]))));
    const c = text(content.freshMessage("c", node("0", 20, blocks([1, 8]))));
    const [wa, wb, wc] = [a, b, c].map((t) => t.split(" "));
    expect([wa!.length, wb!.length, wc!.length]).toEqual([40, 50, 20]);
    // Blocks 7 and 8 are the same 32 words in a and b; the third block differs.
    expect(wa!.slice(0, 32)).toEqual(wb!.slice(0, 32));
    expect(wa!.slice(32, 40)).not.toEqual(wb!.slice(32, 40));
    // Block 8 at another position (after another first block) is not a shared prefix.
    expect(wc!.slice(0, 16)).not.toEqual(wa!.slice(0, 16));
  });

  it("are deterministic: same seed (number or string), same text; another seed, other text", () => {
    const again = createContentRenderer({ seed: "5", scaffolds: [], vocabulary: plainVocabulary });
    const other = createContentRenderer({ seed: 6, scaffolds: [], vocabulary: plainVocabulary });
    const n = node("3", 1000);
    expect(text(again.freshMessage("s", n))).toBe(text(content.freshMessage("s", n)));
    expect(text(other.freshMessage("s", n))).not.toBe(text(content.freshMessage("s", n)));
  });

  it("are stable across releases for a fixed seed (cross-runtime determinism rests on this)", () => {
    const v: Vocabulary = { tokenizer: "t", words: ["a", "b", "c", "d"], leads: ["X", "Y"] };
    const fixed = createContentRenderer({ seed: 42, scaffolds: [{ id: "s", systemTokens: 6, toolTokens: 4 }], vocabulary: v });
    expect(text(fixed.freshMessage("0", node("0", 12)))).toMatchInlineSnapshot(`"X b d a b b b c d c d d"`);
    expect(text(fixed.scaffoldMessages("s")[0])).toMatchInlineSnapshot(`"Y a c c b b b c b b"`);
  });

  it("become tool results when given a tool_call_id", () => {
    const m = content.freshMessage("s", node("0", 3), { toolCallId: "call_1" });
    expect(m).toEqual({ role: "tool", tool_call_id: "call_1", content: text(content.freshMessage("s", node("0", 3))) });
  });
});

describe("promptFor", () => {
  const scaffolds: Scaffold[] = [
    { id: "main", systemTokens: 30, toolTokens: 10 },
    { id: "helper", systemTokens: 12, toolTokens: 0 },
  ];
  const content = createContentRenderer({ seed: 1, scaffolds, vocabulary: plainVocabulary });
  const session = { id: "s", scaffoldId: "main" };

  it("starts a root node from its scaffold, a child from its parent's conversation", () => {
    const root = content.promptFor(session, node("0", 8), null);
    expect(root.map((m) => m.role)).toEqual(["system", "user"]);
    expect(root[0]).toBe(content.scaffoldMessages("main")[0]);
    const conv = conversationOf(root, "a reply");
    const child = content.promptFor(session, node("1", 4, { parents: ["0"], historyParent: "0" }), conv);
    expect(child.slice(0, 3)).toEqual(conv);
    expect(child.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(child[3]).toEqual(content.freshMessage("s", node("1", 4)));
  });

  it("starts a subagent's first node from its own scaffold and a post-compaction node from the scaffold again", () => {
    const sub = content.promptFor(session, node("5", 8, { parents: ["2"], scaffoldId: "helper" }), null);
    expect(sub[0]).toBe(content.scaffoldMessages("helper")[0]);
    const compacted = content.promptFor(session, node("9", 8, { parents: ["8"], kind: "compaction" }), null);
    expect(compacted[0]).toBe(content.scaffoldMessages("main")[0]);
    expect(compacted).toHaveLength(2);
    expect(content.promptFor({ id: "bare" }, node("0", 3), null).map((m) => m.role)).toEqual(["user"]);
  });

  it("explains a missing, misplaced or unfinished parent conversation", () => {
    const child = node("1", 4, { parents: ["0"], historyParent: "0" });
    expect(() => content.promptFor(session, child, null)).toThrow("session 's', node '1': needs the conversation of its history parent '0'");
    expect(() => content.promptFor(session, child, [{ role: "user", content: "x" }])).toThrow(
      "the conversation of history parent '0' must end with its assistant reply, ends with a 'user' message",
    );
    expect(() => content.promptFor(session, child, [])).toThrow("ends with nothing");
    expect(() => content.promptFor(session, node("0", 1), [{ role: "assistant", content: "x" }])).toThrow(
      "session 's', node '0': has no history parent (it starts from its scaffold), but a parent conversation was given",
    );
  });
});

describe("token accounting against a chat template", () => {
  const tok = fakeTokenizer({ twoTokens: ["people"], merges: [["red", "fox"]] }, fakeTemplate);

  it("measures the template overhead: BOS and system wrapper, per-turn wrapper, bare first turn", async () => {
    const v = await calibrateVocabulary(tok);
    // <s> <|system|> \n S \n <|end|> \n <|user|> \n U \n <|end|> \n <|assistant|> \n : 13 around S and U.
    // One more turn: R \n <|end|> \n <|user|> \n U2 \n <|end|> \n <|assistant|> \n : 10 around R and U2.
    // No system message: <s> <|user|> \n U \n <|end|> \n <|assistant|> \n : 8 around U.
    expect(await measureTemplateOverhead(tok, v)).toEqual({
      overhead: { scaffold: 3, fresh: 10, reply: 0, bare: 8 },
      bareFresh: 8,
      prefixPreserved: true,
    });
  });

  it("predicts every prompt of a session (tokens.ts) exactly, and each child extends its parent's prompt and reply", async () => {
    const v = await calibrateVocabulary(tok);
    const { overhead } = await measureTemplateOverhead(tok, v);
    const scaffolds: Scaffold[] = [
      { id: "main", systemTokens: 120, toolTokens: 80 },
      { id: "helper", systemTokens: 40, toolTokens: 5 },
    ];
    const graph: SessionGraph = {
      id: "7",
      scaffoldId: "main",
      nodes: [
        node("0", 50, { outputTokens: 20 }),
        node("1", 1, { parents: ["0"], historyParent: "0", outputTokens: 7 }),
        node("2", 300, { parents: ["1"], scaffoldId: "helper", kind: "spawn", outputTokens: 9 }),
        node("3", 12, { parents: ["2"], historyParent: "2", outputTokens: 3 }),
        node("4", 30, { parents: ["1", "3"], historyParent: "1", kind: "report", outputTokens: 4 }),
        node("5", 70, { parents: ["4"], kind: "compaction", outputTokens: 2 }),
        node("6", 0, { parents: ["5"], historyParent: "5", outputTokens: 2 }),
      ],
    };
    const expected = sessionTokens(graph, scaffolds, overhead);
    const content = createContentRenderer({ seed: 11, scaffolds, vocabulary: v });
    const conversations = new Map<string, ChatMessage[]>();
    const promptTokens = new Map<string, number[]>();
    for (const n of graph.nodes) {
      const parent = n.historyParent === null ? null : conversations.get(n.historyParent)!;
      const prompt = content.promptFor(graph, n, parent);
      const tokens = await tok.tokenizeChat!(prompt);
      expect(tokens.length, `node ${n.id}`).toBe(expected.get(n.id)!.promptTokens);
      if (n.historyParent !== null) {
        // The parent's prompt, then its reply's tokens, then the rest.
        const parentTokens = promptTokens.get(n.historyParent)!;
        const reply = conversations.get(n.historyParent)!.at(-1)!;
        const replyTokens = await tok.tokenize(text(reply));
        expect(tokens.slice(0, parentTokens.length)).toEqual(parentTokens);
        expect(tokens.slice(parentTokens.length, parentTokens.length + replyTokens.length)).toEqual(replyTokens);
        expect(parentTokens.length + replyTokens.length).toBe(expected.get(n.id)!.sharedPrefixTokens);
      }
      promptTokens.set(n.id, tokens);
      // Stand-in for the server's reply: outputTokens words.
      const reply = renderWords(v, rngFor("reply", n.id), n.outputTokens);
      conversations.set(n.id, conversationOf(prompt, reply));
    }
  });

  it("refuses to measure without chat tokenization, or when the template reacts to content", async () => {
    const v = await calibrateVocabulary(tok);
    await expect(measureTemplateOverhead(fakeTokenizer(), v)).rejects.toThrow(
      "tokenizer 'fake' cannot tokenize chat prompts (no server chat template)",
    );
    const fussy = fakeTokenizer({}, (messages, gen) => fakeTemplate(messages, gen) + (messages.length > 3 && text(messages[3]).length > 50 ? "<extra>" : ""));
    await expect(measureTemplateOverhead(fussy, v)).rejects.toThrow("the chat template's overhead depends on the content");
  });
});
