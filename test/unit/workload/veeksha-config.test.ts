import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadSpecFile } from "../../../src/workload/spec-file.js";
import { parseSpecText } from "../../../src/workload/spec-text.js";
import { SpecError, validateSpec } from "../../../src/workload/spec.js";
import { isVeekshaConfig, veekshaToSpec } from "../../../src/workload/veeksha-config.js";
import { dimensionsOfBlock, setPath, sweepPoints } from "../../../src/search/sweep.js";
import { specErrorOf } from "../../support/spec-error.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const caseStudy = `${root}../shared/reference/veeksha-case-study-1-configs/cache.veeksha.yml`;
const hasShared = existsSync(caseStudy);

/** A complete small Veeksha config; sections can be replaced. */
function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 5,
    traffic_scheduler: { type: "concurrent", target_concurrent_sessions: 2, rampup_seconds: 0 },
    session_generator: {
      type: "synthetic",
      session_graph: {
        type: "linear",
        num_request_generator: { type: "uniform", min: 2, max: 4 },
        request_wait_generator: { type: "poisson", arrival_rate: 4 },
      },
      channels: [{ type: "text", body_length_generator: { type: "fixed", value: 64 } }],
      output_spec: { text: { output_length_generator: { type: "fixed", value: 32 } } },
    },
    runtime: { max_sessions: 3, benchmark_timeout: -1 },
    ...overrides,
  };
}

function map(overrides: Record<string, unknown> = {}) {
  const mapped = veekshaToSpec(config(overrides));
  return { ...mapped, spec: validateSpec(mapped.spec) };
}

describe.skipIf(!hasShared)(
  hasShared ? "the published case-study config" : `the published case-study config (skipped: ${caseStudy} not found; ../shared is absent)`,
  () => {
    test("cache.veeksha.yml maps to the workload it describes", async () => {
      const { spec, format, warnings } = await loadSpecFile(caseStudy);
      expect(format).toBe("veeksha");
      expect(spec.name).toBe("cache");
      expect(spec.seed).toBe("77");
      expect(spec.sessions).toBe(5);
      expect(spec.agents).toHaveLength(1);
      const agent = spec.agents[0]!;
      expect(agent.turns).toEqual({ type: "uniform", min: 110, max: 150 });
      expect(agent.waitMs).toEqual({ type: "exponential", mean: 32 });
      expect(agent.freshInput).toEqual({ type: "uniform", min: 400, max: 600 });
      expect(agent.output).toEqual({ type: "uniform", min: 150, max: 250 });
      expect(spec.traffic).toMatchObject({ mode: "concurrent", concurrency: 1, rampUpSeconds: 0, maxSessions: 5 });
      expect(spec.traffic.durationSeconds).toBeUndefined(); // benchmark_timeout: -1
      expect(spec.request).toMatchObject({ api: "chat", baseUrl: "http://localhost:8002/v1", model: "Qwen/Qwen3.5-35B-A3B" });
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/cache\.veeksha\.yml:49:1: server: ignored/);
      expect(warnings[1]).toMatch(/cache\.veeksha\.yml:44:1: evaluators: ignored/);
    });
  },
);

describe("mapping", () => {
  test("is recognised by its Veeksha-only sections", () => {
    expect(isVeekshaConfig({ session_generator: {} })).toBe(true);
    expect(isVeekshaConfig({ traffic_scheduler: {} })).toBe(true);
    expect(isVeekshaConfig({ name: "x", agents: [] })).toBe(false);
    expect(isVeekshaConfig([])).toBe(false);
  });

  test("length generators: fixed, uniform, inverse_gaussian", () => {
    const { spec } = map();
    expect(spec.agents[0]).toMatchObject({ turns: { type: "uniform", min: 2, max: 4 }, freshInput: 64, output: 32 });
    const ig = map({
      session_generator: {
        ...(config().session_generator as object),
        output_spec: { text: { output_length_generator: { type: "inverse_gaussian", mean: 200, shape: 50 } } },
      },
    });
    expect(ig.spec.agents[0]?.output).toEqual({ type: "inverse_gaussian", mean: 200, shape: 50 });
  });

  test.each([
    [{ type: "poisson", arrival_rate: 4 }, { type: "exponential", mean: 250 }],
    [{ type: "fixed", interval: 0.5 }, 500],
    [{ type: "gamma", arrival_rate: 2, cv: 2 }, { type: "gamma", shape: 0.25, scale: 2000 }],
  ])("wait generator %j becomes %j (milliseconds)", (wait, expected) => {
    const graph = { type: "linear", num_request_generator: { type: "fixed", value: 2 }, request_wait_generator: wait };
    const { spec } = map({ session_generator: { ...(config().session_generator as object), session_graph: graph } });
    expect(spec.agents[0]?.waitMs).toEqual(expected);
  });

  test("rate traffic maps its interval generator to arrivals; failures cancel sessions unless told otherwise", () => {
    const { spec } = map({ traffic_scheduler: { type: "rate", interval_generator: { type: "gamma", arrival_rate: 3, cv: 2 } } });
    expect(spec.traffic).toMatchObject({ mode: "rate", arrivals: { type: "gamma", rate: 3, cv: 2 }, onError: "cancel-session" });
    const fixed = map({ traffic_scheduler: { type: "rate", cancel_session_on_failure: false, interval_generator: { type: "fixed", interval: 4 } } });
    expect(fixed.spec.traffic).toMatchObject({ arrivals: { type: "constant", rate: 0.25 }, onError: "continue" });
  });

  test("Veeksha's defaults apply to absent keys, with warnings for the ones that shape the run", () => {
    const { spec, warnings } = map({ traffic_scheduler: { type: "concurrent" }, runtime: undefined });
    expect(spec.traffic).toMatchObject({ concurrency: 3, rampUpSeconds: 10, maxSessions: 25, durationSeconds: 300 });
    expect(spec.sessions).toBe(25);
    expect(warnings).toEqual([
      "runtime.max_sessions: not given: using Veeksha's default, 25",
      "runtime.benchmark_timeout: not given: using Veeksha's default, 300",
    ]);
  });

  test("client: completions API, sampling params, timeout; credentials are not carried over", () => {
    const { spec, warnings } = map({
      client: {
        type: "openai_completions",
        api_base: "http://h:1/v1",
        api_key: "secret",
        additional_sampling_params: '{"temperature": 0.5}',
        request_timeout: 30,
      },
    });
    expect(spec.request).toMatchObject({ api: "completions", baseUrl: "http://h:1/v1", extraBody: { temperature: 0.5 }, timeouts: { totalMs: 30_000 } });
    expect(JSON.stringify(spec)).not.toContain("secret");
    expect(warnings).toEqual(["client.api_key: ignored (not carried into the workload; agentload reads the key from the environment)"]);
  });

  test("a single_request graph is one turn", () => {
    const { spec } = map({ session_generator: { ...(config().session_generator as object), session_graph: { type: "single_request" } } });
    expect(spec.agents[0]?.turns).toBe(1);
  });
});

describe("fixed_stair and sequential_launch", () => {
  /** Veeksha's sample prefill microbenchmark (microbench_prefill.yml), its workload sections. */
  const prefill = {
    seed: 42,
    traffic_scheduler: { type: "concurrent", target_concurrent_sessions: 1, rampup_seconds: 0, cancel_session_on_failure: false },
    session_generator: {
      type: "synthetic",
      session_graph: {
        type: "linear",
        inherit_history: false,
        num_request_generator: { type: "fixed", value: 1 },
        request_wait_generator: { type: "fixed", interval: 0 },
      },
      channels: [{ type: "text", body_length_generator: { type: "fixed_stair", values: [8, 16, 32, 64], repeat_each: 10, wrap: false } }],
      output_spec: { text: { output_length_generator: { type: "fixed", value: 1 } } },
    },
    runtime: { max_sessions: 40, benchmark_timeout: 600 },
  };

  test("a stair of one-request sessions is a sweep over its values, each point the sessions Veeksha gives a value", () => {
    const mapped = veekshaToSpec(prefill);
    const spec = validateSpec(mapped.spec);
    expect(spec.sweep).toEqual({ "agents[0].freshInput": [8, 16, 32, 64] });
    expect(spec.sessions).toBe(10);
    expect(spec.agents[0]).toMatchObject({ turns: 1, freshInput: 8, output: 1 });
    expect(spec.traffic).toMatchObject({ mode: "concurrent", concurrency: 1, maxSessions: 10, durationSeconds: 600, onError: "continue" });
    // agentload sweep's points: one run per value, each the same 10 one-request sessions at that size.
    const points = sweepPoints(dimensionsOfBlock(spec.sweep, "sweep")).map((p) => validateSpec(p.assignments.reduce((doc, a) => setPath(doc, a.path, a.value), mapped.spec)));
    expect(points.map((p) => [p.agents[0]!.freshInput, p.sessions])).toEqual([
      [8, 10],
      [16, 10],
      [32, 10],
      [64, 10],
    ]);
    expect(mapped.warnings).toContain(
      "session_generator.channels[0].body_length_generator: fixed_stair: maps to `sweep: { agents[0].freshInput: [8, 16, 32, 64] }`, 10 sessions a value; " +
        "run it with `agentload sweep` (one run per value, one after another; Veeksha steps through them in one run)",
    );
  });

  test("a stair of turns maps for any session shape; wrap: a multiple of values x repeat_each", () => {
    const graph = { type: "linear", num_request_generator: { type: "fixed_stair", values: [2, 5], repeat_each: 2, wrap: true }, request_wait_generator: { type: "fixed", interval: 0 } };
    const { spec } = map({ session_generator: { ...(config().session_generator as object), session_graph: graph }, runtime: { max_sessions: 8 } });
    expect(spec.sweep).toEqual({ "agents[0].turns": [2, 5] });
    expect(spec.sessions).toBe(4);
    expect(spec.agents[0]?.turns).toBe(2);
  });

  test("a stair drawn for every request of longer sessions, two stairs, inherit_history: false with history: refused", () => {
    const problems = (overrides: Record<string, unknown>) => specErrorOf(() => veekshaToSpec(config(overrides))).problems.map((p) => `${p.path}: ${p.message}`);
    const stairBody = { type: "fixed_stair", values: [8, 16] };
    expect(problems({ session_generator: { ...(config().session_generator as object), channels: [{ type: "text", body_length_generator: stairBody }] } })).toEqual([
      "session_generator.channels[0].body_length_generator.type: cannot map a fixed_stair drawn for every request of sessions longer than one request " +
        "(agentload draws each session's sizes from its own stream); it maps for turns, or when sessions are one request",
    ]);
    const one = { type: "single_request" };
    expect(
      problems({
        session_generator: { ...(config().session_generator as object), session_graph: one, channels: [{ type: "text", body_length_generator: stairBody }], output_spec: { text: { output_length_generator: stairBody } } },
        runtime: { max_sessions: 2 },
      }),
    ).toEqual([
      "session_generator.output_spec.text.output_length_generator.type: cannot map more than one fixed_stair (agentload would sweep them against each other, Veeksha steps them together)",
    ]);
    const graph = { type: "linear", inherit_history: false, num_request_generator: { type: "fixed", value: 2 }, request_wait_generator: { type: "fixed", interval: 0 } };
    expect(problems({ session_generator: { ...(config().session_generator as object), session_graph: graph } })).toEqual([
      "session_generator.session_graph.inherit_history: cannot map inherit_history: false; agentload sessions always carry their history (it maps only when every session is one request)",
    ]);
  });

  test("a branching graph is refused once, saying why and what to do instead", () => {
    const graph = { type: "branching", num_layers_generator: { type: "fixed", value: 3 }, fan_out_generator: { type: "fixed", value: 2 }, inherit_history: true };
    const problems = specErrorOf(() => veekshaToSpec(config({ session_generator: { ...(config().session_generator as object), session_graph: graph } }))).problems;
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'session_generator.session_graph.type: cannot map a "branching" session graph: its nodes fork one conversation (children inherit a shared history), which a spec cannot express ' +
        "(a spec's subagents start from their own scaffold); generate the sessions with Veeksha and replay its timed_synthetic_session JSONL (`agentload run <file>`)",
    ]);
  });

  test("sequential_launch starts every session at once, in order: a lane per session, no ramp-up", () => {
    const { spec, warnings } = map({ traffic_scheduler: { type: "sequential_launch", cancel_session_on_failure: false }, runtime: { max_sessions: 6, benchmark_timeout: -1 } });
    expect(spec.traffic).toMatchObject({ mode: "concurrent", concurrency: 6, rampUpSeconds: 0, maxSessions: 6, onError: "continue" });
    expect(warnings).toEqual(["traffic_scheduler.type: sequential_launch: every session starts at once, in session order (agentload does not hold first requests to a strict ticket order)"]);
  });
});

describe("what cannot be mapped is refused by name", () => {
  const problemsOf = (overrides: Record<string, unknown>) =>
    specErrorOf(() => veekshaToSpec(config(overrides))).problems.map((p) => `${p.path}: ${p.message}`);

  test("unknown keys, with a suggestion when close", () => {
    expect(problemsOf({ runtime: { max_sesions: 3 } })).toEqual([
      "runtime.max_sesions: cannot map unknown Veeksha key 'max_sesions' (did you mean 'max_sessions'?)",
    ]);
    expect(problemsOf({ colour: "blue" })).toEqual(["colour: cannot map unknown Veeksha key 'colour'"]);
  });

  test("unsupported types and settings", () => {
    expect(problemsOf({ session_generator: { type: "trace", trace_file: "x.jsonl" } })).toEqual([
      'session_generator.type: cannot map a "trace" session generator; only "synthetic" maps to an agentload spec (traces go through agentload\'s trace readers)',
    ]);
    expect(problemsOf({ runtime: { max_sessions: -1 } })).toEqual([
      "runtime.max_sessions: expected a session count >= 1, got -1 (agentload needs a finite number of sessions)",
    ]);
    expect(problemsOf({ client: { type: "openai_chat_completions", additional_sampling_params: "{oops" } })).toEqual([
      'client.additional_sampling_params: expected a JSON object, got "{oops"',
    ]);
  });

  test("fixtures: an unknown key and unsupported features, located in the file", async () => {
    const unknown = `${root}fixtures/specs/broken/veeksha-unknown-key.yml`;
    await expect(loadSpecFile(unknown)).rejects.toThrow(
      `${unknown}:13:5: session_generator.session_graph.branching_factor: cannot map unknown Veeksha key 'branching_factor'`,
    );
    const unsupported = `${root}fixtures/specs/broken/veeksha-unsupported.yml`;
    const e = await loadSpecFile(unsupported).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SpecError);
    expect((e as SpecError).message.split("\n")).toEqual([
      `${unsupported}:5:13: traffic_scheduler.ordering: cannot map ordering "request"; only "dispatch" (the default: the next session starts once the previous one's request is sent) maps`,
      `${unsupported}:10:36: session_generator.session_graph.num_request_generator.type: cannot map this fixed_stair: it maps to one run per value with equally many sessions each, ` +
        "and max_sessions 3 gives (value: sessions) 1: 2, 2: 1; use max_sessions = a multiple of 2 (values x repeat_each)",
    ]);
  });

  test("problems found after mapping point back into the Veeksha file", () => {
    const text = [
      "seed: 1",
      "traffic_scheduler: { type: concurrent, target_concurrent_sessions: 1, rampup_seconds: 0 }",
      "session_generator:",
      "  session_graph:",
      "    num_request_generator: { type: uniform, min: 9, max: 3 }",
      "runtime: { max_sessions: 2 }",
    ].join("\n");
    const e = specErrorOf(() => parseSpecText(text, "v.yml"));
    expect(e.message).toBe("v.yml:5:50: agents[0].turns.min: expected min <= max (3), got 9");
  });
});
