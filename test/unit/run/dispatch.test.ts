// Dispatcher logic: DAG order, waits, cancellation on error, concurrency limits and ramp-up, rate
// arrivals, on real timers with short waits; the timer queue's order and background-work rules on
// a fake clock. Assertions are about order and counts, and about "not before" times (a node may
// never start before its parents end plus its wait).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runSession, type NodeStart } from "../../../src/run/session-runner.js";
import { TimerQueue } from "../../../src/run/timer-queue.js";
import { runConcurrent } from "../../../src/run/traffic/concurrent.js";
import { runRate } from "../../../src/run/traffic/rate.js";
import type { RequestNode, SessionGraph } from "../../../src/workload/types.js";

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function node(id: string, parents: string[], waitAfterReadyMs = 0, historyParent: string | null = parents[0] ?? null): RequestNode {
  return { id, parents, historyParent, freshInputTokens: 1, outputTokens: 1, waitAfterReadyMs };
}

describe("TimerQueue", () => {
  // Order and background-work rules on a fake clock (vitest's fake timers: setTimeout,
  // setImmediate and Date), so a stalled event loop under CI's load cannot reorder what the rules
  // decide; "never early" is about the real clock and stays on it (below).
  describe("on a fake clock", () => {
    beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "Date"] }));
    afterEach(() => void vi.useRealTimers());
    const clock = () => Date.now();

    it("runs entries in time order, ties in insertion order", async () => {
      const q = new TimerQueue(clock);
      const seen: string[] = [];
      const t = clock();
      q.at(t + 20, () => seen.push("c"));
      q.at(t + 5, () => seen.push("a"));
      q.at(t + 5, () => seen.push("b"));
      q.at(t - 10, () => seen.push("past"));
      await vi.advanceTimersByTimeAsync(4);
      expect(seen).toEqual(["past"]);
      await vi.advanceTimersByTimeAsync(36);
      expect(seen).toEqual(["past", "a", "b", "c"]);
      expect(q.size).toBe(0);
    });

    it("runs background work after an entry due at once that the same tick adds, and after entries due within 5 ms", async () => {
      const q = new TimerQueue(clock);
      const seen: string[] = [];
      q.whenIdle(() => seen.push("idle")); // as a finished request's reply count is queued
      await Promise.resolve();
      q.at(clock(), () => seen.push("child")); // then its child, due at once
      q.at(clock() + 3, () => seen.push("soon"));
      await vi.advanceTimersByTimeAsync(30);
      expect(seen).toEqual(["child", "soon", "idle"]);
    });

    it("runs background work at once when nothing is due within 5 ms", async () => {
      const q = new TimerQueue(clock);
      const seen: string[] = [];
      q.at(clock() + 200, () => seen.push("late"));
      q.whenIdle(() => seen.push("idle"));
      await vi.advanceTimersByTimeAsync(0);
      expect(seen).toEqual(["idle"]);
      q.clear();
    });

    it("does not let a steady stream of entries hold background work past 25 ms", async () => {
      const q = new TimerQueue(clock);
      const seen: number[] = [];
      const t = clock();
      for (let i = 1; i <= 30; i++) q.at(t + 3 * i, () => seen.push(i));
      q.whenIdle(() => seen.push(0));
      await vi.advanceTimersByTimeAsync(120);
      expect(seen).toHaveLength(31);
      // At 25 ms, after the 8th entry (24 ms) and before the 9th (27 ms).
      expect(seen.indexOf(0)).toBe(8);
    });
  });

  it("never runs an entry more than half a millisecond before its time", async () => {
    const q = new TimerQueue();
    const early: number[] = [];
    const t = now();
    for (let i = 0; i < 50; i++) {
      const at = t + (i % 10) * 1.7;
      q.at(at, () => early.push(at - now()));
    }
    // Awaited, never looked for after a fixed sleep: a stalled loop may run them late, not early.
    await vi.waitFor(() => expect(early).toHaveLength(50), { timeout: 5000, interval: 5 });
    expect(Math.max(...early)).toBeLessThanOrEqual(0.5);
  });

  it("flush runs everything pending at once", () => {
    const q = new TimerQueue();
    const seen: number[] = [];
    q.at(now() + 10_000, () => seen.push(2));
    q.at(now() + 5_000, () => seen.push(1));
    q.flush();
    expect(seen).toEqual([1, 2]);
  });

  it("flush and clear run the background work waiting (a record may await it)", () => {
    for (const end of ["flush", "clear"] as const) {
      const q = new TimerQueue();
      const seen: string[] = [];
      q.at(now() + 1, () => seen.push("entry"));
      q.whenIdle(() => seen.push("idle"));
      q[end]();
      expect(seen).toEqual(end === "flush" ? ["entry", "idle"] : ["idle"]);
    }
  });
});

function recorder(fail: Set<string> = new Set(), durationMs = 3) {
  const starts: (NodeStart & { at: number })[] = [];
  const ends = new Map<string, number>();
  const execute = async (s: NodeStart) => {
    starts.push({ ...s, at: now() });
    await sleep(durationMs);
    ends.set(s.node.id, now());
    return !fail.has(s.node.id);
  };
  return { starts, ends, execute };
}

describe("runSession", () => {
  const dag: SessionGraph = {
    id: "s",
    nodes: [node("0", []), node("1", ["0"], 10), node("2", ["0"], 0), node("3", ["1", "2"], 5, "1"), node("4", ["3"])],
  };

  it("dispatches a node only after all its parents ended plus its wait", async () => {
    const r = recorder();
    const out = await runSession(dag, { timers: new TimerQueue(), now, execute: r.execute, onError: "continue", stopped: () => false });
    expect(out).toMatchObject({ dispatched: 5, failed: 0, skipped: 0 });
    for (const s of r.starts) {
      for (const p of s.node.parents) expect(s.readyAt).toBeGreaterThanOrEqual(r.ends.get(p)!);
      expect(s.plannedAt).toBe(s.readyAt + s.node.waitAfterReadyMs);
      expect(s.at).toBeGreaterThanOrEqual(s.plannedAt - 0.5);
    }
    // 1 and 2 are siblings: 2 (no wait) starts first and runs alongside 1
    expect(r.starts.map((s) => s.node.id)).toEqual(["0", "2", "1", "3", "4"]);
  });

  it("cancels the rest of the session after a failure when asked", async () => {
    const r = recorder(new Set(["1"]));
    const out = await runSession(dag, { timers: new TimerQueue(), now, execute: r.execute, onError: "cancel-session", stopped: () => false });
    expect(out.failed).toBe(1);
    expect(r.starts.map((s) => s.node.id).sort()).toEqual(["0", "1", "2"]);
    expect(out.skipped).toBe(2);
  });

  it("continues past a failure by default", async () => {
    const r = recorder(new Set(["1"]));
    const out = await runSession(dag, { timers: new TimerQueue(), now, execute: r.execute, onError: "continue", stopped: () => false });
    expect(out).toMatchObject({ dispatched: 5, failed: 1, skipped: 0 });
  });

  it("ends promptly when the run stops during a long wait", async () => {
    const timers = new TimerQueue();
    let stopped = false;
    const chain: SessionGraph = { id: "c", nodes: [node("0", []), node("1", ["0"], 60_000)] };
    const r = recorder();
    const done = runSession(chain, { timers, now, execute: r.execute, onError: "continue", stopped: () => stopped });
    await sleep(20);
    stopped = true;
    timers.flush();
    const out = await done;
    expect(out).toMatchObject({ dispatched: 1, skipped: 1 });
  });
});

function chains(count: number, length: number): SessionGraph[] {
  return Array.from({ length: count }, (_, s) => ({
    id: String(s),
    nodes: Array.from({ length }, (_, i) => node(String(i), i === 0 ? [] : [String(i - 1)])),
  }));
}

describe("traffic modes", () => {
  it("keeps at most N sessions active and runs them all", async () => {
    const sessions = chains(7, 2);
    let active = 0;
    let peak = 0;
    const timers = new TimerQueue();
    const released = await runConcurrent(
      { concurrency: 3, rampUpMs: 0 },
      {
        timers,
        now,
        nextSession: () => sessions.shift(),
        runSession: async () => {
          peak = Math.max(peak, ++active);
          await sleep(5);
          active--;
        },
        stopped: () => false,
      },
    );
    expect(released).toBe(7);
    expect(peak).toBe(3);
  });

  it("ramps lanes up over rampUpMs", async () => {
    const sessions = chains(4, 1);
    const startedAt: number[] = [];
    const t0 = now();
    await runConcurrent(
      { concurrency: 4, rampUpMs: 40 },
      {
        timers: new TimerQueue(),
        now,
        nextSession: () => sessions.shift(),
        runSession: async (_s, startAt) => {
          startedAt.push(startAt - t0);
          await sleep(100); // each lane holds its session past the ramp
        },
        stopped: () => false,
      },
    );
    expect(startedAt.map((x) => Math.round(x))).toEqual([0, 10, 20, 30]);
  });

  it("starts sessions at arrival times in rate mode, regardless of how many run", async () => {
    const sessions = chains(5, 1);
    const startedAt: number[] = [];
    let running = 0;
    let peak = 0;
    await runRate(
      { nextGapMs: () => 4, meanGapMs: () => 4 },
      {
        timers: new TimerQueue(),
        now,
        nextSession: () => sessions.shift(),
        runSession: async (_s, startAt) => {
          startedAt.push(startAt);
          peak = Math.max(peak, ++running);
          await sleep(30);
          running--;
        },
        stopped: () => false,
      },
    );
    expect(startedAt).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(startedAt[i]! - startedAt[i - 1]!).toBeCloseTo(4, 6);
    expect(peak).toBeGreaterThan(1);
  });
});
