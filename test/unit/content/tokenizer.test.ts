import { describe, expect, it } from "vitest";
import {
  approximateTokenizer,
  llamaCppTokenizer,
  resolveTokenizer,
  serverRoot,
  tiktokenTokenizer,
  vllmTokenizer,
} from "../../../src/content/tokenizer.js";

interface Call {
  url: string;
  body: Record<string, unknown> | undefined;
}

type Route = (body: Record<string, unknown> | undefined) => { status: number; json: unknown };

/** A fetch stand-in that answers by path and records every call. */
function fakeServer(routes: Record<string, Route>) {
  const calls: Call[] = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    calls.push({ url, body });
    const route = routes[new URL(url).pathname];
    if (!route) return new Response("not found", { status: 404 });
    const { status, json } = route(body);
    return new Response(JSON.stringify(json), { status });
  };
  return { fetch, calls };
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).map((w) => w.length);

/** llama.cpp: answers {content} with tokens, and a body without content with no tokens. */
function llamaRoutes(): Record<string, Route> {
  return {
    "/tokenize": (b) => {
      if (typeof b?.content !== "string") return { status: 200, json: { tokens: [] } };
      return { status: 200, json: { tokens: [...(b.add_special ? [1] : []), ...words(b.content)] } };
    },
    "/apply-template": (b) => ({
      status: 200,
      json: { prompt: (b!.messages as { content: string }[]).map((m) => m.content).join(" ") + " assistant" },
    }),
  };
}

/** vLLM: rejects llama.cpp's body, answers {model, prompt} and {model, messages}. */
function vllmRoutes(chat = true): Record<string, Route> {
  return {
    "/tokenize": (b) => {
      if (typeof b?.prompt === "string") return { status: 200, json: { count: 2, max_model_len: 4096, tokens: words(b.prompt) } };
      if (chat && Array.isArray(b?.messages)) return { status: 200, json: { tokens: [7, 7, 7] } };
      return { status: 400, json: { error: "validation error" } };
    },
    "/v1/models": () => ({ status: 200, json: { data: [{ id: "served-model" }] } }),
  };
}

describe("serverRoot", () => {
  it("strips trailing slashes and a /v1 suffix", () => {
    expect(serverRoot("http://h:1/v1/")).toBe("http://h:1");
    expect(serverRoot("http://h:1/")).toBe("http://h:1");
    expect(serverRoot("http://h:1/proxy/v1")).toBe("http://h:1/proxy");
  });
});

describe("resolveTokenizer", () => {
  it("picks llama.cpp's /tokenize first and keeps its chat template", async () => {
    const server = fakeServer(llamaRoutes());
    const r = await resolveTokenizer("http://h:1/v1", { fetch: server.fetch });
    expect(r.tokenizer.kind).toBe("server");
    expect(r.tokenizer.name).toBe("llama.cpp http://h:1");
    expect(r.reason).toContain("llama.cpp /tokenize");
    expect(r.tried).toEqual([]);
    expect(await r.tokenizer.tokenize("ab cde")).toEqual([2, 3]);
    expect(server.calls.at(-1)).toEqual({ url: "http://h:1/tokenize", body: { content: "ab cde", add_special: false } });
    // A chat prompt: template applied by the server, then tokenized with special tokens (BOS).
    expect(await r.tokenizer.tokenizeChat!([{ role: "user", content: "hi" }])).toEqual([1, 2, 9]);
    expect(server.calls.at(-2)).toEqual({
      url: "http://h:1/apply-template",
      body: { messages: [{ role: "user", content: "hi" }], add_generation_prompt: true },
    });
    expect(server.calls.at(-1)!.body).toEqual({ content: "hi assistant", add_special: true });
  });

  it("falls through to the vLLM/SGLang shape, naming the model from /v1/models", async () => {
    const server = fakeServer(vllmRoutes());
    const r = await resolveTokenizer("http://h:2", { fetch: server.fetch });
    expect(r.tokenizer.name).toBe("vllm-compatible http://h:2 (served-model)");
    expect(r.reason).toContain("vLLM/SGLang");
    expect(r.tried).toHaveLength(1);
    expect(r.tried[0]).toContain("HTTP 400");
    expect(await r.tokenizer.count("one two three")).toBe(3);
    expect(server.calls.at(-1)!.body).toEqual({ model: "served-model", prompt: "one two three", add_special_tokens: false });
    expect(await r.tokenizer.tokenizeChat!([{ role: "user", content: "x" }], { addGenerationPrompt: false })).toEqual([7, 7, 7]);
    expect(server.calls.at(-1)!.body).toEqual({
      model: "served-model",
      messages: [{ role: "user", content: "x" }],
      add_generation_prompt: false,
    });
  });

  it("uses the given model name without asking /v1/models, and drops chat support the server lacks", async () => {
    const server = fakeServer(vllmRoutes(false));
    const r = await resolveTokenizer("http://h:3", { fetch: server.fetch, model: "mine" });
    expect(r.tokenizer.name).toBe("vllm-compatible http://h:3 (mine)");
    expect(server.calls.some((c) => c.url.endsWith("/v1/models"))).toBe(false);
    expect(r.tokenizer.tokenizeChat).toBeUndefined();
    expect(r.tried.at(-1)).toContain("no chat template tokenization");
  });

  it("falls back to tiktoken cl100k_base when no server answers, saying why", async () => {
    const fetch = async (): Promise<Response> => {
      throw new Error("connect ECONNREFUSED");
    };
    const r = await resolveTokenizer("http://h:4", { fetch });
    expect(r.tokenizer.kind).toBe("tiktoken");
    expect(r.tokenizer.name).toBe("tiktoken cl100k_base");
    expect(r.reason).toContain("no usable tokenize endpoint");
    expect(r.tried).toHaveLength(2);
    expect(r.tried.join("\n")).toContain("ECONNREFUSED");
  });

  it("goes straight to the fallback without a server, and honours fallback: approximate", async () => {
    const plain = await resolveTokenizer();
    expect(plain.tokenizer.name).toBe("tiktoken cl100k_base");
    expect(plain.reason).toContain("no server given");
    const approx = await resolveTokenizer(undefined, { fallback: "approximate" });
    expect(approx.tokenizer.kind).toBe("approximate");
    const o200k = await resolveTokenizer(undefined, { fallback: "o200k_base" });
    expect(o200k.tokenizer.name).toBe("tiktoken o200k_base");
  });
});

describe("server tokenizers", () => {
  it("report a malformed answer with the URL and what was expected", async () => {
    const server = fakeServer({ "/tokenize": () => ({ status: 200, json: { ids: [1] } }) });
    await expect(llamaCppTokenizer("http://h:5", { fetch: server.fetch }).tokenize("x")).rejects.toThrow(
      'POST http://h:5/tokenize: expected {"tokens": [numbers]}',
    );
  });

  it("report HTTP errors with status and body", async () => {
    const server = fakeServer({ "/tokenize": () => ({ status: 500, json: { error: "boom" } }) });
    await expect(vllmTokenizer("http://h:6", "m", { fetch: server.fetch }).count("x")).rejects.toThrow(
      /POST http:\/\/h:6\/tokenize: HTTP 500: .*boom/,
    );
  });

  it("countMany keeps the order of its inputs with several requests in flight", async () => {
    const server = fakeServer(llamaRoutes());
    const tok = llamaCppTokenizer("http://h:7", { fetch: server.fetch, concurrency: 3 });
    const texts = Array.from({ length: 20 }, (_, i) => Array.from({ length: i }, () => "w").join(" "));
    expect(await tok.countMany(texts)).toEqual(texts.map((_, i) => i));
  });
});

describe("llama.cpp batched counting", () => {
  /** llama.cpp's /tokenize with `content` as an array: each string tokenized alone, ids passed through. */
  function arrayRoutes(): Record<string, Route> {
    return {
      "/tokenize": (b) => {
        const content = b?.content;
        if (typeof content === "string") return { status: 200, json: { tokens: words(content) } };
        if (Array.isArray(content)) return { status: 200, json: { tokens: content.flatMap((p) => (typeof p === "number" ? [p] : words(String(p)))) } };
        return { status: 200, json: { tokens: [] } };
      },
    };
  }

  it("counts many texts in a few requests once the server's array answer matches separate requests", async () => {
    const server = fakeServer(arrayRoutes());
    const tok = llamaCppTokenizer("http://h:8", { fetch: server.fetch });
    const texts = Array.from({ length: 600 }, (_, i) => Array.from({ length: i % 7 }, () => "ab").join(" "));
    expect(await tok.countMany(texts)).toEqual(texts.map((_, i) => i % 7));
    // The check (one array, four separate texts), then 600 texts in 3 requests of at most 256.
    expect(server.calls).toHaveLength(5 + 3);
    expect(await tok.countMany(["a b", "c"])).toEqual([2, 1]);
    expect(server.calls).toHaveLength(5 + 3 + 1);
  });

  it("counts one text per request when the server does not answer an array text by text", async () => {
    const server = fakeServer(llamaRoutes()); // an array content: no tokens
    const tok = llamaCppTokenizer("http://h:9", { fetch: server.fetch });
    expect(await tok.countMany(["a b", "c", "d e f"])).toEqual([2, 1, 3]);
    expect(await tok.countMany(["a", "b"])).toEqual([1, 1]);
    // One check only (an array and four texts), then a request per text.
    expect(server.calls.filter((c) => Array.isArray(c.body?.content))).toHaveLength(1);
    expect(server.calls).toHaveLength(5 + 3 + 2);
  });

  it("has at most `concurrency` requests in flight across all calls of the tokenizer", async () => {
    let inFlight = 0;
    let most = 0;
    const slow = async (url: string, init?: RequestInit) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return fakeServer(llamaRoutes()).fetch(url, init);
    };
    const tok = llamaCppTokenizer("http://h:10", { fetch: slow, concurrency: 2 });
    const texts = Array.from({ length: 12 }, (_, i) => `w${i}`);
    await Promise.all([tok.countMany(texts), tok.countMany(texts), tok.tokenizeChat!([{ role: "user", content: "hi" }])]);
    expect(most).toBe(2);
  });
});

describe("tiktoken tokenizers", () => {
  it("encode with the published cl100k_base and o200k_base ids", async () => {
    expect(await (await tiktokenTokenizer("cl100k_base")).tokenize("hello world")).toEqual([15339, 1917]);
    expect(await (await tiktokenTokenizer("o200k_base")).tokenize("hello world")).toEqual([24912, 2375]);
  });

  it("encode special-token text as plain text instead of throwing", async () => {
    const tok = await tiktokenTokenizer("cl100k_base");
    expect(await tok.count("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("approximate tokenizer", () => {
  const tok = approximateTokenizer();

  it("counts one token per started 4 letters, digits, punctuation and whitespace apart", async () => {
    // "Hell" "o" "," " worl" "d" "!" " info" "rmat" "ion" " " "4" "2" "\n" "\n" "the"
    expect(await tok.count("Hello, world! information 42\n\nthe")).toBe(15);
    expect(await tok.countMany(["the cat", " the", ""])).toEqual([2, 1, 0]);
  });

  it("gives the same piece the same id, and a word with its leading space another one", async () => {
    const [first, , last] = await tok.tokenize("cat dog cat");
    expect(await tok.tokenize(" cat")).toEqual([last]);
    expect(first).not.toBe(last);
    expect(await tok.tokenize("cat")).toEqual([first]);
  });
});

describe("counting a long reply without whitespace (issue 12)", () => {
  // One 256 KB run: js-tiktoken's encode held the event loop 21 to 59 s for 16 KB of it.
  const run = Array.from({ length: 256 * 1024 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");

  /** The count, and whether a timer set when it began fired before it ended. */
  async function countWhileTimer(count: () => Promise<number>): Promise<{ n: number; timerFirst: boolean }> {
    let fired = false;
    const timer = setTimeout(() => (fired = true), 0);
    const n = await count();
    const timerFirst = fired;
    clearTimeout(timer);
    return { n, timerFirst };
  }

  it.each(["cl100k_base", "o200k_base"] as const)("tiktoken %s counts it in slices, timers firing meanwhile", async (encoding) => {
    const tok = await tiktokenTokenizer(encoding);
    const { n, timerFirst } = await countWhileTimer(() => tok.count(run));
    expect(n).toBeGreaterThan(100_000);
    expect(timerFirst).toBe(true);
  }, 60_000);

  it("the approximation counts it in slices too", async () => {
    const { n, timerFirst } = await countWhileTimer(() => approximateTokenizer().count(run));
    expect(n).toBe(64 * 1024);
    expect(timerFirst).toBe(true);
  }, 60_000);
});
