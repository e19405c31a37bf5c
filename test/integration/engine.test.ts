// The built-in engine against its contract: exact output lengths, prefix caching on and off,
// and the server's cache counter. A real llama-server serves the generated tiny model.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { idleClassRunner, startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { readdirSync } from "node:fs";
import { scrapeMetrics, streamChat, tokenize, wordsPrompt } from "../support/chat.js";
import { SCHED_IDLE, schedulingPolicy } from "../support/sched.js";

const engine = inject("engine");

describe("built-in llama.cpp engine, prefix cache on", () => {
  it("streams exactly max_tokens content chunks with ignore_eos", async () => {
    const r = await streamChat(engine.apiUrl, {
      model: engine.model,
      messages: [{ role: "user", content: "Say something." }],
      max_tokens: 64,
      ignore_eos: true,
    });
    expect(r.contentChunks).toHaveLength(64);
    expect(r.usage?.completion_tokens).toBe(64);
  });

  it("still stops at exactly max_tokens without ignore_eos (the model never emits end-of-sequence)", async () => {
    const r = await streamChat(engine.apiUrl, {
      model: engine.model,
      messages: [{ role: "user", content: "Tell a long story." }],
      max_tokens: 200,
    });
    expect(r.contentChunks).toHaveLength(200);
    expect(r.usage?.completion_tokens).toBe(200);
  });

  it("renders system, user, assistant and tool messages through the chat template", async () => {
    const r = await streamChat(engine.apiUrl, {
      model: engine.model,
      messages: [
        { role: "system", content: "You are a coding agent." },
        { role: "user", content: "List the files." },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "ls", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "a.ts b.ts" },
      ],
      max_tokens: 8,
    });
    expect(r.usage?.completion_tokens).toBe(8);
  });

  it("reuses all but the last prompt token on a repeated 2,000-token prompt, and counts it in /metrics", async () => {
    const content = wordsPrompt(1300, "cache-on");
    const tokens = await tokenize(engine.baseUrl, content);
    expect(tokens.length).toBeGreaterThan(1800);
    const before = await scrapeMetrics(engine.baseUrl);
    const body = { model: engine.model, messages: [{ role: "user", content }], max_tokens: 4 };
    const first = await streamChat(engine.apiUrl, body);
    const second = await streamChat(engine.apiUrl, body);
    const prompt = second.usage!.prompt_tokens;
    expect(prompt).toBe(first.usage!.prompt_tokens);
    // Other tests share this server: at most the chat template's opening can be cached already.
    expect(first.usage!.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
    expect(second.usage!.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(prompt - 1);
    const after = await scrapeMetrics(engine.baseUrl);
    const counter = "llamacpp:prompt_tokens_cached_total";
    expect(after.has(counter), `${counter} in /metrics`).toBe(true);
    expect(after.get(counter)! - (before.get(counter) ?? 0)).toBeGreaterThanOrEqual(prompt - 1);
  });
});

describe("built-in llama.cpp engine, prefix cache off", () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer({ prefixCache: false, slots: 1 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("recomputes the whole prompt every time", async () => {
    const content = wordsPrompt(1300, "cache-off");
    const body = { model: server.model, messages: [{ role: "user", content }], max_tokens: 4 };
    await streamChat(server.apiUrl, body);
    const second = await streamChat(server.apiUrl, body);
    expect(second.usage!.prompt_tokens).toBeGreaterThan(1800);
    expect(second.usage!.prompt_tokens_details?.cached_tokens ?? 0).toBe(0);
    const metrics = await scrapeMetrics(server.baseUrl);
    expect(metrics.get("llamacpp:prompt_tokens_cached_total") ?? 0).toBe(0);
  });
});

const idleClassHere = (() => {
  try {
    idleClassRunner({ platform: process.platform, path: process.env.PATH });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!idleClassHere)(
  idleClassHere ? "built-in llama.cpp engine in the idle CPU class" : "built-in llama.cpp engine in the idle CPU class (skipped: needs Linux with chrt on the PATH)",
  () => {
    let server: LlamaServer;
    beforeAll(async () => {
      server = await startLlamaServer({ idleClass: true, slots: 1 });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("runs every thread of llama-server under SCHED_IDLE and still streams exactly max_tokens chunks", async () => {
      expect(server.idleClass).toBe(true);
      const threads = readdirSync(`/proc/${server.pid}/task`).map(Number);
      expect(threads.length).toBeGreaterThan(1);
      for (const tid of threads) expect(schedulingPolicy(tid), `thread ${tid}`).toBe(SCHED_IDLE);
      const r = await streamChat(server.apiUrl, { model: server.model, messages: [{ role: "user", content: "Say something." }], max_tokens: 32, ignore_eos: true });
      expect(r.contentChunks).toHaveLength(32);
      // Threads the server starts while serving inherit the class.
      for (const tid of readdirSync(`/proc/${server.pid}/task`).map(Number)) expect(schedulingPolicy(tid), `thread ${tid}`).toBe(SCHED_IDLE);
    });
  },
);
