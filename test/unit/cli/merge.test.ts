// `agentload merge` on hand-made shard folders: the merged folder's files, the exit codes of run
// (0 passed, 1 an SLO failed judged on the merged requests, 2 not the shards of one run).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { mergeCommand } from "../../../src/cli/merge.js";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { RunFolder } from "../../../src/records/run-folder.js";
import type { RunMetadata } from "../../../src/records/types.js";
import { syntheticRecords } from "../../support/synthetic-run.js";

afterEach(() => vi.restoreAllMocks());

/** Two shard folders of one run: synthetic requests dealt by session, each shard's summary as run writes it. */
function shardFolders(slo: unknown): string[] {
  const parent = mkdtempSync(join(tmpdir(), "agentload-merge-"));
  const records = syntheticRecords({ seed: "merge", requests: 40 });
  return [0, 1].map((index) => {
    const folder = RunFolder.create(join(parent, `s${index}`), "demo");
    const own = records.filter((_, i) => i % 2 === index);
    folder.writeJson("spec.resolved.json", { name: "demo", slo });
    const metadata: RunMetadata = {
      tool: { name: "agentload", version: "0" },
      startedAt: new Date().toISOString(),
      server: { url: "http://h:1" },
      workload: { name: "demo", fingerprint: { spec: "abcdef0123456789", sessions: 40 } },
      host: { runtime: "node", platform: "linux", arch: "x64", cpus: 2 },
      shard: { index, count: 2, startAt: "2026-12-06T12:00:00.000Z" },
    };
    folder.writeJson("run.json", metadata);
    folder.writeText("records.jsonl", own.map((r) => `${JSON.stringify(r)}\n`).join(""));
    folder.writeJson("summary.json", { name: "demo", interrupted: false, passed: true, summary: summarizeRecords(own, { wallMs: 40_000 }), verdicts: [] });
    return folder.dir;
  });
}

async function merge(args: string[]) {
  const out: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, "error").mockImplementation(() => {});
  const code = await mergeCommand(args);
  return { code, stdout: out.join("\n") };
}

describe("agentload merge", () => {
  it("writes one run folder with every shard's records; exit 0 when the SLOs hold on the merged requests", async () => {
    const dirs = shardFolders({ ttfc: { p95: "10s" } });
    const out = mkdtempSync(join(tmpdir(), "agentload-merged-"));
    const { code, stdout } = await merge([...dirs, "--out", out]);
    expect(code).toBe(0);
    expect(stdout).toContain("merged 2 of 2 shards into:");
    const [dir] = readdirSync(out);
    expect(dir).toMatch(/^demo-merged-/);
    const files = readdirSync(join(out, dir!)).sort();
    expect(files).toEqual(["records.jsonl", "report.html", "run.json", "spec.resolved.json", "summary.json"]);
    const summary = JSON.parse(readFileSync(join(out, dir!, "summary.json"), "utf8"));
    expect(summary.summary.counts.requests).toBe(40);
    expect(summary.summary.wallMs).toBe(40_000);
    expect(readFileSync(join(out, dir!, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(40);
    const metadata = JSON.parse(readFileSync(join(out, dir!, "run.json"), "utf8"));
    expect(metadata.mergedFrom).toEqual(dirs);
    expect(metadata.shard).toBeUndefined();
  });

  it("exit 1 when an SLO fails on the merged requests", async () => {
    const dirs = shardFolders({ ttfc: { p95: "1ms" } });
    const { code } = await merge([...dirs, "--out", mkdtempSync(join(tmpdir(), "agentload-merged-"))]);
    expect(code).toBe(1);
  });

  it("usage errors (exit 2): no folder, a folder that is no run folder, a shard missing, the same shard twice", async () => {
    const dirs = shardFolders({});
    await expect(mergeCommand([])).rejects.toThrow(new CliError("merge expects the run folders of a run's shards, got none"));
    await expect(mergeCommand(["/nonexistent/run"])).rejects.toThrow("/nonexistent/run: no such run folder");
    await expect(mergeCommand([dirs[0]!])).rejects.toThrow("shard 1/2 missing (given: 0/2); give every shard's run folder, or --partial");
    await expect(mergeCommand([dirs[0]!, dirs[0]!])).rejects.toThrow(`shard 0/2 given twice: ${dirs[0]} and ${dirs[0]}`);
  });
});
