// `--start-at T`: the wall-clock time every shard of a run starts its clock at, so the shards'
// records line up on one time zero (records count from the clock's start) and a rate schedule
// split over machines is the one schedule. Each shard sets up (preflight, calibration, warm-up
// request) and then waits for T; a shard whose set-up ends after T by more than the tolerance
// does not run (its share would be late against the others', and nothing says by how much once
// merged), and T too far ahead is refused before anything starts, as a mistyped date would
// otherwise hold a machine for days.

/** How late a shard may start its clock after T and still run (timers, a set-up that ends just after T). */
export const START_TOLERANCE_MS = 2_000;
/** The longest a shard waits for T: pods of an Indexed Job start within minutes. */
export const MAX_START_WAIT_MS = 60 * 60 * 1000;

/** The start time was missed: set-up ended after it (code AGENTLOAD_START_MISSED; `run` exits 3, as a preflight). */
export class StartMissedError extends Error {
  readonly code = "AGENTLOAD_START_MISSED";
  constructor(
    readonly startAt: number,
    readonly lateMs: number,
  ) {
    super(
      `--start-at ${new Date(startAt).toISOString()}: set-up ended ${(lateMs / 1000).toFixed(1)} s after it (tolerance ${START_TOLERANCE_MS / 1000} s); this shard did not run, as its requests would be late against the other shards'. Give a later --start-at (or --start-in) that leaves every shard time to set up`,
    );
    this.name = "StartMissedError";
  }
}

/**
 * T given as an ISO time with its time zone (2026-12-06T14:00:00Z, ...+01:00) or as epoch
 * milliseconds, checked against `nowMs`: at most START_TOLERANCE_MS in the past, at most
 * MAX_START_WAIT_MS ahead. Errors say what was expected.
 */
export function parseStartAt(text: string, nowMs: number): number {
  const trimmed = text.trim();
  let at: number;
  if (/^\d+$/.test(trimmed)) {
    at = Number(trimmed);
  } else {
    // Without a zone Date.parse reads the machine's local time: two machines in different zones would disagree.
    if (!/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) {
      throw new Error(`--start-at expects an ISO time with its time zone (e.g. 2026-12-06T14:00:00Z) or epoch milliseconds, got '${text}'`);
    }
    at = Date.parse(trimmed);
    if (Number.isNaN(at)) throw new Error(`--start-at expects a valid ISO time, got '${text}'`);
  }
  return checkStartAt(at, nowMs, text);
}

/** `at` within [now - tolerance, now + MAX_START_WAIT_MS], else an error naming both times. */
export function checkStartAt(at: number, nowMs: number, shown = new Date(at).toISOString()): number {
  if (at < nowMs - START_TOLERANCE_MS) {
    const seconds = /^\s*\d+\s*$/.test(shown) && at < 1e11 ? " (epoch milliseconds, not seconds)" : "";
    throw new Error(`--start-at ${shown}${seconds} is ${formatSpan(nowMs - at)} in the past (now ${new Date(nowMs).toISOString()}); expected a time at most ${START_TOLERANCE_MS / 1000} s ago`);
  }
  if (at > nowMs + MAX_START_WAIT_MS) {
    throw new Error(`--start-at ${shown} is ${formatSpan(at - nowMs)} ahead (now ${new Date(nowMs).toISOString()}); expected a time at most ${MAX_START_WAIT_MS / 60_000} minutes ahead`);
  }
  return at;
}

/** `--start-in 2m`: now plus a duration (s, m, h; a bare number is seconds). */
export function parseStartIn(text: string, nowMs: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(text);
  if (!m) throw new Error(`--start-in expects a duration such as 90s, 5m or 1h, got '${text}'`);
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "s" | "m" | "h"];
  return checkStartAt(Math.round(nowMs + ms), nowMs, `in ${text.trim()}`);
}

function formatSpan(ms: number): string {
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} minutes`;
  return `${(ms / 3_600_000).toFixed(1)} hours`;
}

/**
 * Waits until the wall clock reads `at` (bounded: `at` was checked to lie within
 * MAX_START_WAIT_MS), then throws StartMissedError if it was already later than the tolerance.
 * Timers may fire early by a millisecond or wake late under load: it waits again for what is left.
 * The signal ends the wait at once (its timer cleared, so an interrupted process exits).
 */
export async function waitForStart(at: number, signal?: AbortSignal, clock: () => number = Date.now): Promise<void> {
  const late = clock() - at;
  if (late > START_TOLERANCE_MS) throw new StartMissedError(at, late);
  for (let left = at - clock(); left > 0 && !signal?.aborted; left = at - clock()) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(left, MAX_START_WAIT_MS));
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
