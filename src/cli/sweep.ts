// `agentload sweep spec.yaml --set traffic.concurrency=1,2,4 --set agents[0].turns=5,20`: the spec
// run at every combination of the swept fields (search/sweep.ts), one run folder per point under
// one sweep folder, sweep.json rewritten after every point, and one table. The spec's `sweep:`
// block gives dimensions too (a --set of the same field replaces it). Every point's spec is
// checked before the first run, so a bad value fails at once, not after an hour of points.
import { dirname } from "node:path";
import { RunInterrupted } from "../run/run-control.js";
import { figuresOf } from "../search/point.js";
import { dimensionsOfBlock, parseSetFlag, splitEngine, sweepPoints, sweepRows, setPath, type SweepDimension, type SweptPoint } from "../search/sweep.js";
import { applyOverrides, type SpecOverrides } from "../workload/overrides.js";
import { formatProblem, SpecError } from "../workload/spec-errors.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { CliError, idleClassFlag, intFlag, parseFlags, type Command } from "./args.js";
import { catchInterrupts } from "./interrupts.js";
import { idealCacheFlags } from "./run.js";
import { cacheResetPrinter, IDEAL_CACHE_HELP, POINT_FLAGS, pointFailureExit, PointRunner, pointsFolder, writePointsFile, type EngineChoice } from "./point-runner.js";
import { apiKeyOf, checkOutDir, checkServerUrl, parseHeaders } from "./run-checks.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS, SPEC_RUN_FLAGS } from "./spec-arg.js";
import { serverLaunch } from "../workload/server-spec.js";

const HELP = `usage: agentload sweep <spec.yaml> --set PATH=V1,V2,... [--set ...] [options]
Runs the workload at every combination of the swept fields and prints one table. PATH is a field
of the spec as written: traffic.concurrency, traffic.rate, sessions, agents[0].turns,
agents[0].freshInput.mean, ...; the values are read as YAML scalars. engine.prefixCache=true,false
and engine.slots=1,4 vary the built-in engine (restarted when they change). The spec's
\`sweep:\` block (a mapping of the same paths to lists) adds dimensions; --set replaces one of
the block's. Every point's spec is checked before the first run.
options:
  --set PATH=V1,V2     a swept field and its values (repeatable)
  --max-points N       refuse a sweep of more points (default 100)
  --url URL            server base URL including /v1 (default: start the built-in llama.cpp engine)
  --model NAME, --api-key KEY, --header 'K: V'   as for agentload run
  --out DIR            parent folder of the sweep folder (default ./runs)
  --sessions N, --seed S                         vary the spec as for agentload run
  --warmup N, --duration S                       per point, as for agentload run
  --json               print the points as JSON instead of the table
  built-in engine only:
  --restart            start the engine afresh before each point (no cache or queue carried over)
  --reset-cache        empty the server's prefix cache before each point, for a server given by --url
${IDEAL_CACHE_HELP}
                       (vLLM POST /reset_prefix_cache with VLLM_SERVER_DEV_MODE=1, SGLang POST
                       /flush_cache, llama.cpp slot erase; anything else: exit 3)
  --no-prefix-cache    start llama-server with prompt caching off (unless engine.prefixCache is swept)
  --slots N            llama-server slots (default 4, unless engine.slots is swept)
  --engine-idle        llama-server in Linux's idle CPU class (chrt --idle 0): never delays the client's wake-ups
The sweep folder holds sweep.json (every point, rewritten after each) and one run folder per point.
exit codes: 0 every point valid and within its SLOs; 1 some point failed an SLO; 2 usage or spec
  error (a point's spec included); 3 preflight failed; 4 some point is not valid (nothing
  measured, too many failures, the engine died, the client lagged); 5 records could not be
  written; 130 interrupted (Ctrl-C, SIGTERM or SIGHUP: sweep.json keeps every finished point)`;

export const SWEEP_EXIT = { passed: 0, sloFailed: 1, usage: 2, preflight: 3, invalid: 4, recordsLost: 5, interrupted: 130 } as const;

class SweepStopped extends Error {}

/** The spec at one point: each assignment set in its top-level field, then validated as an override. */
function pointSpec(spec: ResolvedWorkloadSpec, assignments: { path: string; value: unknown }[], source: string): ResolvedWorkloadSpec {
  const overrides: Record<string, unknown> = {};
  for (const a of assignments) {
    const top = /^[^.[]+/.exec(a.path)![0];
    try {
      overrides[top] = setPath({ [top]: overrides[top] ?? (spec as unknown as Record<string, unknown>)[top] }, a.path, a.value)[top];
    } catch (e) {
      throw new CliError(`${source}: ${(e as Error).message}`);
    }
  }
  try {
    return applyOverrides(spec, overrides as SpecOverrides, { source });
  } catch (e) {
    if (e instanceof SpecError) throw new CliError(e.problems.map((p) => formatProblem(p, source)).join("\n"));
    throw e;
  }
}

export const sweepCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    sessions: SPEC_OVERRIDE_FLAGS.sessions,
    seed: SPEC_OVERRIDE_FLAGS.seed,
    ...SPEC_RUN_FLAGS,
    set: { type: "string", multiple: true },
    "max-points": { type: "string" },
    ...POINT_FLAGS,
  });
  const idealCache = idealCacheFlags(values["cache-ttl"], values["cache-blocks"], values["cache-block-tokens"]);
  const spec = await readSpecArg("sweep", positionals, values);
  const file = positionals[0]!;
  let dimensions: SweepDimension[];
  let points: ReturnType<typeof sweepPoints>;
  try {
    const flags = (values.set ?? []).map(parseSetFlag);
    const block = spec.sweep === undefined ? [] : dimensionsOfBlock(spec.sweep, `${file}: sweep`).filter((d) => !flags.some((f) => f.path === d.path));
    dimensions = [...block, ...flags];
    points = sweepPoints(dimensions);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (dimensions.length === 0) throw new CliError(`sweep needs a field to vary: --set PATH=V1,V2 (e.g. --set traffic.concurrency=1,2,4), or a sweep: block in ${file}`);
  const maxPoints = intFlag("max-points", values["max-points"], 100);
  if (points.length > maxPoints) throw new CliError(`the sweep has ${points.length} points (${dimensions.map((d) => `${d.path}: ${d.values.length}`).join(" x ")}), more than --max-points ${maxPoints}`);
  if (values.url !== undefined) checkServerUrl(values.url);
  const outParent = values.out ?? "runs";
  checkOutDir(outParent);
  const apiKey = apiKeyOf(values["api-key"]);
  const headers = parseHeaders(values.header);
  const engineDefault: EngineChoice = { prefixCache: !values["no-prefix-cache"], slots: intFlag("slots", values.slots, 4) };

  // Every point checked before anything runs.
  const base = { ...spec };
  delete (base as { sweep?: unknown }).sweep;
  const planned = points.map((p) => {
    const source = `${file} at ${p.label}`;
    let split: ReturnType<typeof splitEngine>;
    try {
      split = splitEngine(p);
    } catch (e) {
      throw new CliError(`${source}: ${(e as Error).message}`);
    }
    const named = pointSpec(base, split.spec, source);
    return { point: p, spec: { ...named, name: `${spec.name} ${p.label}` }, engine: { ...engineDefault, ...split.engine } };
  });
  const controller = new AbortController();
  const runner = new PointRunner({ url: values.url, model: values.model, apiKey, headers, request: spec.request, engine: engineDefault, server: spec.server && values.url === undefined ? serverLaunch(spec.server, dirname(file)) : undefined, signal: controller.signal, resetCache: values["reset-cache"] ?? false, engineIdle: idleClassFlag("engine-idle", values["engine-idle"]), onCacheReset: cacheResetPrinter(), idealCache });
  if (!runner.builtIn && dimensions.some((d) => d.path.startsWith("engine."))) {
    const against = runner.managed ? `the spec's server command ${spec.server!.command}` : (values.url ?? spec.request.baseUrl);
    throw new CliError(`${dimensions.find((d) => d.path.startsWith("engine."))!.path} varies the built-in engine; this sweep runs against ${against}`);
  }

  const dir = pointsFolder(outParent, "sweep", spec.name);
  const interrupts = catchInterrupts({
    exitCode: SWEEP_EXIT.interrupted,
    first: (label) => {
      console.error(`\nagentload: ${label}: stopping the sweep after the current point's requests in flight end (${label} again quits now)`);
      controller.abort();
    },
    forced: (label) => `second ${label}: quitting now (sweep.json keeps every point that finished)`,
  });
  const done: SweptPoint[] = [];
  const save = (stoppedBy?: string) => {
    const doc = {
      spec: spec.name,
      dimensions,
      options: { restart: values.restart ?? false, resetCache: values["reset-cache"] ?? false },
      server: runner.builtIn ? { builtIn: true, ...engineDefault } : spec.server && runner.managed ? { command: spec.server.command } : { url: runner.target().apiUrl },
      ...(stoppedBy ? { stoppedBy } : {}),
      points: done,
    };
    writePointsFile(dir, "sweep.json", doc);
  };
  const table = (print: (line: string) => void) => {
    for (const line of sweepRows(dimensions, done)) print(line);
  };
  try {
    await runner.prepare(planned[0]!.engine);
    for (const [i, p] of planned.entries()) {
      if (controller.signal.aborted) throw new SweepStopped();
      console.error(`agentload: point ${i + 1} of ${planned.length}: ${p.point.label}`);
      const run = await runner.run(p.spec, dir, { restart: values.restart ?? false, engine: p.engine });
      if (controller.signal.aborted) throw new SweepStopped();
      const failed = run.verdicts.filter((v) => !v.pass);
      const outcome = !run.validity.valid ? "not-valid" : failed.length > 0 ? "slo-failed" : "passed";
      done.push({ ...p.point, outcome, reasons: [...run.validity.problems.map((x) => `not valid: ${x}`), ...failed.map((v) => v.message)], figures: figuresOf(run) });
      save();
      console.error(`agentload: ${p.point.label}: ${outcome === "passed" ? "passed" : outcome === "slo-failed" ? "SLO FAILED" : "NOT VALID"}`);
    }
    if (values.json) console.log(JSON.stringify({ dir, dimensions, points: done }, null, 2));
    else {
      table((l) => console.log(l));
      console.log(`sweep folder: ${dir}`);
    }
    if (done.some((p) => p.outcome === "not-valid")) return SWEEP_EXIT.invalid;
    return done.some((p) => p.outcome === "slo-failed") ? SWEEP_EXIT.sloFailed : SWEEP_EXIT.passed;
  } catch (err) {
    if (err instanceof SweepStopped || err instanceof RunInterrupted) {
      save(interrupts.received() ?? "interrupted");
      table((l) => console.error(l));
      console.error(`agentload: sweep stopped after ${done.length} of ${planned.length} point(s); sweep folder: ${dir}`);
      return SWEEP_EXIT.interrupted;
    }
    const code = pointFailureExit(err);
    if (code !== undefined) return code;
    throw err;
  } finally {
    await runner.close();
    interrupts.dispose();
  }
};
