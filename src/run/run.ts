// One run of a workload against a server, top to bottom: the content stage set up against the
// server (content/), a warm-up request, server counters before, traffic releasing sessions whose
// nodes are each prompted, sent, told their reply and recorded (records.jsonl, appended as each
// request ends), server counters after, then the summary and SLO verdicts, all in the run folder.
import { rmSync } from "node:fs";
import { setUpContent } from "../content/setup.js";
import { generateSessionAt, scaffoldsOf } from "../workload/generate.js";
import type { ResolvedRequestOptionsSpec, ResolvedSloSpec, ResolvedTrafficSpec, ResolvedWorkloadSpec } from "../workload/spec.js";
import type { Scaffold, SessionGraph } from "../workload/types.js";
import { defaultCatalogue, type MetricCatalogue } from "../metrics/catalogue.js";
import { evaluateSlos, resolveSlo, type SloVerdict } from "../metrics/slo.js";
import { summaryDocument } from "../report/summary-json.js";
import type { RunSummary } from "../metrics/summary.js";
import { saveServerMetrics } from "./server-metrics.js";
import { workloadFingerprint, type WorkloadFingerprint } from "./fingerprint.js";
import { authHeaders, checkFirstRequest, preflightServer } from "./preflight.js";
import { runValidity, type RunValidity } from "../metrics/validity.js";
import type { ClientCpuSamples } from "../metrics/client-checks.js";
import { createClient } from "./client.js";
import { startCpuSampler } from "./client-cpu.js";
import { checkContextFit, largestRequest } from "./context-fit.js";
import { FolderWriteError, RunFolder } from "../records/run-folder.js";
import { requestRecord } from "./record.js";
import { createRecorder } from "./recorder.js";
import { clientOptions, nodeRequest, warmUpRequest } from "./request.js";
import { warmUpClientCode } from "./code-warm-up.js";
import { setUpSteps, startRunControl } from "./run-control.js";
import { runMetadata } from "./run-metadata.js";
import { writeHtmlReport } from "./html-report.js";
import { idealCacheOfFolder } from "./ideal-cache.js";
import type { IdealCacheOptions } from "../metrics/cache-attribution.js";
import { runSession, type NodeStart } from "./session-runner.js";
import { PreciseWaker } from "./precise-waker.js";
import { TimerQueue } from "./timer-queue.js";
import { trafficRunner } from "./traffic/index.js";
import { sessionIndexOf, shardSessionCount, type Shard } from "./shard.js";
import { StartMissedError, waitForStart } from "./start-at.js";
import { createLoadMeter } from "./traffic/load.js";
import type { RequestRecord } from "./types.js";

/** Every record was written, but a file after them (summary.json, the server's counters after) was not: exit 5, the summary goes to stderr. */
export class SummaryNotWrittenError extends Error {
  readonly code = "AGENTLOAD_SUMMARY_NOT_WRITTEN";
  constructor(
    readonly writeError: FolderWriteError,
    readonly summary: RunSummary,
  ) {
    super(`${writeError.message}: every request's record is in records.jsonl, summary.json was not written`, { cause: writeError });
    this.name = "SummaryNotWrittenError";
  }
}

/**
 * The clock starts this long after it is set, and the traffic with it: the code run before the
 * first dispatch (the traffic mode, the first sessions' set-up, the timer queue's first entries)
 * runs for the first time in between. Started at once, the run's first dispatch was 2.2 to 3.7 ms
 * late in every main-job run; with the lead 0.4 to 3.3 ms. Records count from the clock's start.
 */
const TRAFFIC_LEAD_MS = 5;

/** The sessions a plan's run releases at most: the workload's, or its shard's share. */
export function plannedSessions(plan: Pick<RunPlan, "sessions" | "shard">): number {
  return plan.shard ? shardSessionCount(plan.shard, plan.sessions) : plan.sessions;
}

export interface RunTarget {
  /** OpenAI-compatible base URL including /v1. */
  apiUrl: string;
  model?: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/**
 * What a run needs from the workload side, whether a spec generates it or a trace replays it:
 * sessions on demand, their scaffolds, how to release them and how to send requests.
 */
export interface RunPlan {
  name: string;
  seed: string;
  request: ResolvedRequestOptionsSpec;
  /** concurrent and rate as in a spec; timed releases each session at its arrivalMs / speed. */
  traffic: ResolvedTrafficSpec | ResolvedTimedTraffic;
  slo?: ResolvedSloSpec;
  scaffolds: Scaffold[];
  /** How many sessions the run releases at most. */
  sessions: number;
  /** Session i (0-based, i < sessions), built when it is released. */
  sessionAt(i: number): SessionGraph;
  /** Written to spec.resolved.json. */
  resolved: unknown;
  /**
   * Run only this share of the sessions (run/shard.ts: session i when i mod count = index); the
   * traffic keeps the whole workload's schedule for them. `sessions` stays the whole workload's.
   */
  shard?: Shard;
}

export interface ResolvedTimedTraffic {
  mode: "timed";
  /** Arrivals and waits run this many times faster than recorded. */
  speed: number;
  maxSessions?: number;
  durationSeconds?: number;
  warmupSessions?: number;
  onError: "continue" | "cancel-session";
}

/** The plan of a workload spec: sessions generated lazily from its seed. */
export function planFromSpec(spec: ResolvedWorkloadSpec): RunPlan {
  const plan: RunPlan = {
    name: spec.name,
    seed: spec.seed,
    request: spec.request,
    traffic: spec.traffic,
    scaffolds: scaffoldsOf(spec),
    sessions: Math.min(spec.traffic.maxSessions ?? spec.sessions, spec.sessions),
    sessionAt: (i) => generateSessionAt(spec, i),
    resolved: spec,
  };
  if (spec.slo && Object.keys(spec.slo).length > 0) plan.slo = spec.slo;
  return plan;
}

export interface RunOptions {
  /** A workload spec, or a plan (trace replays build one with planFromTrace). */
  spec?: ResolvedWorkloadSpec;
  plan?: RunPlan;
  target: RunTarget;
  /** Parent folder for the run folder (default ./runs). */
  outDir?: string;
  /** Stop dispatching when aborted (Ctrl-C); in-flight requests get graceMs to finish. */
  signal?: AbortSignal;
  graceMs?: number;
  /**
   * Wake the dispatcher through a worker thread (precise-waker.ts) rather than on setTimeout's
   * whole milliseconds alone. Off by default: it sends timed arrivals on time (at 500 requests/s
   * p90 0.14-0.37 ms late against 1 ms), but in the README's main job, where most requests go at
   * once after their parent, its thread's wake-ups made the median dispatch 0.05-0.1 ms later.
   */
  preciseWake?: boolean;
  /** The client's CPU class, when the caller changed it (`agentload run --realtime`): kept in run.json. */
  clientClass?: { policy: string; priority: number };
  /** Called after every request with the record, for live progress. */
  onRecord?: (record: RequestRecord, progress: RunProgress) => void;
  /** One-line notes about set-up (tokenizer picked, overhead measured). */
  onNote?: (line: string) => void;
  /** The metrics to measure and judge SLOs by (default: the built-in catalogue). */
  catalogue?: MetricCatalogue;
  /** Check the server before the run (default true): see preflight.ts. */
  preflight?: boolean;
  /**
   * The ideal prefix cache worked out when the run ends (summary.prefix.ideal): its TTL and an LRU
   * cache's size (metrics/cache-attribution.ts); false leaves it out. Default: on, TTL 5 minutes, no LRU.
   */
  idealCache?: IdealCacheOptions | false;
  /**
   * Start the clock at this wall-clock time (epoch ms) after set-up, so shards on several
   * machines share one time zero (run/start-at.ts); a set-up that ends later than it by more than
   * the tolerance throws StartMissedError.
   */
  startAt?: number;
  /**
   * Run the client's per-request code on made-up replies before the clock starts, so that the
   * first dispatches do not wait for it to compile (run/code-warm-up.ts; default true).
   */
  warmUpCode?: boolean;
  /** Write report.html into the run folder when the run ends (default true). */
  report?: boolean;
  /**
   * Problems of the run's surroundings found when it ends, e.g. a managed engine that exited
   * ("the built-in engine exited with code 137"): each makes the run not valid.
   */
  health?: () => string[];
}

export interface RunProgress {
  sessionsStarted: number;
  sessionsDone: number;
  requestsDone: number;
  errors: number;
  elapsedMs: number;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
  verdicts: SloVerdict[];
  passed: boolean;
  /** True when the run was stopped early (Ctrl-C, SIGTERM: its signal); a duration only ends the release of sessions. */
  interrupted: boolean;
  /** Whether the run measured enough to be judged at all (metrics/validity.ts). */
  validity: RunValidity;
  /** What was run, for metric snapshots: the resolved spec's hash and the session count. */
  fingerprint?: WorkloadFingerprint;
}

export async function runWorkload(opts: RunOptions): Promise<RunResult> {
  const { target } = opts;
  const plan = opts.plan ?? (opts.spec ? planFromSpec(opts.spec) : undefined);
  if (!plan) throw new Error("runWorkload needs a spec or a plan");
  const catalogue = opts.catalogue ?? defaultCatalogue;
  // Checked before anything is sent: an SLO naming a metric the catalogue lacks is a spec error.
  const objectives = plan.slo ? resolveSlo(plan.slo, catalogue, `${plan.name}: slo`) : [];
  const now = () => performance.now();
  const auth = authHeaders(target);
  // Each step before the clock ends at once on the signal, throwing RunInterrupted (run-control.ts).
  const setUp = setUpSteps(opts.signal);
  if (opts.preflight !== false) {
    const server = await setUp.step("preflight", () => preflightServer(target));
    const notes = [...server.warnings, ...checkContextFit(largestRequest(plan), server.context)];
    for (const w of notes) opts.onNote?.(`preflight: ${w}`);
  }
  const folder = RunFolder.create(opts.outDir ?? "runs", plan.name);
  const fingerprint = workloadFingerprint(plan.resolved, plan.sessions);
  const metadata = runMetadata({
    name: plan.name,
    apiUrl: target.apiUrl,
    ...(target.model ? { model: target.model } : {}),
    fingerprint,
    startedAt: new Date(),
    ...(plan.shard ? { shard: { ...plan.shard, ...(opts.startAt !== undefined ? { startAt: new Date(opts.startAt).toISOString() } : {}) } } : {}),
    ...(opts.clientClass ? { clientClass: opts.clientClass } : {}),
  });
  try {
    folder.writeJson("spec.resolved.json", plan.resolved);
    // Where and how the run is measured, for its report (and anyone reading the folder later);
    // written with the spec, before anything is measured, so a disk that refuses it loses nothing.
    folder.writeJson("run.json", metadata);
  } catch (err) {
    rmSync(folder.dir, { recursive: true, force: true });
    throw err;
  }
  // Created first: its transport loads while the content is set up, not on the first dispatch.
  const client = createClient(clientOptions(plan, target));
  // Interrupted before the clock: no folder holding only the spec is left behind.
  // The client is closed unawaited: its transport may still be loading (0.8 s here under load).
  setUp.onInterrupt(() => {
    client.close().catch(() => {});
    rmSync(folder.dir, { recursive: true, force: true });
  });
  // A per-run salt keeps a server's prefix cache from serving this run's prompts from an
  // earlier run's identical ones, while scaffolds stay shared within the run.
  const { seed, scaffolds, request } = plan;
  // Shards that share a start time share the salt too: one run's scaffolds are one text on the
  // server whichever shard sends them, as in one process.
  const salt = plan.shard && opts.startAt !== undefined ? `shards-${opts.startAt}` : folder.id;
  const { stage: content, notes } = await setUp.step("tokenizer and calibration", () => setUpContent({ server: target, headers: auth, seed, scaffolds, api: request.api, salt }));
  for (const n of notes) opts.onNote?.(n);
  const firstIndex = sessionIndexOf(plan.shard, 0);
  const firstSession = plannedSessions(plan) > 0 ? plan.sessionAt(firstIndex) : undefined;
  content.warmUp(firstSession);

  // One 1-token request first, not recorded: connection set-up and cold client code would
  // otherwise land in the first dispatches (4 to 10 ms late here). Before the counter scrape,
  // so it stays out of the server-side figures too.
  const first = await setUp.step("warm-up request", () => client.send(warmUpRequest(plan, target), opts.signal));
  if (opts.preflight !== false && first.error) {
    await client.close();
    checkFirstRequest(target, first);
  }
  const aggregator = { slo: objectives, catalogue };
  if (opts.warmUpCode !== false) {
    // Made-up replies through the run's own catalogue: a user's metric that cannot take them costs the warm-up, not the run.
    try {
      warmUpClientCode({ session: firstSession, api: request.api, aggregator, now });
    } catch (err) {
      opts.onNote?.(`client code warm-up left out: ${(err as Error).message}`);
    }
  }
  const serverRoot = target.apiUrl.replace(/\/v1\/?$/, "");
  const before = await setUp.step("server counters", () => saveServerMetrics(serverRoot, folder, "before", auth));
  if (opts.startAt !== undefined) {
    const startAt = opts.startAt;
    opts.onNote?.(`waiting for the start time ${new Date(startAt).toISOString()} (${Math.max(0, (startAt - Date.now()) / 1000).toFixed(1)} s)`);
    try {
      await setUp.step("waiting for the start time", () => waitForStart(startAt, opts.signal));
    } catch (err) {
      // Missed: this shard measured nothing, and a folder holding only the spec would merge as a shard.
      if (err instanceof StartMissedError) {
        await client.close();
        rmSync(folder.dir, { recursive: true, force: true });
      }
      throw err;
    }
  }

  const recorder = createRecorder({ path: folder.path("records.jsonl"), aggregator, now, onRecord: opts.onRecord });
  const timers = new TimerQueue(now);
  // Timed dispatches on time to the tenth of a millisecond, where a worker thread can be had (precise-waker.ts).
  if (opts.preciseWake === true) {
    const waker = await PreciseWaker.start(() => timers.wake());
    timers.useWaker(waker);
    opts.onNote?.(waker ? "dispatcher: precise wake-ups (a worker thread in Atomics.wait)" : "dispatcher: no worker thread for precise wake-ups on this runtime: setTimeout only");
  }
  const t0 = recorder.startClock(TRAFFIC_LEAD_MS);
  // The client's own soundness: how busy it was, and the load it offered against the target.
  const cpu = startCpuSampler({ now, watcher: recorder.stallWatcher });
  const load = createLoadMeter();
  const { traffic } = plan;
  // A records.jsonl that cannot be written stops the run like Ctrl-C, and aborts what is in flight at once.
  const control = startRunControl({ timers, signal: recorder.orFailed(opts.signal), graceMs: opts.graceMs, onStop: () => load.rampDown(now()) });
  // The duration ends the release of sessions, not the run: the sessions released run to their
  // end (a session cut after its first turns would leave out its longest prompts), and the run is
  // not interrupted. Ctrl-C still stops everything at once.
  const releaseEndsAt = traffic.durationSeconds !== undefined ? t0 + traffic.durationSeconds * 1000 : undefined;
  const stopped = control.stopped;
  const inflight = recorder.orFailed(control.inflight);

  // Per node: its prompt (rendered before the send), the request, the reply for its children's
  // prompts, then its record once its expected prompt tokens are counted.
  const runOne = async (session: SessionGraph, startAt: number) => {
    load.sessionStarted(now());
    // The workload's session index decides (sessions start in index order), so a shard's warm-up
    // sessions are those of the unsharded run.
    const warmup = sessionIndexOf(plan.shard, recorder.sessionStarted()) < (traffic.warmupSessions ?? 0);
    const prompts = content.session(session, (fn) => timers.whenIdle(fn));
    const execute = async (start: NodeStart): Promise<boolean> => {
      // In flight from here until its record is added: what the recorder's decode sweep may settle.
      const ticket = recorder.requestStarted();
      try {
        const prompt = prompts.promptFor(start.node);
        const obs = await client.send(nodeRequest(plan, target, prompt.body, start.node), inflight);
        prompts.tellReply(start.node, obs);
        recorder.add(requestRecord(start, obs, await prompt.expected, { t0, warmup, scaffolds }));
        return !obs.error;
      } finally {
        recorder.requestEnded(ticket);
      }
    };
    await runSession(session, { timers, now, execute, onError: traffic.onError, stopped }, startAt);
    prompts.end();
    recorder.sessionDone(session.id);
    load.sessionEnded(now());
  };
  // A shard releases its own sessions only: index, index + count, ...
  const stride = plan.shard?.count ?? 1;
  let nextIndex = plan.shard?.index ?? 0;
  let releasedCount = 0;
  // The next session is generated ahead, while no dispatch is due: generated when released it
  // held up the dispatches due then (0.7 to 1 ms a coding-agent session, 3 to 8 ms cold or with
  // a collection). Generation is a pure function of the index: the workload is the same.
  let ahead = firstSession ? { index: firstIndex, session: firstSession } : undefined;
  const generateAhead = (index: number) => {
    if (index >= plan.sessions) return;
    timers.whenIdle(() => {
      if (!stopped() && nextIndex === index && ahead?.index !== index) ahead = { index, session: plan.sessionAt(index) };
    });
  };
  const sessionAt = (index: number) => {
    const session = ahead?.index === index ? ahead.session : plan.sessionAt(index);
    ahead = undefined;
    return session;
  };
  const nextSession = () => {
    const released = stopped() || nextIndex >= plan.sessions || (releaseEndsAt !== undefined && now() >= releaseEndsAt);
    const session = released ? undefined : sessionAt(nextIndex);
    if (session) {
      nextIndex += stride;
      releasedCount++;
      generateAhead(nextIndex);
    }
    if (!session) load.rampDown(now());
    return session;
  };

  let clientCpu: ClientCpuSamples;
  try {
    await trafficRunner(plan)({ timers, now, nextSession, runSession: runOne, stopped, load, clockStart: t0, ...(releaseEndsAt !== undefined ? { releaseEndsAt } : {}) });
  } finally {
    clientCpu = recorder.markStalls(cpu.stop());
    control.dispose();
    timers.close();
    recorder.close();
    await client.close();
  }
  const wallMs = now() - t0;
  recorder.throwIfFailed(wallMs, before);
  const achievedLoad = load.result(now());

  // Every record is written by now: a file that cannot be written from here (disk full) loses no
  // measurement, and the summary still reaches the caller on the error (the CLI prints it).
  let writeFailure: FolderWriteError | undefined;
  const after = await saveServerMetrics(serverRoot, folder, "after", auth).catch((err: unknown) => {
    if (!(err instanceof FolderWriteError)) throw err;
    writeFailure = err;
    return null;
  });
  const summary = recorder.summarize(wallMs, before, after);
  if (opts.idealCache !== false) {
    // A cache that cannot be worked out (records too large to read back) is a note: nothing measured is lost.
    try {
      const own = { scaffolds: plan.scaffolds, sessionAt: (k: number) => plan.sessionAt(sessionIndexOf(plan.shard, k)) };
      summary.prefix.ideal = idealCacheOfFolder(folder, own, releasedCount, opts.idealCache ?? {});
    } catch (err) {
      opts.onNote?.(`ideal prefix cache not worked out: ${(err as Error).message}`);
    }
  }
  const verdicts = evaluateSlos(objectives, summary, catalogue);
  const passed = verdicts.every((v) => v.pass);
  const interrupted = stopped();
  const base = runValidity(summary, { interrupted, slo: objectives, clientCpu, ...(achievedLoad ? { achievedLoad } : {}) });
  const surroundings = opts.health?.() ?? [];
  const validity = { ...base, valid: base.valid && surroundings.length === 0, problems: [...surroundings, ...base.problems] };
  try {
    if (writeFailure) throw writeFailure;
    folder.writeJson("summary.json", summaryDocument({ name: plan.name, interrupted, passed, summary, verdicts, validity }));
  } catch (err) {
    if (err instanceof FolderWriteError) throw new SummaryNotWrittenError(err, summary);
    throw err;
  }
  if (opts.report !== false) {
    // After everything measured is on disk: a report that cannot be drawn loses nothing.
    await writeHtmlReport(folder, { name: plan.name, summary, verdicts, passed, interrupted, validity, dir: folder.dir, metadata }).catch((err: unknown) =>
      opts.onNote?.(`report.html not written: ${(err as Error).message}`),
    );
  }
  return { dir: folder.dir, summary, verdicts, passed, interrupted, validity, fingerprint };
}
