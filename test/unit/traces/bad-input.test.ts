// Traces that would exhaust the readers (issue 12): JSON nested thousands of levels deep is a
// TraceError naming file, line and column, found before the text is parsed (readers and error
// messages walk values recursively and overflowed the stack).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonDocument, jsonLines, MAX_TRACE_NESTING } from "../../../src/traces/jsonl.js";
import { readTrace } from "../../../src/traces/read.js";
import { TraceError } from "../../../src/traces/where.js";
import { charTokenizer } from "../../support/traces.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-bad-traces-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("deeply nested JSON", () => {
  it("a JSONL line nested past the limit is a TraceError naming file, line and column", () => {
    const text = `{"a": 1}\n{"hash_ids": ${nested(100_000)}}\n`;
    expect(() => [...jsonLines(text, "t.jsonl")]).toThrow(new TraceError(`t.jsonl:2:${MAX_TRACE_NESTING + 13}: JSON nested more than ${MAX_TRACE_NESTING} levels deep; expected trace records, which are a few levels deep`));
  });

  it("a JSON document nested past the limit is a TraceError naming file, line and column", () => {
    expect(() => jsonDocument(`{\n "nodes": ${nested(5000)}}`, "dag.json")).toThrow(/^dag\.json:2:1010: JSON nested more than 1000 levels deep/);
  });

  it("nesting up to the limit reads, and brackets inside strings do not count", () => {
    expect([...jsonLines(`{"x": ${nested(MAX_TRACE_NESTING - 1)}}`, "t.jsonl")]).toHaveLength(1);
    expect(jsonDocument(`{"text": "${"[".repeat(5000)}"}`, "t.json")).toEqual({ text: "[".repeat(5000) });
  });

  it("a Mooncake trace with a deeply nested line fails with a TraceError, not a stack overflow", async () => {
    const file = join(dir, "deep.jsonl");
    await writeFile(file, `{"timestamp": 0, "input_length": 4, "output_length": 2, "hash_ids": [1]}\n{"timestamp": 1, "input_length": 4, "output_length": 2, "hash_ids": ${nested(200_000)}}\n`);
    await expect(readTrace(file)).rejects.toThrow(/deep\.jsonl:2:\d+: JSON nested more than 1000 levels deep/);
  });

  it("a Claude Code transcript with deeply nested tool input fails with a TraceError", async () => {
    const file = join(dir, "c0ffee00-0000-4000-8000-0000000000aa.jsonl");
    const base = { sessionId: "c0ffee00-0000-4000-8000-0000000000aa", cwd: "/w", version: "1" };
    const user = { ...base, type: "user", uuid: "u1", parentUuid: null, timestamp: "2025-01-01T00:00:00Z", message: { role: "user", content: "hi" } };
    const line = `{"type":"assistant","uuid":"a1","parentUuid":"u1","sessionId":"${base.sessionId}","timestamp":"2025-01-01T00:00:01Z","message":{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"x","input":{"deep":${nested(50_000)}}}]}}`;
    await writeFile(file, `${JSON.stringify(user)}\n${line}\n`);
    const err = await readTrace(file, { tokenizer: charTokenizer }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as Error).message).toMatch(/0000000000aa\.jsonl:2:\d+: JSON nested more than 1000 levels deep/);
  });
});
