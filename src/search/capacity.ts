// Capacity search: the highest load at which a workload still meets its SLOs. The probe runs the
// workload at one load and says whether that point was healthy (its SLOs held, its error rate was
// under the limit, the achieved load was near the target, the run was valid) and, when not, why;
// this module only chooses the loads. An exponential probe from `start` (up while healthy, down
// while not) brackets the frontier, then bisection at the geometric midpoint (loads are judged by
// ratios: 1 -> 2 is as big a step as 4 -> 8) narrows it until the first failing load is within
// `precision` of the frontier. The frontier is then run `confirm` more times: a point is healthy
// only when every run of it was, so a frontier that passed once by luck is moved down and the
// bisection goes on below it.
//
// Runtime-neutral and free of I/O: the probe is the only side effect, and a scripted probe (a
// queueing model with a closed-form frontier) tests the algorithm.

/** One run at one load. */
export interface CapacityPoint<M = unknown> {
  load: number;
  /** 1 for the first run at this load, 2 for its first confirmation, ... */
  attempt: number;
  healthy: boolean;
  /** Why the point was not healthy: failed SLOs, validity problems, achieved load short of the target. */
  reasons: string[];
  /** The SLO that failed first (its name), when an SLO did. */
  binding?: string;
  /** What the probe measured (its metrics, run folder), carried to the report. */
  detail?: M;
}

export type ProbeResult<M> = Omit<CapacityPoint<M>, "load" | "attempt">;
export type CapacityProbe<M> = (load: number, attempt: number) => Promise<ProbeResult<M>>;

export interface CapacitySearchOptions {
  /** First load probed (> 0). */
  start: number;
  /** Stop bisecting when firstFailing / frontier - 1 <= precision (default 0.1: within 10%). */
  precision?: number;
  /** Step of the exponential probe, a factor > 1 (default 2). */
  growth?: number;
  /** Highest load probed (default start * growth^8): healthy there, the search reports no failing point. */
  max?: number;
  /** Lowest load probed when the start fails (default start / growth^8). */
  min?: number;
  /** More runs of the frontier before it is accepted (default 1; 0 accepts one run). */
  confirm?: number;
  /** At most this many runs in all (default 40). */
  maxPoints?: number;
  /** Whole loads only (concurrency): steps and midpoints rounded, and a bracket of adjacent whole numbers is closed. */
  integer?: boolean;
  /** Called after each run, for progress lines. */
  onPoint?: (point: CapacityPoint<unknown>) => void;
}

export type SearchStop =
  /** The bracket is within the precision and the frontier confirmed. */
  | "precision"
  /** Healthy at the highest load allowed. */
  | "max-load"
  /** Unhealthy at the lowest load allowed. */
  | "min-load"
  /** Ran out of runs (maxPoints) before the bracket closed. */
  | "max-points";

export interface CapacityResult<M> {
  /** The highest load healthy in every run of it, or null when no load was. */
  frontier: number | null;
  /** The lowest load above the frontier that failed, or null when none did. */
  firstFailing: number | null;
  /** The SLO that failed at the first failing load, when an SLO did. */
  binding?: string;
  /** Why the first failing load failed. */
  reasons: string[];
  stopped: SearchStop;
  /** Every run, in the order run. */
  points: CapacityPoint<M>[];
}

function checked(options: CapacitySearchOptions) {
  const bad = (what: string, got: unknown) => new Error(`capacity search: ${what}, got ${JSON.stringify(got)}`);
  const { start, precision = 0.1, growth = 2, confirm = 1, maxPoints = 40, integer = false } = options;
  if (!(typeof start === "number" && Number.isFinite(start) && start > 0)) throw bad("start: expected a load > 0", start);
  if (integer && !Number.isInteger(start)) throw bad("start: expected a whole number (whole loads)", start);
  if (!(precision > 0 && precision < 10)) throw bad("precision: expected a fraction > 0 (0.1 = within 10%)", precision);
  if (!(growth > 1 && Number.isFinite(growth))) throw bad("growth: expected a factor > 1", growth);
  if (!(Number.isInteger(confirm) && confirm >= 0)) throw bad("confirm: expected a whole number >= 0", confirm);
  if (!(Number.isInteger(maxPoints) && maxPoints >= 1)) throw bad("maxPoints: expected a whole number >= 1", maxPoints);
  const max = options.max ?? (integer ? Math.round(start * growth ** 8) : start * growth ** 8);
  const min = options.min ?? (integer ? 1 : start / growth ** 8);
  if (!(max >= start)) throw bad(`max: expected a load >= start (${start})`, max);
  if (!(min > 0 && min <= start)) throw bad(`min: expected a load > 0 and <= start (${start})`, min);
  // Whole loads: a step always moves by at least 1, and a midpoint lies strictly inside its bracket.
  const up = (x: number) => Math.min(max, integer ? Math.max(x + 1, Math.round(x * growth)) : x * growth);
  const down = (x: number) => Math.max(min, integer ? Math.min(x - 1, Math.round(x / growth)) : x / growth);
  const mid = (lo: number, hi: number) => (integer ? Math.min(hi - 1, Math.max(lo + 1, Math.round(Math.sqrt(lo * hi)))) : Math.sqrt(lo * hi));
  const closed = (lo: number, hi: number) => hi / lo - 1 <= precision || (integer && hi - lo <= 1);
  return { start, precision, growth, confirm, maxPoints, max, min, up, down, mid, closed };
}

/** Finds the frontier: the highest load whose every run is healthy, to within `precision`. */
export async function searchCapacity<M>(probe: CapacityProbe<M>, options: CapacitySearchOptions): Promise<CapacityResult<M>> {
  const o = checked(options);
  const points: CapacityPoint<M>[] = [];
  /** Per load: false once any run of it failed. */
  const verdict = new Map<number, boolean>();
  const runsAt = (load: number) => points.filter((p) => p.load === load).length;

  const run = async (load: number): Promise<boolean> => {
    const attempt = runsAt(load) + 1;
    const r = await probe(load, attempt);
    const point: CapacityPoint<M> = { load, attempt, healthy: r.healthy, reasons: r.healthy ? [] : [...r.reasons], ...(r.binding !== undefined ? { binding: r.binding } : {}), ...(r.detail !== undefined ? { detail: r.detail } : {}) };
    points.push(point);
    options.onPoint?.(point as CapacityPoint<unknown>);
    verdict.set(load, (verdict.get(load) ?? true) && r.healthy);
    return r.healthy;
  };
  const exhausted = () => points.length >= o.maxPoints;

  let lo: number | null = null; // healthy
  let hi: number | null = null; // unhealthy
  const finish = (stopped: SearchStop): CapacityResult<M> => {
    const failing = hi === null ? undefined : points.find((p) => p.load === hi && !p.healthy);
    return {
      frontier: lo,
      firstFailing: hi,
      ...(failing?.binding !== undefined ? { binding: failing.binding } : {}),
      reasons: failing?.reasons ?? [],
      stopped,
      points,
    };
  };

  // Bracket: up from a healthy start, down from a failing one.
  if (await run(o.start)) {
    lo = o.start;
    while (hi === null) {
      if (lo >= o.max) return finish("max-load");
      if (exhausted()) return finish("max-points");
      const next = o.up(lo);
      if (await run(next)) lo = next;
      else hi = next;
    }
  } else {
    hi = o.start;
  }

  for (;;) {
    // Down from a failing load until one is healthy.
    while (lo === null) {
      if (hi <= o.min) return finish("min-load");
      if (exhausted()) return finish("max-points");
      const next = o.down(hi);
      if (await run(next)) lo = next;
      else hi = next;
    }
    // Bisect until the bracket is within the precision.
    while (!o.closed(lo, hi)) {
      if (exhausted()) return finish("max-points");
      const mid = o.mid(lo, hi);
      if (await run(mid)) lo = mid;
      else hi = mid;
    }
    // Confirm the frontier: every further run of it must be healthy too.
    while (runsAt(lo) < 1 + o.confirm && verdict.get(lo)) {
      if (exhausted()) return finish("max-points");
      await run(lo);
    }
    if (verdict.get(lo)) return finish("precision");
    // It failed a confirmation: it is the new first failing load; the frontier is the highest
    // load below it that stayed healthy (or the search goes down again).
    hi = lo;
    const below = [...verdict].filter(([load, ok]) => ok && load < hi!).map(([load]) => load);
    lo = below.length > 0 ? Math.max(...below) : null;
  }
}
