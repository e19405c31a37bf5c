// What a capacity search varies: one load dimension of a workload spec, and the spec overrides that
// set it. Concurrency is the closed loop's sessions at once; session rate the open loop's session
// arrivals per second; request rate (the post's rho, the normalized request rate) is a session
// rate of rho / (mean requests per session), so that workloads of different session lengths are
// compared at the same request load.
import { planFromSpec } from "../run/run.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import type { ArrivalSpec, TrafficSpec } from "../workload/spec-types.js";
import type { SpecOverrides } from "../workload/overrides.js";

export const LOAD_DIMENSIONS = ["concurrency", "session-rate", "request-rate", "rho"] as const;
export type LoadDimension = (typeof LOAD_DIMENSIONS)[number];

export interface LoadAxis {
  dimension: LoadDimension;
  /** Loads are whole numbers (concurrency). */
  integer: boolean;
  /** "sessions at once", "sessions/s", "requests/s". */
  unit: string;
  /** The spec's overrides that run it at `load`. */
  overrides(load: number): SpecOverrides;
  /** The load the spec itself states, when it states one on this axis (a natural first probe). */
  stated?: number;
  /** Rate axes: a session rate (sessions/s) in this axis's unit. */
  fromSessionRate?: (sessionsPerSec: number) => number;
}

export function isLoadDimension(x: string): x is LoadDimension {
  return (LOAD_DIMENSIONS as readonly string[]).includes(x);
}

/**
 * The axis of `dimension` for `spec`. `requestsPerSession` (the mean over the workload's sessions)
 * is needed for request-rate and rho.
 */
export function loadAxis(spec: ResolvedWorkloadSpec, dimension: LoadDimension, requestsPerSession?: number): LoadAxis {
  const traffic = spec.traffic as TrafficSpec;
  if (dimension === "concurrency") {
    return {
      dimension,
      integer: true,
      unit: "sessions at once",
      overrides: (load) => ({ traffic: { ...(traffic.mode === "concurrent" ? traffic : { mode: "concurrent", ...commonOf(traffic) }), concurrency: Math.round(load) } as TrafficSpec }),
      ...(traffic.mode === "concurrent" && traffic.concurrency !== undefined ? { stated: traffic.concurrency } : {}),
    };
  }
  // Open loop: the spec's arrival process (Poisson unless it gives another) at the searched rate.
  const arrivals = (rate: number): ArrivalSpec => (traffic.mode === "rate" ? ({ ...traffic.arrivals, rate } as ArrivalSpec) : { type: "poisson", rate });
  const rateTraffic = (rate: number): TrafficSpec => ({ ...(traffic.mode === "rate" ? traffic : { mode: "rate", ...commonOf(traffic) }), arrivals: arrivals(rate) }) as TrafficSpec;
  const statedRate = traffic.mode === "rate" && "rate" in traffic.arrivals ? (traffic.arrivals as { rate: number }).rate : undefined;
  if (dimension === "session-rate") {
    return {
      dimension,
      integer: false,
      unit: "sessions/s",
      overrides: (load) => ({ traffic: rateTraffic(load) }),
      fromSessionRate: (r) => r,
      ...(statedRate !== undefined ? { stated: statedRate } : {}),
    };
  }
  if (!(requestsPerSession !== undefined && requestsPerSession > 0)) throw new Error(`load axis ${dimension}: the workload's mean requests per session is needed, got ${requestsPerSession}`);
  return {
    dimension,
    integer: false,
    unit: "requests/s",
    overrides: (load) => ({ traffic: rateTraffic(load / requestsPerSession) }),
    fromSessionRate: (r) => r * requestsPerSession,
    ...(statedRate !== undefined ? { stated: statedRate * requestsPerSession } : {}),
  };
}

/** The traffic fields both modes share (session limits, warm-up, error policy), kept when the mode changes. */
function commonOf(traffic: TrafficSpec): Partial<TrafficSpec> {
  const { maxSessions, durationSeconds, warmupSessions, onError } = traffic;
  return {
    ...(maxSessions !== undefined ? { maxSessions } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(warmupSessions !== undefined ? { warmupSessions } : {}),
    ...(onError !== undefined ? { onError } : {}),
  };
}

/** The mean number of requests in the workload's sessions (the spec's seed, every session generated): rho's divisor. */
export function meanRequestsPerSession(spec: ResolvedWorkloadSpec): number {
  const plan = planFromSpec(spec);
  let total = 0;
  for (let i = 0; i < plan.sessions; i++) total += plan.sessionAt(i).nodes.length;
  return total / Math.max(plan.sessions, 1);
}
