// Planned dispatches in time order behind one timer. A single setTimeout for the earliest entry
// keeps the event loop light at hundreds of planned requests per second. setTimeout counts whole
// milliseconds of the event loop's clock, so it fires up to a millisecond off the planned time: the
// timer wakes FINAL_APPROACH_MS early and the last stretch is polled one event-loop turn at a time
// (setImmediate, which lets I/O run between turns), so an entry runs within POLL_HORIZON_MS of its
// time when the loop is free. Long sleeps wake early too (WAKE_EARLY_MS).

// setImmediate where the runtime has it (Node, Bun, Deno); a zero timeout elsewhere, which is
// itself a millisecond or more, so there the last stretch is not polled (POLL_WINDOW_MS 0).
const hasImmediate = typeof setImmediate === "function";
const runSoon: (fn: () => void) => void = hasImmediate ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/**
 * The timer wakes this long before an entry's time and the rest is polled. Measured against the
 * calibration server at 500 requests/s (benchmarks/dispatch-lateness.ts): with the timer alone the
 * median dispatch was 0.6-0.7 ms late, from setTimeout's whole-millisecond clock.
 */
const FINAL_APPROACH_MS = hasImmediate ? 1.5 : 0;
/** Entries due within this run now: polled turns land about this close to the planned time. */
const POLL_HORIZON_MS = hasImmediate ? 0.02 : 0.5;
const WAKE_EARLY_MS = 20;
const WAKE_EARLY_BEYOND_MS = 30;
/**
 * The longest delay setTimeout holds (2^31 - 1 ms, 24.8 days): a longer one fires after 1 ms
 * with a warning, and re-arming it did so again and again (a busy loop printing warnings). An
 * entry further away sleeps in steps of this; `fire` finds nothing due and arms again.
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private immediatePending = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.heap.length;
  }

  /** Run fn at monotonic time `at` (ms), or as soon as possible when that has passed. */
  at(at: number, fn: () => void): void {
    this.push({ at, seq: this.seq++, fn });
    this.arm();
  }

  /** Run every pending entry now, in order (used when a run stops: entries see it and bail out). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    while (this.heap.length > 0) this.pop().fn();
  }

  clear(): void {
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first) return;
    const now = this.now();
    if (first.at - now <= Math.max(POLL_HORIZON_MS, FINAL_APPROACH_MS)) {
      // Due now or on the final approach: poll on the next turn (setTimeout(0) would wait a whole
      // millisecond). A timer armed for a later entry stays armed; fire() re-arms from the heap.
      if (!this.immediatePending) {
        this.immediatePending = true;
        runSoon(() => {
          this.immediatePending = false;
          this.fire();
        });
      }
      return;
    }
    // A long sleep wakes a few ms late on an idle machine; a short one is on time. So wake 20 ms
    // early from a long sleep and arm again for the rest, and a short one in time for the final approach.
    const fireAt = first.at - now > WAKE_EARLY_BEYOND_MS ? first.at - WAKE_EARLY_MS : first.at - FINAL_APPROACH_MS;
    if (this.timer && fireAt >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = fireAt;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMEOUT_MS, Math.max(0, fireAt - now)));
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    const horizon = this.now() + POLL_HORIZON_MS;
    while (this.heap.length > 0 && this.heap[0]!.at <= horizon) {
      const e = this.pop();
      e.fn();
    }
    this.arm();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
