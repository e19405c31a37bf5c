import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectFormat, traceFormat } from "../../../src/traces/detect.js";
import { readTrace } from "../../../src/traces/read.js";
import { charTokenizer, fixtures } from "../../support/traces.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-traces-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("format detection", () => {
  it.each([
    ["openclaw/dag.json", "openclaw-dag"],
    ["openclaw/sessions/main-0001.jsonl", "openclaw-session"],
    ["openclaw/sessions/sessions.json", "openclaw-index"],
    ["claude-code/project/c0ffee00-0000-4000-8000-000000000001.jsonl", "claude-code"],
    ["claude-code/inline/c0ffee00-0000-4000-8000-000000000002.jsonl", "claude-code"],
    ["veeksha/session.jsonl", "veeksha-session"],
    ["veeksha/legacy.jsonl", "veeksha-session"],
    ["veeksha/request-log.jsonl", "veeksha-request-log"],
    ["veeksha/shared-prefix.jsonl", "veeksha-shared-prefix"],
    ["mooncake.jsonl", "mooncake"],
    ["requests.csv", "csv"],
  ])("%s is %s", async (file, format) => {
    expect(detectFormat(file, await readFile(join(fixtures, file), "utf8"))).toBe(format);
  });

  it("accepts Veeksha flavor names and rejects unknown formats", () => {
    expect(traceFormat("timed_synthetic_session")).toBe("veeksha-session");
    expect(traceFormat("mooncake")).toBe("mooncake");
    expect(() => traceFormat("sharegpt")).toThrow("unknown trace format 'sharegpt' (expected one of openclaw-dag, openclaw-session,");
  });
});

describe("readTrace", () => {
  it("reads an OpenClaw sessions.json with the logs beside it", async () => {
    const trace = await readTrace(join(fixtures, "openclaw/sessions/sessions.json"), { tokenizer: charTokenizer });
    expect(trace.requests).toHaveLength(6);
    expect(trace.conversations).toHaveLength(3);
  });

  it("lets --format override detection", async () => {
    // Timed session rows also carry input_length and output_length: read as a plain request log.
    const trace = await readTrace(join(fixtures, "veeksha/session.jsonl"), { format: "request_log" });
    expect(trace.format).toBe("veeksha-request-log");
    expect(trace.requests.map((r) => r.id)).toEqual(["0", "0:2", "0:3", "0:4", "1", "1:6"]);
  });

  it("says what it expected when nothing fits", async () => {
    const file = join(dir, "odd.jsonl");
    await writeFile(file, '{"prompt": "hi", "completion": "there"}\n');
    await expect(readTrace(file)).rejects.toThrow(`${file}: cannot tell the trace format from its first line; give it with --format`);
  });

  it("names a missing path or a directory without a trace", async () => {
    await expect(readTrace(join(dir, "nope.jsonl"))).rejects.toThrow(`${join(dir, "nope.jsonl")}: cannot read the trace: no such file or directory`);
    const empty = join(dir, "empty");
    await import("node:fs/promises").then((fs) => fs.mkdir(empty));
    await expect(readTrace(empty)).rejects.toThrow(`${empty}: no trace found in this directory`);
  });

  it("reads a Claude Code project directory: every session with its subagents", async () => {
    const trace = await readTrace(join(fixtures, "claude-code/project"), { tokenizer: charTokenizer });
    expect(trace.requests.map((r) => r.id)).toEqual(["msg_1", "msg_s1", "msg_s2", "msg_2", "msg_3"]);
  });
});
