// `agentload search spec.yaml --over rho`: the highest load at which the workload still meets its
// SLOs (search/capacity.ts chooses the loads; each is one run of the spec at that load, judged by
// search/point.ts). Against the built-in engine unless --url is given; --restart starts the engine
// afresh before each point, so that no point inherits the previous one's cache or queue.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderSearchReport } from "../report/html/search-report.js";
import { RunInterrupted } from "../run/run-control.js";
import { searchCapacity, type CapacityPoint, type CapacityResult } from "../search/capacity.js";
import { isLoadDimension, loadAxis, LOAD_DIMENSIONS, meanRequestsPerSession } from "../search/load.js";
import { judgePoint, type PointFigures } from "../search/point.js";
import { loadText, offeredWarnings, outcomeLines, pointRows } from "../search/table.js";
import { applyOverrides } from "../workload/overrides.js";
import { formatProblem, SpecError } from "../workload/spec-errors.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { CliError, idleClassFlag, intFlag, parseFlags, positiveFlag, type Command } from "./args.js";
import { catchInterrupts } from "./interrupts.js";
import { idealCacheFlags } from "./run.js";
import { cacheResetPrinter, IDEAL_CACHE_HELP, POINT_FLAGS, pointFailureExit, PointRunner, pointsFolder, writePointsFile } from "./point-runner.js";
import { apiKeyOf, checkOutDir, checkServerUrl, parseHeaders } from "./run-checks.js";
import { readSearch } from "./search-folder.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS, SPEC_RUN_FLAGS } from "./spec-arg.js";
import { serverLaunch } from "../workload/server-spec.js";

const HELP = `usage: agentload search <spec.yaml> --over <${LOAD_DIMENSIONS.join("|")}> [options]
Finds the highest load at which the workload meets its SLOs: an exponential probe from --start,
then bisection until the first failing load is within --precision of the frontier. A load is
healthy only when its run is valid (it measured enough, its error rate is under the limit, the
client kept up and offered the load asked) and every SLO of the spec holds.
load dimensions (--over):
  concurrency          sessions at once (closed loop; whole numbers)
  session-rate         sessions arriving per second (open loop; the spec's arrival process, else Poisson)
  request-rate, rho    requests per second: a session rate of rho / (mean requests per session)
options:
  --start X            first load probed (default: the spec's own load on that axis, else 1)
  --precision F        stop when the first failing load is within F of the frontier (default 0.1)
  --growth F           step of the exponential probe (default 2)
  --max X, --min X     highest and lowest load probed (default --start times / divided by growth^8)
  --confirm N          more runs of the frontier before it is accepted (default 1)
  --max-points N       at most N runs in all (default 30)
  --expect-at-least X  exit 1 unless the frontier is at least X (a capacity gate for CI)
  --url URL            server base URL including /v1 (default: start the built-in llama.cpp engine)
  --model NAME, --api-key KEY, --header 'K: V'   as for agentload run
  --out DIR            parent folder of the search folder (default ./runs)
  --sessions N, --seed S                         vary the spec as for agentload run
  --warmup N           each point's first N sessions are warm-up, left out of its figures
  --duration S         each point releases sessions for at most S seconds: with enough --sessions,
                       an overloaded point's queue grows for S seconds (a point of few sessions can
                       hide an overload from a loose SLO: its queue never grows long)
  --json               print the result as JSON instead of the table
  built-in engine only:
  --restart            start the engine afresh before each point (no cache or queue carried over)
  --reset-cache        empty the server's prefix cache before each point, for a server given by --url
${IDEAL_CACHE_HELP}
                       (vLLM POST /reset_prefix_cache with VLLM_SERVER_DEV_MODE=1, SGLang POST
                       /flush_cache, llama.cpp slot erase; anything else: exit 3)
  --no-prefix-cache    start llama-server with prompt caching off
  --slots N            llama-server slots (default 4)
  --engine-idle        llama-server in Linux's idle CPU class (chrt --idle 0): never delays the client's wake-ups
The table's "offered" column is the load each run really offered: mean sessions in flight, or
the rate of the arrival schedule the seed drew (a few dozen sessions can draw far from the rate;
a warning says so). The search folder holds search.json (every point, rewritten after each),
report.html (the frontier plot and every point, when the search ends) and one run folder per point.
exit codes: 0 the frontier was found (or the highest load allowed was healthy) and meets
  --expect-at-least; 1 no load was healthy, or the frontier is below --expect-at-least; 2 usage or
  spec error; 3 preflight failed at the first point; 4 the search ran out of runs (--max-points)
  before it closed; 5 records could not be written; 130 interrupted (Ctrl-C, SIGTERM or SIGHUP)`;

export const SEARCH_EXIT = { found: 0, belowGoal: 1, usage: 2, preflight: 3, unfinished: 4, recordsLost: 5, interrupted: 130 } as const;

class SearchStopped extends Error {}

export const searchCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    sessions: SPEC_OVERRIDE_FLAGS.sessions,
    seed: SPEC_OVERRIDE_FLAGS.seed,
    ...SPEC_RUN_FLAGS,
    over: { type: "string" },
    start: { type: "string" },
    precision: { type: "string" },
    growth: { type: "string" },
    max: { type: "string" },
    min: { type: "string" },
    confirm: { type: "string" },
    "max-points": { type: "string" },
    "expect-at-least": { type: "string" },
    ...POINT_FLAGS,
  });
  if (values.over === undefined) throw new CliError(`search needs --over: one of ${LOAD_DIMENSIONS.join(", ")}`);
  if (!isLoadDimension(values.over)) throw new CliError(`--over expects one of ${LOAD_DIMENSIONS.join(", ")}, got '${values.over}'`);
  const idealCache = idealCacheFlags(values["cache-ttl"], values["cache-blocks"], values["cache-block-tokens"]);
  const spec = await readSpecArg("search", positionals, values);
  if (!spec.slo || Object.keys(spec.slo).length === 0) {
    throw new CliError(`${positionals[0]}: slo: a capacity search needs SLOs to judge each load by; the spec has none`);
  }
  const needsRequests = values.over === "request-rate" || values.over === "rho";
  const axis = loadAxis(spec, values.over, needsRequests ? meanRequestsPerSession(spec) : undefined);
  const precision = positiveFlag("precision", values.precision) ?? 0.1;
  const growth = positiveFlag("growth", values.growth) ?? 2;
  if (growth <= 1) throw new CliError(`--growth expects a factor > 1, got '${values.growth}'`);
  const start = positiveFlag("start", values.start) ?? axis.stated ?? 1;
  if (axis.integer && !Number.isInteger(start)) throw new CliError(`--start expects a whole number for ${axis.dimension}, got '${start}'`);
  const max = positiveFlag("max", values.max);
  const min = positiveFlag("min", values.min);
  if (max !== undefined && max < start) throw new CliError(`--max (${max}) is below --start (${start})`);
  if (min !== undefined && min > start) throw new CliError(`--min (${min}) is above --start (${start})`);
  const confirm = intFlag("confirm", values.confirm, 1);
  const maxPoints = intFlag("max-points", values["max-points"], 30);
  if (maxPoints < 1) throw new CliError(`--max-points expects a whole number >= 1, got '${values["max-points"]}'`);
  const goal = positiveFlag("expect-at-least", values["expect-at-least"]);
  if (values.url !== undefined) checkServerUrl(values.url);
  const outParent = values.out ?? "runs";
  checkOutDir(outParent);
  const apiKey = apiKeyOf(values["api-key"]);
  const headers = parseHeaders(values.header);
  const slots = intFlag("slots", values.slots, 4);
  const engineOptions = { prefixCache: !values["no-prefix-cache"], slots };

  const dir = pointsFolder(outParent, "search", spec.name);

  const controller = new AbortController();
  const interrupts = catchInterrupts({
    exitCode: SEARCH_EXIT.interrupted,
    first: (label) => {
      console.error(`\nagentload: ${label}: stopping the search after the current point's requests in flight end (${label} again quits now)`);
      controller.abort();
    },
    forced: (label) => `second ${label}: quitting now (search.json keeps every point that finished)`,
  });

  const runner = new PointRunner({ url: values.url, model: values.model, apiKey, headers, request: spec.request, engine: engineOptions, server: spec.server && values.url === undefined ? serverLaunch(spec.server, dirname(positionals[0]!)) : undefined, signal: controller.signal, resetCache: values["reset-cache"] ?? false, engineIdle: idleClassFlag("engine-idle", values["engine-idle"]), onCacheReset: cacheResetPrinter(), idealCache });
  const builtIn = runner.builtIn;

  const points: CapacityPoint<PointFigures>[] = [];
  const save = (result?: CapacityResult<PointFigures>, stoppedBy?: string) => {
    const doc = {
      spec: spec.name,
      over: axis.dimension,
      unit: axis.unit,
      options: { start, precision, growth, confirm, maxPoints, ...(max !== undefined ? { max } : {}), ...(min !== undefined ? { min } : {}), restart: values.restart ?? false, resetCache: values["reset-cache"] ?? false },
      server: builtIn ? { builtIn: true, ...engineOptions } : spec.server && runner.managed ? { command: spec.server.command } : { url: runner.target().apiUrl },
      ...(result ? { frontier: result.frontier, firstFailing: result.firstFailing, binding: result.binding ?? null, reasons: result.reasons, stopped: result.stopped } : {}),
      ...(stoppedBy ? { stoppedBy } : {}),
      points,
    };
    writePointsFile(dir, "search.json", doc);
  };
  /** report.html beside search.json, once the search ends (finished or stopped); a failure to draw it loses nothing. */
  const report = async () => {
    try {
      writeFileSync(join(dir, "report.html"), await renderSearchReport(readSearch(dir)));
    } catch (err) {
      console.error(`agentload: report.html not written: ${(err as Error).message}`);
    }
  };

  let pointNo = 0;
  try {
    await runner.prepare();
    const result = await searchCapacity<PointFigures>(
      async (load) => {
        if (controller.signal.aborted) throw new SearchStopped();
        pointNo++;
        let pointSpec: ResolvedWorkloadSpec;
        try {
          pointSpec = applyOverrides(spec, axis.overrides(load), { source: `${positionals[0]} at ${axis.dimension} ${loadText(load)}` });
        } catch (e) {
          if (e instanceof SpecError) throw new CliError(e.problems.map((p) => formatProblem(p, `${positionals[0]} at ${axis.dimension} ${loadText(load)}`)).join("\n"));
          throw e;
        }
        console.error(`agentload: point ${pointNo}: ${axis.dimension} ${loadText(load)} ${axis.unit}`);
        const run = await runner.run(pointSpec, dir, { restart: values.restart ?? false });
        if (controller.signal.aborted) throw new SearchStopped();
        return judgePoint(run, axis);
      },
      {
        start,
        precision,
        growth,
        confirm,
        maxPoints,
        integer: axis.integer,
        ...(max !== undefined ? { max } : {}),
        ...(min !== undefined ? { min } : {}),
        onPoint: (p) => {
          points.push(p as CapacityPoint<PointFigures>);
          save();
          const why = p.healthy ? "" : `: ${p.reasons.join("; ")}`;
          console.error(`agentload: ${axis.dimension} ${loadText(p.load)} (run ${p.attempt}): ${p.healthy ? "healthy" : "FAILED"}${why}`);
        },
      },
    );
    save(result);
    await report();
    if (values.json) console.log(JSON.stringify({ frontier: result.frontier, firstFailing: result.firstFailing, binding: result.binding ?? null, stopped: result.stopped, dir, points }, null, 2));
    else {
      for (const line of pointRows(points, axis)) console.log(line);
      console.log("");
      for (const line of outcomeLines(result, axis, precision)) console.log(line);
      for (const line of offeredWarnings(points, axis)) console.log(line);
      console.log(`search folder: ${dir}`);
    }
    if (result.stopped === "max-points") return SEARCH_EXIT.unfinished;
    if (result.frontier === null) return SEARCH_EXIT.belowGoal;
    if (goal !== undefined && result.frontier < goal) {
      console.error(`agentload: the frontier ${axis.dimension} ${loadText(result.frontier)} is below --expect-at-least ${goal}`);
      return SEARCH_EXIT.belowGoal;
    }
    return SEARCH_EXIT.found;
  } catch (err) {
    if (err instanceof SearchStopped || err instanceof RunInterrupted) {
      save(undefined, interrupts.received() ?? "interrupted");
      await report();
      for (const line of pointRows(points, axis)) console.error(line);
      console.error(`agentload: search stopped after ${points.length} point(s); search folder: ${dir}`);
      return SEARCH_EXIT.interrupted;
    }
    const code = pointFailureExit(err);
    if (code !== undefined) return code;
    throw err;
  } finally {
    await runner.close();
    interrupts.dispose();
  }
};
