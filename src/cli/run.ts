// `agentload run spec.yaml [--url URL]`: run a workload against a server (the built-in llama.cpp
// engine when no URL is given), show live progress, print the summary, exit 1 when SLOs fail.
import { startCommandServer, type CommandServer, type CommandServerOptions } from "../engine/command-server.js";
import { enterRealtime, type CpuClass } from "../engine/cpu-class.js";
import { startLlamaServer, type LlamaServer } from "../engine/llama-server.js";
import { renderSummary } from "../report/summary-table.js";
import { FolderWriteError, pruneRunFolders } from "../records/run-folder.js";
import { planFromTrace } from "../run/replay.js";
import { resetPrefixCache } from "../run/cache-reset.js";
import { PreflightError } from "../run/preflight.js";
import { RecordsLostError } from "../run/recorder.js";
import { RunInterrupted } from "../run/run-control.js";
import { planFromSpec, plannedSessions, runWorkload, SummaryNotWrittenError, type RunPlan, type RunResult } from "../run/run.js";
import { parseShard, shardProblem } from "../run/shard.js";
import { MAX_START_WAIT_MS, parseStartAt, parseStartIn, START_TOLERANCE_MS, StartMissedError } from "../run/start-at.js";
import { detectFormat } from "../traces/detect.js";
import { readTraceArg, TRACE_FLAGS, TRACE_FLAGS_HELP } from "./trace-arg.js";
import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { CliError, idleClassFlag, intFlag, parseFlags, positiveFlag, realtimeFlag, type Command } from "./args.js";
import { DEFAULT_CACHE_BLOCK_TOKENS, type IdealCacheOptions } from "../metrics/cache-attribution.js";
import { apiKeyOf, checkOutDir, checkServerUrl, parseHeaders } from "./run-checks.js";
import { liveProgress } from "./live-progress.js";
import { printCacheReset } from "./point-runner.js";
import { catchInterrupts } from "./interrupts.js";
import { buildProgressPrinter } from "../engine/build-progress.js";
import { readSpecArg, specFlag, SPEC_OVERRIDE_FLAGS, SPEC_RUN_FLAGS } from "./spec-arg.js";
import { runWorkers } from "./run-workers.js";
import { serverLaunch } from "../workload/server-spec.js";
import { formatProblem, SpecError } from "../workload/spec-errors.js";
import { MAX_TIMER_MS } from "../workload/limits.js";

const HELP = `usage: agentload run <spec.yaml | trace> [options]
Runs the workload (or replays the trace) against an OpenAI-compatible server and writes a run folder.
options:
  --url URL            server base URL including /v1 (default: start the spec's server: command, else the
                       built-in llama.cpp engine)
  --model NAME         model name to send (default: the spec's request.model, or the server's)
  --api-key KEY        API key (prefer the environment: AGENTLOAD_API_KEY or OPENAI_API_KEY)
  --header 'K: V'      extra request header (repeatable)
  --out DIR            parent folder of the run folder (default ./runs)
  --keep-runs N        after the run, remove all but the newest N run folders in --out (default: keep all)
  --sessions N         run N sessions instead of the spec's count
  --seed S             use seed S instead of the spec's
  --concurrency N      override traffic concurrency (concurrent mode)
  --warmup N           the first N sessions are warm-up, left out of the figures (traffic.warmupSessions)
  --duration S         stop releasing sessions after S seconds (traffic.durationSeconds)
  --grace-ms N         after Ctrl-C, SIGTERM or SIGHUP, how long in-flight requests may finish (default 10000)
  --reset-cache        empty the server's prefix cache before the run (vLLM, SGLang, llama.cpp endpoints)
  --cache-ttl S        the ideal prefix cache names a miss after a wait longer than S seconds "ttl" (default 300)
  --cache-blocks N     also simulate an LRU prefix cache of N blocks (the summary's "LRU cache" row)
  --cache-block-tokens N  tokens per block of that LRU cache (default 16, vLLM's block size)
  many machines (docs/cluster.md; agentload merge joins the shards' run folders):
  --shard i/N          run shard i of N (from 0): sessions i, i+N, i+2N, ... at their places in the one
                       seeded schedule (rate: the same arrivals; concurrent: lane k runs on shard k mod N)
  --start-at T         start the clock at T (ISO time with zone, or epoch ms) after set-up, so every shard
                       shares one time zero; at most ${START_TOLERANCE_MS / 1000} s in the past, at most ${MAX_START_WAIT_MS / 60_000} minutes ahead
  --start-in D         the same, T = now + D (90s, 5m): for shards started together on one machine
  --precise-wake       wake the dispatcher through a worker thread (Atomics.wait) instead of setTimeout's whole
                       milliseconds: timed arrivals go out on time (p90 0.1-0.4 ms late at 500/s against 1 ms);
                       off by default (in the main job its wake-ups cost the median dispatch 0.05-0.1 ms)
  --realtime           run the client's threads in Linux's real-time FIFO class (chrt --fifo 10, once the
                       built-in engine is up, which stays in its own class): the kernel no longer runs other
                       threads before a woken dispatcher (main job p99 1.2-1.3 ms against 2.0-3.4 ms); needs root
                       or CAP_SYS_NICE; a client that needs a whole core then keeps it from everything else
  --workers N          run the workload on N cores of this machine: N worker threads, one shard each, on one
                       start time (--start-in, default 10 s after the engine is ready), merged into one run folder
                       (the shards' folders are kept beside it); the same requests as one process
  built-in engine only:
  --no-prefix-cache    start llama-server with prompt caching off
  --slots N            llama-server slots (default 4)
  --engine-idle        run llama-server in Linux's idle CPU class (chrt --idle 0): it never delays the client's
                       wake-ups (dispatch lateness p99 about halved on 2 cores), but starves beside other busy work
  trace replay (a trace: dag.json, session logs, Veeksha, Mooncake, CSV, an agentload run folder):
  --timed              release sessions at their recorded arrivals (default: untimed, --concurrency 4)
  --speed X            timed: arrivals and waits X times faster (default 1)
  --waits keep|zero    untimed: keep the recorded waits (default) or drop them
  --rate R             untimed: release R sessions per second instead of --concurrency at once
  --arrivals A         with --rate: poisson (default) or constant gaps
  --wrap               start over when the trace runs out (needs --sessions or --duration)
${TRACE_FLAGS_HELP}
exit codes: 0 passed; 1 an SLO failed; 2 usage or spec error; 3 preflight failed (the spec's server did not start, server unreachable,
  key refused, model not served, largest request does not fit the server's context, first request
  failed, --reset-cache refused, set-up ended after --start-at); 4 run not valid (no request succeeded, too many failed, the built-in engine exited, the
  client lagged, was saturated or stalled, or offered less load than asked); 5 records or summary could
  not be written (disk full, I/O error: the run stops, the summary goes to stderr); 130 interrupted (Ctrl-C, SIGTERM or SIGHUP)`;

export const runCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    ...SPEC_OVERRIDE_FLAGS,
    url: { type: "string" },
    model: { type: "string" },
    "api-key": { type: "string" },
    header: { type: "string", multiple: true },
    out: { type: "string" },
    "keep-runs": { type: "string" },
    "grace-ms": { type: "string" },
    "reset-cache": { type: "boolean" },
    "cache-ttl": { type: "string" },
    "cache-blocks": { type: "string" },
    "cache-block-tokens": { type: "string" },
    "no-prefix-cache": { type: "boolean" },
    slots: { type: "string" },
    "engine-idle": { type: "boolean" },
    "precise-wake": { type: "boolean" },
    realtime: { type: "boolean" },
    timed: { type: "boolean" },
    speed: { type: "string" },
    rate: { type: "string" },
    arrivals: { type: "string" },
    waits: { type: "string" },
    wrap: { type: "boolean" },
    shard: { type: "string" },
    workers: { type: "string" },
    "start-at": { type: "string" },
    "start-in": { type: "string" },
    ...SPEC_RUN_FLAGS,
    ...TRACE_FLAGS,
  });
  let plan: RunPlan;
  /** The spec's server: block, started for the run unless --url is given. */
  let specServer: CommandServerOptions | undefined;
  if (positionals.length === 1 && (await isTrace(positionals[0]!, values.format))) {
    const trace = await readTraceArg("run", positionals, values);
    const speed = values.speed === undefined ? 1 : Number(values.speed);
    if (!(speed > 0)) throw new CliError(`--speed expects a number > 0, got '${values.speed}'`);
    if (values.waits !== undefined && values.waits !== "keep" && values.waits !== "zero") throw new CliError(`--waits expects keep or zero, got '${values.waits}'`);
    if (values.arrivals !== undefined && values.arrivals !== "poisson" && values.arrivals !== "constant") throw new CliError(`--arrivals expects poisson or constant, got '${values.arrivals}'`);
    if (values.arrivals !== undefined && values.rate === undefined) throw new CliError("--arrivals goes with --rate");
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new CliError(`--rate expects a number of sessions per second > 0, got '${values.rate}'`);
    if (rate !== undefined && values.concurrency !== undefined) throw new CliError("give --rate (sessions per second) or --concurrency (sessions at once), not both");
    try {
      plan = planFromTrace(trace, {
        timed: values.timed ?? false,
        speed,
        wrap: values.wrap ?? false,
        // Checked as the spec fields they stand for: the same limits and messages as on a spec.
        ...(rate === undefined ? { concurrency: values.concurrency === undefined ? 4 : specFlag("concurrency", values.concurrency) } : {}),
        ...(rate !== undefined ? { rate, ...(values.arrivals ? { arrivals: values.arrivals as "poisson" | "constant" } : {}) } : {}),
        ...(values.waits ? { waits: values.waits as "keep" | "zero" } : {}),
        ...(values.sessions !== undefined ? { sessions: specFlag("sessions", values.sessions) } : {}),
        ...(values.duration !== undefined ? { durationSeconds: specFlag("duration", values.duration) } : {}),
        ...(values.warmup !== undefined ? { warmupSessions: specFlag("warmup", values.warmup) } : {}),
      });
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError((e as Error).message);
    }
  } else {
    if (values.rate !== undefined || values.arrivals !== undefined) throw new CliError(`--rate and --arrivals are for trace replays; a spec releases sessions by its traffic: { mode: rate, arrivals: { type: poisson, rate } }`);
    const spec = await readSpecArg("run", positionals, values);
    if (spec.sweep !== undefined) console.error(`agentload: ${positionals[0]}: sweep: is run by agentload sweep; run runs the spec as written`);
    if (spec.server !== undefined) {
      if (values.url !== undefined) console.error(`agentload: ${positionals[0]}: server: not started, the run goes to --url ${values.url}`);
      else specServer = serverLaunch(spec.server, dirname(positionals[0]!));
    }
    plan = planFromSpec(spec);
  }
  const shard = values.shard === undefined ? undefined : cliCheck(() => parseShard(values.shard!));
  if (shard) {
    const problem = shardProblem(shard, { sessions: plan.sessions, ...(plan.traffic.mode === "concurrent" ? { concurrency: plan.traffic.concurrency } : {}) });
    if (problem) throw new CliError(problem);
    plan = { ...plan, shard };
  }
  const workers = values.workers === undefined ? 1 : intFlag("workers", values.workers, 1, { most: MAX_WORKERS, why: "one a core is the point" });
  if (workers < 1) throw new CliError(`--workers expects a whole number >= 1, got '${values.workers}'`);
  if (workers > 1) {
    if (shard) throw new CliError("--workers runs the shards of one machine's run itself; give --workers N or --shard i/N, not both");
    if (values["keep-runs"] !== undefined) throw new CliError("--keep-runs does not go with --workers yet: prune the run folders afterwards");
    const problem = shardProblem({ index: 0, count: workers }, { sessions: plan.sessions, ...(plan.traffic.mode === "concurrent" ? { concurrency: plan.traffic.concurrency } : {}) });
    if (problem) throw new CliError(problem.replace(/^--shard [^:\s]+/, `--workers ${workers}`));
  }
  if (values["start-at"] !== undefined && values["start-in"] !== undefined) throw new CliError("give --start-at (a time) or --start-in (a delay), not both");
  const startAt =
    values["start-at"] !== undefined
      ? cliCheck(() => parseStartAt(values["start-at"]!, Date.now()))
      : values["start-in"] !== undefined
        ? cliCheck(() => parseStartIn(values["start-in"]!, Date.now()))
        : undefined;
  // Read before the run so a bad value fails now, not after it; 0 keeps all, as no flag does.
  const keepRuns = intFlag("keep-runs", values["keep-runs"], 0);
  const idealCache = idealCacheFlags(values["cache-ttl"], values["cache-blocks"], values["cache-block-tokens"]);
  const startedAt = new Date();
  // Checked before anything is started or created (run-checks.ts): each failed late, after the
  // engine started or the run folder was made, or failed every request.
  if (values.url !== undefined) checkServerUrl(values.url);
  checkOutDir(values.out ?? "runs");
  const apiKey = apiKeyOf(values["api-key"]);
  const headers = parseHeaders(values.header);
  const realtime = realtimeFlag(values.realtime);

  // From here Ctrl-C and SIGTERM stop the command (interrupts.ts): while the built-in engine starts
  // it quits at once (nothing is measured yet; the engine dies with us, engine/owned-process.ts);
  // later the run stops gracefully: set-up at once, requests in flight within the grace period.
  const graceMs = intFlag("grace-ms", values["grace-ms"], 10_000, { most: MAX_TIMER_MS, why: "the longest a timer can wait" });
  const controller = new AbortController();
  let engineStarting = false;
  const engineName = specServer ? "server command" : "built-in engine";
  const interrupts = catchInterrupts({
    exitCode: EXIT.interrupted,
    first: (label) => {
      if (engineStarting) {
        console.error(`\nagentload: ${label} while the ${engineName} was starting: quitting before the run (nothing was measured)`);
        process.exit(EXIT.interrupted);
      }
      console.error(`\nagentload: ${label}: stopping: no new requests; requests in flight get up to ${graceMs} ms (--grace-ms), then are recorded as aborted (${label} again quits now)`);
      controller.abort();
    },
    forced: (label) => `second ${label}: quitting now without the summary (records.jsonl keeps every request that ended)`,
  });
  let engine: LlamaServer | CommandServer | undefined;
  let apiUrl = values.url ?? plan.request.baseUrl;
  let model = values.model ?? plan.request.model;
  if (!apiUrl) {
    engineStarting = true;
    try {
      if (specServer) {
        console.error(`agentload: starting the spec's server: ${specServer.command} (ready when ${specServer.readyUrl ?? "its /health"} answers 200)`);
        engine = await startCommandServer(specServer);
      } else {
        engine = await startLlamaServer({
          prefixCache: !values["no-prefix-cache"],
          slots: intFlag("slots", values.slots, 4),
          idleClass: idleClassFlag("engine-idle", values["engine-idle"]),
          onProgress: buildProgressPrinter(),
        });
      }
    } catch (err) {
      interrupts.dispose();
      if (specServer) {
        console.error(`agentload: the spec's server did not start: ${(err as Error).message}`);
        return EXIT.preflight;
      }
      throw err;
    } finally {
      engineStarting = false;
    }
    apiUrl = engine.apiUrl;
    if ("model" in engine) {
      model = engine.model;
      console.error(`agentload: built-in engine ${engine.apiUrl} (llama.cpp, prefix cache ${engine.prefixCache ? "on" : "off"}, ${engine.slots} slots${engine.idleClass ? ", idle CPU class" : ""})`);
    } else console.error(`agentload: server command ready at ${engine.apiUrl}: ${engine.commandLine}`);
  }

  // After the engine started, so that it keeps its own class; threads and workers started from here inherit it.
  let clientClass: CpuClass | undefined;
  if (realtime !== null) {
    try {
      clientClass = enterRealtime(realtime);
      console.error(`agentload: --realtime: the client's threads run in SCHED_FIFO ${clientClass.priority}`);
    } catch (err) {
      console.error(`agentload: --realtime: ${(err as Error).message}; nothing was run`);
      await engine?.stop();
      interrupts.dispose();
      return EXIT.usage;
    }
  }

  // An engine agentload started that dies mid-run stops the run at once: every further request would fail.
  let engineDied: string | null = null;
  engine?.onUnexpectedExit((status) => {
    const headline = `the ${engineName} ${status} during the run`;
    engineDied = `${headline}; its last log lines:\n${engine!.recentLogs().slice(-8).join("\n")}`;
    console.error(`\nagentload: ${headline}; stopping the run`);
    controller.abort();
  });
  const target = { apiUrl, ...(model ? { model } : {}), ...(apiKey ? { apiKey } : {}), ...(headers ? { headers } : {}) };
  // --reset-cache, once before the run (or its workers): an engine agentload started is empty already.
  const resetCache = async () => {
    if (!values["reset-cache"]) return;
    if (engine) console.error(`agentload: --reset-cache: the ${engineName} was started for this run; its cache is empty`);
    else printCacheReset(await resetPrefixCache(target));
  };
  if (workers > 1) {
    try {
      await resetCache();
      // Each worker sets up (tokenizer, calibration, warm-up request) before the shared start.
      const at = startAt ?? Date.now() + WORKERS_START_IN_MS;
      console.error(`agentload: ${workers} workers, one shard each, starting at ${new Date(at).toISOString()}`);
      const code = await runWorkers({ argv, workers, apiUrl, model, startAt: at, out: values.out ?? "runs", name: plan.name, signal: controller.signal });
      if (engineDied) {
        console.error(`agentload: ${engineDied}`);
        return EXIT.invalid;
      }
      return code;
    } catch (err) {
      // --reset-cache refused: a preflight failure, as without --workers.
      if (!(err instanceof PreflightError)) throw err;
      console.error(`agentload: ${err.message}`);
      return EXIT.preflight;
    } finally {
      await engine?.stop();
      interrupts.dispose();
    }
  }
  const progress = liveProgress(plannedSessions(plan));
  try {
    await resetCache();
    const result = await runWorkload({
      plan,
      target,
      outDir: values.out ?? "runs",
      signal: controller.signal,
      graceMs,
      onRecord: progress.onRecord,
      onNote: (line) => console.error(`agentload: ${line}`),
      health: () => (engineDied ? [engineDied] : []),
      idealCache,
      preciseWake: values["precise-wake"] === true,
      ...(clientClass ? { clientClass } : {}),
      ...(startAt !== undefined ? { startAt } : {}),
    });
    progress.finish();
    console.log(renderSummary(result.summary, result.verdicts, { color: process.stdout.isTTY === true, validity: result.validity }));
    console.log(`run folder: ${result.dir}`);
    const removed = pruneRunFolders(values.out ?? "runs", { keep: keepRuns, since: startedAt });
    if (removed.length > 0) console.error(`agentload: removed ${removed.length} old run folder(s) from ${values.out ?? "runs"} (--keep-runs ${keepRuns})`);
    return exitCode(result, interrupts.received() !== undefined);
  } catch (err) {
    if (err instanceof PreflightError || err instanceof StartMissedError) {
      progress.finish();
      console.error(`agentload: ${err.message}`);
      return EXIT.preflight;
    }
    if (err instanceof RecordsLostError) {
      // Disk full or an I/O error: what was measured goes to stderr, the one place left to write.
      progress.finish();
      console.error(`agentload: ${err.message}`);
      if (err.summary) console.error(renderSummary(err.summary, [], { color: false }));
      return EXIT.recordsLost;
    }
    if (err instanceof SummaryNotWrittenError) {
      progress.finish();
      console.error(`agentload: ${err.message}`);
      console.error(renderSummary(err.summary, [], { color: false }));
      return EXIT.recordsLost;
    }
    if (err instanceof FolderWriteError) {
      // Before the clock (spec.resolved.json, the counters before): nothing was measured.
      progress.finish();
      console.error(`agentload: ${err.message}; the run stopped before its first measured request`);
      return EXIT.recordsLost;
    }
    if (err instanceof SpecError) {
      // Generating sessions found the spec too large (workload/generate.ts): the spec must change.
      progress.finish();
      console.error(`agentload: ${err.problems.map((p) => formatProblem(p, positionals[0])).join("\n")}`);
      return EXIT.usage;
    }
    if (err instanceof RunInterrupted) {
      progress.finish();
      // The run's signal also fires when the engine agentload started dies: that is no user's interrupt.
      if (engineDied) {
        console.error(`agentload: ${engineDied}`);
        return EXIT.invalid;
      }
      console.error(`agentload: ${err.message}; no run folder kept`);
      return EXIT.interrupted;
    }
    throw err;
  } finally {
    await engine?.stop();
    interrupts.dispose();
  }
};

/** The most worker threads `--workers` starts. */
const MAX_WORKERS = 256;
/** Without --start-at or --start-in, workers start this long after the engine is ready: each sets up first (about 2 s each on 2 busy cores). */
const WORKERS_START_IN_MS = 10_000;

/** The exit codes of `agentload run` (documented in its --help and the README). */
export const EXIT = { passed: 0, sloFailed: 1, usage: 2, preflight: 3, invalid: 4, recordsLost: 5, interrupted: 130 } as const;

/** Interrupted by the user wins; then a run that cannot be judged; then the SLOs. */
export function exitCode(result: Pick<RunResult, "interrupted" | "passed" | "validity">, userInterrupted: boolean): number {
  if (result.interrupted && userInterrupted) return EXIT.interrupted;
  if (!result.validity.valid) return EXIT.invalid;
  return result.passed ? EXIT.passed : EXIT.sloFailed;
}

/** A parse whose Error is the user's mistake, as a CliError (exit 2). */
function cliCheck<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A trace rather than a spec: a directory, a --format, or a file whose content a trace reader recognises. */
async function isTrace(path: string, format: string | undefined): Promise<boolean> {
  if (format !== undefined) return true;
  if (/\.ya?ml$/i.test(path)) return false;
  try {
    if ((await stat(path)).isDirectory()) return true;
    return detectFormat(path, await readFile(path, "utf8")) !== undefined;
  } catch {
    return false; // the spec reader names the missing file
  }
}

/** --cache-ttl, --cache-blocks and --cache-block-tokens as the ideal cache's options, checked before the run. */
export function idealCacheFlags(ttl: string | undefined, blocks: string | undefined, blockTokens: string | undefined): IdealCacheOptions {
  const options: IdealCacheOptions = {};
  const ttlSeconds = positiveFlag("cache-ttl", ttl);
  if (ttlSeconds !== undefined) options.ttlMs = ttlSeconds * 1000;
  if (blockTokens !== undefined && blocks === undefined) throw new CliError("--cache-block-tokens sizes the blocks of --cache-blocks N; give both");
  if (blocks !== undefined) {
    const n = intFlag("cache-blocks", blocks, 0);
    if (n < 1) throw new CliError(`--cache-blocks expects a whole number of blocks >= 1, got '${blocks}'`);
    options.lruBlocks = n;
    const size = intFlag("cache-block-tokens", blockTokens, DEFAULT_CACHE_BLOCK_TOKENS);
    if (size < 1) throw new CliError(`--cache-block-tokens expects a whole number of tokens >= 1, got '${blockTokens}'`);
    options.blockTokens = size;
  }
  return options;
}
