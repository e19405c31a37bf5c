// The CLI's spec overrides (--sessions, --seed, --concurrency) take the one override path
// (applyOverrides): a larger --sessions is not capped by the spec's old session count, and bad
// values are usage errors (exit 2) naming the flag, before any server is needed.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { generateCommand } from "../../../src/cli/generate.js";
import { inspectCommand } from "../../../src/cli/inspect.js";
import { runCommand } from "../../../src/cli/run.js";
import { searchCommand } from "../../../src/cli/search.js";
import { sweepCommand } from "../../../src/cli/sweep.js";
import { readSpecArg } from "../../../src/cli/spec-arg.js";
import { planFromSpec } from "../../../src/run/run.js";
import { applyOverrides } from "../../../src/workload/overrides.js";
import { loadSpecFile } from "../../../src/workload/spec-file.js";
import { SpecError, validateSpec } from "../../../src/workload/spec.js";

const SPEC = `name: three
seed: 5
sessions: 3
agents:
  - name: a
    turns: 2
    freshInput: 8
    output: 4
traffic: { mode: concurrent, concurrency: 2, rampUpSeconds: 1 }
`;
const RATE_SPEC = `name: open
seed: 5
sessions: 3
agents: [{ name: a, turns: 1, freshInput: 8, output: 4 }]
traffic: { mode: rate, arrivals: { type: poisson, rate: 2 } }
`;

let dir: string;
let specPath: string;
let rateSpecPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentload-overrides-"));
  specPath = join(dir, "three.yaml");
  rateSpecPath = join(dir, "open.yaml");
  await writeFile(specPath, SPEC);
  await writeFile(rateSpecPath, RATE_SPEC);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function quietly<T>(run: () => Promise<T>): Promise<{ value: T; out: string }> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  });
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    out += `${args.join(" ")}\n`;
  });
  try {
    return { value: await run(), out };
  } finally {
    vi.restoreAllMocks();
  }
}

async function usageError(run: () => Promise<unknown>): Promise<string> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return (err as Error).message;
}

describe("readSpecArg", () => {
  it("--sessions 10 on a 3-session spec gives 10 sessions, not capped by the old default", async () => {
    const spec = await readSpecArg("run", [specPath], { sessions: "10" });
    expect(spec.sessions).toBe(10);
    expect(spec.traffic.maxSessions).toBeGreaterThanOrEqual(10);
    expect(planFromSpec(spec).sessions).toBe(10);
  });

  it("--concurrency merges into the spec's traffic, keeping its ramp-up", async () => {
    const spec = await readSpecArg("run", [specPath], { concurrency: "5", seed: "9" });
    expect(spec.traffic).toMatchObject({ mode: "concurrent", concurrency: 5, rampUpSeconds: 1, maxSessions: 3 });
    expect(spec.seed).toBe("9");
  });

  it("--concurrency on rate traffic is a usage error", async () => {
    expect(await usageError(() => readSpecArg("run", [rateSpecPath], { concurrency: "4" }))).toMatch(/--concurrency applies to concurrent traffic; this spec uses rate traffic/);
  });

  it("leaves the spec alone without overrides", async () => {
    const spec = await readSpecArg("inspect", [specPath], {});
    expect(spec).toEqual((await loadSpecFile(specPath)).spec);
  });
});

describe("CLI commands with overrides", () => {
  it("generate --sessions 10 writes 10 sessions of a 3-session spec", async () => {
    const { value: code, out } = await quietly(() => generateCommand([specPath, "--sessions", "10"]));
    expect(code).toBe(0);
    const ids = new Set(out.trim().split("\n").map((l) => (JSON.parse(l) as { session_id: number }).session_id));
    expect(ids.size).toBe(10);
  });

  it("inspect --sessions 10 inspects 10 sessions", async () => {
    const { value: code, out } = await quietly(() => inspectCommand([specPath, "--json", "--sessions", "10"]));
    expect(code).toBe(0);
    expect((JSON.parse(out) as { sessions: number }).sessions).toBe(10);
  });

  for (const [flag, value] of [
    ["sessions", "0"],
    ["sessions", "-1"],
    ["sessions", "1.5"],
    ["sessions", "abc"],
    ["concurrency", "0"],
    ["concurrency", "-1"],
    ["concurrency", "1.5"],
    ["concurrency", "abc"],
  ] as const) {
    it(`run --${flag} ${value} is a usage error naming the flag, before any server`, async () => {
      const message = await usageError(() => runCommand([specPath, "--url", "http://127.0.0.1:9/v1", `--${flag}=${value}`]));
      expect(message).toMatch(new RegExp(`^--${flag}: expected an integer >= 1`));
    });
  }

  it("generate and inspect check --concurrency too", async () => {
    expect(await usageError(() => generateCommand([specPath, "--concurrency", "0"]))).toMatch(/^--concurrency: /);
    expect(await usageError(() => inspectCommand([specPath, "--sessions", "0"]))).toMatch(/^--sessions: /);
  });

  it("--warmup sets traffic.warmupSessions, checked as the spec checks it", async () => {
    expect((await readSpecArg("run", [specPath], { warmup: "1" })).traffic.warmupSessions).toBe(1);
    expect((await readSpecArg("search", [rateSpecPath], { warmup: "2", duration: "30" })).traffic).toMatchObject({ warmupSessions: 2, durationSeconds: 30 });
    expect(await usageError(() => readSpecArg("run", [specPath], { warmup: "3" }))).toMatch(/^--warmup: expected fewer than the 3 sessions the run releases, got 3 \(nothing would be measured\)/);
    expect(await usageError(() => runCommand([specPath, "--url", "http://127.0.0.1:9/v1", "--warmup=-1"]))).toMatch(/^--warmup: expected an integer >= 0/);
    expect(await usageError(() => searchCommand([rateSpecPath, "--over", "rho", "--url", "http://127.0.0.1:9/v1", "--warmup", "x"]))).toMatch(/^--warmup: /);
    expect(await usageError(() => sweepCommand([specPath, "--set", "sessions=4,5", "--url", "http://127.0.0.1:9/v1", "--duration", "0"]))).toMatch(/^--duration: expected a number > 0/);
  });

  it("search and sweep take run's ideal-cache flags, checked before any point runs", async () => {
    expect(await usageError(() => searchCommand([rateSpecPath, "--over", "rho", "--url", "http://127.0.0.1:9/v1", "--cache-ttl", "0"]))).toMatch(/--cache-ttl expects a number > 0, got '0'/);
    expect(await usageError(() => sweepCommand([specPath, "--set", "sessions=4,5", "--url", "http://127.0.0.1:9/v1", "--cache-block-tokens", "16"]))).toMatch(/--cache-block-tokens sizes the blocks of --cache-blocks N; give both/);
  });

  it("run --duration 0 is a usage error naming the flag", async () => {
    expect(await usageError(() => runCommand([specPath, "--url", "http://127.0.0.1:9/v1", "--duration", "0"]))).toMatch(/^--duration: expected a number > 0/);
  });

  it("the agentload command exits 2 for run --sessions 0 and names the flag", () => {
    // The command is a Node program: spawned with Node whichever runtime runs this test (Bun, Deno).
    const node = (globalThis as { Deno?: unknown; Bun?: unknown }).Deno || (globalThis as { Bun?: unknown }).Bun ? "node" : process.execPath;
    const r = spawnSync(node, ["--import", "tsx", "src/cli/main.ts", "run", specPath, "--sessions", "0"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/agentload: --sessions: expected an integer >= 1, got 0/);
  });
});

describe("applyOverrides", () => {
  const base = validateSpec({ name: "b", seed: 1, sessions: 3, agents: [{ name: "a", turns: 1, freshInput: 1, output: 1 }], traffic: { mode: "concurrent", concurrency: 2, rampUpSeconds: 2 } });

  it("merges traffic of the same mode per field and replaces traffic of another mode", () => {
    expect(applyOverrides(base, { traffic: { mode: "concurrent", concurrency: 8 } }, { source: "t" }).traffic).toMatchObject({ concurrency: 8, rampUpSeconds: 2, maxSessions: 3 });
    const open = applyOverrides(base, { traffic: { mode: "rate", arrivals: { type: "constant", rate: 1 } } }, { source: "t" });
    expect(open.traffic).toEqual({ mode: "rate", arrivals: { type: "constant", rate: 1 }, maxSessions: 3, warmupSessions: 0, onError: "continue" });
  });

  it("drops the old default session cap with a new count, also when traffic is overridden without a cap", () => {
    expect(applyOverrides(base, { sessions: 10 }, { source: "t" }).traffic.maxSessions).toBe(10);
    expect(applyOverrides(base, { sessions: 10, traffic: { mode: "concurrent", concurrency: 4 } }, { source: "t" }).traffic.maxSessions).toBe(10);
    expect(applyOverrides(base, { sessions: 10, traffic: { mode: "concurrent", maxSessions: 4 } }, { source: "t" }).traffic.maxSessions).toBe(4);
  });

  it("ignores undefined members and validates the result, naming the source", () => {
    expect(applyOverrides(base, { sessions: undefined }, { source: "t" }).sessions).toBe(3);
    expect(() => applyOverrides(base, { sessions: 0 }, { source: "my overrides" })).toThrow(SpecError);
    expect(() => applyOverrides(base, { sessions: 0 }, { source: "my overrides" })).toThrow(/^my overrides: sessions: expected an integer >= 1, got 0/);
  });
});

it("benchmarks/coding-agent.yaml takes --sessions too", async () => {
  const text = await readFile("benchmarks/coding-agent.yaml", "utf8");
  expect(text).toMatch(/^sessions: 6$/m);
  expect((await readSpecArg("inspect", ["benchmarks/coding-agent.yaml"], { sessions: "10" })).traffic.maxSessions).toBe(10);
});
