// Planned dispatches in time order behind one timer. A single setTimeout for the earliest entry
// keeps the event loop light at hundreds of planned requests per second; entries due within
// half a millisecond run at once instead of waiting for a timer tick; long sleeps wake early.
// Background work the run must do anyway (counting a reply's tokens on the server, generating
// the next session) waits in whenIdle until no dispatch is due soon, so it does not hold one up.
// With a precise waker (precise-waker.ts, given by the run) a wait of up to 30 ms ends on the
// waker's wake-up instead of setTimeout's whole milliseconds; a setTimeout stays armed beside it,
// a little later, in case the waker is late or gone, and it keeps the event loop alive.

// setImmediate where the runtime has it (Node, Bun); a zero timeout elsewhere.
const runSoon: (fn: () => void) => void =
  typeof setImmediate === "function" ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

const WAKE_EARLY_MS = 20;
const WAKE_EARLY_BEYOND_MS = 30;
/**
 * The longest delay setTimeout holds (2^31 - 1 ms, 24.8 days): a longer one fires after 1 ms
 * with a warning, and re-arming it did so again and again (a busy loop printing warnings). An
 * entry further away sleeps in steps of this; `fire` finds nothing due and arms again.
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** The setTimeout beside a precise wake-up fires this much after it. */
const BACKSTOP_MS = 2;
/**
 * A precise wake-up that finds the first entry further away than this was woken on a clock that
 * disagrees with ours: the queue stops using the waker (setTimeout only) rather than spin.
 */
const EARLY_WAKE_MS = 1;
/**
 * Idle means no entry due within this many ms: a reply count sent to llama-server beside the
 * engine took 2 to 4 ms inside writev (strace), while the engine's HTTP thread held the core.
 */
const IDLE_GAP_MS = 5;
/** Background work waits at most this long, so it is not starved by a steady stream of entries. */
const IDLE_AT_MOST_MS = 25;

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

/** What the queue needs of a precise waker (PreciseWaker; tests give their own). */
export interface Waker {
  /** Wake (call the queue's wake()) at `at`, on the queue's clock; replaces the wake armed before. */
  arm(at: number): void;
  disarm(): void;
  close(): void;
  readonly isClosed: boolean;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private immediatePending = false;
  private idle: { fn: () => void; by: number }[] = [];
  private idleCheckPending = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private waker: Waker | undefined;
  /** The precise wake-up armed is for timerAt. */
  private wakerArmed = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Ends waits of up to 30 ms on this waker's wake-ups from now on (see the file comment). */
  useWaker(waker: Waker | undefined): void {
    this.waker = waker;
    this.arm();
  }

  /** The waker's wake-up: run what is due. */
  wake(): void {
    if (!this.wakerArmed) return;
    this.wakerArmed = false;
    const first = this.heap[0];
    if (first && first.at - this.now() > EARLY_WAKE_MS) {
      this.dropWaker();
      this.rearm();
      return;
    }
    this.fire();
  }

  /** Stops the waker, if any (the run ends). Entries still pending keep to setTimeout. */
  close(): void {
    this.dropWaker();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Run fn at monotonic time `at` (ms), or as soon as possible when that has passed. */
  at(at: number, fn: () => void): void {
    this.push({ at, seq: this.seq++, fn });
    this.arm();
  }

  /**
   * Run fn once no entry is due within IDLE_GAP_MS (after IDLE_AT_MOST_MS at the latest). It is
   * looked at on the next turn of the event loop, so entries that the current callbacks are about
   * to add (a finished request's children, due at once) are seen and go first.
   */
  whenIdle(fn: () => void): void {
    this.idle.push({ fn, by: this.now() + IDLE_AT_MOST_MS });
    this.checkIdleSoon();
  }

  /** Run every pending entry now, in order (used when a run stops: entries see it and bail out). */
  flush(): void {
    this.cancelTimer();
    while (this.heap.length > 0) this.pop().fn();
    this.runIdle();
  }

  /** Forget every entry; background work still runs (something may await it). */
  clear(): void {
    this.heap = [];
    this.cancelTimer();
    this.runIdle();
  }

  private checkIdleSoon(): void {
    if (this.idleCheckPending || this.idle.length === 0) return;
    this.idleCheckPending = true;
    runSoon(() => {
      this.idleCheckPending = false;
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const first = this.idle[0];
    if (!first) return;
    const now = this.now();
    const next = this.heap[0]?.at ?? Infinity;
    if (next - now > IDLE_GAP_MS || first.by <= now) {
      this.runIdle();
      return;
    }
    // Busy: fire() looks again after the entries due; this timer bounds the wait.
    this.idleTimer = setTimeout(() => this.checkIdle(), Math.max(0, first.by - now));
  }

  private runIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const tasks = this.idle;
    this.idle = [];
    for (const t of tasks) t.fn();
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first) return;
    const now = this.now();
    if (first.at - now <= 0.5) {
      // Due now: setTimeout(0) would wait a whole millisecond.
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
    // early from a long sleep and arm again for the rest.
    const fireAt = first.at - now > WAKE_EARLY_BEYOND_MS ? first.at - WAKE_EARLY_MS : first.at;
    if (this.timer && fireAt >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = fireAt;
    const precise = this.waker !== undefined && !this.waker.isClosed && fireAt === first.at;
    if (precise) {
      this.waker!.arm(fireAt);
      this.wakerArmed = true;
    } else if (this.wakerArmed) {
      this.waker!.disarm();
      this.wakerArmed = false;
    }
    const delay = fireAt - now + (precise ? BACKSTOP_MS : 0);
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMEOUT_MS, Math.max(0, delay)));
  }

  /** Arms afresh for the first entry (the one armed is dropped). */
  private rearm(): void {
    this.cancelTimer();
    this.arm();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.wakerArmed) {
      this.waker!.disarm();
      this.wakerArmed = false;
    }
  }

  private dropWaker(): void {
    const w = this.waker;
    this.waker = undefined;
    this.wakerArmed = false;
    w?.close();
  }

  private fire(): void {
    // A precise wake still to come for this is stale from here (the waker drops a replaced one,
    // wake() one not armed): not disarmed now, because telling the waker's thread is a futex
    // wake-up, which would come before any entry ran. The next arm replaces it.
    this.wakerArmed = false;
    this.cancelTimer();
    // setTimeout may fire up to ~1 ms early or late; run everything due within 0.5 ms.
    const horizon = this.now() + 0.5;
    while (this.heap.length > 0 && this.heap[0]!.at <= horizon) {
      const e = this.pop();
      e.fn();
    }
    this.arm();
    this.checkIdleSoon();
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
