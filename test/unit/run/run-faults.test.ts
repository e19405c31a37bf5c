// A whole run against a scripted faulty server (fault injection, not an engine test): each
// failure is recorded as its kind, the run goes on, the error rate is right, and every record
// measured before and after a failure is kept in records.jsonl.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorkload, type RunResult } from "../../../src/run/run.js";
import type { RequestRecord } from "../../../src/run/types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { normalStream, startFaultServer, chatChunk, type FaultScript, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

const ok = (): FaultScript => normalStream({ tokens: ["a", " b", " c"], usage: { prompt: 10, completion: 3 } });
const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };

describe("a run against a faulty server", () => {
  let server: FaultServer;
  let result: RunResult;
  let records: RequestRecord[];

  beforeAll(async () => {
    // Chat requests take the queue in order; everything else (tokenizer and metrics probes) is a 404.
    const chat: FaultScript[] = [
      ok(),
      { status: 500, headers: { "content-type": "application/json" }, steps: [{ raw: '{"error":"boom"}' }] },
      ok(),
      { steps: [{ event: chatChunk({ content: "x" }) }, { reset: true }] },
      ok(),
      { steps: [{ raw: "data: {not json\n\n" }] },
      ok(),
      { silent: true, steps: [] },
      ok(),
    ];
    // The run's one unrecorded warm-up request (content "warm up") gets a normal stream.
    const script = (req: ReceivedRequest): FaultScript => {
      if (!req.url.endsWith("/chat/completions")) return notFound;
      return req.body.includes('"warm up"') ? ok() : (chat.shift() ?? ok());
    };
    server = await startFaultServer({ fallback: script });
    result = await runWorkload({
      spec: validateSpec({
        name: "faults",
        seed: 1,
        sessions: 1,
        agents: [{ name: "a", turns: 9, freshInput: 20, output: 3 }],
        traffic: { mode: "concurrent", concurrency: 1, onError: "continue" },
        request: { timeouts: { firstTokenMs: 300 } },
      }),
      target: { apiUrl: server.baseUrl },
      // The scripted server has no tokenizer endpoint: the run falls back to a local tokenizer.
      outDir: mkdtempSync(join(tmpdir(), "agentload-faults-")),
    });
    records = readFileSync(join(result.dir, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RequestRecord);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("records each failure as its kind and goes on with the session", () => {
    expect(records.map((r) => r.nodeId)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(records.map((r) => r.error?.kind ?? "ok")).toEqual(["ok", "http", "ok", "reset", "ok", "malformed", "ok", "first-token-timeout", "ok"]);
    expect(records[1]!.error!.status).toBe(500);
  });

  it("keeps what was measured before a failure", () => {
    expect(records[3]!.chunkAt).toHaveLength(1);
    for (const r of records.filter((r) => !r.error)) expect(r.chunkAt).toHaveLength(3);
  });

  it("writes run.json (no key, no credentials in the URL) and report.html with the failures by kind", () => {
    const meta = JSON.parse(readFileSync(join(result.dir, "run.json"), "utf8")) as { server: { url: string }; tool: { version: string }; workload: { fingerprint?: { spec: string } } };
    expect(meta.server.url).toBe(server.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, ""));
    expect(meta.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.workload.fingerprint?.spec).toMatch(/^[0-9a-f]{16}$/);
    const html = readFileSync(join(result.dir, "report.html"), "utf8");
    expect(html).toContain('<figure data-plot="ttfc-ecdf">');
    expect(html).toMatch(/<td>first-token-timeout<\/td><td>1<\/td>/);
  });

  it("computes the error rate and errors by kind", () => {
    expect(result.summary.counts).toMatchObject({ requests: 9, ok: 5, failed: 4 });
    expect(result.summary.errors.rate).toBeCloseTo(4 / 9, 10);
    expect(result.summary.errors.byKind).toEqual({ http: 1, reset: 1, malformed: 1, "first-token-timeout": 1 });
  });
});
