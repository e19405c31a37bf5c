// The contract of a traffic mode: given the run plan's traffic of its mode (and the plan, for
// its seed), it returns a runner that releases sessions until there are none left and resolves
// with how many it released once every one of them has ended.
import type { SessionGraph } from "../../workload/types.js";
import type { RunPlan } from "../run.js";
import type { TimerQueue } from "../timer-queue.js";

/** The run plan's traffic: concurrent and rate as in a spec, timed for trace replays. */
export type PlanTraffic = RunPlan["traffic"];
export type TrafficModeName = PlanTraffic["mode"];

export interface TrafficDeps {
  timers: TimerQueue;
  now: () => number;
  /** The next session to release, or undefined when there are no more (or the run stops). */
  nextSession(): SessionGraph | undefined;
  /** Runs a released session to its end. `startAt` is its planned release time. */
  runSession(session: SessionGraph, startAt: number): Promise<unknown>;
  stopped(): boolean;
  /**
   * The run's clock start, which schedules count from (a rate's arrivals, lanes' joins); default
   * the runner's own start. Shards that share a start time (--start-at) so share one schedule.
   */
  clockStart?: number;
  /** No session is released at or after this time (the traffic's duration); nextSession says so too. */
  releaseEndsAt?: number;
  /** Told the load the mode means to offer, to be checked against what it achieved (load.ts). */
  load?: LoadObserver;
}

/** What a mode tells about the load it means to offer. */
export interface LoadObserver {
  /** Closed loop: `sessions` in flight at once from `steadyAt` (the end of the ramp-up) on. */
  concurrency(sessions: number, steadyAt: number): void;
  /** Open loop: the nominal sessions per second (NaN or null: a trace's own arrivals). */
  rate(perSec: number | null): void;
  /** Open loop: the session planned for `plannedAt` was released at `at`. */
  released(plannedAt: number, at: number): void;
}

/** Releases sessions; resolves with the number released when every released session has ended. */
export type TrafficRunner = (deps: TrafficDeps) => Promise<number>;

/** A traffic mode: maps the plan's traffic of mode M to a runner. */
export type TrafficMode<M extends TrafficModeName> = (traffic: Extract<PlanTraffic, { mode: M }>, plan: RunPlan) => TrafficRunner;
