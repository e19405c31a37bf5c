// `agentload report <run-dir>`: a run folder re-rendered from its records, in each format, judged
// by its own SLOs or by a new SLO file; exit codes 0 / 1 / 2.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { reportCommand } from "../../../src/cli/report.js";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { cpuCheck } from "../../../src/metrics/client-checks.js";
import { RunFolder } from "../../../src/records/run-folder.js";
import { RecordWriter } from "../../../src/records/writer.js";
import { syntheticRecords } from "../../support/synthetic-run.js";

let dir: string;
let out: string[];

beforeAll(() => {
  const parent = mkdtempSync(join(tmpdir(), "agentload-report-"));
  const folder = RunFolder.create(parent, "demo");
  dir = folder.dir;
  const records = syntheticRecords({ seed: "report", requests: 40, failures: 2 });
  const writer = new RecordWriter(folder.path("records.jsonl"));
  for (const r of records) writer.append(r);
  writer.close();
  folder.writeJson("spec.resolved.json", { name: "demo", slo: { ttfc: { p95: "10s" } } });
  folder.writeJson("summary.json", { name: "demo", interrupted: false, passed: true, summary: summarizeRecords(records, { wallMs: 42_000 }), verdicts: [] });
});

afterEach(() => vi.restoreAllMocks());

async function report(...argv: string[]): Promise<number> {
  out = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    return await reportCommand(argv);
  } finally {
    vi.restoreAllMocks();
  }
}

describe("agentload report", () => {
  it("re-renders the run with its own SLOs: the table, and exit 0 when they hold", async () => {
    expect(await report(dir)).toBe(0);
    const text = out.join("");
    expect(text).toMatch(/requests +42 +ok 40 +failed 2/);
    expect(text).toMatch(/ttfc p95 < 10s: measured [\d.]+ms ✓/);
    expect(text).toMatch(/wall time +42\.0s/);
  });

  it("re-judges by a new SLO file and exits 1 when one fails", async () => {
    const slo = join(dir, "..", "strict.yaml");
    writeFileSync(slo, "slo:\n  ttfc: { p50: 1ms }\n  errorRate: { max: 0.01 }\n");
    expect(await report(dir, "--slo", slo)).toBe(1);
    expect(out.join("")).toMatch(/SLOs {3}2 of 2 failed/);
  });

  it("keeps the run's verdict on its client's CPU and achieved load, which the records do not hold: exit 4", async () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-report-client-"));
    const folder = RunFolder.create(parent, "busy");
    const records = syntheticRecords({ seed: "report", requests: 40 });
    const writer = new RecordWriter(folder.path("records.jsonl"));
    for (const r of records) writer.append(r);
    writer.close();
    folder.writeJson("spec.resolved.json", { name: "busy", slo: {} });
    const cpu = cpuCheck({ source: "eventLoopUtilization", windowMs: 1000, busy: [0.95, 0.97, 0.99, 0.5] });
    const load = { mode: "concurrency" as const, target: 8, achieved: 4, steadyMs: 3_000 };
    folder.writeJson("summary.json", { name: "busy", interrupted: false, passed: true, summary: summarizeRecords(records, { wallMs: 4_000 }), verdicts: [], validity: { client: { cpu, load: { load } } } });
    expect(await report(folder.dir, "--format", "json")).toBe(4);
    const json = JSON.parse(out.join("")) as { validity: { problems: string[] } };
    expect(json.validity.problems.some((p) => p.startsWith("client saturated: event loop busy over 90% of a core in 75% of the run's 4 windows"))).toBe(true);
    expect(json.validity.problems.some((p) => p.startsWith("load short: "))).toBe(true);
  });

  it("keeps the run's ideal prefix cache, which needs the session graphs the records do not hold", async () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-report-ideal-"));
    const folder = RunFolder.create(parent, "ideal");
    const records = syntheticRecords({ seed: "report", requests: 10 });
    const writer = new RecordWriter(folder.path("records.jsonl"));
    for (const r of records) writer.append(r);
    writer.close();
    folder.writeJson("spec.resolved.json", { name: "ideal", slo: {} });
    const summary = summarizeRecords(records, { wallMs: 10_000 });
    const missed = { scaffold: 0, blocks: 0, spawn: 0, compaction: 0, ttl: 0, fork: 0, history: 250 };
    const totals = { requests: 10, promptTokens: 1000, hitTokens: 500, hitRate: 0.5, missed: { ...missed, history: 0 }, fresh: 500 };
    summary.prefix.ideal = { ttlMs: 300_000, infinite: totals, lru: null, achieved: { requests: 10, idealTokens: 500, cachedTokens: 250, ratio: 0.5, missed, beyondIdeal: 0 } };
    folder.writeJson("summary.json", { name: "ideal", interrupted: false, passed: true, summary, verdicts: [] });
    expect(await report(folder.dir)).toBe(0);
    expect(out.join("")).toMatch(/reuse the workload intends +50% +\(an infinite prefix cache; new input 50%\)/);
    expect(out.join("")).toMatch(/achieved \/ ideal +50% +\(250 of 500 tokens; short by reason: history 250\)/);
  });

  it("writes JSON, CSV and JUnit", async () => {
    expect(await report(dir, "--format", "json")).toBe(0);
    const doc = JSON.parse(out.join("")) as { summary: { counts: { requests: number } }; verdicts: unknown[] };
    expect(doc.summary.counts.requests).toBe(42);
    expect(doc.verdicts).toHaveLength(1);

    const csv = join(dir, "requests.csv");
    expect(await report(dir, "--format", "csv", "--out", csv)).toBe(0);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines).toHaveLength(43);
    expect(lines[0]).toMatch(/^session,node,kind,agent,.*,ttfc_ms,ttfv_ms,tbc_ms,.*e2e_ms/);
    expect(lines[42]).toMatch(/,http,503,busy,/);

    expect(await report(dir, "--format", "junit")).toBe(0);
    expect(out.join("")).toMatch(/<testcase classname="demo" name="SLO ttfc p95 &lt; 10s">/);
  });

  it("--html writes the HTML report, with run.json's metadata when the folder has one", async () => {
    const html = join(dir, "..", "report.html");
    expect(await report(dir, "--html", html)).toBe(0);
    const page = readFileSync(html, "utf8");
    expect(page).toContain('<figure data-plot="ttfc-ecdf">');
    expect(page).toContain("no run.json in the run folder");
    writeFileSync(join(dir, "run.json"), JSON.stringify({ tool: { name: "agentload", version: "9.9.9" }, startedAt: "2026-12-06T00:00:00.000Z", server: { url: "http://127.0.0.1:1/v1" }, workload: { name: "demo" }, host: { runtime: "node 22", platform: "linux", arch: "x64", cpus: 2 } }));
    expect(await report(dir, "--html", html)).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("agentload 9.9.9");
    await expect(report(dir, "--html", html, "--format", "csv")).rejects.toThrow(/--html FILE writes the HTML report; give it alone/);
  });

  it("a search folder renders as its HTML report (HTML only)", async () => {
    const search = mkdtempSync(join(tmpdir(), "agentload-report-search-"));
    writeFileSync(join(search, "search.json"), JSON.stringify({ spec: "demo", over: "concurrency", unit: "sessions at once", options: { precision: 0.1 }, frontier: 4, firstFailing: 5, binding: "ttfc p95", stopped: "precision", points: [{ load: 4, attempt: 1, healthy: true, reasons: [], detail: { slo: [{ name: "ttfc p95", measured: 500, limit: 1000, pass: true }] } }] }));
    expect(await report(search)).toBe(0);
    expect(out.join("")).toContain('<figure data-plot="frontier">');
    await expect(report(search, "--format", "csv")).rejects.toThrow(/a search folder renders as HTML only/);
  });

  it("a trace renders as its HTML report (HTML only, no SLOs)", async () => {
    expect(await report("fixtures/traces/mooncake.jsonl")).toBe(0);
    expect(out.join("")).toContain('<figure data-plot="output-fit">');
    await expect(report("fixtures/traces/mooncake.jsonl", "--format", "terminal")).rejects.toThrow(/a trace renders as HTML only/);
    await expect(report("fixtures/traces/mooncake.jsonl", "--slo", "x.yaml")).rejects.toThrow(/a trace has no SLOs to judge/);
  });

  it("names what is wrong: the folder, the format, the SLO", async () => {
    await expect(report(join(dir, "nope"))).rejects.toThrow(CliError);
    await expect(report(dir, "--format", "pdf")).rejects.toThrow(/--format expects one of terminal, json, csv, chrome-trace, junit, html, got .pdf./);
    const bad = join(dir, "..", "bad.yaml");
    writeFileSync(bad, "ttft: { p95: 1s }\n");
    await expect(report(dir, "--slo", bad)).rejects.toThrow(/bad\.yaml: slo\.ttft: unknown metric "ttft" \(did you mean ttfc\?\)/);
  });
});
