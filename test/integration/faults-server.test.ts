// The server's answers (docs/reliability.md): a run against the scripted fault server, one
// session whose requests meet one fault each between good ones. Each failure is recorded as its
// own kind with a message that says what happened, the run goes on, and every request the server
// received is accounted for by exactly one complete record (a request sent twice says so).
// runWorkload in this process, no engine: the whole file takes a few seconds.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorkload, type RunResult } from "../../src/run/run.js";
import type { ErrorKind, RequestRecord } from "../../src/records/types.js";
import { validateSpec } from "../../src/workload/spec.js";
import { chatChunk, normalStream, startFaultServer, usageChunk, type FaultScript, type FaultServer, type ReceivedRequest } from "../support/fault-server.js";

const KEY = "sk-fault-suite-4242-secret";
const ok = (): FaultScript => normalStream({ tokens: ["a", " b", " c"], usage: { prompt: 10, completion: 3 } });
const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };
const KINDS: readonly ErrorKind[] = ["http", "connect", "tls", "protocol", "not-stream", "first-token-timeout", "idle-timeout", "total-timeout", "reset", "empty", "malformed", "server", "aborted"];

/** The chat requests of the run in order, after the warm-up; a retried request takes two. */
const FAULTS: { node: number; name: string; scripts: FaultScript[] }[] = [
  {
    node: 1,
    name: "a 200 JSON reply",
    scripts: [{ headers: { "content-type": "application/json" }, steps: [{ raw: '{"id":"c1","object":"chat.completion","choices":[{"message":{"content":"hi"}}]}' }] }],
  },
  { node: 3, name: "a 200 HTML page", scripts: [{ headers: { "content-type": "text/html" }, steps: [{ raw: "<!DOCTYPE html><html><head><title>Open WebUI</title>" }] }] },
  { node: 5, name: "a reset before any header, then an answer", scripts: [{ drop: true, steps: [] }, ok()] },
  { node: 6, name: "a reset before any header, twice", scripts: [{ drop: true, steps: [] }, { drop: true, steps: [] }] },
  { node: 8, name: "a broken header line", scripts: [{ wire: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX Bad: 1\r\n\r\n", steps: [] }] },
  {
    node: 10,
    name: "a stream without a token",
    scripts: [{ steps: [{ event: chatChunk({ role: "assistant", content: "" }) }, { event: chatChunk({}, "stop") }, { event: usageChunk({ prompt: 10, completion: 0 }) }, { event: "[DONE]" }] }],
  },
  { node: 12, name: "a stall after the first token", scripts: [{ steps: [{ event: chatChunk({ content: "a" }) }, { hang: true }] }] },
  { node: 14, name: "a 429 with Retry-After", scripts: [{ status: 429, headers: { "content-type": "application/json", "retry-after": "3" }, steps: [{ raw: '{"error":"rate limit"}' }] }] },
  { node: 16, name: "a 404", scripts: [notFound] },
];
const TURNS = 18;

function readRecords(dir: string): RequestRecord[] {
  return readFileSync(join(dir, "records.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RequestRecord);
}

function faultSpec(turns: number) {
  return validateSpec({
    name: "server-faults",
    seed: 1,
    sessions: 1,
    agents: [{ name: "a", turns, freshInput: 20, output: 3 }],
    traffic: { mode: "concurrent", concurrency: 1, onError: "continue" },
    request: { timeouts: { firstTokenMs: 5_000, idleMs: 300 } },
  });
}

/** Every field a record must have, and an error that names its kind and says something. */
function expectComplete(r: RequestRecord): void {
  for (const k of ["readyAt", "plannedAt", "dispatchedAt", "expectedPromptTokens", "sharedPrefixTokens", "freshInputTokens", "requestedOutputTokens"] as const) {
    expect(typeof r[k], `${r.nodeId}.${k}`).toBe("number");
  }
  expect(typeof r.sessionId).toBe("string");
  expect(Array.isArray(r.chunkAt)).toBe(true);
  if (r.error) {
    expect(KINDS).toContain(r.error.kind);
    expect(r.error.message.length).toBeGreaterThan(0);
  } else {
    expect(r.chunkAt.length).toBeGreaterThan(0);
    expect(r.doneAt).toBeGreaterThanOrEqual(r.chunkAt.at(-1)!);
  }
}

describe("a run against a server that answers badly", () => {
  let server: FaultServer;
  let result: RunResult;
  let records: RequestRecord[];
  let chatRequests: ReceivedRequest[];
  const byNode = (node: number): RequestRecord => records.find((r) => r.nodeId === String(node))!;

  beforeAll(async () => {
    const scripts = new Map(FAULTS.map((f) => [f.node, [...f.scripts]]));
    let node = 0;
    let pending: FaultScript[] = [];
    // Chat requests take the faults in order (a retry takes its node's next script); the
    // warm-up gets a normal stream; anything else (tokenizer and metrics probes) is a 404.
    const script = (req: ReceivedRequest): FaultScript => {
      if (!req.url.endsWith("/chat/completions")) return notFound;
      if (req.body.includes('"warm up"')) return ok();
      if (pending.length === 0) pending = scripts.get(node++) ?? [ok()];
      return pending.shift()!;
    };
    server = await startFaultServer({ fallback: script });
    result = await runWorkload({
      spec: faultSpec(TURNS),
      target: { apiUrl: server.baseUrl, apiKey: KEY },
      outDir: mkdtempSync(join(tmpdir(), "agentload-server-faults-")),
    });
    records = readRecords(result.dir);
    chatRequests = server.requests.filter((r) => r.url.endsWith("/chat/completions") && !r.body.includes('"warm up"'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("goes on after every failure: one complete record per node, the good ones measured", () => {
    expect(records.map((r) => r.nodeId)).toEqual(Array.from({ length: TURNS }, (_, i) => String(i)));
    for (const r of records) expectComplete(r);
    // Node 5's retry succeeded; every other fault failed its request and only its request.
    const failed = new Set(FAULTS.filter((f) => f.node !== 5).map((f) => String(f.node)));
    for (const r of records) expect(r.error !== undefined, `node ${r.nodeId}: ${r.error?.message ?? "ok"}`).toBe(failed.has(r.nodeId));
    for (const r of records.filter((r) => !r.error)) expect(r.chunkAt).toHaveLength(3);
  });

  it("accounts for every request the server received: attempts add up to them", () => {
    const sent = records.reduce((n, r) => n + (r.attempts ?? 1), 0);
    expect(sent).toBe(chatRequests.length);
    expect(chatRequests.length).toBe(TURNS + 2);
    expect(records.filter((r) => r.attempts !== undefined).map((r) => [r.nodeId, r.attempts])).toEqual([
      ["5", 2],
      ["6", 2],
    ]);
  });

  it("records a 200 JSON reply as not-stream, naming the type and its first bytes", () => {
    expect(byNode(1).error).toEqual({
      kind: "not-stream",
      message: `not an event stream: application/json from POST ${server.baseUrl}/chat/completions: {"id":"c1","object":"chat.completion","choices":[{"message":{"content":"hi"}}]}`,
    });
  });

  it("records a 200 HTML page as not-stream", () => {
    expect(byNode(3).error?.kind).toBe("not-stream");
    expect(byNode(3).error?.message).toMatch(/^not an event stream: text\/html from POST http:.*: <!DOCTYPE html><html><head><title>Open WebUI<\/title>$/);
  });

  it("sends a request again once after a reset before any header, and says so", () => {
    const retried = byNode(5);
    expect(retried.error).toBeUndefined();
    expect(retried.attempts).toBe(2);
    expect(retried.chunkAt).toHaveLength(3);
    const twice = byNode(6);
    expect(twice.error?.kind).toBe("reset");
    expect(twice.attempts).toBe(2);
  });

  it("records a broken header as protocol, not as a reset, and does not send it again", () => {
    const r = byNode(8);
    expect(r.error?.kind).toBe("protocol");
    expect(r.error?.message).toMatch(/^not a valid HTTP\/1\.1 response: HTTPParserError: Response does not match the HTTP\/1\.1 protocol \(Invalid header/);
    expect(r.attempts).toBeUndefined();
  });

  it("records a stream without a token as empty: not a success", () => {
    expect(byNode(10).error).toEqual({ kind: "empty", message: 'the stream ended without any generated token, finish_reason "stop", usage: 0 completion tokens' });
    expect(byNode(10).doneAt).toBeDefined();
  });

  it("records a stall after the first token as idle-timeout, soon after the idle limit", () => {
    const r = byNode(12);
    expect(r.error).toEqual({ kind: "idle-timeout", message: "stalled: no token within 300 ms of the previous one (1 token chunk so far)" });
    expect(r.chunkAt).toHaveLength(1);
    // Detected at the limit, not at the total timeout (600 s); the next request starts right after.
    const next = byNode(13);
    expect(next.dispatchedAt - r.chunkAt[0]!).toBeGreaterThanOrEqual(299);
    expect(next.dispatchedAt - r.chunkAt[0]!).toBeLessThan(3_000);
  });

  it("records a 429's Retry-After", () => {
    expect(byNode(14).error).toMatchObject({ kind: "http", status: 429, retryAfterMs: 3000 });
    expect(byNode(14).error?.message).toMatch(/^HTTP 429 from POST http:\S+\/v1\/chat\/completions \(Retry-After: 3\): \{"error":"rate limit"\}$/);
  });

  it("names the URL requested in a 404, never the key", () => {
    expect(byNode(16).error).toEqual({ kind: "http", status: 404, message: `HTTP 404 from POST ${server.baseUrl}/chat/completions: not found` });
    expect(readFileSync(join(result.dir, "records.jsonl"), "utf8")).not.toContain(KEY);
    expect(chatRequests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("counts each kind in the summary, the empty stream among the failures", () => {
    expect(result.summary.counts).toMatchObject({ requests: TURNS, ok: TURNS - 8, failed: 8 });
    expect(result.summary.errors.byKind).toEqual({ "not-stream": 2, reset: 1, protocol: 1, empty: 1, "idle-timeout": 1, http: 2 });
  });
});

describe("a run whose https URL reaches a plain-HTTP server", () => {
  it("records every request as tls with what to do, sends none twice, and ends the run", async () => {
    const server = await startFaultServer();
    try {
      const result = await runWorkload({
        spec: faultSpec(3),
        target: { apiUrl: server.baseUrl.replace("http:", "https:") },
        outDir: mkdtempSync(join(tmpdir(), "agentload-server-faults-")),
        // The preflight would stop the run at its first request; this is about the records.
        preflight: false,
      });
      const records = readRecords(result.dir);
      expect(records).toHaveLength(3);
      for (const r of records) {
        expectComplete(r);
        expect(r.error?.kind).toBe("tls");
        expect(r.error?.message).toMatch(/^TLS handshake failed: .*\(is the server plain HTTP\? then use an http:\/\/ URL\)$/);
        expect(r.attempts).toBeUndefined();
      }
      // No HTTP request got through the TLS handshake.
      expect(server.requests.filter((r) => r.url.endsWith("/chat/completions"))).toEqual([]);
    } finally {
      await server.close();
    }
  }, 30_000);
});
