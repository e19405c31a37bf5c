// Reasoning in history (issue 15, item 3): a prompt that drops the reasoning of earlier replies
// carries their visible parts instead, and its expected tokens count exactly what it sends.
import { describe, expect, it } from "vitest";
import { createContentStage } from "../../../src/content/stage.js";
import type { Vocabulary } from "../../../src/content/vocabulary.js";
import { DEFAULT_WORDS } from "../../../src/content/words.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import type { ChatMessage, RequestNode, Scaffold, SessionGraph } from "../../../src/workload/types.js";

const vocabulary: Vocabulary = { tokenizer: "fake", words: [...DEFAULT_WORDS], leads: [...DEFAULT_WORDS] };
const scaffolds: Scaffold[] = [{ id: "a", systemTokens: 10, toolTokens: 0 }];
const overhead = { scaffold: 3, fresh: 5, reply: 2 };

const node = (id: string, historyParent: string | null, extra: Partial<RequestNode> = {}): RequestNode => ({
  id,
  parents: historyParent ? [historyParent] : [],
  historyParent,
  freshInputTokens: 4,
  outputTokens: 10,
  reasoningTokens: 6,
  waitAfterReadyMs: 0,
  ...extra,
});

/** Tokens of a prompt as the fake tokenizer counts it: words, plus the template's overhead per message. */
function counted(messages: ChatMessage[]): number {
  let total = 0;
  for (const [i, m] of messages.entries()) {
    const words = (m.content ?? "").split(" ").filter((w) => w !== "").length;
    total += words + (m.role === "system" ? overhead.scaffold : m.role === "assistant" ? overhead.reply : overhead.fresh);
    if (i === 0 && m.role !== "system") throw new Error("expected a scaffold");
  }
  return total;
}

async function run(session: SessionGraph) {
  const stage = createContentStage({ seed: "1", scaffolds, vocabulary, api: "chat", overhead, countReply: async (t) => t.split(" ").length });
  const prompts = stage.session(session);
  const out = new Map<string, { messages: ChatMessage[]; expected: Awaited<ReturnType<typeof prompts.promptFor>["expected"]> }>();
  for (const n of session.nodes) {
    const p = prompts.promptFor(n);
    // The server's reply: outputTokens words.
    prompts.tellReply(n, { text: Array.from({ length: n.outputTokens }, (_, i) => `w${i}`).join(" "), chunkAt: [] });
    out.set(n.id, { messages: (p.body as { messages: ChatMessage[] }).messages, expected: await p.expected });
  }
  return out;
}

describe("reasoning in history", () => {
  // 0 -> 1 -> 2 (a new user turn: drops all) -> 3
  const session: SessionGraph = { id: "s", scaffoldId: "a", nodes: [node("0", null), node("1", "0"), node("2", "1", { dropReasoning: "all" }), node("3", "2")] };

  it("within a user turn replies stay whole; at a new user turn every reply keeps only its visible part", async () => {
    const out = await run(session);
    const m1 = out.get("1")!.messages;
    expect(m1[2]).toEqual({ role: "assistant", content: Array.from({ length: 10 }, (_, i) => `w${i}`).join(" ") });
    const m2 = out.get("2")!.messages;
    expect(m2.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
    for (const i of [2, 4]) {
      expect(m2[i]!.content!.split(" ")).toHaveLength(4);
      expect(m2[i]!.content).not.toContain("w0");
    }
    // Node 3 continues node 2's conversation with node 2's whole reply.
    expect(out.get("3")!.messages.slice(0, m2.length)).toEqual(m2);
  });

  it("expects exactly the tokens it sends, and the reusable prefix ends at the first dropped reasoning", async () => {
    const out = await run(session);
    for (const [id, { messages, expected }] of out) expect(expected.promptTokens, `node ${id}`).toBe(counted(messages));
    const p0 = out.get("0")!.expected.promptTokens;
    expect(out.get("2")!.expected.sharedPrefixTokens).toBe(p0);
    expect(out.get("2")!.expected.promptTokens).toBeLessThan(out.get("1")!.expected.promptTokens + 10);
    // The workload's own accounting (no content) agrees where replies count as generated.
    const plain = sessionTokens(session, scaffolds, overhead);
    for (const [id, { expected }] of out) expect(plain.get(id)!.promptTokens, `node ${id}`).toBe(expected.promptTokens);
  });

  it("visible only: each child carries its parent's visible part, and shares the parent's prompt", async () => {
    const visible: SessionGraph = { id: "v", scaffoldId: "a", nodes: [node("0", null), node("1", "0", { dropReasoning: "parent" }), node("2", "1", { dropReasoning: "parent" })] };
    const out = await run(visible);
    for (const [id, { messages, expected }] of out) expect(expected.promptTokens, `node ${id}`).toBe(counted(messages));
    expect(out.get("2")!.expected.sharedPrefixTokens).toBe(out.get("1")!.expected.promptTokens);
    expect(out.get("2")!.messages.slice(0, out.get("1")!.messages.length)).toEqual(out.get("1")!.messages);
  });
});
