// The dispatcher's precise waker (a worker thread sleeping in Atomics.wait) and the timer queue
// that uses it. Assertions are about what wakes, what does not, and "never before" times, never
// about how soon: how close to its time a wake comes is a benchmark's figure
// (benchmarks/dispatch-lateness.ts), not a test's. A wake that must come is awaited (vi.waitFor,
// up to 5 s), never looked for after a fixed sleep: under CI's load the event loop has stalled
// past 25 ms, and a test that read the clock that way failed a correct waker. A fixed sleep only
// gives a wake that must not come the time to come; a stall there can hide a fault, never invent one.
import { afterEach, describe, expect, it, vi } from "vitest";
import { liveWakers, PreciseWaker } from "../../../src/run/precise-waker.js";
import { TimerQueue, type Waker } from "../../../src/run/timer-queue.js";

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (up to 5 s) until `check` passes. */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 5 });

const started: PreciseWaker[] = [];
async function waker(onWake: () => void): Promise<PreciseWaker> {
  const w = await PreciseWaker.start(onWake);
  if (!w) throw new Error("no worker thread on this runtime");
  started.push(w);
  return w;
}
afterEach(() => {
  for (const w of started.splice(0)) w.close();
});

describe("PreciseWaker", () => {
  it("wakes once per arm, not before the deadline less its 0.2 ms lead", async () => {
    const wakes: number[] = [];
    const w = await waker(() => wakes.push(now()));
    const at = now() + 15;
    w.arm(at);
    await eventually(() => expect(wakes).toHaveLength(1));
    expect(wakes[0]!).toBeGreaterThanOrEqual(at - 0.2 - 0.05);
    await sleep(30);
    expect(wakes).toHaveLength(1);
  });

  it("a new arm replaces the one before; a disarmed waker does not wake", async () => {
    const wakes: number[] = [];
    const w = await waker(() => wakes.push(now()));
    // A nearer deadline replaces a far one: the wake comes long before the far one.
    const far = now() + 60_000;
    w.arm(far);
    w.arm(now() + 5);
    await eventually(() => expect(wakes).toHaveLength(1));
    expect(wakes[0]!).toBeLessThan(far);
    // A farther deadline replaces a near one: the near one never wakes.
    w.arm(now() + 5);
    w.arm(now() + 60_000);
    await sleep(40);
    expect(wakes).toHaveLength(1);
    w.arm(now() + 10);
    w.disarm();
    await sleep(40);
    expect(wakes).toHaveLength(1);
  });

  it("wakes at once for a deadline already past, and not after close", async () => {
    const wakes: number[] = [];
    const w = await waker(() => wakes.push(now()));
    w.arm(now() - 5);
    await eventually(() => expect(wakes).toHaveLength(1));
    const live = liveWakers();
    w.close();
    expect(w.isClosed).toBe(true);
    expect(liveWakers()).toBe(live - 1);
    w.arm(now() + 1);
    await sleep(30);
    expect(wakes).toHaveLength(1);
  });
});

/** A waker the test drives: records arms, wakes only when told (or at once, to act a wrong clock). */
class ScriptedWaker implements Waker {
  arms: number[] = [];
  disarms = 0;
  isClosed = false;
  constructor(private readonly early: (() => void) | undefined = undefined) {}
  arm(at: number): void {
    this.arms.push(at);
    this.early?.();
  }
  disarm(): void {
    this.disarms++;
  }
  close(): void {
    this.isClosed = true;
  }
}

describe("TimerQueue with a precise waker", () => {
  it("arms the waker for a wait of up to 30 ms, and runs the entry on its wake", async () => {
    const q = new TimerQueue();
    const w = new ScriptedWaker();
    q.useWaker(w);
    const seen: number[] = [];
    const at = now() + 25;
    q.at(at, () => seen.push(now()));
    expect(w.arms).toEqual([at]);
    // The waker is not on time here (the test wakes it about 25 ms early): a wake more than 1 ms
    // early makes the queue give the waker up, and setTimeout runs the entry, still not early.
    q.wake();
    expect(seen).toEqual([]);
    expect(w.isClosed).toBe(true);
    await eventually(() => expect(seen).toHaveLength(1));
    expect(at - seen[0]!).toBeLessThanOrEqual(0.5);
  });

  it("wakes on the waker when it is on time, and ignores a wake nothing was armed for", async () => {
    const q = new TimerQueue();
    const w = new ScriptedWaker();
    q.useWaker(w);
    const seen: string[] = [];
    q.wake(); // nothing armed
    const at = now() + 3;
    q.at(at, () => seen.push("a"));
    while (now() < at - 0.3); // the waker's lead: within the half millisecond the queue allows
    q.wake();
    expect(seen).toEqual(["a"]);
    expect(w.isClosed).toBe(false);
  });

  it("keeps long waits on setTimeout and runs entries whose waker never wakes (the setTimeout beside it)", async () => {
    const q = new TimerQueue();
    const w = new ScriptedWaker();
    q.useWaker(w);
    const seen: string[] = [];
    q.at(now() + 60_000, () => seen.push("far"));
    expect(w.arms).toEqual([]);
    q.at(now() + 5, () => seen.push("near"));
    expect(w.arms).toHaveLength(1);
    // The waker never wakes: the backstop runs it.
    await eventually(() => expect(seen).toEqual(["near"]));
    expect(w.disarms).toBe(0); // a wake still to come is dropped as stale, not disarmed on the dispatch path
    q.at(now() + 10, () => seen.push("cleared"));
    expect(w.arms).toHaveLength(2);
    q.clear();
    expect(w.disarms).toBe(1);
    await sleep(30);
    expect(seen).toEqual(["near"]);
  });

  it("close gives the waker up; entries still run on setTimeout", async () => {
    const q = new TimerQueue();
    const w = new ScriptedWaker();
    q.useWaker(w);
    q.close();
    expect(w.isClosed).toBe(true);
    const seen: string[] = [];
    q.at(now() + 5, () => seen.push("a"));
    expect(w.arms).toEqual([]);
    await eventually(() => expect(seen).toEqual(["a"]));
  });

  it("a real waker runs entries in order and never more than half a millisecond early", async () => {
    const q = new TimerQueue();
    const w = await waker(() => q.wake());
    q.useWaker(w);
    const early: number[] = [];
    const order: number[] = [];
    const t = now();
    for (let i = 0; i < 40; i++) {
      const at = t + 2 + (i % 10) * 1.3 + Math.floor(i / 10) * 0.01;
      q.at(at, () => {
        early.push(at - now());
        order.push(at);
      });
    }
    await eventually(() => expect(early).toHaveLength(40));
    expect(Math.max(...early)).toBeLessThanOrEqual(0.5);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(w.isClosed).toBe(false);
  });
});
