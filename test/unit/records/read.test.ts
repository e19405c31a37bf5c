// Reading records.jsonl and a run folder back: good lines, blank lines, a broken line named by its
// line number, a torn last line (a crash mid-write) skipped with a note, missing files.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { forEachRecord, readRecords, readRunFolder } from "../../../src/records/read.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { RecordWriter } from "../../../src/records/writer.js";

function record(sessionId: string, nodeId: string, dispatchedAt: number): RequestRecord {
  return {
    sessionId,
    nodeId,
    readyAt: dispatchedAt,
    plannedAt: dispatchedAt,
    dispatchedAt,
    firstTokenAt: dispatchedAt + 5,
    chunkAt: [dispatchedAt + 5, dispatchedAt + 7],
    doneAt: dispatchedAt + 8,
    expectedPromptTokens: 100,
    sharedPrefixTokens: 40,
    freshInputTokens: 60,
    requestedOutputTokens: 2,
  };
}

const line = (r: RequestRecord): string => JSON.stringify(r) + "\n";

describe("records", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agentload-records-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("readRecords", () => {
    it("reads what the writer wrote, in order", () => {
      const path = join(dir, "records.jsonl");
      const written = [record("s0", "n0", 1), record("s0", "n1", 2), record("s1", "n0", 3.5)];
      const writer = new RecordWriter(path);
      for (const r of written) writer.append(r);
      writer.close();
      const notes: string[] = [];
      expect(readRecords(path, { onNote: (n) => notes.push(n) })).toEqual(written);
      expect(notes).toEqual([]);
    });

    it("reads a file larger than its read chunk: lines and multi-byte characters across chunk boundaries", () => {
      const path = join(dir, "records.jsonl");
      // 4 MB and more: lines of 300 kB to 1 MB of two- and three-byte characters, so chunk boundaries (1 MiB) fall inside lines and characters.
      const written = Array.from({ length: 12 }, (_, i) => ({ ...record(`s${i}`, "n0", i), agent: (i % 2 ? "é" : "→").repeat(150_000 + ((i * 104_729) % 200_000)) }));
      const writer = new RecordWriter(path);
      for (const r of written) writer.append(r);
      writer.close();
      expect(statSync(path).size).toBeGreaterThan(2 * 2 ** 20);
      const seen: RequestRecord[] = [];
      forEachRecord(path, (r) => void seen.push(r));
      expect(seen).toEqual(written);
      expect(readRecords(path)).toEqual(written);
    });

    it("skips blank lines", () => {
      const path = join(dir, "records.jsonl");
      writeFileSync(path, "\n" + line(record("s0", "n0", 1)) + "\n  \n" + line(record("s0", "n1", 2)) + "\n");
      expect(readRecords(path).map((r) => r.nodeId)).toEqual(["n0", "n1"]);
    });

    it("reads an empty file as no records", () => {
      const path = join(dir, "records.jsonl");
      writeFileSync(path, "");
      expect(readRecords(path)).toEqual([]);
    });

    it("names the file and line of a line that is not JSON", () => {
      const path = join(dir, "records.jsonl");
      writeFileSync(path, line(record("s0", "n0", 1)) + "\n" + "{not json\n" + line(record("s0", "n1", 2)));
      expect(() => readRecords(path)).toThrow(`${path}:3: not valid JSON (`);
    });

    it("names the line of a record without sessionId, nodeId or dispatchedAt", () => {
      const path = join(dir, "records.jsonl");
      const { dispatchedAt: _, ...noDispatch } = record("s0", "n1", 2);
      writeFileSync(path, line(record("s0", "n0", 1)) + JSON.stringify(noDispatch) + "\n");
      expect(() => readRecords(path)).toThrow(`${path}:2: not a request record (no dispatchedAt)`);
      writeFileSync(path, "[1, 2]\n");
      expect(() => readRecords(path)).toThrow(`${path}:1: not a request record (no sessionId, nodeId, dispatchedAt)`);
    });

    it("skips a torn last line with a note instead of failing", () => {
      const path = join(dir, "records.jsonl");
      const whole = line(record("s0", "n0", 1)) + line(record("s0", "n1", 2));
      writeFileSync(path, whole + line(record("s1", "n0", 3)).slice(0, 40));
      const notes: string[] = [];
      const records = readRecords(path, { onNote: (n) => notes.push(n) });
      expect(records.map((r) => r.nodeId)).toEqual(["n0", "n1"]);
      expect(notes).toEqual([`${path}:3: ignored a torn last line (the run stopped while writing it)`]);
      // Without a listener it is skipped all the same.
      expect(readRecords(path)).toHaveLength(2);
    });

    it("fails on a broken last line that was finished with a newline (not a torn write)", () => {
      const path = join(dir, "records.jsonl");
      writeFileSync(path, line(record("s0", "n0", 1)) + "{broken\n");
      expect(() => readRecords(path)).toThrow(`${path}:2: not valid JSON`);
    });

    it("names the path of a missing file", () => {
      const path = join(dir, "nope.jsonl");
      expect(() => readRecords(path)).toThrow(`${path}: no such records file`);
    });
  });

  describe("readRunFolder", () => {
    it("reads records, the resolved spec, the summary and run.json", () => {
      const run = join(dir, "run-1");
      mkdirSync(run);
      writeFileSync(join(run, "records.jsonl"), line(record("s0", "n0", 1)));
      writeFileSync(join(run, "spec.resolved.json"), JSON.stringify({ name: "w", seed: "1" }));
      writeFileSync(join(run, "summary.json"), JSON.stringify({ name: "w", passed: true }));
      writeFileSync(join(run, "run.json"), JSON.stringify({ tool: { name: "agentload", version: "1.2.3" } }));
      expect(readRunFolder(run)).toEqual({
        dir: run,
        resolvedSpec: { name: "w", seed: "1" },
        summary: { name: "w", passed: true },
        metadata: { tool: { name: "agentload", version: "1.2.3" } },
        records: [record("s0", "n0", 1)],
      });
    });

    it("gives null for a missing spec.resolved.json, summary.json or run.json", () => {
      const run = join(dir, "crashed");
      mkdirSync(run);
      writeFileSync(join(run, "records.jsonl"), line(record("s0", "n0", 1)) + '{"sessionId":"s0","no');
      const notes: string[] = [];
      const got = readRunFolder(run, { onNote: (n) => notes.push(n) });
      expect(got.resolvedSpec).toBeNull();
      expect(got.summary).toBeNull();
      expect(got.metadata).toBeNull();
      expect(got.records).toHaveLength(1);
      expect(notes).toHaveLength(1);
    });

    it("names a missing folder", () => {
      const run = join(dir, "missing");
      expect(() => readRunFolder(run)).toThrow(`${run}: no such run folder`);
    });

    it("names a missing records.jsonl", () => {
      const run = join(dir, "empty");
      mkdirSync(run);
      expect(() => readRunFolder(run)).toThrow(`${join(run, "records.jsonl")}: not found`);
    });

    it("names a summary.json that is not JSON", () => {
      const run = join(dir, "bad-summary");
      mkdirSync(run);
      writeFileSync(join(run, "records.jsonl"), "");
      writeFileSync(join(run, "summary.json"), "{");
      expect(() => readRunFolder(run)).toThrow(`${join(run, "summary.json")}: not valid JSON`);
    });
  });
});
