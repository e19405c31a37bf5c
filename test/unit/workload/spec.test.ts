import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveSlo } from "../../../src/metrics/slo.js";
import { describe, expect, test } from "vitest";
import { loadSpecFile } from "../../../src/workload/spec-file.js";
import { parseSpecText } from "../../../src/workload/spec-text.js";
import { SpecError, parseDuration, validateSpec } from "../../../src/workload/spec.js";
import type { DistributionSpec } from "../../../src/workload/spec-types.js";
import { specErrorOf } from "../../support/spec-error.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const specs = `${root}fixtures/specs`;

async function loadError(path: string): Promise<SpecError> {
  const e = await loadSpecFile(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof SpecError)) throw new Error(`expected a SpecError from ${path}, got ${String(e)}`);
  return e;
}

/** A spec with one agent whose fields can be overridden. */
function oneAgent(agent: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return { name: "t", seed: 1, sessions: 2, agents: [{ name: "a", turns: 3, freshInput: 100, output: 50, ...agent }], ...rest };
}

describe("valid specs", () => {
  test("the full example loads with every default filled in", async () => {
    const { spec, format, warnings } = await loadSpecFile(`${specs}/valid/coding-agent.yml`);
    expect(format).toBe("agentload");
    expect(warnings).toEqual([]);
    expect(spec.seed).toBe("42");
    const [coder, explorer, chat] = spec.agents;
    expect(coder?.subagents).toMatchObject({ agent: "explorer", fanOut: { type: "uniform", min: 1, max: 3 }, maxDepth: 1 });
    expect(coder?.compaction).toMatchObject({ contextLimit: 32000, promptTokens: 200 });
    expect(explorer).toMatchObject({ weight: 0, waitMs: 0, taskTokens: { type: "gamma", shape: 2, scale: 300 } });
    expect(chat).toMatchObject({ weight: 1, scaffold: { systemTokens: 0, toolTokens: 0 }, turns: 1 });
    expect(spec.traffic).toEqual({
      mode: "concurrent",
      concurrency: 4,
      rampUpSeconds: 5,
      maxSessions: 10,
      durationSeconds: 600,
      warmupSessions: 1,
      onError: "cancel-session",
    });
    expect(spec.request.extraBody).toEqual({ temperature: 0 });
    // Kept as written; the metric catalogue checks the names and parses the durations.
    expect(spec.slo).toEqual({
      ttfc: { p95: "750ms", p50: "0.2s" },
      tbc: { p95: "75ms" },
      tpot: { p99: 50 },
      e2e: { p95: "30s", max: "2m" },
      errorRate: { max: 0.02 },
    });
    expect(resolveSlo(spec.slo).map((o) => `${o.name} ${o.limit}`)).toEqual([
      "ttfc p50 200",
      "ttfc p95 750",
      "tbc p95 75",
      "tpot p99 50",
      "e2e p95 30000",
      "e2e max 120000",
      "error rate max 0.02",
    ]);
  });

  test("a minimal spec gets the documented defaults", async () => {
    const { spec } = await loadSpecFile(`${specs}/valid/minimal.yml`);
    expect(spec.seed).toBe("run-1");
    expect(spec.agents[0]).toEqual({
      name: "solo",
      weight: 1,
      scaffold: { systemTokens: 0, toolTokens: 0 },
      taskTokens: 100,
      turns: 4,
      freshInput: 100,
      output: 50,
      waitMs: 0,
    });
    expect(spec.traffic).toEqual({ mode: "concurrent", concurrency: 1, rampUpSeconds: 0, maxSessions: 3, warmupSessions: 0, onError: "continue" });
    expect(spec.request).toEqual({
      api: "chat",
      ignoreEos: true,
      extraBody: {},
      timeouts: { connectMs: 10_000, firstTokenMs: 60_000, idleMs: 30_000, totalMs: 600_000 },
    });
    expect(spec.slo).toEqual({});
  });

  test("JSON files load through the same path", async () => {
    const { spec } = await loadSpecFile(`${specs}/valid/rate.json`);
    expect(spec.traffic).toMatchObject({ mode: "rate", arrivals: { type: "gamma", rate: 2, cv: 3 }, maxSessions: 100 });
  });

  test("validation neither changes its input nor keeps references into it", () => {
    const input = oneAgent({ scaffold: { systemTokens: 10 } });
    const before = structuredClone(input);
    const spec = validateSpec(input);
    expect(input).toEqual(before);
    spec.agents[0]!.scaffold.systemTokens = 99;
    expect((input.agents[0] as { scaffold?: unknown }).scaffold).toEqual({ systemTokens: 10 });
  });

  test("members set to undefined count as not given", () => {
    const spec = validateSpec(oneAgent({ waitMs: undefined, compaction: undefined }));
    expect(spec.agents[0]?.waitMs).toBe(0);
    expect(spec.agents[0]?.compaction).toBeUndefined();
  });
});

describe("distribution and arrival shapes", () => {
  const valid: DistributionSpec[] = [
    7,
    { type: "fixed", value: 7 },
    { type: "uniform", min: 1, max: 9 },
    { type: "uniform", min: 0.5, max: 9.5, continuous: true },
    { type: "normal", mean: 100, stddev: 10, min: 1 },
    { type: "lognormal", mu: 5, sigma: 1, max: 5000 },
    { type: "gamma", shape: 2, scale: 50 },
    { type: "weibull", shape: 1.5, scale: 80 },
    { type: "exponential", mean: 40 },
    { type: "pareto", scale: 100, alpha: 1.2 },
    { type: "inverse_gaussian", mean: 200, shape: 100 },
    { type: "zipf", n: 50, s: 1.1 },
    { type: "empirical", samples: [10, 20, 30] },
    { type: "spike_tail", spikeProbability: 0.1, spike: { type: "pareto", scale: 1000, alpha: 1.5 }, tail: 100 },
  ];
  test.each(valid.map((d) => [typeof d === "number" ? "number" : d.type, d]))("accepts %s", (_name, dist) => {
    expect(validateSpec(oneAgent({ freshInput: dist })).agents[0]?.freshInput).toEqual(dist);
  });

  const required: [string, Record<string, unknown>, string][] = [
    ["fixed", { type: "fixed" }, "value"],
    ["uniform", { type: "uniform", min: 1 }, "max"],
    ["normal", { type: "normal", mean: 1 }, "stddev"],
    ["lognormal", { type: "lognormal", mu: 1 }, "sigma"],
    ["gamma", { type: "gamma", shape: 1 }, "scale"],
    ["weibull", { type: "weibull", scale: 1 }, "shape"],
    ["exponential", { type: "exponential" }, "mean"],
    ["pareto", { type: "pareto", scale: 1 }, "alpha"],
    ["inverse_gaussian", { type: "inverse_gaussian", mean: 1 }, "shape"],
    ["zipf", { type: "zipf", n: 10 }, "s"],
    ["empirical", { type: "empirical" }, "samples"],
    ["spike_tail", { type: "spike_tail", spikeProbability: 0.1, spike: 5 }, "tail"],
  ];
  test.each(required)("%s without a parameter names the one missing", (type, dist, missing) => {
    const e = specErrorOf(() => validateSpec(oneAgent({ output: dist })));
    expect(e.problems).toEqual([{ path: "agents[0].output", message: `${type} needs '${missing}'` }]);
  });

  test("a parameter of another distribution is an unknown key, with a suggestion when close", () => {
    const e = specErrorOf(() => validateSpec(oneAgent({ output: { type: "exponential", mean: 5, sigm: 1 } })));
    expect(e.problems).toEqual([{ path: "agents[0].output.sigm", message: "unknown key 'sigm'; expected one of: type, mean, min, max, truncate" }]);
    const e2 = specErrorOf(() => validateSpec(oneAgent({ output: { type: "lognormal", mu: 5, sigam: 1 } })));
    expect(e2.message).toContain("unknown key 'sigam' (did you mean 'sigma'?)");
  });

  test("an object without a type lists the types", () => {
    const e = specErrorOf(() => validateSpec(oneAgent({ waitMs: { mean: 5 } })));
    expect(e.problems).toHaveLength(1);
    expect(e.message).toMatch(/^agents\[0\]\.waitMs: expected a number or a distribution object with 'type' \(one of fixed, uniform, normal, .*spike_tail\)$/);
  });

  test("nested distributions are checked too", () => {
    const e = specErrorOf(() =>
      validateSpec(oneAgent({ output: { type: "spike_tail", spikeProbability: 2, spike: { type: "gamma", shape: 1 }, tail: 5 } })),
    );
    expect(e.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "agents[0].output.spikeProbability: expected a number between 0 and 1, got 2",
      "agents[0].output.spike: gamma needs 'scale'",
    ]);
  });

  test.each([
    [{ type: "poisson", rate: 2 }],
    [{ type: "gamma", rate: 2, cv: 4 }],
    [{ type: "constant", rate: 0.5 }],
  ])("accepts arrivals %j", (arrivals) => {
    expect(validateSpec(oneAgent({}, { traffic: { mode: "rate", arrivals } })).traffic).toMatchObject({ arrivals });
  });

  test("rate arrivals with a bad rate or type say so", () => {
    const e = specErrorOf(() => validateSpec(oneAgent({}, { traffic: { mode: "rate", arrivals: { type: "poison", rate: 1 } } })));
    expect(e.message).toBe('traffic.arrivals.type: unknown type "poison" (did you mean "poisson"?)');
    const e2 = specErrorOf(() => validateSpec(oneAgent({}, { traffic: { mode: "rate", arrivals: { type: "poisson", rate: 0 } } })));
    expect(e2.message).toBe("traffic.arrivals.rate: expected a number > 0, got 0");
  });
});

describe("broken specs: one clear error naming where and what", () => {
  // [fixture, line:column, path, what was expected]
  const cases: [string, string, string, string][] = [
    ["lognormal-missing-sigma", "8:17", "agents[0].freshInput", "lognormal needs 'sigma'"],
    ["turns-not-a-number", "7:12", "agents[0].turns", 'expected a number or a distribution object, got "ten"'],
    ["unknown-key-typo", "7:5", "agents[0].scafold", "unknown key 'scafold' (did you mean 'scaffold'?)"],
    ["unknown-distribution-type", "9:21", "agents[0].output.type", 'unknown type "lognorml" (did you mean "lognormal"?)'],
    ["duplicate-agent-name", "10:11", "agents[1].name", 'duplicate agent name "coder" (also agents[0]); names must be unique'],
    ["unknown-subagent", "11:14", "agents[0].subagents.agent", 'no agent named "explorr" (did you mean "explorer"?)'],
    ["all-weights-zero", "6:3", "agents", "every agent has weight 0: at least one agent needs weight > 0"],
    ["uniform-min-above-max", "7:34", "agents[0].turns.min", "expected min <= max (20), got 40"],
    ["missing-seed", "2:1", "", "missing required key 'seed'"],
    ["unknown-traffic-mode", "11:9", "traffic.mode", 'unknown mode "burst"; expected one of concurrent, rate'],
    ["rate-without-arrivals", "11:3", "traffic", "rate needs 'arrivals'"],
    ["bad-slo-duration", "11:16", "slo.ttfc.p95", 'expected a duration such as "750ms", "1.5s" or "2m" (or a number of milliseconds), got "fast"'],
    ["bad-api-name", "11:8", "request.api", 'expected one of "chat", "completions", got "chatt" (did you mean "chat"?)'],
    ["zero-concurrency", "12:16", "traffic.concurrency", "expected an integer >= 1, got 0"],
    ["zero-turns", "7:12", "agents[0].turns", "expected a number >= 1 (requests), got 0"],
    ["compaction-limit-too-small", "11:33", "agents[0].compaction.contextLimit", "expected more than the 4200 tokens the scaffold and compaction prompt already take, got 3000"],
  ];
  test.each(cases)("%s", async (name, at, path, what) => {
    const file = `${specs}/broken/${name}.yml`;
    const e = await loadError(file);
    expect(e.problems).toHaveLength(1);
    const head = path ? `${file}:${at}: ${path}: ` : `${file}:${at}: `;
    expect(e.message.startsWith(head), e.message).toBe(true);
    expect(e.message).toContain(what);
    expect(e.source).toBe(file);
  });

  test("several problems are all reported, one per line, the suggested fix first", async () => {
    const file = `${specs}/broken/several-problems.yml`;
    const e = await loadError(file);
    expect(e.message.split("\n")).toEqual([
      `${file}:7:5: agents[0].turn: unknown key 'turn' (did you mean 'turns'?)`,
      `${file}:6:5: agents[0]: missing required key 'turns'`,
      `${file}:12:16: traffic.concurrency: expected an integer >= 1, got 1.5`,
    ]);
  });

  test("YAML syntax errors carry their position", async () => {
    const file = `${specs}/broken/yaml-syntax-error.yml`;
    const e = await loadError(file);
    expect(e.problems[0]).toMatchObject({ line: 8, column: 5 });
    expect(e.message.split("\n")[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:8:5: Flow map`));
  });

  test("a file that does not exist is a SpecError naming it", async () => {
    const e = await loadError(`${specs}/nope.yml`);
    expect(e.message).toBe(`${specs}/nope.yml: cannot read the spec: no such file`);
  });

  test("text that is not a mapping", () => {
    const e = specErrorOf(() => parseSpecText("- just\n- a list\n", "list.yml"));
    expect(e.message).toBe("list.yml:1:1: expected an object, got a list of 2");
  });

  test("an empty file says so", () => {
    expect(specErrorOf(() => parseSpecText("# nothing\n", "empty.yml")).message).toBe(
      "empty.yml: the spec is empty; expected a mapping with name, seed, sessions and agents",
    );
  });

  test("a duration of the wrong type", () => {
    const e = specErrorOf(() => validateSpec(oneAgent({}, { slo: { e2e: { p99: true } } })));
    expect(e.message).toBe('slo.e2e.p99: expected a number >= 0 or a duration such as "750ms", got true');
  });

  test("without a source, messages still name the path", () => {
    const e = specErrorOf(() => validateSpec(oneAgent({ turns: "ten" })));
    expect(e.message).toBe('agents[0].turns: expected a number or a distribution object, got "ten"');
    expect(e.problems[0]).toEqual({ path: "agents[0].turns", message: 'expected a number or a distribution object, got "ten"' });
  });
});

describe("checks beyond the schema", () => {
  const message = (spec: unknown) => specErrorOf(() => validateSpec(spec)).message;

  test("integer uniforms need whole ends", () => {
    expect(message(oneAgent({ turns: { type: "uniform", min: 1.5, max: 4 } }))).toBe(
      "agents[0].turns.min: expected a whole number (uniform draws integers unless continuous: true), got 1.5",
    );
  });
  test("clamps must be ordered", () => {
    expect(message(oneAgent({ output: { type: "lognormal", mu: 1, sigma: 1, min: 10, max: 5 } }))).toBe(
      "agents[0].output.min: expected min <= max (5), got 10",
    );
  });
  test("outputs need at least one token, wherever the smallest value is plain", () => {
    expect(message(oneAgent({ output: { type: "empirical", samples: [5, 0, 9] } }))).toBe(
      "agents[0].output.samples[1]: expected a number >= 1 (tokens), got 0",
    );
    expect(message(oneAgent({ output: { type: "fixed", value: 0 } }))).toBe(
      "agents[0].output.value: expected a number >= 1 (tokens), got 0",
    );
  });
  test("maxSessions cannot exceed sessions and warm-up must leave sessions to measure", () => {
    expect(message(oneAgent({}, { traffic: { mode: "concurrent", maxSessions: 3 } }))).toBe(
      "traffic.maxSessions: expected at most sessions (2), got 3",
    );
    expect(message(oneAgent({}, { traffic: { mode: "concurrent", warmupSessions: 2 } }))).toBe(
      "traffic.warmupSessions: expected fewer than the 2 sessions the run releases, got 2 (nothing would be measured)",
    );
  });
});

describe("server: and sweep: blocks", () => {
  const message = (spec: unknown) => specErrorOf(() => validateSpec(spec)).message;

  test("a server block loads; its URLs may hold {port} and {host}", () => {
    const spec = validateSpec(oneAgent({}, { server: { command: "vllm", args: ["serve", "m", "--port", "{port}"], baseUrl: "http://{host}:{port}/v1", readyTimeoutSeconds: 900 } }));
    expect(spec.server).toEqual({ command: "vllm", args: ["serve", "m", "--port", "{port}"], baseUrl: "http://{host}:{port}/v1", readyTimeoutSeconds: 900 });
  });
  test("server and request.baseUrl exclude each other; a server URL must be http(s); a command is required", () => {
    expect(message(oneAgent({}, { server: { command: "x" }, request: { baseUrl: "http://127.0.0.1:8000/v1" } }))).toBe(
      "server: a spec gives either server (an engine agentload starts) or request.baseUrl (a server already running), not both",
    );
    expect(message(oneAgent({}, { server: { command: "x", readyUrl: "localhost:{port}/health" } }))).toMatch(/^server\.readyUrl: expected an http:\/\/ or https:\/\/ URL/);
    expect(message(oneAgent({}, { server: { args: [] } }))).toMatch(/server.*command/);
  });
  test("a sweep block maps field paths to non-empty lists", () => {
    expect(validateSpec(oneAgent({}, { sweep: { "traffic.concurrency": [1, 2], "agents[0].turns": [3] } })).sweep).toEqual({ "traffic.concurrency": [1, 2], "agents[0].turns": [3] });
    expect(message(oneAgent({}, { sweep: { "traffic.concurrency": [] } }))).toMatch(/^sweep\["traffic\.concurrency"\]: expected/);
  });
});

describe("parseDuration", () => {
  test.each([
    ["750ms", 750],
    ["1.5s", 1500],
    ["2m", 120_000],
    [" 30s ", 30_000],
    [42, 42],
  ] as const)("%j is %d ms", (d, ms) => {
    expect(parseDuration(d)).toBe(ms);
  });
  test("rejects what is not a duration", () => {
    expect(() => parseDuration("soon")).toThrow(/not a duration: "soon"/);
  });
});

test("the committed spec types match the schema (scripts/gen-spec-types.mjs --check)", async () => {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, [`${root}scripts/gen-spec-types.mjs`, "--check"], { cwd: root });
  expect(stdout).toContain("is up to date");
}, 30_000);
