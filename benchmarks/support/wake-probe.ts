// The machine's own floor for dispatch lateness: a worker thread that does nothing but sleep in
// Atomics.wait until Poisson deadlines and note how late it woke. No I/O, no allocation, no event
// loop: whatever lateness it sees comes from the kernel and the other threads on the machine, and
// no dispatcher on the same machine can do better. On the 2-vCPU VM of 2026-12-07, alone: p99
// 0.33-1.04 ms at 500 wakes/s (6 runs; one more 3.65 ms); beside a run at 500 requests/s against
// the calibration server, 1,000 wakes/s: p99 0.96 and 1.82 ms, as late as the run's own dispatches
// (1.32 and 1.76 ms), though at other moments (2 of 69 and 7 of 117 late dispatches had a late
// probe wake in the same stretch): the threads take turns on two cores.
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { buffer, rate, count, seed } = workerData;
const stop = new Int32Array(buffer, 0, 2);
const out = new Float64Array(buffer, 8, 2 * count);
const clock = () => performance.timeOrigin + performance.now();
let s = seed;
const uniform = () => ((s = (s * 16807) % 2147483647) / 2147483647);
let at = clock() + 5;
let i = 0;
while (i < count && Atomics.load(stop, 0) === 0) {
  at += -Math.log(1 - uniform()) / rate;
  let left;
  while ((left = at - clock()) > 0.02) Atomics.wait(stop, 1, 0, left - 0.01);
  out[2 * i] = at;
  out[2 * i + 1] = Math.max(0, clock() - at);
  i++;
}
Atomics.store(stop, 1, i);
`;

export interface Wake {
  /** The deadline, epoch ms (performance.timeOrigin + performance.now(), the clock every thread shares). */
  at: number;
  /** How late the thread woke, ms. */
  lateMs: number;
}

export interface WakeProbe {
  /** Stops the thread and returns its wakes in order. */
  stop(): Promise<Wake[]>;
}

/** Starts the probe: `perSecond` Poisson wakes, at most `seconds` of them. */
export function startWakeProbe(perSecond: number, seconds: number, seed = 7): WakeProbe {
  const count = Math.ceil(perSecond * seconds * 1.2) + 100;
  const buffer = new SharedArrayBuffer(8 + 16 * count);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { buffer, rate: perSecond / 1000, count, seed } });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    async stop() {
      const ctl = new Int32Array(buffer, 0, 2);
      Atomics.store(ctl, 0, 1);
      Atomics.notify(ctl, 1);
      // A thread that does not end within 2 s is ended: nothing waits on it for longer.
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
      const n = Atomics.load(ctl, 1);
      const out = new Float64Array(buffer, 8, 2 * count);
      const wakes: Wake[] = [];
      for (let i = 0; i < n; i++) wakes.push({ at: out[2 * i]!, lateMs: out[2 * i + 1]! });
      return wakes;
    },
  };
}

/** The probe alone for `seconds`: the floor of a quiet machine. */
export async function wakeFloor(perSecond: number, seconds: number): Promise<Wake[]> {
  const probe = startWakeProbe(perSecond, seconds);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return probe.stop();
}
