// describeWorkload's parts that need no server: assembling the spec, the objectives that become
// tests, the stand-in run, the JUnit properties and the metrics file; and the DSL's clear errors
// outside a workloads project.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { evaluateSlos } from "../../../src/metrics/slo.js";
import { describeWorkload, objectivesOf, pairingOf, repeatsOf, session, slo } from "../../../src/vitest/dsl.js";
import { headlineProperties, metricsFileName, objectiveProperties, writeMetricsFile, type MetricsFile } from "../../../src/vitest/report.js";
import { lazyRun } from "../../../src/vitest/run-handle.js";
import { isWorkloadRun, toWorkloadRun } from "../../../src/vitest/run-view.js";
import { assembleSpec } from "../../../src/vitest/workload-spec.js";
import { agent, concurrent, workload } from "../../../src/workload/dsl.js";
import { SpecError, validateSpec } from "../../../src/workload/spec.js";
import { syntheticResult } from "../../support/synthetic-run.js";

const fixtureWorkloads = fileURLToPath(new URL("../../../fixtures/vitest-project/workloads/", import.meta.url));
const coder = agent("coder", { turns: 3, freshInput: 20, output: 4 });
const base = workload("base", { seed: 1, sessions: 5, agents: [coder], traffic: concurrent(2), slo: { ttfc: { p95: "2s" }, errorRate: { max: 0.1 } } });

describe("assembleSpec", () => {
  test("applies overrides to a workload() spec and validates the result again", () => {
    const spec = assembleSpec({ name: "w", spec: base, overrides: { sessions: 2, seed: 9 } });
    expect(spec.name).toBe("base");
    expect(spec.sessions).toBe(2);
    expect(spec.seed).toBe("9");
    // The old default cap (5 sessions) does not survive; the new count caps itself.
    expect(spec.traffic.maxSessions).toBe(2);
    expect(spec.traffic).toMatchObject({ mode: "concurrent", concurrency: 2 });
  });

  test("keeps an explicit smaller session cap", () => {
    const capped = workload("capped", { seed: 1, sessions: 10, agents: [coder], traffic: concurrent(1, { maxSessions: 3 }) });
    expect(assembleSpec({ name: "w", spec: capped, overrides: { sessions: 20 } }).traffic.maxSessions).toBe(3);
  });

  test("merges slo per metric: an override replaces one metric's bounds and keeps the others", () => {
    const spec = assembleSpec({ name: "w", spec: base, overrides: { slo: { ttfc: { p99: "5s" } } } });
    expect(spec.slo).toEqual({ ttfc: { p99: "5s" }, errorRate: { max: 0.1 } });
  });

  test("builds a spec from options and session() templates alone, named after the workload", () => {
    const helper = agent("helper", { weight: 0, turns: 1, freshInput: 5, output: 2 });
    const spec = assembleSpec({ name: "from sessions", overrides: { seed: 3, sessions: 1 }, sessions: [coder, helper] });
    expect(spec.name).toBe("from sessions");
    expect(spec.agents.map((a) => a.name)).toEqual(["coder", "helper"]);
  });

  test("reads a YAML spec relative to the workload file", () => {
    const spec = assembleSpec({ name: "w", spec: "./small.yaml", overrides: { sessions: 1 }, testFile: join(fixtureWorkloads, "yaml.workload.ts") });
    expect(spec).toMatchObject({ name: "small-yaml", seed: "5", sessions: 1 });
  });

  test("errors name the workload, or the file and what was wrong", () => {
    expect(() => assembleSpec({ name: "empty", overrides: { seed: 1, sessions: 1 } })).toThrow(/describeWorkload\("empty"\): no sessions/);
    const missing = join(fixtureWorkloads, "nope.yaml");
    expect(() => assembleSpec({ name: "w", spec: "./nope.yaml", testFile: join(fixtureWorkloads, "x.workload.ts") })).toThrow(SpecError);
    expect(() => assembleSpec({ name: "w", spec: "./nope.yaml", testFile: join(fixtureWorkloads, "x.workload.ts") })).toThrow(`${missing}: cannot read the spec: no such file`);
    let error: unknown;
    try {
      assembleSpec({ name: "bad", spec: base, overrides: { sessions: 0 } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as Error).message).toMatch(/describeWorkload\("bad"\)/);
    expect((error as Error).message).toMatch(/sessions/);
  });
});

describe("objectivesOf", () => {
  test("lists the spec's objectives by the names and order of the verdicts the run will have", () => {
    const spec = validateSpec({ ...base, slo: { tpot: { p50: "20ms" }, ttfc: { max: "9s", p95: 750 }, errorRate: { max: 0.02 } } });
    const objectives = objectivesOf(spec.slo);
    expect(objectives.map((o) => o.title)).toEqual(["ttfc p95 < 750ms", "ttfc max < 9000ms", "tpot p50 < 20ms", "error rate <= 2%"]);
    const verdicts = evaluateSlos(spec.slo, syntheticResult({ seed: "o", requests: 20 }).summary);
    expect(objectives.map((o) => o.name)).toEqual(verdicts.map((v) => v.name));
  });

  test("no slo section, no objectives", () => {
    expect(objectivesOf(validateSpec({ ...base, slo: undefined }).slo)).toEqual([]);
  });
});

describe("the run handed to describeWorkload's callback", () => {
  test("before the run, reading it says when it can be read", () => {
    const handle = lazyRun<{ ttfc: number }>("w");
    expect(() => handle.view.ttfc).toThrow(/describeWorkload\("w"\): the run is not there yet: read it inside tests/);
  });

  test("after the run, it reads as the run itself", () => {
    const run = toWorkloadRun("w", syntheticResult({ seed: "h", requests: 30 }));
    const handle = lazyRun<typeof run>("w");
    handle.set(run);
    const view = handle.view;
    expect(view.ttfc.stats).toEqual(run.summary.latency.ttfc);
    expect(view.ttfc.histogram.percentile(50)).toBe(run.ttfc.histogram.percentile(50));
    expect("summary" in view).toBe(true);
    expect(Object.keys(view)).toEqual(Object.keys(run));
    expect(isWorkloadRun(view)).toBe(true);
    expect(() => {
      (view as { name: string }).name = "other";
    }).toThrow(TypeError);
  });
});

describe("what the reports get", () => {
  const result = syntheticResult({ seed: "r", requests: 50, failures: 5 });
  const spec = validateSpec({ ...base, slo: { ttfc: { p95: "1ms" }, errorRate: { max: 0.5 } } });
  const verdicts = evaluateSlos(spec.slo, result.summary);

  test("an objective's properties: the bound, the measured value and its metric's distribution", () => {
    const props = new Map(objectiveProperties(verdicts[0]!, result.summary).map((p) => [p.name, p.value]));
    const ttfc = result.summary.latency.ttfc!;
    expect(props.get("objective")).toBe(verdicts[0]!.message.replace(" ✗", ""));
    expect(props.get("limit.ms")).toBe("1");
    expect(Number(props.get("measured.ms"))).toBeCloseTo(ttfc.p95, 3);
    expect(Number(props.get("ttfc.count"))).toBe(50);
    expect(Number(props.get("ttfc.max.ms"))).toBeCloseTo(ttfc.max, 3);
    const errorRate = new Map(objectiveProperties(verdicts[1]!, result.summary).map((p) => [p.name, p.value]));
    expect(errorRate.get("measured.ratio")).toBe(String(Math.round((5 / 55) * 10_000) / 10_000));
    expect(errorRate.get("failed")).toBe("5");
  });

  test("a slo() test's properties: the run at a glance", () => {
    const props = new Map(headlineProperties(result.summary).map((p) => [p.name, p.value]));
    expect(props.get("requests")).toBe("55");
    expect([...props.keys()]).toEqual(expect.arrayContaining(["errorRate", "ttfc.p50.ms", "ttfc.p95.ms", "tpot.p95.ms", "e2e.p95.ms", "outputTokensPerSec"]));
  });

  test("the metrics file: named after the workload file and the workload, a copy of the summary", () => {
    expect(metricsFileName("benchmarks/coding.workload.ts", "cache off")).toBe("benchmarks-coding.workload--cache-off.json");
    const out = mkdtempSync(join(tmpdir(), "agentload-metrics-"));
    const server = { apiUrl: "http://gpu/v1", builtIn: false };
    const path = writeMetricsFile(out, "/repo", { workload: "w 1", testFile: "/repo/perf/a.workload.ts", server, result: { ...result, verdicts } });
    expect(path).toBe(join(out, "metrics", "perf-a.workload--w-1.json"));
    const file = JSON.parse(readFileSync(path, "utf8")) as MetricsFile;
    expect(file).toMatchObject({ workload: "w 1", file: "perf/a.workload.ts", server, runDir: result.dir, passed: true });
    expect(file.summary).toEqual(JSON.parse(JSON.stringify(result.summary)));
    expect(file.verdicts.map((v) => v.name)).toEqual(["ttfc p95", "error rate max"]);
  });
});

describe("the DSL outside a workloads project", () => {
  test("describeWorkload says how to run workload files", () => {
    expect(() => describeWorkload("w", { spec: base })).toThrow(/describeWorkload\("w"\): no server was provisioned .* agentload\(\)/);
  });

  test("session() and slo() belong inside describeWorkload", () => {
    expect(() => session("coder", { turns: 1, freshInput: 1, output: 1 })).toThrow(/session\("coder"\) must be called inside a describeWorkload/);
    expect(() => slo("fast", () => {})).toThrow(/slo\("fast"\) must be called inside a describeWorkload/);
  });
});

describe("describeWorkload's baseline and restart options", () => {
  const where = 'describeWorkload("w")';
  test("a baseline server or a baseline engine; engines restart before each pair unless told not to", () => {
    expect(pairingOf({ url: "http://a/v1" }, undefined, where)).toEqual({ baseline: { server: { url: "http://a/v1" } }, restartPerPair: true });
    expect(pairingOf({ engine: { serverPath: "/main/llama-server" } }, "never", where)).toEqual({ baseline: { engine: { serverPath: "/main/llama-server" } }, restartPerPair: false });
    expect(pairingOf(undefined, undefined, where)).toEqual({ restartPerPair: false });
  });

  test.each([
    [{ url: "" }],
    [{ url: "http://a/v1", engine: {} }],
    [{ engine: "llama-server" }],
    [{}],
    ["http://a/v1"],
  ])("a baseline of %j is refused, saying what it expects", (baseline) => {
    expect(() => pairingOf(baseline, undefined, where)).toThrow(
      `describeWorkload("w"): baseline: expected { url } naming the baseline server or { engine } for a built-in engine agentload starts, got ${JSON.stringify(baseline)}`,
    );
  });

  test("repeats: a whole number of runs, or sequential { min, max } pairs against a baseline", () => {
    expect(repeatsOf(undefined, false, where)).toEqual({ min: 1, max: 1 });
    expect(repeatsOf(5, true, where)).toEqual({ min: 5, max: 5 });
    expect(repeatsOf({ min: 5, max: 15 }, true, where)).toEqual({ min: 5, max: 15 });
    expect(() => repeatsOf({ min: 5, max: 15 }, false, where)).toThrow('describeWorkload("w"): repeats: { min, max } stops pairs of runs against a baseline; give a baseline, or a whole number of repeats');
    for (const bad of [0, 2.5, { min: 2, max: 5 }, { min: 6, max: 5 }, { min: 3 }, { min: 3, max: 5, step: 1 }, "5"]) {
      expect(() => repeatsOf(bad, true, where)).toThrow(`describeWorkload("w"): repeats: expected a whole number of runs >= 1, or { min, max } with 3 <= min <= max pairs, got ${JSON.stringify(bad)}`);
    }
  });

  test("restart takes pair or never", () => {
    expect(() => pairingOf({ url: "http://a/v1" }, "always", where)).toThrow('describeWorkload("w"): restart: expected "pair" or "never", got "always"');
  });
});
