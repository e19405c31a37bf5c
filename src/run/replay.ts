// Replaying a trace: its session graphs become a run plan. Timed replays release each session at
// its recorded arrival and keep its waits, both divided by `speed`; untimed replays let the
// traffic scheduler release sessions (concurrently) and keep or drop the waits. Wrap mode cycles
// through the trace again (sessions renamed `id~2`, arrivals shifted by the trace's span) until
// the session limit or the duration ends the run. Content is regenerated to the trace's token
// counts: the runner renders every node, inheriting its history parent's conversation.
import { traceScaffolds, traceSessionGraphs } from "../traces/sessions.js";
import type { Trace } from "../traces/types.js";
import { MAX_TOKENS } from "../workload/limits.js";
import { fieldProblem } from "../workload/spec-schema-check.js";
import { specDefaults, type ResolvedRequestOptionsSpec, type ResolvedSloSpec } from "../workload/spec.js";
import { sessionTokens } from "../workload/tokens.js";
import type { Scaffold, SessionGraph } from "../workload/types.js";
import type { RunPlan } from "./run.js";

export interface ReplayOptions {
  name?: string;
  /** Release sessions at their recorded arrival times (default false: untimed). */
  timed?: boolean;
  /** Timed replays run this many times faster (default 1). */
  speed?: number;
  /** Untimed replays: keep the recorded waits or dispatch dependent requests at once. */
  waits?: "keep" | "zero";
  /** Untimed replays: sessions active at once (default 4). */
  concurrency?: number;
  /**
   * Untimed replays: release sessions at this rate (sessions/s) instead of a number at once, as
   * the post's case study 2 replays two shapes at one session rate; `arrivals` says how (Poisson
   * by default, or evenly spaced).
   */
  rate?: number;
  arrivals?: "poisson" | "constant";
  /** Cycle through the trace again when it runs out. Needs `sessions` or `durationSeconds`. */
  wrap?: boolean;
  /** At most this many sessions (default: the trace's). */
  sessions?: number;
  durationSeconds?: number;
  /** The first this many sessions are warm-up: run, recorded as such, left out of the figures. */
  warmupSessions?: number;
  request?: Partial<ResolvedRequestOptionsSpec>;
  slo?: ResolvedSloSpec;
  onError?: "continue" | "cancel-session";
}

export function planFromTrace(trace: Trace, opts: ReplayOptions = {}): RunPlan {
  checkOptions(opts);
  const graphs = traceSessionGraphs(trace);
  if (graphs.length === 0) throw new Error(`${trace.source}: the trace has no requests to replay`);
  const scaffolds = traceScaffolds(trace);
  checkSizes(trace.source, graphs, scaffolds);
  const timed = opts.timed ?? false;
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new Error(`--speed must be a number > 0, got ${speed}`);
  if (timed && graphs.some((g) => g.arrivalMs === undefined)) {
    throw new Error(`${trace.source}: a timed replay needs arrival times, and this trace has none; replay it untimed`);
  }
  if (opts.rate !== undefined && !(Number.isFinite(opts.rate) && opts.rate > 0)) throw new Error(`--rate must be a number of sessions per second > 0, got ${opts.rate}`);
  if (opts.rate !== undefined && timed) throw new Error("a timed replay releases sessions at their recorded arrivals; --rate is for untimed replays");
  if (opts.rate !== undefined && opts.concurrency !== undefined) throw new Error("give --rate (sessions per second) or --concurrency (sessions at once), not both");
  if (opts.wrap && opts.sessions === undefined && opts.durationSeconds === undefined) {
    throw new Error("wrap mode needs a session limit (--sessions) or a duration (--duration)");
  }
  const count = opts.wrap ? (opts.sessions ?? Number.MAX_SAFE_INTEGER) : Math.min(opts.sessions ?? graphs.length, graphs.length);
  if (opts.warmupSessions !== undefined && opts.warmupSessions >= count) {
    throw new Error(`warmupSessions: expected fewer than the ${count} sessions the replay releases, got ${opts.warmupSessions} (nothing would be measured)`);
  }
  // A loop: spreading >125k arrivals into Math.max overflowed the stack.
  let lastArrival = 0;
  for (const g of graphs) if ((g.arrivalMs ?? 0) > lastArrival) lastArrival = g.arrivalMs!;
  // One more mean gap after the last arrival, so a wrapped cycle does not land on the previous one.
  const span = lastArrival + (graphs.length > 1 ? lastArrival / (graphs.length - 1) : 1000);
  const waitOf = (ms: number) => (timed ? ms / speed : opts.waits === "zero" ? 0 : ms);

  const sessionAt = (i: number): SessionGraph => {
    const base = graphs[i % graphs.length]!;
    const cycle = Math.floor(i / graphs.length);
    const graph: SessionGraph = {
      ...base,
      id: cycle === 0 ? base.id : `${base.id}~${cycle + 1}`,
      nodes: base.nodes.map((n) => ({ ...n, waitAfterReadyMs: waitOf(n.waitAfterReadyMs) })),
    };
    if (base.arrivalMs !== undefined) graph.arrivalMs = base.arrivalMs + cycle * span;
    return graph;
  };

  const onError = opts.onError ?? "continue";
  const common = {
    maxSessions: count,
    warmupSessions: opts.warmupSessions ?? 0,
    onError,
    ...(opts.durationSeconds !== undefined ? { durationSeconds: opts.durationSeconds } : {}),
  };
  const plan: RunPlan = {
    name: opts.name ?? `replay-${trace.format}`,
    seed: "trace",
    request: {
      api: "chat",
      ignoreEos: true,
      extraBody: {},
      ...opts.request,
      timeouts: { ...specDefaults.timeouts, ...opts.request?.timeouts },
    },
    traffic: timed
      ? { mode: "timed", speed, ...common }
      : opts.rate !== undefined
        ? { mode: "rate", arrivals: { type: opts.arrivals ?? "poisson", rate: opts.rate }, ...common }
        : { mode: "concurrent", concurrency: opts.concurrency ?? 4, rampUpSeconds: 0, ...common },
    scaffolds,
    sessions: count,
    sessionAt,
    resolved: { replay: { source: trace.source, format: trace.format, timed, speed, waits: opts.waits ?? "keep", wrap: opts.wrap ?? false, sessions: count, traceSessions: graphs.length } },
  };
  if (opts.slo) plan.slo = opts.slo;
  return plan;
}

/** The options a spec also has, checked as the spec checks them (the same limits and words). */
function checkOptions(opts: ReplayOptions): void {
  for (const field of ["sessions", "concurrency", "durationSeconds", "warmupSessions"] as const) {
    const problem = opts[field] === undefined ? undefined : fieldProblem(field, opts[field]);
    if (problem) throw new Error(`${field}: ${problem}`);
  }
}

/** Every request within MAX_TOKENS: content for a larger one would not fit in memory. */
function checkSizes(source: string, graphs: readonly SessionGraph[], scaffolds: readonly Scaffold[]): void {
  const most = MAX_TOKENS.toLocaleString("en-US");
  for (const graph of graphs) {
    const tokens = sessionTokens(graph, scaffolds);
    for (const node of graph.nodes) {
      const prompt = tokens.get(node.id)!.promptTokens;
      if (prompt > MAX_TOKENS || node.outputTokens > MAX_TOKENS) {
        const what = prompt > MAX_TOKENS ? `a prompt of ${prompt.toLocaleString("en-US")}` : `${node.outputTokens.toLocaleString("en-US")} output`;
        throw new Error(`${source}: session ${graph.id} request ${node.id}: ${what} tokens; expected at most ${most} tokens a request (the largest context a server offers)`);
      }
    }
  }
}
