import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRequestBody, createClient, type Client } from "../../../src/run/client.js";
import { StreamRecorder } from "../../../src/run/stream-recorder.js";
import type { ClientRequest, ErrorKind, StreamObservation } from "../../../src/run/types.js";
import { freePort } from "../../../src/engine/free-port.js";
import {
  chatChunk,
  completionChunk,
  normalStream,
  startFaultServer,
  usageChunk,
  type FaultScript,
  type FaultServer,
  type ReceivedRequest,
} from "../../support/fault-server.js";

const KEY = "sk-test-0123456789-secret";
const chat = (content = "hi"): ClientRequest => ({ api: "chat", model: "m", messages: [{ role: "user", content }], maxTokens: 16 });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const sse = (o: unknown): string => `data: ${typeof o === "string" ? o : JSON.stringify(o)}\n\n`;

describe("buildRequestBody", () => {
  it("builds a streamed chat body with usage requested", () => {
    expect(buildRequestBody({ ...chat("q"), ignoreEos: true })).toEqual({
      model: "m",
      messages: [{ role: "user", content: "q" }],
      max_tokens: 16,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("builds a completions body, without model or ignore_eos when not given", () => {
    expect(buildRequestBody({ api: "completions", prompt: "once upon", maxTokens: 3 })).toEqual({
      prompt: "once upon",
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("merges extraBody last, keeping include_usage when it adds stream options", () => {
    const body = buildRequestBody({
      ...chat(),
      extraBody: { max_tokens: 99, temperature: 0, stream_options: { continuous_usage_stats: true } },
    });
    expect(body.max_tokens).toBe(99);
    expect(body.temperature).toBe(0);
    expect(body.stream_options).toEqual({ include_usage: true, continuous_usage_stats: true });
    expect(buildRequestBody({ ...chat(), extraBody: { stream_options: { include_usage: false } } }).stream_options).toEqual({
      include_usage: false,
    });
  });

  it("rejects requests that cannot be sent, saying what is missing", () => {
    expect(() => buildRequestBody({ api: "chat", maxTokens: 4 })).toThrow(/"chat" needs `messages`/);
    expect(() => buildRequestBody({ api: "completions", maxTokens: 4 })).toThrow(/"completions" needs `prompt`/);
    expect(() => buildRequestBody({ ...chat(), maxTokens: 0 })).toThrow(/maxTokens must be a positive integer/);
  });
});

describe("StreamRecorder", () => {
  function record(reads: [string, number][], end = 100): StreamObservation {
    const rec = new StreamRecorder();
    rec.headers(200);
    for (const [text, at] of reads) rec.read(bytes(text), at);
    rec.end(end);
    return rec.result();
  }

  it("gives every event the stamp of the read it completed in", () => {
    const a = sse(chatChunk({ content: "a" }));
    const b = sse(chatChunk({ content: "b" }));
    const obs = record([
      [a + b.slice(0, 10), 5],
      [b.slice(10) + sse(chatChunk({ content: "c" }, "stop")), 7],
      [sse("[DONE]"), 9],
    ]);
    expect(obs.chunkAt).toEqual([5, 7, 7]);
    expect(obs.text).toBe("abc");
    expect(obs.doneAt).toBe(9);
    expect(obs.error).toBeUndefined();
  });

  it.each([
    ["prompt_tokens_details.cached_tokens", { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 6 } }, {}, 6],
    ["prompt_cache_hit_tokens", { prompt_tokens: 10, completion_tokens: 2, prompt_cache_hit_tokens: 5 }, {}, 5],
    ["cached_tokens at the top of usage", { prompt_tokens: 10, completion_tokens: 2, cached_tokens: 4 }, {}, 4],
    ["llama.cpp timings.cache_n", { prompt_tokens: 10, completion_tokens: 2 }, { timings: { cache_n: 3, prompt_n: 7 } }, 3],
    ["usage before timings", { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 6 } }, { timings: { cache_n: 3 } }, 6],
    ["null details", { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: null }, {}, undefined],
  ])("reads cached tokens from %s", (_name, usage, extra, cached) => {
    const final = { ...chatChunk({ content: "x" }, "stop"), usage, ...extra };
    const obs = record([[sse(final) + sse("[DONE]"), 1]]);
    expect(obs.promptTokens).toBe(10);
    expect(obs.completionTokens).toBe(2);
    expect(obs.cachedTokens).toBe(cached);
  });

  it("ignores everything after the first error", () => {
    const obs = record([[sse(chatChunk({ content: "a" })) + "data: {bad\n\n" + sse(chatChunk({ content: "b" }, "stop")), 3]]);
    expect(obs.error?.kind).toBe("malformed");
    expect(obs.text).toBe("a");
    expect(obs.finishReason).toBeUndefined();
  });

  it("does not count a timeout after [DONE] as an error, but still lets the transport go", () => {
    const rec = new StreamRecorder();
    let stops = 0;
    rec.onStop = () => stops++;
    rec.headers(200);
    rec.read(bytes(sse(chatChunk({ content: "a" }, "stop")) + sse("[DONE]")), 4);
    rec.stop("total-timeout", "late");
    const obs = rec.result();
    expect(obs.error).toBeUndefined();
    expect(obs.doneAt).toBe(4);
    expect(stops).toBe(1);
  });

  it("ignores a stop that comes after a good end", () => {
    const rec = new StreamRecorder();
    rec.headers(200);
    rec.read(bytes(sse(chatChunk({ content: "a" }, "stop"))), 4);
    rec.end(6);
    rec.stop("total-timeout", "late");
    expect(rec.result().error).toBeUndefined();
  });

  it("records a response that stopped without an end or an error as reset", () => {
    const rec = new StreamRecorder();
    rec.headers(200);
    rec.read(bytes(sse(chatChunk({ content: "a" }))), 4);
    expect(rec.result().error?.kind).toBe("reset");
  });

  it("treats an event of type error as a server error", () => {
    const obs = record([["event: error\ndata: {\"message\":\"overloaded\"}\n\n", 1]]);
    expect(obs.error).toEqual({ kind: "server", message: "error in stream: overloaded" });
  });

  const noToken = sse(chatChunk({ role: "assistant", content: "" })) + sse(chatChunk({}, "length")) + sse("[DONE]");

  it("records a stream that ended well without a token as empty, not ok", () => {
    const obs = record([[noToken, 3]]);
    expect(obs.error).toEqual({ kind: "empty", message: 'the stream ended without any generated token, finish_reason "length"' });
    expect(obs.doneAt).toBe(3);
    const unread = record([[sse(chatChunk({ role: "assistant" }, "stop")) + sse(usageChunk({ prompt: 4, completion: 5 })) + sse("[DONE]"), 3]]);
    expect(unread.error?.kind).toBe("empty");
    expect(unread.error?.message).toMatch(/yet usage reports 5 completion tokens/);
  });

  it("lets a request that allows it end without a token (the warm-up)", () => {
    const rec = new StreamRecorder([], "", true);
    rec.headers(200, "text/event-stream");
    rec.read(bytes(noToken), 2);
    rec.end(3);
    expect(rec.result().error).toBeUndefined();
  });

  it("parses a 200 without Content-Type as a stream, and stops a 200 of another type at its first bytes", () => {
    const untyped = new StreamRecorder();
    untyped.headers(200, undefined);
    untyped.read(bytes(sse(chatChunk({ content: "a" }, "stop")) + sse("[DONE]")), 2);
    untyped.end(3);
    expect(untyped.result().error).toBeUndefined();

    const page = new StreamRecorder([], "POST http://h/v1/chat/completions");
    let stops = 0;
    page.onStop = () => stops++;
    page.headers(200, "text/html");
    page.read(bytes("<html>\n  <body>Log in</body>"), 2);
    expect(stops).toBe(1);
    expect(page.closed).toBe(true);
    expect(page.result().error).toEqual({ kind: "not-stream", message: "not an event stream: text/html from POST http://h/v1/chat/completions: <html> <body>Log in</body>" });

    const bare = new StreamRecorder();
    bare.headers(502, "application/json");
    bare.end(1);
    expect(bare.result().error).toEqual({ kind: "http", status: 502, message: "HTTP 502" });
    const none = new StreamRecorder();
    none.headers(200, "application/json");
    none.end(1);
    expect(none.result().error?.message).toBe("not an event stream: application/json: (empty body)");
  });

  it("keeps Retry-After of an HTTP error, as seconds or a date", () => {
    const inSeconds = new StreamRecorder();
    inSeconds.headers(503, "text/plain", "1.5");
    inSeconds.end(1);
    expect(inSeconds.result().error).toEqual({ kind: "http", status: 503, message: "HTTP 503 (Retry-After: 1.5)", retryAfterMs: 1500 });
    const unreadable = new StreamRecorder();
    unreadable.headers(429, "text/plain", "soon");
    unreadable.read(bytes("too many"), 1);
    unreadable.end(1);
    expect(unreadable.result().error).toEqual({ kind: "http", status: 429, message: "HTTP 429 (Retry-After: soon): too many" });
  });
});

// undici is the Node transport; Bun replaces the npm undici with a partial built-in and the
// client picks fetch there (and on Deno), so only fetch is tested on those runtimes.
const onNode = !("Bun" in globalThis) && !("Deno" in globalThis);
const transports = onNode ? (["undici", "fetch"] as const) : (["fetch"] as const);

describe.runIf(onNode)("the undici transport", () => {
  it("the recorder lets go of its feed once a response is over, ended or failed", async () => {
    // A dead recorder the collector had promoted kept its feed, and with it undici's request and
    // raw headers, alive through young collections: see ResponseFeed in transport-undici.ts.
    const { createUndiciTransport } = await import("../../../src/run/transport-undici.js");
    const server = await startFaultServer();
    const t = createUndiciTransport({ origin: new URL(server.baseUrl).origin, connections: 4, connectMs: 5000 });
    try {
      const path = new URL(`${server.baseUrl}/chat/completions`).pathname;
      const req = { url: `${server.baseUrl}/chat/completions`, path, headers: { "content-type": "application/json" }, body: JSON.stringify(buildRequestBody(chat())) };
      for (const script of [normalStream({ tokens: ["a", "b"] }), { steps: [{ event: chatChunk({ content: "a" }) }, { reset: true }] } as FaultScript]) {
        server.enqueue(script);
        const rec = new StreamRecorder();
        await t.stream(req, rec);
        expect(rec.onStop, "the recorder no longer points at its feed").toBeUndefined();
        expect(rec.result().text).toBe(rec.result().error ? "a" : "ab");
      }
    } finally {
      await t.close();
      await server.close();
    }
  });
});

describe.each(transports)("client over %s", (transport) => {
  let server: FaultServer;
  let client: Client;

  beforeAll(async () => {
    server = await startFaultServer();
    client = createClient({ baseUrl: server.baseUrl, apiKey: KEY, transport, headers: { "x-run": "r1" } });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  async function send(script: FaultScript | ((r: unknown) => FaultScript), req: ClientRequest = chat(), c: Client = client) {
    server.enqueue(script);
    return c.send(req);
  }

  it("records a normal stream: stamps in order, text, usage, finish reason", async () => {
    const obs = await send(normalStream({ tokens: ["Hel", "lo", " world"], gapMs: 15, usage: { prompt: 12, completion: 3, cached: 8 } }));
    expect(obs.error).toBeUndefined();
    expect(obs.text).toBe("Hello world");
    expect(obs.chunkAt).toHaveLength(3);
    expect(obs.countedChunks).toBe(3);
    expect(obs.firstTokenAt).toBe(obs.chunkAt[0]);
    expect(obs.firstContentAt).toBe(obs.chunkAt[0]);
    expect(obs.dispatchedAt).toBeLessThan(obs.chunkAt[0]!);
    // Chunks sent 15 ms apart arrive in separate reads.
    expect(obs.chunkAt[0]!).toBeLessThan(obs.chunkAt[1]!);
    expect(obs.chunkAt[1]!).toBeLessThan(obs.chunkAt[2]!);
    expect(obs.doneAt).toBeGreaterThanOrEqual(obs.chunkAt[2]!);
    expect(obs).toMatchObject({ promptTokens: 12, completionTokens: 3, cachedTokens: 8, finishReason: "stop" });
  });

  // Deno's fetch itself retries a connection dropped before any answer, below the client.
  const denoRetries = transport === "fetch" && "Deno" in globalThis;

  it("retries once when the server drops the connection without answering (a stale keep-alive socket)", async () => {
    const before = server.requests.length;
    server.enqueue({ drop: true, steps: [] });
    const obs = await send(normalStream({ tokens: ["a", "b"] }));
    expect(obs.error).toBeUndefined();
    expect(obs.text).toBe("ab");
    expect(server.requests.length - before).toBe(2);
    // Deno's own retry is invisible to the client: there the record cannot count it.
    expect(obs.attempts).toBe(denoRetries ? undefined : 2);
    const once = await send(normalStream({ tokens: ["a"] }));
    expect(once.attempts).toBeUndefined();
  });

  // Deno's fetch retries a drop itself, so there the drops run out.
  it.skipIf(denoRetries)(`records a reset when the connection is dropped twice in a row${denoRetries ? " (skipped on Deno: its fetch retries too)" : ""}`, async () => {
    server.enqueue({ drop: true, steps: [] });
    const obs = await send({ drop: true, steps: [] });
    expect(obs.error?.kind).toBe("reset");
    expect(obs.chunkAt).toHaveLength(0);
    expect(obs.attempts).toBe(2);
  });

  it("does not send again after a broken header: the server answered", async () => {
    const before = server.requests.length;
    const obs = await send({ wire: "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", steps: [] });
    expect(obs.error?.kind).toBe("protocol");
    expect(server.requests.length - before).toBe(1);
    expect(obs.attempts).toBeUndefined();
  });

  it("records Retry-After of a 429, and the URL without the key or query values", async () => {
    const limited = createClient({ baseUrl: `${server.baseUrl}?api-key=${KEY}&api-version=2024`, apiKey: KEY, transport });
    try {
      const obs = await send({ status: 429, headers: { "retry-after": "7", "content-type": "application/json" }, steps: [{ raw: '{"error":"slow down"}' }] }, chat(), limited);
      expect(server.requests.at(-1)!.url).toBe(`/v1/chat/completions?api-key=${KEY}&api-version=2024`);
      expect(obs.error).toMatchObject({ kind: "http", status: 429, retryAfterMs: 7000 });
      expect(obs.error?.message).toMatch(/^HTTP 429 from POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\?api-key=\.\.\.&api-version=\.\.\. \(Retry-After: 7\): .*slow down/);
      expect(JSON.stringify(obs)).not.toContain(KEY);
      const missing = await send({ status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "File Not Found" }] }, chat(), limited);
      expect(missing.error?.message).toMatch(/^HTTP 404 from POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\?api-key=\.\.\.&api-version=\.\.\.: File Not Found$/);
      expect(missing.error?.retryAfterMs).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  it("records an https URL on a plain-HTTP port as tls, once, with what to do", async () => {
    const tls = createClient({ baseUrl: server.baseUrl.replace("http:", "https:"), transport });
    try {
      const obs = await tls.send(chat());
      expect(obs.error?.kind).toBe("tls");
      expect(obs.error?.message).toMatch(/^TLS handshake failed: .*use an http:\/\/ URL\)$/);
      expect(obs.attempts).toBeUndefined();
    } finally {
      await tls.close();
    }
  });

  it("posts the chat body to /chat/completions with the key and headers", async () => {
    await send(normalStream({ tokens: ["a"] }), { ...chat("question"), ignoreEos: true });
    const r = server.requests.at(-1)!;
    expect(r.method).toBe("POST");
    expect(r.url).toBe("/v1/chat/completions");
    expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["x-run"]).toBe("r1");
    expect(JSON.parse(r.body)).toEqual(buildRequestBody({ ...chat("question"), ignoreEos: true }));
  });

  it("posts completions to /completions and reads choices[0].text", async () => {
    const obs = await send(
      { steps: [{ event: completionChunk("once") }, { event: completionChunk(" more", "length") }, { event: "[DONE]" }] },
      { api: "completions", prompt: "tell", maxTokens: 2 },
    );
    expect(server.requests.at(-1)!.url).toBe("/v1/completions");
    expect(obs.error).toBeUndefined();
    expect(obs.text).toBe("once more");
    expect(obs.chunkAt).toHaveLength(2);
    expect(obs.finishReason).toBe("length");
  });

  it("counts reasoning deltas as tokens but not as visible content", async () => {
    const obs = await send({
      steps: [
        { event: chatChunk({ role: "assistant", content: null }) },
        { event: chatChunk({ reasoning_content: "let me" }) },
        { sleepMs: 10 },
        { event: chatChunk({ reasoning: " think" }) },
        { sleepMs: 10 },
        { event: chatChunk({ content: "Yes" }, "stop") },
        { event: "[DONE]" },
      ],
    });
    expect(obs.error).toBeUndefined();
    expect(obs.chunkAt).toHaveLength(3);
    expect(obs.firstTokenAt).toBe(obs.chunkAt[0]);
    expect(obs.firstContentAt).toBe(obs.chunkAt[2]);
    expect(obs.firstTokenAt!).toBeLessThan(obs.firstContentAt!);
    expect(obs.text).toBe("Yes");
  });

  it("counts tool-call deltas as tokens", async () => {
    const call = (args: string, head = false) => ({
      tool_calls: [{ index: 0, ...(head ? { id: "call_1", type: "function" } : {}), function: { ...(head ? { name: "read" } : {}), arguments: args } }],
    });
    const obs = await send({
      steps: [
        { event: chatChunk(call("", true)) },
        { event: chatChunk(call('{"path":')) },
        { event: chatChunk(call('"a"}')) },
        { event: chatChunk({}, "tool_calls") },
        { event: usageChunk({ prompt: 5, completion: 3 }) },
        { event: "[DONE]" },
      ],
    });
    expect(obs.error).toBeUndefined();
    expect(obs.chunkAt).toHaveLength(3);
    expect(obs.firstContentAt).toBeUndefined();
    expect(obs.text).toBe("");
    expect(obs.finishReason).toBe("tool_calls");
    expect(obs.completionTokens).toBe(3);
  });

  it("stamps events by read: events written together share a stamp", async () => {
    const obs = await send({
      steps: [
        { events: [chatChunk({ content: "a" }), chatChunk({ content: "b" }), chatChunk({ content: "c" })] },
        { sleepMs: 20 },
        { event: chatChunk({ content: "d" }, "stop") },
        { event: "[DONE]" },
      ],
    });
    expect(obs.error).toBeUndefined();
    expect(obs.text).toBe("abcd");
    const [a, b, c, d] = obs.chunkAt as [number, number, number, number];
    if (transport === "undici") {
      // Three HTTP chunks in one socket read: one stamp, whatever parsing the first two cost.
      expect(b).toBe(a);
      expect(c).toBe(a);
    } else {
      expect(a).toBeLessThanOrEqual(b);
      expect(b).toBeLessThanOrEqual(c);
    }
    expect(d).toBeGreaterThan(c);
  });

  it("accepts a stream that ends with a finish_reason but without [DONE]", async () => {
    const obs = await send(normalStream({ tokens: ["x", "y"], done: false }));
    expect(obs.error).toBeUndefined();
    expect(obs.text).toBe("xy");
    expect(obs.doneAt).toBeDefined();
  });

  const faults: { name: string; script: FaultScript; kind: ErrorKind; status?: number; chunks: number; text: string; message?: RegExp }[] = [
    { name: "HTTP 500", script: { status: 500, headers: { "content-type": "application/json" }, steps: [{ raw: '{"error":"boom at slot 3"}' }] }, kind: "http", status: 500, chunks: 0, text: "", message: /^HTTP 500 from POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: .*boom at slot 3/ },
    {
      name: "a socket reset mid-stream",
      script: { steps: [{ event: chatChunk({ content: "a" }) }, { event: chatChunk({ content: "b" }) }, { event: chatChunk({ content: "c" }) }, { reset: true }] },
      kind: "reset",
      chunks: 3,
      text: "abc",
    },
    {
      name: "an event that is not JSON",
      script: { steps: [{ event: chatChunk({ content: "a" }) }, { event: chatChunk({ content: "b" }) }, { raw: "data: {oops\n\n" }, { event: chatChunk({ content: "c" }) }, { event: "[DONE]" }] },
      kind: "malformed",
      chunks: 2,
      text: "ab",
      message: /not JSON: \{oops/,
    },
    {
      name: "a 200 JSON reply (stream ignored)",
      script: { headers: { "content-type": "application/json" }, steps: [{ raw: '{"id":"x","choices":[{"message":{"content":"hi"}}]}' }] },
      kind: "not-stream",
      chunks: 0,
      text: "",
      message: /^not an event stream: application\/json from POST http:\S+\/v1\/chat\/completions: \{"id":"x","choices"/,
    },
    {
      name: "a 200 HTML page",
      script: { headers: { "content-type": "text/html; charset=utf-8" }, steps: [{ raw: "<!doctype html>\n<html><title>Web UI</title>" }, { hang: true }] },
      kind: "not-stream",
      chunks: 0,
      text: "",
      message: /^not an event stream: text\/html; charset=utf-8 from .*: <!doctype html> <html><title>Web UI/,
    },
    {
      name: "a 200 body that is not SSE, labelled as SSE",
      script: { steps: [{ raw: '{"id":"x","choices":[{"message":{"content":"hi"}}]}\n' }] },
      kind: "malformed",
      chunks: 0,
      text: "",
      message: /not a server-sent event line/,
    },
    {
      name: "a stream that ends well without a token",
      script: { steps: [{ event: chatChunk({ role: "assistant", content: "" }) }, { event: chatChunk({}, "stop") }, { event: usageChunk({ prompt: 9, completion: 0 }) }, { event: "[DONE]" }] },
      kind: "empty",
      chunks: 0,
      text: "",
      message: /without any generated token, finish_reason "stop", usage: 0 completion tokens/,
    },
    {
      name: "a broken response header",
      script: { wire: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nBad Header: x\r\n\r\n", steps: [] },
      kind: "protocol",
      chunks: 0,
      text: "",
      message: /^not a valid HTTP\/1\.1 response: .*(Invalid header|Malformed_HTTP|invalid HTTP header)/i,
    },
    {
      name: "a stream without [DONE] and without finish_reason",
      script: { steps: [{ event: chatChunk({ content: "a" }) }, { event: chatChunk({ content: "b" }) }] },
      kind: "reset",
      chunks: 2,
      text: "ab",
      message: /without \[DONE\]/,
    },
    {
      name: "a stream cut in the middle of an event",
      script: { steps: [{ event: chatChunk({ content: "a" }) }, { raw: 'data: {"choices":[{"del' }] },
      kind: "reset",
      chunks: 1,
      text: "a",
      message: /cut off/,
    },
    {
      name: "an error object in the stream",
      script: { steps: [{ event: chatChunk({ content: "a" }) }, { event: { error: { message: "KV cache full", type: "server_error", code: 500 } } }, { event: "[DONE]" }] },
      kind: "server",
      chunks: 1,
      text: "a",
      message: /KV cache full/,
    },
  ];

  it.each(faults)("records $name as $kind, keeps what came before, and the next request succeeds", async (f) => {
    const obs = await send(f.script);
    expect(obs.error?.kind).toBe(f.kind);
    if (f.status !== undefined) expect(obs.error?.status).toBe(f.status);
    if (f.message) expect(obs.error?.message).toMatch(f.message);
    expect(obs.chunkAt).toHaveLength(f.chunks);
    expect(obs.countedChunks).toBe(f.chunks);
    expect(obs.text).toBe(f.text);
    if (f.kind !== "empty") expect(obs.doneAt).toBeUndefined();
    expect(obs.attempts).toBeUndefined();
    const next = await send(normalStream({ tokens: ["fine"] }));
    expect(next.error).toBeUndefined();
    expect(next.text).toBe("fine");
  });

  it("keeps the error message of a long error body short", async () => {
    const obs = await send({ status: 503, steps: [{ raw: "x".repeat(20_000) }] });
    expect(obs.error?.kind).toBe("http");
    expect(obs.error!.message.length).toBeLessThan(400);
  });

  it("never lets the API key into an observation, even when the server echoes it", async () => {
    const echo = (req: unknown) => {
      const auth = String((req as { headers: Record<string, string> }).headers.authorization);
      return { status: 401, steps: [{ raw: `invalid credentials: ${auth}` }] };
    };
    const obs = await send(echo);
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(obs.error?.kind).toBe("http");
    expect(obs.error?.message).toContain("[redacted]");
    expect(JSON.stringify(obs)).not.toContain(KEY);
    const inStream = await send((req) => ({
      steps: [{ event: { error: { message: `bad key ${String((req as { headers: Record<string, string> }).headers.authorization)}` } } }],
    }));
    expect(inStream.error?.kind).toBe("server");
    expect(JSON.stringify(inStream)).not.toContain(KEY);
  });

  it("records no first token in time as first-token-timeout: silent server, and headers with no token", async () => {
    const impatient = createClient({ baseUrl: server.baseUrl, transport, timeouts: { firstTokenMs: 150 } });
    try {
      const silent = await send({ silent: true, steps: [] }, chat(), impatient);
      expect(silent.error?.kind).toBe("first-token-timeout");
      const noToken = await send({ steps: [{ event: chatChunk({ role: "assistant", content: "" }) }, { hang: true }] }, chat(), impatient);
      expect(noToken.error?.kind).toBe("first-token-timeout");
      expect(noToken.firstTokenAt).toBeUndefined();
      const next = await send(normalStream({ tokens: ["ok"] }), chat(), impatient);
      expect(next.error).toBeUndefined();
    } finally {
      await impatient.close();
    }
  });

  it("records a stream that stalls after its first tokens as idle-timeout, and lets slow but steady ones finish", async () => {
    // Wide margins (gaps of 50 ms against a limit of 800 ms): this must hold on a loaded machine.
    const watchful = createClient({ baseUrl: server.baseUrl, transport, timeouts: { idleMs: 800, totalMs: 20_000 } });
    try {
      const started = performance.now();
      const stalled = await send({ steps: [{ event: chatChunk({ content: "a" }) }, { event: chatChunk({ content: "b" }) }, { hang: true }] }, chat(), watchful);
      expect(stalled.error?.kind).toBe("idle-timeout");
      expect(stalled.error?.message).toBe("stalled: no token within 800 ms of the previous one (2 token chunks so far)");
      expect(stalled.text).toBe("ab");
      expect(performance.now() - started).toBeGreaterThanOrEqual(800);
      expect(performance.now() - started).toBeLessThan(10_000);
      // Idle is counted from the last token, not from the start: 20 gaps of 50 ms take longer
      // than 800 ms in all. Before the first token the first-token timeout governs (none here).
      const tokens = Array.from({ length: 20 }, (_, i) => String(i % 10));
      const steady = await send(normalStream({ tokens, gapMs: 50, firstDelayMs: 1_000 }), chat(), watchful);
      expect(steady.error).toBeUndefined();
      expect(steady.text).toBe(tokens.join(""));
    } finally {
      await watchful.close();
    }
  });

  it("does not take a client that was busy past the idle limit for a stalled stream", async () => {
    const watchful = createClient({ baseUrl: server.baseUrl, transport, timeouts: { idleMs: 200 } });
    try {
      server.enqueue({
        steps: [{ event: chatChunk({ content: "a" }) }, { mark: "busy-a" }, { sleepMs: 150 }, { event: chatChunk({ content: "b" }) }, { sleepMs: 20 }, { event: chatChunk({ content: "c" }, "stop") }, { event: "[DONE]" }],
      });
      const pending = watchful.send(chat());
      await server.reached("busy-a");
      await new Promise((r) => setTimeout(r, 50)); // "a" is read and stamped
      // The event loop is held past the idle limit while "b" is due: when it is free again the
      // idle timer and the server's write come due together, and "b" waits to be read.
      const until = performance.now() + 450;
      while (performance.now() < until);
      const obs = await pending;
      expect(obs.error).toBeUndefined();
      expect(obs.text).toBe("abc");
    } finally {
      await watchful.close();
    }
  });

  it("records a stream that runs too long as total-timeout, keeping the chunks that came", async () => {
    const hasty = createClient({ baseUrl: server.baseUrl, transport, timeouts: { totalMs: 400 } });
    try {
      const tokens = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
      const steps: FaultScript["steps"] = [{ event: chatChunk({ content: tokens[0] }) }];
      for (const t of tokens.slice(1)) steps.push({ sleepMs: 200 }, { event: chatChunk({ content: t }) });
      const obs = await send({ steps: [...steps, { event: chatChunk({}, "stop") }, { event: "[DONE]" }] }, chat(), hasty);
      expect(obs.error?.kind).toBe("total-timeout");
      expect(obs.chunkAt.length).toBeGreaterThanOrEqual(1);
      expect(obs.chunkAt.length).toBeLessThan(tokens.length);
      expect(obs.text).toBe(tokens.slice(0, obs.chunkAt.length).join(""));
      const next = await send(normalStream({ tokens: ["ok"] }), chat(), hasty);
      expect(next.error).toBeUndefined();
    } finally {
      await hasty.close();
    }
  });

  it("records an abort by the run as aborted, keeping what came before", async () => {
    const ctl = new AbortController();
    server.enqueue({ steps: [{ event: chatChunk({ content: "a" }) }, { event: chatChunk({ content: "b" }) }, { mark: "sent-ab" }, { hang: true }] });
    const pending = client.send(chat(), ctl.signal);
    await server.reached("sent-ab");
    ctl.abort();
    const obs = await pending;
    expect(obs.error?.kind).toBe("aborted");
    expect(obs.chunkAt.length).toBe(obs.text.length); // one letter per chunk, whatever had arrived
    expect("ab".startsWith(obs.text)).toBe(true);
    const next = await send(normalStream({ tokens: ["ok"] }));
    expect(next.error).toBeUndefined();
  });

  it("aborts every request sharing one signal, without a listener per request", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const ctl = new AbortController();
      for (let i = 0; i < 20; i++) server.enqueue({ steps: [{ event: chatChunk({ content: "a" }) }, { mark: `shared-${i}` }, { hang: true }] });
      const pending = Array.from({ length: 20 }, () => client.send(chat(), ctl.signal));
      await Promise.all(Array.from({ length: 20 }, (_, i) => server.reached(`shared-${i}`)));
      ctl.abort();
      const all = await Promise.all(pending);
      expect(all.map((o) => o.error?.kind)).toEqual(Array(20).fill("aborted"));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => /listener/i.test(w))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("stops only the requests still in flight when a shared signal aborts, after others ended", async () => {
    // The client keeps the requests of a signal in an array with each one's slot: the ones that
    // ended were taken out (the last moved into their slot), and an abort must still reach every
    // one left.
    const ctl = new AbortController();
    const names = Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? `end-${i}` : `hang-${i}`));
    const byContent = (req: ReceivedRequest): FaultScript => {
      const name = names.find((n) => req.body.includes(`"${n}"`))!;
      return name.startsWith("end") ? normalStream({ tokens: ["done"] }) : { steps: [{ event: chatChunk({ content: "a" }) }, { mark: name }, { hang: true }] };
    };
    for (let i = 0; i < names.length; i++) server.enqueue(byContent);
    const pending = names.map((n) => client.send(chat(n), ctl.signal));
    const ended = await Promise.all(pending.filter((_, i) => names[i]!.startsWith("end")));
    expect(ended.map((o) => o.error)).toEqual(Array(4).fill(undefined));
    await Promise.all(names.filter((n) => n.startsWith("hang")).map((n) => server.reached(n)));
    ctl.abort();
    const left = await Promise.all(pending.filter((_, i) => names[i]!.startsWith("hang")));
    expect(left.map((o) => o.error?.kind)).toEqual(Array(8).fill("aborted"));
  });

  it("does not send a request whose signal is already aborted", async () => {
    const before = server.requests.length;
    const ctl = new AbortController();
    ctl.abort();
    const obs = await client.send(chat(), ctl.signal);
    expect(obs.error?.kind).toBe("aborted");
    expect(server.requests.length).toBe(before);
  });

  it("records a refused connection as connect", async () => {
    const port = await freePort();
    const nowhere = createClient({ baseUrl: `http://127.0.0.1:${port}/v1`, transport, apiKey: KEY });
    try {
      const obs = await nowhere.send(chat());
      expect(obs.error?.kind).toBe("connect");
      expect(obs.chunkAt).toEqual([]);
      expect(JSON.stringify(obs)).not.toContain(KEY);
    } finally {
      await nowhere.close();
    }
  });

  it("streams 256 requests at once", async () => {
    const many = await Promise.all(Array.from({ length: 256 }, (_, i) => client.send(chat(`q${i}`))));
    expect(many.filter((o) => o.error !== undefined)).toEqual([]);
    expect(many.every((o) => o.text === "one two three" && o.chunkAt.length === 3)).toBe(true);
  });
});

describe("createClient", () => {
  it("rejects a base URL that is not http(s), naming the option", () => {
    expect(() => createClient({ baseUrl: "localhost:8080" })).toThrow(/ClientOptions.baseUrl/);
    expect(() => createClient({ baseUrl: "ftp://h/v1" })).toThrow(/http: or https:/);
  });
});
