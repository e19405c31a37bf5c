// A trace without a single request is an error naming the file and what was expected, in every
// format, never an analysis of "requests 0".
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTrace } from "../../../src/traces/read.js";
import type { TraceFormat } from "../../../src/traces/types.js";
import { TraceError } from "../../../src/traces/where.js";
import { charTokenizer, fixtures } from "../../support/traces.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-no-requests-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cases: { format: TraceFormat; file: string; text: string; message: string }[] = [
  {
    format: "openclaw-dag",
    file: "dag.json",
    text: '{"stats": {}, "sessions": {}, "nodes": [], "edges": []}',
    message: "$.nodes: the trace has no requests: expected at least one node (an assistant inference with usage)",
  },
  {
    format: "openclaw-session",
    file: "s1.jsonl",
    text: '{"type":"session","id":"s1","timestamp":"2026-01-01T00:00:00Z"}\n{"type":"message","id":"m1","parentId":null,"timestamp":"2026-01-01T00:00:01Z","message":{"role":"user","content":[{"type":"text","text":"hi"}]}}\n',
    message: "the trace has no requests: expected assistant messages with non-zero usage",
  },
  {
    format: "claude-code",
    file: "c0ffee00-0000-4000-8000-0000000000bb.jsonl",
    text: '{"type":"summary","summary":"x","leafUuid":"u"}\n',
    message: "the trace has no requests: expected assistant entries whose message.usage counts tokens (an API response); found none",
  },
  { format: "veeksha-session", file: "v.jsonl", text: "\n", message: "the trace has no requests" },
  { format: "veeksha-request-log", file: "r.jsonl", text: "\n", message: "the trace has no requests" },
  { format: "veeksha-shared-prefix", file: "p.jsonl", text: "\n", message: "the trace has no requests" },
  { format: "mooncake", file: "m.jsonl", text: "\n", message: "the trace has no requests" },
  { format: "csv", file: "t.csv", text: "output_tokens,prompt_tokens\n", message: "the trace has no requests (only a header)" },
];

describe("a trace without requests", () => {
  for (const c of cases) {
    it(`${c.format}: a TraceError naming the file`, async () => {
      const file = join(dir, c.file);
      await writeFile(file, c.text);
      const err = await readTrace(file, { format: c.format, tokenizer: charTokenizer }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TraceError);
      expect((err as Error).message).toBe(`${file}: ${c.message}`);
    });
  }

  it("claude-code: a directory whose transcript has only a synthetic response without usage", async () => {
    const noRequests = join(fixtures, "claude-code/no-requests");
    await expect(readTrace(noRequests, { tokenizer: charTokenizer })).rejects.toThrow(`${noRequests}: the trace has no requests`);
  });
});
