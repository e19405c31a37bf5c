// A wake-up on time to the tenth of a millisecond, for the dispatcher's timer queue. Node's
// setTimeout counts whole milliseconds against a loop clock that is itself read once per loop
// turn, so a dispatch planned between two ticks went out anywhere up to a millisecond late: at
// 500 requests/s against the calibration server, the timer's own lateness was p50 0.12, p90 0.92
// and p99 1.6 ms, while rendering the prompt and building the body took p99 0.1 ms.
//
// A worker thread sleeps in Atomics.wait (a futex with a timeout in microseconds) until the
// deadline the main thread armed, then posts it a message, which wakes the main event loop at
// once. The worker does nothing else and allocates nothing while it waits; it never holds the
// process open (unref), and the caller keeps a coarse setTimeout beside each wake in case the
// worker is late or gone. Where worker threads cannot be started (a runtime without them), there
// is no waker and the queue keeps to setTimeout.
//
// Measured the same way, from the run's second second on (benchmarks/dispatch-lateness.ts 500 10
// --server-idle, 5 runs each, in turn): p50 -0.01 to 0.07 ms and p90 0.14-0.37 ms, against 0.17-0.19
// and 0.98-1.03 ms with setTimeout alone. p99 did not move (1.5-2.3 against 1.6-2.4 ms): the
// dispatches later than that wait for something else (see the README). The wake comes up to
// WAKE_LEAD_MS early, within the half millisecond the queue allows; a dispatch sent early counts
// as 0 ms late.
//
// Opt-in (`agentload run --precise-wake`, RunOptions.preciseWake): in the README's main job, whose
// requests mostly go at once after their parent, the median dispatch was 0.36-0.47 ms late with
// it against 0.29-0.37 ms without (7 runs each, --engine-idle): telling the thread of every new
// deadline is a futex wake-up, and on 2 cores the woken thread takes a core for a moment.
//
// Shared memory: Int32 [0] generation (bumped at every arm and disarm), [1] stop flag; Float64 at
// byte 8: the deadline on the shared clock (performance.timeOrigin + performance.now(), the same
// process-wide clock in every thread), NaN when disarmed.

/**
 * The worker posts this much before the deadline: its message took 0.1 to 0.3 ms to run on the
 * main thread (a sleeping vCPU to wake, the message to deliver), which made every dispatch that
 * late. The queue runs what is due within half a millisecond, so the lead is within what it allows.
 */
const WAKE_LEAD_MS = 0.2;

/** Runs in the worker (CommonJS, eval'd): wait for the armed deadline, post its generation. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const state = new Int32Array(workerData, 0, 2);
const deadline = new Float64Array(workerData, 8, 1);
const clock = () => performance.timeOrigin + performance.now();
let posted = -1;
for (;;) {
  const gen = Atomics.load(state, 0);
  if (Atomics.load(state, 1) === 1) break;
  const at = deadline[0];
  if (gen === posted || Number.isNaN(at)) {
    Atomics.wait(state, 0, gen);
    continue;
  }
  const left = at - clock();
  if (left > 0.01) {
    Atomics.wait(state, 0, gen, left);
    continue;
  }
  posted = gen;
  parentPort.postMessage(gen);
}
`;

/** What the waker uses of a worker_threads Worker. */
interface WorkerLike {
  on(event: "message", fn: (gen: number) => void): unknown;
  on(event: "error" | "exit", fn: (arg: unknown) => void): unknown;
  once(event: "online" | "error" | "exit", fn: () => void): unknown;
  unref(): void;
  terminate(): unknown;
}

/** How long a run waits for the waker's thread to start before it keeps to setTimeout. */
const START_TIMEOUT_MS = 5000;

let live = 0;

/** Wakers started and not yet closed (tests: a run closes its own). */
export function liveWakers(): number {
  return live;
}

export class PreciseWaker {
  private readonly state: Int32Array;
  private readonly deadline: Float64Array;
  private armedGen = -1;
  private closed = false;

  private constructor(
    private readonly worker: WorkerLike,
    shared: SharedArrayBuffer,
    onWake: () => void,
  ) {
    this.state = new Int32Array(shared, 0, 2);
    this.deadline = new Float64Array(shared, 8, 1);
    this.deadline[0] = NaN;
    live++;
    worker.on("message", (gen: number) => {
      // A wake for a deadline since replaced or disarmed is stale.
      if (!this.closed && gen === this.armedGen) {
        this.armedGen = -1;
        onWake();
      }
    });
    // A worker that failed leaves the caller's setTimeout to do the waking.
    worker.on("error", () => this.close());
    worker.on("exit", () => this.close());
    worker.unref();
  }

  /**
   * A waker calling onWake at each armed deadline, or undefined where no worker thread can be
   * started (the caller then keeps to setTimeout).
   */
  static async start(onWake: () => void): Promise<PreciseWaker | undefined> {
    if (typeof SharedArrayBuffer !== "function" || typeof Atomics?.wait !== "function") return undefined;
    let worker: WorkerLike | undefined;
    try {
      const { Worker } = await import("node:worker_threads");
      const shared = new SharedArrayBuffer(16);
      const w: WorkerLike = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
      worker = w;
      // Running before the first arm (a thread took 30 to 50 ms to start under vitest here).
      const online = await new Promise<boolean>((resolve) => {
        const settle = (ok: boolean) => () => {
          clearTimeout(timer);
          resolve(ok);
        };
        const timer = setTimeout(settle(false), START_TIMEOUT_MS);
        w.once("online", settle(true));
        w.once("error", settle(false));
        w.once("exit", settle(false));
      });
      if (online) return new PreciseWaker(w, shared, onWake);
    } catch {
      // No worker threads here: setTimeout only.
    }
    if (worker) void Promise.resolve(worker.terminate()).catch(() => undefined);
    return undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Wake at `at` (performance.now() ms of this thread); replaces the deadline armed before. */
  arm(at: number): void {
    if (this.closed) return;
    this.deadline[0] = performance.timeOrigin + at - WAKE_LEAD_MS;
    this.armedGen = Atomics.add(this.state, 0, 1) + 1;
    Atomics.notify(this.state, 0);
  }

  /** No wake until armed again. */
  disarm(): void {
    if (this.closed || this.armedGen === -1) return;
    this.armedGen = -1;
    this.deadline[0] = NaN;
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
  }

  /** Stops the worker; later arms do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live--;
    this.armedGen = -1;
    Atomics.store(this.state, 1, 1);
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
    void Promise.resolve(this.worker.terminate()).catch(() => undefined);
  }
}
