import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { generateCommand } from "../../../src/cli/generate.js";
import { inspectCommand } from "../../../src/cli/inspect.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import { loadSpecFile } from "../../../src/workload/spec-file.js";
import { toVeekshaJsonl } from "../../../src/workload/veeksha-jsonl.js";

const SPEC = `name: cli-mix
seed: 11
sessions: 12
agents:
  - name: coder
    weight: 2
    scaffold: { systemTokens: 300, toolTokens: 200 }
    turns: { type: uniform, min: 2, max: 9 }
    freshInput: { type: lognormal, mu: 5, sigma: 1 }
    output: { type: uniform, min: 20, max: 200 }
    waitMs: { type: exponential, mean: 800 }
    subagents: { agent: explorer, spawnProbability: 0.3, fanOut: 2, summaryTokens: 40, maxConcurrent: 1 }
    compaction: { contextLimit: 3000, summaryTokens: 100 }
  - name: explorer
    weight: 0
    turns: 2
    freshInput: 60
    output: 30
  - name: qa
    turns: 1
    freshInput: 120
    output: 40
`;

let dir: string;
let specPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-cli-"));
  specPath = join(dir, "mix.yaml");
  await writeFile(specPath, SPEC);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs a command with standard output captured. */
async function captured(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  });
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    out += `${args.join(" ")}\n`;
  });
  const code = await run();
  vi.restoreAllMocks();
  return { code, out };
}

describe("agentload generate", () => {
  it("writes the spec's sessions as Veeksha JSONL to --out, the same bytes every time", async () => {
    const out1 = join(dir, "a.jsonl");
    const out2 = join(dir, "b.jsonl");
    expect(await generateCommand([specPath, "--out", out1])).toBe(0);
    expect(await generateCommand([specPath, "-o", out2])).toBe(0);
    const text = await readFile(out1, "utf8");
    expect(await readFile(out2, "utf8")).toBe(text);
    const { spec } = await loadSpecFile(specPath);
    expect(text).toBe(toVeekshaJsonl(generateWorkload(spec)));
    const sessionIds = new Set(text.trim().split("\n").map((l) => (JSON.parse(l) as { session_id: number }).session_id));
    expect(sessionIds.size).toBe(12);
  });

  it("writes to standard output without --out", async () => {
    const { code, out } = await captured(() => generateCommand([specPath]));
    expect(code).toBe(0);
    expect(out).toBe(await readFile(join(dir, "a.jsonl"), "utf8"));
  });

  it("--sessions and --seed vary the spec", async () => {
    const { out: three } = await captured(() => generateCommand([specPath, "--sessions", "3"]));
    const full = await readFile(join(dir, "a.jsonl"), "utf8");
    const lastSession = (text: string) => (JSON.parse(text.trim().split("\n").pop()!) as { session_id: number }).session_id;
    expect(lastSession(three)).toBe(2);
    // The first three sessions do not depend on how many follow.
    expect(full.startsWith(three)).toBe(true);
    const { out: reseeded } = await captured(() => generateCommand([specPath, "--seed", "12"]));
    expect(reseeded).not.toBe(full);
    expect(lastSession(reseeded)).toBe(11);
  });

  it("reports usage mistakes and bad specs as CliErrors naming what is wrong", async () => {
    await expect(generateCommand([])).rejects.toThrow(new CliError("generate expects one spec file, got none"));
    await expect(generateCommand([specPath, "--sessions", "many"])).rejects.toThrow('--sessions: expected an integer >= 1, got "many"');
    await expect(generateCommand([specPath, "--bogus"])).rejects.toBeInstanceOf(CliError);
    const missing = join(dir, "missing.yaml");
    await expect(generateCommand([missing])).rejects.toThrow(missing);
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, SPEC.replace("agent: explorer", "agent: nobody"));
    const err = await generateCommand([bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toContain("nobody");
    await expect(generateCommand([specPath, "--out", join(dir, "no/such/dir/x.jsonl")])).rejects.toThrow(/cannot write --out .*no such directory/);
  });

  it("--help prints the usage", async () => {
    const { code, out } = await captured(() => generateCommand(["--help"]));
    expect(code).toBe(0);
    expect(out).toContain("usage: agentload generate <spec.yaml>");
  });
});

describe("agentload inspect", () => {
  it("prints the statistics as a table, or as JSON with --json", async () => {
    const { code, out } = await captured(() => inspectCommand([specPath]));
    expect(code).toBe(0);
    expect(out).toContain("workload cli-mix\n");
    expect(out).toMatch(/^sessions 12 \(/m);
    expect(out).toMatch(/^prompt tok\s+\d+/m);
    const { out: json } = await captured(() => inspectCommand([specPath, "--json", "--sessions", "5"]));
    const stats = JSON.parse(json) as { sessions: number; requests: number; kinds: Record<string, number>; promptReuseRatio: number };
    expect(stats.sessions).toBe(5);
    const generated = await readFile(join(dir, "a.jsonl"), "utf8");
    const firstFive = generated.split("\n").filter((l) => l !== "" && (JSON.parse(l) as { session_id: number }).session_id < 5);
    expect(stats.requests).toBe(firstFive.length);
    expect(stats.promptReuseRatio).toBeGreaterThan(0);
    expect(stats.promptReuseRatio).toBeLessThan(1);
    // The ideal cache counts the scaffolds shared across sessions too: never less than history alone.
    const ideal = (JSON.parse(json) as { idealCache: { hitRate: number; sessions: number } }).idealCache;
    expect(ideal.sessions).toBe(5);
    expect(ideal.hitRate).toBeGreaterThan(stats.promptReuseRatio);
    expect(ideal.hitRate).toBeLessThan(1);
    expect(out).toMatch(/^ideal prefix cache: \d+\.\d% of prompt tokens/m);
  });

  it("reports a missing spec argument as a CliError", async () => {
    await expect(inspectCommand(["--json"])).rejects.toThrow("inspect expects one spec file, got none");
  });
});
