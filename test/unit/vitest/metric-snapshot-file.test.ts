import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkMetricSnapshot,
  formatMetricSnapshotFile,
  METRIC_SNAPSHOT_VERSION,
  metricSnapshotPath,
  readMetricSnapshotFile,
  removeMetricSnapshotEntries,
  snapshotEntryOf,
  writeMetricSnapshotEntry,
  type HostEnvironment,
} from "../../../src/vitest/metric-snapshot.js";
import { syntheticRun } from "../../support/synthetic-run.js";

const host: HostEnvironment = { runtime: "node 20.0.0", platform: "linux", arch: "x64", cpus: 2 };
const server = { engine: "llama.cpp", model: "tiny.gguf", slots: 4 };
const run = syntheticRun("chain", { seed: "baseline" }, server);
const other = syntheticRun("chain", { seed: "rerun" }, server);
const entry = (r = run) => snapshotEntryOf(r, { savedAt: new Date("2025-01-02T03:04:05Z"), host });

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "agentload-snapshot-file-"));
  file = path.join(dir, "__metrics__", "coding.workload.ts.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the version 2 layout", () => {
  it("keeps the plain statistics in entries and the histogram payloads apart, at the end, one line per metric", () => {
    writeMetricSnapshotEntry(file, "b 1", entry(other));
    writeMetricSnapshotEntry(file, "a 1", entry());
    const text = readFileSync(file, "utf8");
    const data = JSON.parse(text) as { version: number; entries: Record<string, Record<string, unknown>>; histograms: Record<string, Record<string, unknown>> };
    expect(METRIC_SNAPSHOT_VERSION).toBe(2);
    expect(Object.keys(data)).toEqual(["version", "entries", "histograms"]);
    expect(data.version).toBe(2);
    // Sorted keys, the same in both sections.
    expect(Object.keys(data.entries)).toEqual(["a 1", "b 1"]);
    expect(Object.keys(data.histograms)).toEqual(["a 1", "b 1"]);
    expect(data.entries["a 1"]).not.toHaveProperty("histograms");
    expect(data.entries["a 1"]).toMatchObject({ workload: "chain", counts: run.summary.counts, latency: { ttfc: { p50: expect.any(Number) } } });
    expect(data.histograms["a 1"]).toEqual(run.summary.histograms);
    // No base64 before the histograms section; there, each metric is one line.
    const at = text.indexOf('\n  "histograms": {');
    expect(text.slice(0, at)).not.toContain("HISTF");
    const ttfcLine = text.split("\n").find((l) => l.startsWith('      "ttfc": {"format":"hdr-v2-us"'));
    expect(ttfcLine).toBeDefined();
    expect(JSON.parse(`{${ttfcLine!.trim().replace(/,$/, "")}}`)).toEqual({ ttfc: run.summary.histograms.ttfc });
  });

  it("reads back what it wrote, and writing it again gives the same bytes", () => {
    writeMetricSnapshotEntry(file, "a 1", entry());
    writeMetricSnapshotEntry(file, "a: cold 1", entry(other));
    const text = readFileSync(file, "utf8");
    const read = readMetricSnapshotFile(file);
    expect(read.entries["a 1"]).toEqual(entry());
    expect(read.entries["a: cold 1"]!.histograms).toEqual(other.summary.histograms);
    expect(formatMetricSnapshotFile(read.entries)).toBe(text);
  });

  it("an empty file is still a valid file", () => {
    expect(JSON.parse(formatMetricSnapshotFile({}))).toEqual({ version: 2, entries: {}, histograms: {} });
  });
});

describe("version 1 files", () => {
  const writeV1 = (entries: Record<string, unknown>) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`);
  };

  it("are read with their histograms, compared as before, and left as they are while nothing is written", () => {
    writeV1({ "chain > latency 1": entry() });
    const before = readFileSync(file, "utf8");
    expect(readMetricSnapshotFile(file).entries["chain > latency 1"]).toEqual(entry());
    const testFile = path.join(dir, "coding.workload.ts");
    expect(metricSnapshotPath(testFile)).toBe(file);
    const same = checkMetricSnapshot({ testFile, key: "chain > latency 1", run: other, update: "all", ci: false, host });
    expect(same.outcome).toBe("matched");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("are converted to version 2 when an entry is next written, keeping the others' histograms", () => {
    writeV1({ "old 1": entry() });
    writeMetricSnapshotEntry(file, "new 1", entry(other));
    const data = JSON.parse(readFileSync(file, "utf8")) as { version: number; entries: Record<string, object>; histograms: Record<string, object> };
    expect(data.version).toBe(2);
    expect(data.entries["old 1"]).not.toHaveProperty("histograms");
    expect(data.histograms["old 1"]).toEqual(run.summary.histograms);
    expect(data.histograms["new 1"]).toEqual(other.summary.histograms);
  });

  it("the committed vitest 5 bench baseline reads, every entry with its histograms", () => {
    const baseline = fileURLToPath(new URL("../../../benchmarks/__benchmarks__/prefix-cache.bench.ts.json", import.meta.url));
    const read = readMetricSnapshotFile(baseline);
    expect(Object.keys(read.entries).length).toBeGreaterThan(0);
    for (const e of Object.values(read.entries)) expect(e.histograms.ttfc?.format).toBe("hdr-v2-us");
    // Stored in the current layout: formatting what was read gives the file back.
    expect(formatMetricSnapshotFile(read.entries)).toBe(readFileSync(baseline, "utf8"));
  });
});

describe("removeMetricSnapshotEntries", () => {
  it("removes the entries and their histograms, and deletes a file left empty", () => {
    writeMetricSnapshotEntry(file, "a 1", entry());
    writeMetricSnapshotEntry(file, "b 1", entry(other));
    expect(removeMetricSnapshotEntries(file, ["b 1", "gone 1"])).toEqual(["b 1"]);
    const data = JSON.parse(readFileSync(file, "utf8")) as { entries: object; histograms: object };
    expect(Object.keys(data.entries)).toEqual(["a 1"]);
    expect(Object.keys(data.histograms)).toEqual(["a 1"]);
    const before = readFileSync(file, "utf8");
    expect(removeMetricSnapshotEntries(file, ["gone 1"])).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(removeMetricSnapshotEntries(file, ["a 1"])).toEqual(["a 1"]);
    expect(existsSync(file)).toBe(false);
  });
});
