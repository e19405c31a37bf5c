// describeCapacity: a capacity gate as a test (toSustain's rule: capacity-judge.ts). Before its tests, a capacity search (search/:
// exponential probe, bisection, confirmation, each point a run judged by its validity and the
// spec's SLOs) runs against the workload's server, as `agentload search` does; the tests read the
// result:
//   describeCapacity("coder", { spec: "./coder.yaml", over: "rho", start: 4 }, (capacity) => {
//     test("sustains rho 5", () => expect(capacity).toSustain({ rho: 5 }));
//   });
// toSustain passes only when the search showed the load healthy (the frontier is at least it);
// a load inside the last bracket (above the frontier, below the first failing load) is not
// decided at the search's precision and fails as inconclusive, as does a search that ran out of
// points below it. expect(capacity).toMatchMetricSnapshot() keeps the frontier as a baseline
// (capacity-snapshot.ts). Each point is one run of the spec: its traffic.warmupSessions open
// every point and are left out of that point's figures.
import { dirname, join } from "node:path";
import { describe, expect, test, beforeAll, afterAll } from "vitest";
import { runWorkload } from "../run/run.js";
import { searchCapacity, type CapacityPoint, type CapacitySearchOptions } from "../search/capacity.js";
import { isLoadDimension, loadAxis, LOAD_DIMENSIONS, meanRequestsPerSession, type LoadDimension } from "../search/load.js";
import { judgePoint, type PointFigures } from "../search/point.js";
import { loadText, outcomeLines, pointRows } from "../search/table.js";
import { applyOverrides } from "../workload/overrides.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { workloadContext, type EngineOptions, type ServerOptions } from "./context.js";
import { skippedUnderVitestBench } from "./dsl.js";
import type { CapacityResultView } from "./capacity-judge.js";
import { workloadFingerprint } from "../run/fingerprint.js";
import { environmentOf } from "./run-view.js";
import { lazyRun } from "./run-handle.js";
import { resolveTarget, type ResolvedTarget } from "./server.js";
import { assembleSpec, type SpecOverrides, type WorkloadSource } from "./workload-spec.js";
import type { ServerSpec } from "../workload/server-spec.js";

/**
 * The search's options as `agentload search` takes them (search/capacity.ts), except that `start`
 * defaults to the spec's own load on the axis (else 1) and `maxPoints` to 20.
 */
export interface DescribeCapacityOptions extends Omit<SpecOverrides, "server">, Partial<Pick<CapacitySearchOptions, "start" | "precision" | "growth" | "max" | "min" | "confirm" | "maxPoints">> {
  /** The workload: a workload(...) spec, a plain spec object, or a YAML/JSON spec path (relative to this file). Its SLOs judge each point. */
  spec?: WorkloadSource;
  /** The load axis searched. */
  over: LoadDimension;
  /** Run against this server instead of the project's (a URL, or a command to launch). */
  server?: ServerOptions | ServerSpec;
  /** Run against a built-in engine of its own with these options. */
  engine?: EngineOptions;
  /** Longest time one point's run may take, ms (default the project's runTimeoutMs). */
  timeout?: number;
}

export function describeCapacity(name: string, options: DescribeCapacityOptions, fn: (capacity: CapacityResultView) => void): void {
  const where = `describeCapacity(${JSON.stringify(name)})`;
  const context = workloadContext(where);
  if (skippedUnderVitestBench(name, context)) return;
  const testFile = expect.getState().testPath ?? "";
  const { spec: source, over, start, precision = 0.1, growth, max, min, confirm, maxPoints = 20, server, engine, timeout, ...overrides } = options;
  if (!isLoadDimension(over)) throw new Error(`${where}: over: expected one of ${LOAD_DIMENSIONS.join(", ")}, got ${JSON.stringify(over)}`);
  describe(name, () => {
    const handle = lazyRun<CapacityResultView>(name);
    let spec: ResolvedWorkloadSpec;
    let target: ResolvedTarget | undefined;
    fn(handle.view);
    beforeAll(async () => {
      spec = assembleSpec({ name, ...(source !== undefined ? { spec: source } : {}), overrides, testFile });
      if (!spec.slo || Object.keys(spec.slo).length === 0) throw new Error(`${where}: a capacity search needs SLOs to judge each load by; the spec has none`);
      const axis = loadAxis(spec, over, over === "request-rate" || over === "rho" ? meanRequestsPerSession(spec) : undefined);
      target = await resolveTarget(context.server, spec, { ...(server ? { server } : {}), ...(engine ? { engine } : {}) }, where, dirname(testFile));
      const outDir = join(context.outputDir, "searches");
      const points: CapacityPoint<PointFigures>[] = [];
      const result = await searchCapacity<PointFigures>(
        async (load) => {
          const pointSpec = applyOverrides(spec, axis.overrides(load), { source: `${where} at ${over} ${loadText(load)}` });
          return judgePoint(await runWorkload({ spec: pointSpec, target: target!.target, outDir }), axis);
        },
        {
          start: start ?? axis.stated ?? 1,
          precision,
          ...(growth !== undefined ? { growth } : {}),
          ...(max !== undefined ? { max } : {}),
          ...(min !== undefined ? { min } : {}),
          ...(confirm !== undefined ? { confirm } : {}),
          maxPoints,
          integer: axis.integer,
          onPoint: (p) => {
            points.push(p as CapacityPoint<PointFigures>);
            console.log(`agentload: ${name}: ${over} ${loadText(p.load)} (run ${p.attempt}): ${p.healthy ? "healthy" : `FAILED: ${p.reasons.join("; ")}`}`);
          },
        },
      );
      const lines = [...pointRows(points, axis), "", ...outcomeLines(result, axis, precision)];
      console.log(`agentload: ${name}:\n${lines.join("\n")}`);
      handle.set({
        kind: "agentload-capacity",
        name,
        over,
        unit: axis.unit,
        precision,
        frontier: result.frontier,
        firstFailing: result.firstFailing,
        binding: result.binding ?? null,
        reasons: result.reasons,
        stopped: result.stopped,
        points,
        lines,
        fingerprint: workloadFingerprint(spec, spec.sessions),
        environment: environmentOf(target.server),
      });
    }, (timeout ?? context.runTimeoutMs) * maxPoints);
    afterAll(async () => {
      await target?.stop();
    });
    test("capacity search", () => {
      const c = handle.get();
      if (!c) throw new Error(`${where}: the search did not finish (see the hook error)`);
      expect(c.points.length).toBeGreaterThan(0);
    });
  });
}
