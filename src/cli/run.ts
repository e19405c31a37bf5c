// `agentload run spec.yaml [--url URL]`: run a workload against a server (the built-in llama.cpp
// engine when no URL is given), show live progress, print the summary, exit 1 when SLOs fail.
import { startLlamaServer, type LlamaServer } from "../engine/llama-server.js";
import { renderSummary } from "../report/summary-table.js";
import { planFromTrace } from "../run/replay.js";
import { PreflightError } from "../run/preflight.js";
import { planFromSpec, runWorkload, type RunPlan, type RunResult } from "../run/run.js";
import { detectFormat } from "../traces/detect.js";
import { readTraceArg, TRACE_FLAGS, TRACE_FLAGS_HELP } from "./trace-arg.js";
import { readFile, stat } from "node:fs/promises";
import { CliError, countFlag, intFlag, parseFlags, type Command } from "./args.js";
import { liveProgress } from "./live-progress.js";
import { buildProgressPrinter } from "../engine/build-progress.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS } from "./spec-arg.js";

const HELP = `usage: agentload run <spec.yaml | trace> [options]
Runs the workload (or replays the trace) against an OpenAI-compatible server and writes a run folder.
options:
  --url URL            server base URL including /v1 (default: start the built-in llama.cpp engine)
  --model NAME         model name to send (default: the spec's request.model, or the server's)
  --api-key KEY        API key (prefer the environment: AGENTLOAD_API_KEY or OPENAI_API_KEY)
  --header 'K: V'      extra request header (repeatable)
  --out DIR            parent folder of the run folder (default ./runs)
  --sessions N         run N sessions instead of the spec's count
  --seed S             use seed S instead of the spec's
  --concurrency N      override traffic concurrency (concurrent mode)
  --grace-ms N         after Ctrl-C, how long in-flight requests may finish (default 10000)
  built-in engine only:
  --no-prefix-cache    start llama-server with prompt caching off
  --slots N            llama-server slots (default 4)
  trace replay (the file is a trace: dag.json, session logs, Veeksha, Mooncake, CSV):
  --timed              release sessions at their recorded arrivals (default: untimed, --concurrency 4)
  --speed X            timed: arrivals and waits X times faster (default 1)
  --waits keep|zero    untimed: keep the recorded waits (default) or drop them
  --wrap               start over when the trace runs out (needs --sessions or --duration)
  --duration S         stop releasing sessions after S seconds
${TRACE_FLAGS_HELP}
exit codes: 0 passed; 1 an SLO failed; 2 usage or spec error; 3 preflight failed (server unreachable,
  key refused, model not served, first request failed); 4 run not valid (no request succeeded, too many
  failed, the built-in engine exited); 130 interrupted (Ctrl-C)`;

function parseHeaders(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const i = h.indexOf(":");
    if (i <= 0) throw new CliError(`--header expects 'Name: value', got '${h.length > 40 ? h.slice(0, 40) + "…" : h}'`);
    out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

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
    "grace-ms": { type: "string" },
    "no-prefix-cache": { type: "boolean" },
    slots: { type: "string" },
    timed: { type: "boolean" },
    speed: { type: "string" },
    waits: { type: "string" },
    wrap: { type: "boolean" },
    duration: { type: "string" },
    ...TRACE_FLAGS,
  });
  let plan: RunPlan;
  if (positionals.length === 1 && (await isTrace(positionals[0]!, values.format))) {
    const trace = await readTraceArg("run", positionals, values);
    const speed = values.speed === undefined ? 1 : Number(values.speed);
    if (!(speed > 0)) throw new CliError(`--speed expects a number > 0, got '${values.speed}'`);
    if (values.waits !== undefined && values.waits !== "keep" && values.waits !== "zero") throw new CliError(`--waits expects keep or zero, got '${values.waits}'`);
    try {
      plan = planFromTrace(trace, {
        timed: values.timed ?? false,
        speed,
        wrap: values.wrap ?? false,
        concurrency: countFlag("concurrency", values.concurrency, 4),
        ...(values.waits ? { waits: values.waits as "keep" | "zero" } : {}),
        ...(values.sessions !== undefined ? { sessions: countFlag("sessions", values.sessions, 0) } : {}),
        ...(values.duration !== undefined ? { durationSeconds: countFlag("duration", values.duration, 0) } : {}),
      });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  } else {
    plan = planFromSpec(await readSpecArg("run", positionals, values));
  }
  const apiKey = values["api-key"] ?? process.env.AGENTLOAD_API_KEY ?? process.env.OPENAI_API_KEY;
  const headers = parseHeaders(values.header);

  let engine: LlamaServer | undefined;
  let apiUrl = values.url ?? plan.request.baseUrl;
  let model = values.model ?? plan.request.model;
  if (!apiUrl) {
    engine = await startLlamaServer({
      prefixCache: !values["no-prefix-cache"],
      slots: intFlag("slots", values.slots, 4),
      onProgress: buildProgressPrinter(),
    });
    apiUrl = engine.apiUrl;
    model = engine.model;
    console.error(`agentload: built-in engine ${engine.apiUrl} (llama.cpp, prefix cache ${engine.prefixCache ? "on" : "off"}, ${engine.slots} slots)`);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error("\nagentload: stopping: no new requests; waiting for in-flight ones (Ctrl-C again to quit now)");
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSigint);
  // A built-in engine that dies mid-run stops the run at once: every further request would fail.
  let engineDied: string | null = null;
  engine?.onUnexpectedExit((status) => {
    const headline = `the built-in engine ${status} during the run`;
    engineDied = `${headline}; its last log lines:\n${engine!.recentLogs().slice(-8).join("\n")}`;
    console.error(`\nagentload: ${headline}; stopping the run`);
    controller.abort();
  });
  const progress = liveProgress(plan.sessions);
  try {
    const result = await runWorkload({
      plan,
      target: { apiUrl, ...(model ? { model } : {}), ...(apiKey ? { apiKey } : {}), ...(headers ? { headers } : {}) },
      outDir: values.out ?? "runs",
      signal: controller.signal,
      graceMs: intFlag("grace-ms", values["grace-ms"], 10_000),
      onRecord: progress.onRecord,
      onNote: (line) => console.error(`agentload: ${line}`),
      health: () => (engineDied ? [engineDied] : []),
    });
    progress.finish();
    console.log(renderSummary(result.summary, result.verdicts, { color: process.stdout.isTTY === true, validity: result.validity }));
    console.log(`run folder: ${result.dir}`);
    return exitCode(result, interrupts > 0);
  } catch (err) {
    if (err instanceof PreflightError) {
      progress.finish();
      console.error(`agentload: ${err.message}`);
      return EXIT.preflight;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    await engine?.stop();
  }
};

/** The exit codes of `agentload run` (documented in its --help and the README). */
export const EXIT = { passed: 0, sloFailed: 1, usage: 2, preflight: 3, invalid: 4, interrupted: 130 } as const;

/** Interrupted by the user wins; then a run that cannot be judged; then the SLOs. */
export function exitCode(result: Pick<RunResult, "interrupted" | "passed" | "validity">, userInterrupted: boolean): number {
  if (result.interrupted && userInterrupted) return EXIT.interrupted;
  if (!result.validity.valid) return EXIT.invalid;
  return result.passed ? EXIT.passed : EXIT.sloFailed;
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
