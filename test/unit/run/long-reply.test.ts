// Issue 12: a run against a server without /tokenize counts each reply locally (tiktoken). A 16 KB
// reply without whitespace used to hold the event loop 21 to 59 s while it was counted: nothing
// was stamped, and a healthy request of another session, whose first token came after 300 ms,
// was recorded as a first-token timeout. Now the count runs in slices: every request ends as it
// did on the wire, the child's expected prompt holds the reply's exact count, and no stall is seen.
// And when something else holds the loop (here a 1.5 s busy onRecord), validity says so.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tiktokenTokenizer } from "../../../src/content/tokenizer.js";
import { runWorkload, type RunResult } from "../../../src/run/run.js";
import type { RequestRecord } from "../../../src/run/types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { normalStream, startFaultServer, type FaultScript, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

const spec = validateSpec({
  name: "long-reply",
  seed: 1,
  sessions: 2,
  agents: [{ name: "a", turns: 2, freshInput: 20, output: 3 }],
  traffic: { mode: "concurrent", concurrency: 2 },
  request: { timeouts: { firstTokenMs: 5_000 } },
});
const reply = Array.from({ length: 16 * 1024 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");
const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };

describe("a 16 KB reply without whitespace, counted without /tokenize", () => {
  let server: FaultServer;
  let result: RunResult;
  let records: RequestRecord[];

  beforeAll(async () => {
    let chat = 0;
    // The first recorded request gets the long reply (one chunk); every other one a normal
    // stream whose first token takes 300 ms, well inside the 5 s first-token timeout.
    const script = (req: ReceivedRequest): FaultScript => {
      if (!req.url.endsWith("/chat/completions")) return notFound;
      if (req.body.includes('"warm up"')) return normalStream({ tokens: ["a"] });
      if (++chat === 1) return normalStream({ tokens: [reply], usage: { prompt: 10, completion: 4096 } });
      return normalStream({ tokens: ["x", " y", " z"], firstDelayMs: 300, gapMs: 20, usage: { prompt: 10, completion: 3 } });
    };
    server = await startFaultServer({ fallback: script });
    result = await runWorkload({
      spec,
      target: { apiUrl: server.baseUrl },
      outDir: mkdtempSync(join(tmpdir(), "agentload-long-reply-")),
      preflight: false,
    });
    records = readFileSync(join(result.dir, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RequestRecord);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it("records every request as it went on the wire: no first-token timeout beside the count", () => {
    expect(records).toHaveLength(4);
    expect(records.map((r) => r.error?.kind ?? "ok")).toEqual(["ok", "ok", "ok", "ok"]);
  });

  it("counts the reply exactly into its child's expected prompt", async () => {
    const counted = await (await tiktokenTokenizer("cl100k_base")).count(reply);
    const longOne = records.find((r) => r.completionTokens === 4096)!;
    const child = records.find((r) => r.sessionId === longOne.sessionId && r !== longOne)!;
    expect(child.expectedPromptTokens).toBe(longOne.expectedPromptTokens + counted + child.freshInputTokens);
  });

  it("sees no event-loop stall over the limit, and keeps the run valid", () => {
    expect(result.validity.problems).toEqual([]);
    expect(result.validity.valid).toBe(true);
  });
});

describe("a client that holds its event loop", () => {
  it("is not valid, naming the stall and the requests in flight during it", async () => {
    const script = (req: ReceivedRequest): FaultScript =>
      !req.url.endsWith("/chat/completions") ? notFound : normalStream({ tokens: ["x", " y"], firstDelayMs: req.body.includes('"warm up"') ? 0 : 300, usage: { prompt: 10, completion: 2 } });
    const server = await startFaultServer({ fallback: script });
    try {
      let held = false;
      const result = await runWorkload({
        spec,
        target: { apiUrl: server.baseUrl },
        outDir: mkdtempSync(join(tmpdir(), "agentload-stall-")),
        preflight: false,
        // The first record holds the loop 1.5 s while the other session's request is in flight.
        onRecord: () => {
          if (held) return;
          held = true;
          const until = performance.now() + 1_500;
          while (performance.now() < until);
        },
      });
      expect(result.validity.valid).toBe(false);
      expect(result.validity.problems.join("\n")).toMatch(/client event loop stalled once for 200ms or more, 1\d{3}ms at [\d.]+ms into the run with [1-4] requests? in flight \(records\.jsonl lines? [\d, ]+\), over the 1000ms limit/);
      expect(result.validity.client!.cpu!.longestStall!.ms).toBeGreaterThanOrEqual(1_500);
    } finally {
      await server.close();
    }
  }, 60_000);
});
