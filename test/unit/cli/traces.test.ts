import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { analyzeCommand } from "../../../src/cli/analyze.js";
import { CliError } from "../../../src/cli/args.js";
import { fitCommand } from "../../../src/cli/fit.js";
import type { TraceAnalysis } from "../../../src/traces/analyze.js";
import { loadSpecFile } from "../../../src/workload/spec-file.js";
import { fixtures } from "../../support/traces.js";

const dag = join(fixtures, "openclaw/dag.json");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-trace-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs a command with standard output and standard error captured. */
async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const text = (chunk: string | Uint8Array) => (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += text(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += text(chunk);
    return true;
  });
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    out += `${args.join(" ")}\n`;
  });
  const code = await run();
  vi.restoreAllMocks();
  return { code, out, err };
}

describe("agentload analyze", () => {
  it("prints the analysis as a table", async () => {
    const { code, out } = await captured(() => analyzeCommand([dag]));
    expect(code).toBe(0);
    expect(out).toContain("requests 6, sessions 1; conversations 3 listed, 2 with requests, 1 spawned subagents");
    expect(out).toContain("edges 6 (sequential 4, subagent_spawn 1, subagent_result 1)");
    expect(out).toContain("graph: longest path 5, max width 2, max fan-out 2, max fan-in 2");
    expect(out).toMatch(/^fresh input tok +6 +361\.67 +60 +120 /m);
  });

  it("says which fresh input it counts and shows the best family fit of it and of output, one line each", async () => {
    const { out } = await captured(() => analyzeCommand([dag]));
    expect(out).toContain("fresh input as the trace counts it: a later request's includes its parent's reply");
    expect(out).toMatch(/^ {2}without reply +6 /m);
    expect(out).toMatch(/^fresh input as the trace counts it \(includes the parent's reply\): best fit [a-z_]+\(.*\), AIC [\d.]+, KS [\d.]+; then [a-z_]+ \(AIC [\d.]+\)$/m);
    expect(out).toMatch(/^output tokens: best fit [a-z_]+\(.*\), AIC [\d.]+, KS [\d.]+; then /m);
  });

  it("prints it as JSON with --json, with every family fit of fresh input and output ranked by AIC", async () => {
    const { out } = await captured(() => analyzeCommand([dag, "--json"]));
    const a = JSON.parse(out) as TraceAnalysis;
    expect(a).toMatchObject({ requests: 6, peakInFlight: 2, format: "openclaw-dag" });
    for (const report of [a.fits!.freshInputTokens, a.fits!.outputTokens]) {
      expect(report.n).toBe(6);
      expect(report.fits.length + report.failed.length).toBe(7);
      const aics = report.fits.map((f) => f.aic);
      expect(aics).toEqual([...aics].sort((x, y) => x - y));
      for (const f of report.fits) expect(f).toMatchObject({ family: expect.any(String), spec: expect.any(Object), ks: expect.any(Number) });
    }
    // Fitted to fresh input as the trace counts it: the inverse Gaussian's mean is its mean.
    const ig = a.fits!.freshInputTokens.fits.find((f) => f.family === "inverse_gaussian")!.spec as { mean: number };
    expect(ig.mean).toBeCloseTo(a.freshInputTokens.mean, 6);
  });

  it("prints a reader's warning on standard error and goes on: a transcript's last line cut short", async () => {
    const file = join(fixtures, "claude-code/being-written/c0ffee00-0000-4000-8000-000000000003.jsonl");
    const { code, out, err } = await captured(() => analyzeCommand([file, "--tokenizer", "approximate"]));
    expect(code).toBe(0);
    expect(out).toContain("requests 3, sessions 1");
    expect(err).toBe(`warning: ${file}:7: skipped the last line, cut short (no final newline, not valid JSON: the transcript is being written?)\n`);
  });

  it("refuses a trace without requests (exit 2 through main), naming it", async () => {
    const dir = join(fixtures, "claude-code/no-requests");
    await expect(analyzeCommand([dir, "--tokenizer", "approximate"])).rejects.toThrow(new CliError(`${dir}: the trace has no requests: expected assistant entries whose message.usage counts tokens (an API response); found 1 assistant entry, none with tokens`));
    await expect(fitCommand([dir, "--tokenizer", "approximate"])).rejects.toBeInstanceOf(CliError);
  });

  it("reports usage mistakes and unreadable traces as CliErrors", async () => {
    await expect(analyzeCommand([])).rejects.toThrow(new CliError("analyze expects one trace (a file or directory), got none"));
    await expect(analyzeCommand([dag, "--format", "nope"])).rejects.toThrow(/unknown trace format 'nope'/);
    await expect(analyzeCommand([join(dir, "none.jsonl")])).rejects.toBeInstanceOf(CliError);
    await expect(analyzeCommand([dag, "--tokenizer", "bpe"])).rejects.toThrow("--tokenizer expects o200k_base, cl100k_base or approximate, got 'bpe'");
  });
});

describe("agentload fit", () => {
  it("writes a spec that loads and validates, and prints the fits behind it", async () => {
    const out = join(dir, "spec.yaml");
    const run = await captured(() => fitCommand([join(fixtures, "requests.csv"), "--out", out, "--seed", "5", "--sessions", "20"]));
    expect(run.code).toBe(0);
    expect(run.out).toContain(`wrote ${out}`);
    expect(run.out).toMatch(/^main\.output, output tokens \(4 values\): empirical\(4 samples\)$/m);
    const { spec } = await loadSpecFile(out);
    expect(spec).toMatchObject({ name: "requests-fit", seed: "5", sessions: 20 });
    expect(spec.agents.map((a) => a.name)).toEqual(["main", "subagent"]);
    // The trace's one spawn is at turn 1 of its conversation's 3: the window holds that turn only, where it always spawns.
    expect(spec.agents[0]!.subagents).toMatchObject({ agent: "subagent", spawnProbability: 1, spawnWindow: { from: 0.333333, to: 0.333333 }, fanOut: 1 });
  });

  it("writes the spec to standard output without --out, the report to standard error", async () => {
    const { out, err } = await captured(() => fitCommand([dag, "--name", "tiny"]));
    expect(out).toMatch(/^name: tiny$/m);
    expect(err).toContain("main.turns, requests per conversation (1 values): fixed(4)");
  });

  it("says that it fits fresh input without the parent's reply", async () => {
    const { err } = await captured(() => fitCommand([dag]));
    expect(err).toMatch(/^main\.freshInput, what a turn adds beside the parent's reply \(from prompt growth where the trace has prompt sizes\), what the generator adds \(\d+ values\): /m);
  });

  it("prints the spec and every ranked fit as JSON with --json", async () => {
    const { out } = await captured(() => fitCommand([join(fixtures, "veeksha/session.jsonl"), "--json"]));
    const json = JSON.parse(out) as { spec: { agents: unknown[] }; quantities: { quantity: string }[] };
    // Its first session forks (nodes 1 and 2 both continue node 0): one branch is a subagent that
    // inherits history, whose result node 3 reads.
    expect(json.spec.agents).toHaveLength(2);
    expect(json.spec.agents[0]).toMatchObject({ subagents: { agent: "subagent", inheritHistory: true, joinProbability: 1 } });
    expect(json.quantities.map((q) => q.quantity)).toContain("freshInput");
  });

  it("checks its flags", async () => {
    await expect(fitCommand([dag, "--crop", "0"])).rejects.toThrow("--crop expects a percentile in (0, 100], got '0'");
    await expect(fitCommand([dag, "--sessions", "0"])).rejects.toThrow("--sessions expects a whole number >= 1, got '0'");
    await expect(fitCommand([dag, "--out", join(dir, "no/such/dir.yaml")])).rejects.toThrow(/cannot write --out/);
    expect(await readFile(join(fixtures, "openclaw/dag.json"), "utf8")).toContain("nodes"); // untouched
  });
});
