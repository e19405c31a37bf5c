// Absurd but valid values (issue 12): each is refused when the spec is validated, naming the path
// and the limit with its reason, or made harmless (a rare draw above a limit is cut to it), so no
// spec runs out of memory, overflows the stack or overflows a timer.
import { describe, expect, it } from "vitest";
import { generateSessionAt } from "../../../src/workload/generate.js";
import * as limits from "../../../src/workload/limits.js";
import { findDeepNesting } from "../../../src/workload/nesting.js";
import { parseSpecText } from "../../../src/workload/spec-text.js";
import { workloadSpecSchema } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { specErrorOf } from "../../support/spec-error.js";

/** A spec with one agent whose fields can be overridden. */
function oneAgent(agent: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return { name: "t", seed: 1, sessions: 2, agents: [{ name: "a", turns: 3, freshInput: 100, output: 50, ...agent }], ...rest };
}

const message = (spec: unknown) => specErrorOf(() => validateSpec(spec, { source: "t.yaml" })).message;

/** Every `maximum` in the schema, by the property name holding it. */
function schemaMaxima(): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const walk = (node: unknown, key: string) => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (typeof n.maximum === "number") out.set(key, (out.get(key) ?? new Set()).add(n.maximum));
    for (const [k, v] of Object.entries(n)) walk(v, k);
  };
  walk(workloadSpecSchema, "");
  return out;
}

describe("the limits", () => {
  it("the schema states the limits of limits.ts, and every limited field has its reason", () => {
    const maxima = schemaMaxima();
    const expected: Record<string, number> = {
      sessions: limits.MAX_SESSIONS,
      maxSessions: limits.MAX_SESSIONS,
      warmupSessions: limits.MAX_SESSIONS,
      concurrency: limits.MAX_CONCURRENCY,
      maxConcurrent: limits.MAX_COUNT,
      durationSeconds: limits.MAX_SECONDS,
      rampUpSeconds: limits.MAX_SECONDS,
      connectMs: limits.MAX_TIMER_MS,
      firstTokenMs: limits.MAX_TIMER_MS,
      totalMs: limits.MAX_TIMER_MS,
      idleMs: limits.MAX_TIMER_MS,
      systemTokens: limits.MAX_TOKENS,
      toolTokens: limits.MAX_TOKENS,
      contextLimit: limits.MAX_TOKENS,
      promptTokens: limits.MAX_TOKENS,
      maxDepth: limits.MAX_DEPTH,
    };
    for (const [field, most] of Object.entries(expected)) {
      expect([...(maxima.get(field) ?? [])], field).toEqual([most]);
      expect(limits.LIMIT_REASONS[field], field).toBeTruthy();
    }
    // Timers: the largest duration in seconds still fits one.
    expect(limits.MAX_SECONDS * 1000).toBeLessThanOrEqual(limits.MAX_TIMER_MS);
    expect(limits.MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });

  it("a limit is said with its reason when a value passes it, and left unsaid otherwise", () => {
    expect(message(oneAgent({}, { traffic: { mode: "concurrent", concurrency: 1e9 } }))).toBe(
      `t.yaml: traffic.concurrency: expected an integer <= ${limits.MAX_CONCURRENCY} (more sessions at once than one client can keep active), got 1000000000`,
    );
    expect(message(oneAgent({}, { traffic: { mode: "concurrent", concurrency: 0 } }))).toBe("t.yaml: traffic.concurrency: expected an integer >= 1, got 0");
    expect(message(oneAgent({}, { sessions: "many" }))).toBe('t.yaml: sessions: expected an integer >= 1, got "many"');
    // A range stays a range: a probability's both ends are said.
    expect(message(oneAgent({ output: { type: "spike_tail", spikeProbability: 2, spike: 1, tail: 1 } }))).toContain("expected a number between 0 and 1, got 2");
  });
});

describe("absurd values are spec errors naming the path and the limit", () => {
  const cases: [string, unknown, string][] = [
    ["sessions 2e9", oneAgent({}, { sessions: 2e9 }), "sessions: expected an integer <= 1000000000"],
    ["freshInput 1e9", oneAgent({ freshInput: 1e9 }), "agents[0].freshInput: expected at most 10,000,000 tokens, got 1000000000"],
    ["turns 1e9 (blamed on turns, not subagents)", oneAgent({ turns: 1e9 }), "agents[0].turns: expected at most 100,000 requests, got 1000000000"],
    ["waitMs past a timer", oneAgent({ waitMs: 3e9 }), "agents[0].waitMs: expected at most 2,147,483,647 milliseconds, got 3000000000"],
    ["a timeout past a timer", oneAgent({}, { request: { timeouts: { totalMs: 3e9 } } }), "request.timeouts.totalMs: expected an integer <= 2147483647 (24.8 days, the longest a timer can wait)"],
    ["a duration past a timer", oneAgent({}, { traffic: { mode: "rate", arrivals: { type: "poisson", rate: 1 }, durationSeconds: 3e6 } }), "traffic.durationSeconds: expected a number <= 2147483"],
    ["maxDepth 1000", oneAgent({ subagents: { agent: "a", spawnProbability: 0, summaryTokens: 1, maxDepth: 1000 } }), "agents[0].subagents.maxDepth: expected an integer <= 100"],
    ["zipf n 1e8", oneAgent({ turns: { type: "zipf", n: 1e8, s: 1 } }), "agents[0].turns.n: expected an integer <= 1000000"],
    ["a scaffold of 1e9 tokens", oneAgent({ scaffold: { systemTokens: 1e9 } }), "agents[0].scaffold.systemTokens: expected an integer <= 10000000"],
    [
      "a distribution that draws Infinity",
      oneAgent({ output: { type: "lognormal", mu: 1000, sigma: 1 } }),
      "agents[0].output: lognormal(mu=1000, sigma=1) draws more than 10,000,000 tokens (the limit) every time",
    ],
    ["a heavy tail past the limit", oneAgent({ turns: { type: "pareto", scale: 1, alpha: 0.3 } }), "agents[0].turns: pareto(scale=1, alpha=0.3) draws more than 100,000 requests (the limit) 3.16% of the time"],
    [
      "subagents that explode",
      oneAgent({ turns: 10, subagents: { agent: "a", spawnProbability: 1, fanOut: 10, summaryTokens: 5, maxDepth: 6 } }),
      "agents[0].subagents: a session of this agent would have about 5,374,122,471,910 requests on average",
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, () => expect(message(spec)).toContain(`t.yaml: ${expected}`));
  }

  it("a thin tail past a limit is valid, and its draws are cut to the limit", () => {
    const samples = [...Array.from({ length: 199 }, () => 2), 2e7];
    const spec = validateSpec(oneAgent({ turns: 1, output: { type: "empirical", samples } }));
    const outputs = Array.from({ length: 2000 }, (_, i) => generateSessionAt(spec, i).nodes[0]!.outputTokens);
    expect(Math.max(...outputs)).toBe(limits.MAX_TOKENS);
    expect(outputs.filter((o) => o === limits.MAX_TOKENS).length).toBeGreaterThan(0);
  });

  it("a long empirical list validates (no spread of it into Math.min)", () => {
    const samples = Array.from({ length: 300_000 }, (_, i) => 1 + (i % 50));
    expect(validateSpec(oneAgent({ freshInput: { type: "empirical", samples } })).agents[0]!.freshInput).toMatchObject({ type: "empirical" });
  });

  it("a prompt that grows past the limit stops generation with a spec error naming the agent", () => {
    // Valid: each draw is small; the history makes request 2000's prompt pass 10M tokens.
    const spec = validateSpec(oneAgent({ turns: 3000, freshInput: 5000, output: 2 }));
    const e = specErrorOf(() => generateSessionAt(spec, 0));
    expect(e.problems[0]).toMatchObject({ path: "agents[0]" });
    expect(e.message).toMatch(/^agents\[0\]: session 0: request \d+'s prompt grows to [\d,]+ tokens; expected at most 10,000,000: add compaction/);
  });

  it("a spec URL that is not http(s) is a spec error", () => {
    expect(message(oneAgent({}, { request: { baseUrl: "ftp://host/v1" } }))).toBe(
      't.yaml: request.baseUrl: expected an http:// or https:// URL such as http://127.0.0.1:8080/v1, got "ftp://host/v1"',
    );
  });
});

describe("spec text that would exhaust the reader", () => {
  it("a YAML alias bomb is a spec error, not a crash", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
    const e = specErrorOf(() => parseSpecText(`${lines.join("\n")}\nname: bomb\n`, "bomb.yaml"));
    expect(e.message).toMatch(/^bomb\.yaml: the YAML expands its aliases \(\*name\) too often \(more than 100 copies/);
  });

  it("a few aliases are fine", () => {
    const text = "name: t\nseed: 1\nsessions: 1\nagents:\n  - { name: a, turns: 2, freshInput: &f 100, output: *f }\n";
    expect(parseSpecText(text, "t.yaml").spec.agents[0]!.output).toBe(100);
  });

  it("deep nesting is refused before the YAML reader, at its line and column", () => {
    const e = specErrorOf(() => parseSpecText(`name: t\nextra: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n`, "deep.yaml"));
    expect(e.message).toBe("deep.yaml:2:108: nested more than 100 levels deep; a spec is a few levels deep (is this a spec?)");
  });
});

describe("findDeepNesting", () => {
  it("counts brackets, not the ones inside strings or comments", () => {
    expect(findDeepNesting("[[[]]]", 3)).toBeUndefined();
    expect(findDeepNesting("[[[[]]]]", 3)).toEqual({ line: 1, column: 4, limit: 3 });
    expect(findDeepNesting(`["[[[[", "\\"[[[["]`, 3)).toBeUndefined();
    expect(findDeepNesting("a: '[[[['\nb: it's [x] # [[[[\n", 3)).toBeUndefined();
    expect(findDeepNesting("x:\n  - {a: [[[1]]]}", 3)).toEqual({ line: 2, column: 11, limit: 3 });
  });
});
