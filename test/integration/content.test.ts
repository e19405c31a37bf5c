// Content rendering against the real engine's tokenizer and chat template: exact fresh-message
// sizes, template overhead measured on the server, and children whose prompts extend their
// parents' prompts and replies token for token, as the server itself counts them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createCalibrationCache } from "../../src/content/calibration-cache.js";
import { setUpContent } from "../../src/content/setup.js";
import { conversationOf, createContentRenderer, renderWords, type ChatMessage } from "../../src/content/render.js";
import { createReplyCounter, measureTemplateOverhead, type TemplateMeasurement } from "../../src/content/overhead.js";
import { createContentStage } from "../../src/content/stage.js";
import { calibrateVocabulary, type Vocabulary } from "../../src/content/vocabulary.js";
import { rngFor } from "../../src/stats/random.js";
import { resolveTokenizer, type Tokenizer } from "../../src/content/tokenizer.js";
import { sessionTokens } from "../../src/workload/tokens.js";
import type { RequestNode, Scaffold, SessionGraph } from "../../src/workload/types.js";

const engine = inject("engine");

let tokenizer: Tokenizer;
let vocabulary: Vocabulary;
let measured: TemplateMeasurement;

beforeAll(async () => {
  const resolved = await resolveTokenizer(engine.baseUrl);
  tokenizer = resolved.tokenizer;
  vocabulary = await calibrateVocabulary(tokenizer);
  measured = await measureTemplateOverhead(tokenizer, vocabulary);
  console.log(
    `[content] ${resolved.reason}; ${vocabulary.words.length} words, ${vocabulary.leads.length} lead words; ` +
      `template overhead ${JSON.stringify(measured.overhead)}, bare first turn ${measured.bareFresh}`,
  );
});

function node(id: string, fresh: number, extra: Partial<RequestNode> = {}): RequestNode {
  return { id, parents: [], historyParent: null, freshInputTokens: fresh, outputTokens: 8, waitAfterReadyMs: 0, ...extra };
}

const text = (m: ChatMessage | undefined) => (m?.content ?? "") as string;

/** Tokens of text where a template puts it, after a newline (SentencePiece adds no space there). */
async function afterNewline(s: string): Promise<number[]> {
  const [nl, both] = await Promise.all([tokenizer.tokenize("\n"), tokenizer.tokenize(`\n${s}`)]);
  return both.slice(nl.length);
}

interface Completion {
  reply: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number | undefined;
}

async function complete(messages: ChatMessage[], maxTokens: number): Promise<Completion> {
  const res = await fetch(`${engine.apiUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: engine.model, messages, max_tokens: maxTokens, ignore_eos: true }),
  });
  if (!res.ok) throw new Error(`chat completion: HTTP ${res.status}: ${await res.text()}`);
  const json = (await res.json()) as {
    choices: { message: { content: string } }[];
    usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };
  };
  return {
    reply: json.choices[0]!.message.content,
    promptTokens: json.usage.prompt_tokens,
    completionTokens: json.usage.completion_tokens,
    cachedTokens: json.usage.prompt_tokens_details?.cached_tokens,
  };
}

describe("content rendering with the server's tokenizer", () => {
  it("uses the server's own tokenizer, chat template included", () => {
    expect(tokenizer.kind).toBe("server");
    expect(tokenizer.name).toContain("llama.cpp");
    expect(tokenizer.tokenizeChat).toBeDefined();
    expect(measured.prefixPreserved).toBe(true);
  });

  it("renders fresh messages and scaffolds of exactly the intended token counts", async () => {
    const content = createContentRenderer({ seed: 3, scaffolds: [{ id: "a", systemTokens: 300, toolTokens: 200 }], vocabulary });
    const sizes = [1, 7, 500, 5000];
    const counts = await tokenizer.countMany(sizes.map((n) => text(content.freshMessage("s", node(`n${n}`, n)))));
    expect(counts).toEqual(sizes);
    expect(await tokenizer.count(text(content.scaffoldMessages("a")[0]))).toBe(500);
  });

  it("predicts the server's prompt_tokens for a session's first request (scaffold + fresh + overhead)", async () => {
    const scaffolds: Scaffold[] = [{ id: "a", systemTokens: 120, toolTokens: 40 }];
    const content = createContentRenderer({ seed: 4, scaffolds, vocabulary });
    const graph: SessionGraph = { id: "first", scaffoldId: "a", nodes: [node("0", 77)] };
    const prompt = content.promptFor(graph, graph.nodes[0]!, null);
    const expected = sessionTokens(graph, scaffolds, measured.overhead).get("0")!.promptTokens;
    expect((await tokenizer.tokenizeChat!(prompt)).length).toBe(expected);
    expect((await complete(prompt, 1)).promptTokens).toBe(expected);
    // Without a scaffold the template wraps the first message in bareFresh tokens.
    const bare = content.promptFor({ id: "bare" }, node("0", 33), null);
    expect((await complete(bare, 1)).promptTokens).toBe(33 + measured.bareFresh);
  });

  it("makes every child prompt extend its parent's prompt and reply exactly, as tokens.ts predicts", async () => {
    const scaffolds: Scaffold[] = [
      { id: "main", systemTokens: 200, toolTokens: 100 },
      { id: "helper", systemTokens: 60, toolTokens: 0 },
    ];
    const graph: SessionGraph = {
      id: "chain",
      scaffoldId: "main",
      nodes: [
        node("0", 40, { outputTokens: 20 }),
        node("1", 1, { parents: ["0"], historyParent: "0", outputTokens: 7 }),
        node("2", 500, { parents: ["1"], historyParent: "1", outputTokens: 3 }),
        node("3", 25, { parents: ["2"], scaffoldId: "helper", kind: "spawn", outputTokens: 5 }),
        node("4", 9, { parents: ["2", "3"], historyParent: "2", kind: "report", outputTokens: 2 }),
        node("5", 70, { parents: ["4"], kind: "compaction", outputTokens: 4 }),
      ],
    };
    const expected = sessionTokens(graph, scaffolds, measured.overhead);
    const content = createContentRenderer({ seed: 5, scaffolds, vocabulary });
    const conversations = new Map<string, ChatMessage[]>();
    const tokensOf = new Map<string, number[]>();
    for (const n of graph.nodes) {
      const parent = n.historyParent === null ? null : conversations.get(n.historyParent)!;
      const prompt = content.promptFor(graph, n, parent);
      const tokens = await tokenizer.tokenizeChat!(prompt);
      const want = expected.get(n.id)!;
      expect(tokens.length, `node ${n.id} prompt tokens`).toBe(want.promptTokens);
      if (n.historyParent !== null) {
        const parentTokens = tokensOf.get(n.historyParent)!;
        expect(tokens.slice(0, parentTokens.length), `node ${n.id} starts with its parent's prompt`).toEqual(parentTokens);
        const replyTokens = await afterNewline(text(conversations.get(n.historyParent)!.at(-1)));
        expect(tokens.slice(parentTokens.length, parentTokens.length + replyTokens.length), `node ${n.id}: then the reply`).toEqual(replyTokens);
        expect(parentTokens.length + replyTokens.length).toBe(want.sharedPrefixTokens);
        // What is new: the fresh tokens plus the template's per-turn overhead.
        expect(tokens.length - want.sharedPrefixTokens).toBe(n.freshInputTokens + measured.overhead.fresh);
      }
      tokensOf.set(n.id, tokens);
      // A reply of exactly outputTokens tokens in the vocabulary's words, standing in for the model's.
      conversations.set(n.id, conversationOf(prompt, renderWords(vocabulary, rngFor("reply", n.id), n.outputTokens)));
    }
  });

  it("with the model's real reply: the child starts with the parent's prompt, the server counts it as tokenized, and reuses it from cache", async () => {
    const scaffolds: Scaffold[] = [{ id: "real", systemTokens: 150, toolTokens: 50 }];
    const content = createContentRenderer({ seed: 6, scaffolds, vocabulary, salt: `real-${Date.now()}` });
    const session = { id: "real", scaffoldId: "real" };
    const rootNode = node("0", 60, { outputTokens: 16 });
    const root = content.promptFor(session, rootNode, null);
    const rootTokens = await tokenizer.tokenizeChat!(root);
    const first = await complete(root, rootNode.outputTokens);
    expect(first.promptTokens).toBe(rootTokens.length);
    expect(first.completionTokens).toBe(16);

    const childNode = node("1", 30, { parents: ["0"], historyParent: "0" });
    const child = content.promptFor(session, childNode, conversationOf(root, first.reply));
    const childTokens = await tokenizer.tokenizeChat!(child);
    expect(childTokens.slice(0, rootTokens.length)).toEqual(rootTokens);
    const second = await complete(child, 1);
    expect(second.promptTokens).toBe(childTokens.length);
    // The server reuses at least the parent's whole prompt (it may re-evaluate the last token).
    expect(second.cachedTokens ?? 0).toBeGreaterThanOrEqual(rootTokens.length - 1);
    // The reply re-tokenizes to its own count, not necessarily the 16 tokens generated: a random
    // model emits token sequences the tokenizer would split differently.
    const replyInPrompt = childTokens.length - rootTokens.length - childNode.freshInputTokens - measured.overhead.fresh;
    console.log(`[content] real reply: ${first.completionTokens} tokens generated, ${replyInPrompt} in the child's prompt; cached ${second.cachedTokens} of ${second.promptTokens}`);
    expect(replyInPrompt).toBeGreaterThan(0);
  });
});

describe("reasoning dropped from history, on the server", () => {
  it("prompts that drop reasoning (a new user turn, visible-only replies) are counted by the server exactly as expected", async () => {
    const scaffolds: Scaffold[] = [{ id: "think", systemTokens: 80, toolTokens: 20 }];
    const stage = createContentStage({
      seed: "9",
      scaffolds,
      vocabulary,
      api: "chat",
      overhead: measured.overhead,
      countReply: createReplyCounter(tokenizer),
      salt: `reasoning-${Date.now()}`,
    });
    const r = (id: string, parent: string | null, extra: Partial<RequestNode> = {}) =>
      node(id, 20, { parents: parent ? [parent] : [], historyParent: parent, outputTokens: 12, reasoningTokens: 7, ...extra });
    // 0 -> 1 -> 2 (new user turn: every reply visible only) -> 3 (visible only: its parent's reply) -> 4
    const session: SessionGraph = {
      id: "think",
      scaffoldId: "think",
      nodes: [r("0", null), r("1", "0"), r("2", "1", { dropReasoning: "all" }), r("3", "2", { dropReasoning: "parent" }), r("4", "3")],
    };
    const prompts = stage.session(session);
    const seen: string[] = [];
    for (const n of session.nodes) {
      const prompt = prompts.promptFor(n);
      const messages = (prompt.body as { messages: ChatMessage[] }).messages;
      const done = await complete(messages, n.outputTokens);
      prompts.tellReply(n, { text: done.reply, completionTokens: done.completionTokens, chunkAt: [] });
      const expected = await prompt.expected;
      expect(done.promptTokens, `node ${n.id}`).toBe(expected.promptTokens);
      seen.push(`${n.id}: ${expected.promptTokens} (shared ${expected.sharedPrefixTokens})`);
    }
    console.log(`[content] reasoning in history, prompt tokens as the server counted them: ${seen.join(", ")}`);
  });
});

describe("content set-up kept per server and model", () => {
  it("a second set-up reuses the checked calibration (memory, then disk in a new cache) with the same exact token counts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-calibration-"));
    const scaffolds: Scaffold[] = [{ id: "kept", systemTokens: 90, toolTokens: 30 }];
    const graph: SessionGraph = { id: "kept", scaffoldId: "kept", nodes: [node("0", 45)] };
    const setUp = (seed: string, cache: ReturnType<typeof createCalibrationCache>) =>
      setUpContent({ server: { apiUrl: engine.apiUrl, model: engine.model }, seed, scaffolds, api: "chat", calibrationCache: cache });
    try {
      const cache = createCalibrationCache({ dir });
      const setups = [await setUp("1", cache), await setUp("2", cache), await setUp("3", createCalibrationCache({ dir }))];
      expect(setups.map((s) => s.calibration)).toEqual(["calibrated", "memory", "disk"]);
      for (const { stage } of setups) {
        // The same calibration as measured from scratch above.
        expect(stage.renderer.vocabulary.words).toEqual(vocabulary.words);
        expect(stage.renderer.vocabulary.leads).toEqual(vocabulary.leads);
        // Each workload's own text, counted exactly by the server.
        const prompt = stage.session(graph).promptFor(graph.nodes[0]!);
        const messages = (prompt.body as { messages: ChatMessage[] }).messages;
        const expected = sessionTokens(graph, scaffolds, measured.overhead).get("0")!.promptTokens;
        expect((await prompt.expected).promptTokens).toBe(expected);
        expect((await tokenizer.tokenizeChat!(messages)).length).toBe(expected);
        expect((await complete(messages, 1)).promptTokens).toBe(expected);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
