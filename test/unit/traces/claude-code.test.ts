import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseClaudeCode, withoutCutLastLine } from "../../../src/traces/claude-code.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import { validateSession } from "../../../src/workload/graph.js";
import { charTokenizer, fixtures } from "../../support/traces.js";

const session = "c0ffee00-0000-4000-8000-000000000001";
const mainFile = join(fixtures, "claude-code/project", `${session}.jsonl`);
const inlineDir = join(fixtures, "claude-code/inline");
const inlineFile = join(inlineDir, "c0ffee00-0000-4000-8000-000000000002.jsonl");
/** The inline transcript (another session id) and, as line 7, a next entry cut short: no final newline. */
const beingWritten = join(fixtures, "claude-code/being-written/c0ffee00-0000-4000-8000-000000000003.jsonl");
const noRequests = join(fixtures, "claude-code/no-requests");

describe("Claude Code transcripts", () => {
  const read = () => readTrace(mainFile, { tokenizer: charTokenizer });

  it("makes one request per API response (entries sharing a message id), skipping responses without usage", async () => {
    const trace = await read();
    expect(trace.format).toBe("claude-code");
    expect(trace.requests.map((r) => r.id)).toEqual(["msg_1", "msg_s1", "msg_s2", "msg_2", "msg_3"]);
    const first = trace.requests[0]!;
    // Two entries (thinking, then the tool call): the usage with the final output count, responded at the last one.
    expect(first).toMatchObject({ outputTokens: 40, promptTokens: 1010, cachedTokens: 0, respondedMs: Date.parse("2026-03-01T10:00:02.000Z") });
    // Dispatched when the message it answers was written.
    expect(first.dispatchedMs).toBe(Date.parse("2026-03-01T10:00:00.000Z"));
  });

  it("finds the subagent's transcript in <session>/subagents and links spawn and result (through a hook progress entry)", async () => {
    const trace = await read();
    const byId = new Map(trace.requests.map((r) => [r.id, r]));
    expect(byId.get("msg_s1")!).toMatchObject({
      conversation: `${session}:agent-a1b2c3d`,
      parents: [{ from: "msg_1", type: "subagent_spawn" }],
      historyParent: null,
    });
    expect(byId.get("msg_2")!.parents).toEqual([
      { from: "msg_1", type: "sequential" },
      { from: "msg_s2", type: "subagent_result" },
    ]);
    expect(trace.conversations).toEqual([
      { id: session },
      { id: `${session}:agent-a1b2c3d`, spawnedBy: session, label: "Count" },
    ]);
    expect(trace.userMessages).toBe(2); // "count the files" and "thanks"; tool results and the subagent's task are not
  });

  it("counts fresh input and waits (one token per character here)", async () => {
    const trace = await read();
    const byId = new Map(trace.requests.map((r) => [r.id, r]));
    // msg_2: tool results "2 lines" (7) and "agentId: a1b2c3d (for resuming)" (31), then msg_1's thinking "plan" (4)
    // and its call: "Task" (4) + the input as JSON (94) + 1.
    expect(byId.get("msg_2")!.freshInputTokens).toBe(7 + 31 + 4 + 4 + 94 + 1);
    expect(byId.get("msg_3")!).toMatchObject({ freshInputTokens: "thanks".length + "2 lines".length, waitAfterReadyMs: 20_000, trigger: "user" });
    expect(byId.get("msg_s2")!).toMatchObject({ freshInputTokens: 7 + 4 + 26 + 1, waitAfterReadyMs: 500, trigger: "tool_result" });
    // The tool call took from 10:00:02 (msg_1 done) to 10:00:09 (its result).
    expect(byId.get("msg_2")!.waitAfterReadyMs).toBe(7000);
    expect(byId.get("msg_1")!).toMatchObject({ freshInputTokens: 1010, scaffoldTokens: 1010 - "count the files".length });
  });

  it("analyzes as one session with a subagent, and becomes a valid session graph", async () => {
    const trace = await read();
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ requests: 5, sessions: 1, userMessages: 2, conversations: { listed: 2, withRequests: 2, spawned: 1 } });
    expect(a.graph).toMatchObject({ longestPath: 5, maxFanOut: 2, maxFanIn: 2 });
    expect(a.prompt!.cachedTokens).toBe(1000 + 805 + 1100);
    const graphs = traceSessionGraphs(trace);
    expect(graphs).toHaveLength(1);
    validateSession(graphs[0]!);
  });

  it("links an inline sidechain (older transcripts) by its prompt", async () => {
    const trace = await readTrace(inlineDir, { tokenizer: charTokenizer });
    const sidechain = `c0ffee00-0000-4000-8000-000000000002:sidechain-s1`;
    expect(trace.requests.map((r) => [r.id, r.conversation])).toEqual([
      ["msg_i1", "c0ffee00-0000-4000-8000-000000000002"],
      ["msg_i2", sidechain],
      ["msg_i3", "c0ffee00-0000-4000-8000-000000000002"],
    ]);
    expect(trace.requests[1]!.parents).toEqual([{ from: "msg_i1", type: "subagent_spawn" }]);
    expect(trace.requests[2]!.parents).toEqual([
      { from: "msg_i1", type: "sequential" },
      { from: "msg_i2", type: "subagent_result" },
    ]);
    expect(trace.userMessages).toBe(1);
  });

  it("names the file and line of a bad entry", async () => {
    const text = await readFile(mainFile, "utf8");
    const broken = text.replace('"output_tokens":8', '"output_tokens":"eight"');
    await expect(parseClaudeCode([{ name: "t.jsonl", text: broken }], { tokenizer: charTokenizer })).rejects.toThrow(
      't.jsonl:7: message.usage.output_tokens: expected a whole number >= 0, got "eight"',
    );
    await expect(parseClaudeCode([{ name: "t.jsonl", text: text.replace('"uuid":"u2"', '"uuid":7') }], { tokenizer: charTokenizer })).rejects.toThrow(
      "t.jsonl:8: uuid: expected a non-empty string, got 7",
    );
  });
});

describe("Claude Code transcripts being written, damaged or without requests", () => {
  const parse = (text: string, name = "t.jsonl") => parseClaudeCode([{ name, text }], { tokenizer: charTokenizer });

  it("skips a last line cut short (no final newline, not JSON) with a warning naming file:line, and reads the rest", async () => {
    const whole = await readTrace(inlineFile, { tokenizer: charTokenizer });
    const trace = await readTrace(beingWritten, { tokenizer: charTokenizer });
    expect(trace.requests.map((r) => [r.id, r.freshInputTokens, r.outputTokens])).toEqual(whole.requests.map((r) => [r.id, r.freshInputTokens, r.outputTokens]));
    expect(trace.warnings).toEqual([
      `${beingWritten}:7: skipped the last line, cut short (no final newline, not valid JSON: the transcript is being written?)`,
    ]);
    expect(whole.warnings).toBeUndefined();
  });

  it("keeps a last line without final newline that is whole JSON, and refuses a bad last line that has its newline", async () => {
    const text = await readFile(inlineFile, "utf8");
    expect(withoutCutLastLine({ name: "t.jsonl", text: text.slice(0, -1) })).toEqual({ text: text.slice(0, -1) });
    await expect(parse(`${text}{"type":"user"\n`)).rejects.toThrow(/^t\.jsonl:7: not valid JSON/);
  });

  it("fails on a line in the middle that is not JSON, naming it", async () => {
    const lines = (await readFile(inlineFile, "utf8")).split("\n");
    lines[2] = lines[2]!.slice(0, 40);
    await expect(parse(lines.join("\n"))).rejects.toThrow(/^t\.jsonl:3: not valid JSON/);
  });

  it("refuses a transcript without requests, naming the file and what it expected", async () => {
    await expect(readTrace(noRequests, { tokenizer: charTokenizer })).rejects.toThrow(
      `${noRequests}: the trace has no requests: expected assistant entries whose message.usage counts tokens (an API response); found 1 assistant entry, none with tokens`,
    );
    await expect(parse('{"type":"summary","summary":"x","leafUuid":"u"}\n')).rejects.toThrow("t.jsonl: the trace has no requests: expected assistant entries whose message.usage counts tokens (an API response); found none");
  });
});
