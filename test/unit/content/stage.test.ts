import { describe, expect, it } from "vitest";
import { createContentStage, type ContentStageOptions } from "../../../src/content/stage.js";
import type { Vocabulary } from "../../../src/content/vocabulary.js";
import { DEFAULT_WORDS } from "../../../src/content/words.js";
import type { RequestNode, Scaffold, SessionGraph } from "../../../src/workload/types.js";

const vocabulary: Vocabulary = { tokenizer: "fake", words: [...DEFAULT_WORDS], leads: [...DEFAULT_WORDS] };
const scaffolds: Scaffold[] = [{ id: "coder", systemTokens: 6, toolTokens: 4 }];
const overhead = { scaffold: 3, fresh: 5, reply: 0 };

const node = (id: string, historyParent: string | null, fresh: number, extra: Partial<RequestNode> = {}): RequestNode => ({
  id,
  parents: historyParent ? [historyParent] : [],
  historyParent,
  freshInputTokens: fresh,
  outputTokens: 8,
  waitAfterReadyMs: 0,
  ...extra,
});

// root -> child -> grandchild, and a side node that no one inherits from.
const session: SessionGraph = {
  id: "s0",
  scaffoldId: "coder",
  nodes: [node("root", null, 7), node("child", "root", 2), node("grandchild", "child", 3), node("side", "root", 4)],
};
const [root, child, grandchild, side] = session.nodes as [RequestNode, RequestNode, RequestNode, RequestNode];

function stage(options: Partial<ContentStageOptions> = {}) {
  const counted: string[] = [];
  const s = createContentStage({
    seed: "1",
    scaffolds,
    vocabulary,
    api: "chat",
    overhead,
    // Every reply counts one token more than its words: the count must come from here.
    countReply: async (reply) => {
      counted.push(reply);
      return reply.split(" ").length + 1;
    },
    salt: "run-1",
    ...options,
  });
  return { s, counted };
}

const messagesOf = (body: unknown) => (body as { messages: { role: string; content: string }[] }).messages;
const reply = (text: string, completionTokens?: number) => ({ text, chunkAt: [1, 2, 3], ...(completionTokens !== undefined ? { completionTokens } : {}) });

describe("content stage", () => {
  it("expects a root prompt of scaffold + fresh input plus the template's overhead", async () => {
    const { s } = stage();
    const prompt = s.session(session).promptFor(root);
    const messages = messagesOf(prompt.body);
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[1]!.content.split(" ")).toHaveLength(7);
    expect(await prompt.expected).toEqual({ promptTokens: 10 + 3 + 7 + 5, sharedPrefixTokens: 0, scaffoldTokens: 13 });
  });

  it("counts the history parent's reply as the reply counter does, and the child inherits the conversation", async () => {
    const { s, counted } = stage();
    const prompts = s.session(session);
    const p0 = prompts.promptFor(root);
    prompts.tellReply(root, reply("alpha beta", 2));
    const p1 = prompts.promptFor(child);
    const parentTokens = (await p0.expected).promptTokens;
    expect(await p1.expected).toEqual({ promptTokens: parentTokens + 3 + 2 + 5, sharedPrefixTokens: parentTokens + 3, scaffoldTokens: 13 });
    expect(counted).toEqual(["alpha beta"]);
    const messages = messagesOf(p1.body);
    expect(messages.slice(0, 2)).toEqual(messagesOf(p0.body));
    expect(messages[2]).toEqual({ role: "assistant", content: "alpha beta" });
    expect(messages[3]!.role).toBe("user");
    // A node nobody inherits from: its reply is neither kept nor counted.
    prompts.promptFor(side);
    prompts.tellReply(side, reply("gamma"));
    expect(counted).toEqual(["alpha beta"]);
  });

  it("falls back to the generated token count when the reply cannot be counted, and counts an empty reply as 0", async () => {
    const failing = stage({ countReply: () => Promise.reject(new Error("tokenizer down")) }).s.session(session);
    const p0 = failing.promptFor(root);
    failing.tellReply(root, reply("alpha beta", 6));
    const base = (await p0.expected).promptTokens;
    expect((await failing.promptFor(child).expected).sharedPrefixTokens).toBe(base + 6);
    failing.tellReply(child, reply("delta")); // no usage: one token per chunk
    expect((await failing.promptFor(grandchild).expected).sharedPrefixTokens).toBe(base + 6 + 2 + 5 + 3);

    const { s, counted } = stage();
    const empty = s.session(session);
    empty.promptFor(root);
    empty.tellReply(root, reply("", 4));
    expect((await empty.promptFor(child).expected).sharedPrefixTokens).toBe(base);
    expect(counted).toEqual([]);
  });

  it("starts a reply's count only when `later` runs it, after the dispatches then due", async () => {
    const pending: (() => void)[] = [];
    const { s, counted } = stage();
    const prompts = s.session(session, (fn) => void pending.push(fn));
    prompts.promptFor(root);
    prompts.tellReply(root, reply("alpha beta", 2));
    const p1 = prompts.promptFor(child); // the child's prompt does not wait for the count
    expect(messagesOf(p1.body)[2]).toEqual({ role: "assistant", content: "alpha beta" });
    await Promise.resolve();
    expect(counted).toEqual([]);
    expect(pending).toHaveLength(1);
    pending.shift()!();
    expect((await p1.expected).sharedPrefixTokens).toBeGreaterThan(0);
    expect(counted).toEqual(["alpha beta"]);
  });

  it("falls back to the generated count when the counter throws instead of rejecting", async () => {
    const throwing = stage({
      countReply: () => {
        throw new Error("no tokenizer");
      },
    }).s.session(session);
    const base = (await throwing.promptFor(root).expected).promptTokens;
    throwing.tellReply(root, reply("alpha beta", 6));
    expect((await throwing.promptFor(child).expected).sharedPrefixTokens).toBe(base + 6);
  });

  it("sends the messages' texts, blank-line separated, for the completions API", async () => {
    const chat = stage().s.session(session).promptFor(root);
    const completions = stage({ api: "completions" }).s.session(session).promptFor(root);
    expect(completions.body).toEqual({ prompt: messagesOf(chat.body).map((m) => m.content).join("\n\n") });
    expect(await completions.expected).toEqual(await chat.expected);
  });

  it("forgets a session's conversations when it ends", () => {
    const { s } = stage();
    const prompts = s.session(session);
    prompts.promptFor(root);
    prompts.tellReply(root, reply("alpha"));
    prompts.end();
    expect(() => prompts.promptFor(child)).toThrow(/needs the conversation of its history parent 'root'/);
  });

  it("renders the same prompt in the warm-up as in the run (a pure function of the seed and salt)", () => {
    const { s } = stage();
    s.warmUp(session);
    s.warmUp(undefined);
    expect(stage().s.session(session).promptFor(root).body).toEqual(s.session(session).promptFor(root).body);
  });
});
