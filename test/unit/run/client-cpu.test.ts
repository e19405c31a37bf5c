// The client CPU sampler on fake timers and fake runtime APIs: event-loop utilization where the
// runtime has it, CPU time over wall time where it has only process.cpuUsage (Bun, Deno), a note
// where it has neither or stubs the first with zeros; and the event loop's stalls, on any runtime.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { STALL_MIN_MS, type EventLoopStall } from "../../../src/metrics/client-checks.js";
import { startCpuSampler, STALL_TICK_MS } from "../../../src/run/client-cpu.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("client CPU sampler", () => {
  it("reads the event loop's utilization per window", () => {
    let clock = 0;
    const utilizations = [0.5, 0.95, 0.2];
    let i = 0;
    let total = { idle: 100, active: 100, utilization: 0.5 };
    const elu = (prev?: typeof total) => {
      if (!prev) return total;
      const u = utilizations[i++] ?? 0;
      total = { idle: total.idle + 1000 * (1 - u), active: total.active + 1000 * u, utilization: u };
      return { idle: 1000 * (1 - u), active: 1000 * u, utilization: u };
    };
    const sampler = startCpuSampler({ windowMs: 1000, now: () => clock, eventLoopUtilization: elu, cpuUsage: undefined });
    for (let k = 0; k < 3 * 20; k++) {
      clock += 50;
      vi.advanceTimersByTime(50);
    }
    clock += 150; // a last sliver under half a window is dropped
    expect(sampler.stop()).toEqual({ source: "eventLoopUtilization", windowMs: 1000, busy: [0.5, 0.95, 0.2], stalls: [], stallCount: 0 });
  });

  it("falls back to process CPU time over wall time, and reads a late window over its real length", () => {
    let clock = 0;
    let used = 0;
    const cpuUsage = (prev?: { user: number; system: number }) => ({ user: used - (prev ? prev.user + prev.system : 0), system: 0 });
    const sampler = startCpuSampler({ windowMs: 1000, now: () => clock, eventLoopUtilization: undefined, cpuUsage });
    used += 900_000; // µs
    clock += 1000;
    vi.advanceTimersByTime(1000);
    used += 1_500_000;
    clock += 2000; // the interval fired a second late: 1.5 s of CPU over 2 s
    vi.advanceTimersByTime(1000);
    used += 300_000;
    clock += 600; // the last window counts: over half a window
    expect(sampler.stop()).toMatchObject({ source: "cpuUsage", windowMs: 1000, busy: [0.9, 0.75, 0.5] });
  });

  it("treats an event-loop API that answers zeros as missing, and notes a runtime with neither", () => {
    const zeros = () => ({ idle: 0, active: 0, utilization: 0 });
    const cpuUsage = () => ({ user: 0, system: 0 });
    expect(startCpuSampler({ eventLoopUtilization: zeros, cpuUsage }).stop().source).toBe("cpuUsage");
    expect(startCpuSampler({ eventLoopUtilization: undefined, cpuUsage: undefined }).stop()).toEqual({
      source: null,
      windowMs: 1000,
      busy: [],
      note: "client CPU not sampled: this runtime has neither performance.eventLoopUtilization nor process.cpuUsage",
      stalls: [],
      stallCount: 0,
    });
  });
});

describe("event-loop stalls", () => {
  const apis = { eventLoopUtilization: undefined, cpuUsage: undefined };

  it("marks a gap of STALL_MIN_MS between two ticks as a stall, from the tick before it", () => {
    let clock = 1000;
    const sampler = startCpuSampler({ now: () => clock, ...apis });
    const tick = (late = 0) => {
      clock += STALL_TICK_MS + late;
      vi.advanceTimersByTime(STALL_TICK_MS);
    };
    tick();
    tick(STALL_MIN_MS - STALL_TICK_MS - 1); // machine noise: not a stall
    tick();
    tick(5_000); // the loop held 5 s: the timer fires once, that late
    tick();
    expect(sampler.stop()).toMatchObject({ stallCount: 1, stalls: [{ atMs: 2 * STALL_TICK_MS + STALL_MIN_MS - 1, ms: STALL_TICK_MS + 5_000 }] });
  });

  it("counts a stall still running when sampling stops", () => {
    let clock = 0;
    const sampler = startCpuSampler({ now: () => clock, ...apis });
    clock += STALL_TICK_MS;
    vi.advanceTimersByTime(STALL_TICK_MS);
    clock += 2_000; // stop() runs right after a 2 s block
    expect(sampler.stop()).toMatchObject({ stallCount: 1, stalls: [{ atMs: STALL_TICK_MS, ms: 2_000 }] });
  });

  it("keeps the first 100 stalls and the longest beyond them, with the count of all", () => {
    let clock = 0;
    const sampler = startCpuSampler({ now: () => clock, ...apis });
    for (let i = 0; i < 150; i++) {
      clock += STALL_MIN_MS + (i === 120 ? 9_000 : i);
      vi.advanceTimersByTime(STALL_TICK_MS);
    }
    const { stalls, stallCount } = sampler.stop();
    expect(stallCount).toBe(150);
    expect(stalls).toHaveLength(101);
    expect(stalls!.at(-1)!.ms).toBe(STALL_MIN_MS + 9_000);
  });

  it("tells its watcher every tick and every stall as it ends, the same stalls stop() returns", () => {
    let clock = 0;
    const ticks: number[] = [];
    const told: EventLoopStall[] = [];
    const sampler = startCpuSampler({ now: () => clock, ...apis, watcher: { tick: (at) => ticks.push(at), stall: (s) => told.push(s) } });
    clock += STALL_TICK_MS;
    vi.advanceTimersByTime(STALL_TICK_MS);
    clock += 1_000; // a 1 s block
    vi.advanceTimersByTime(STALL_TICK_MS);
    expect(told).toEqual([{ atMs: STALL_TICK_MS, ms: 1_000 }]);
    expect(ticks).toEqual([STALL_TICK_MS, STALL_TICK_MS + 1_000]);
    clock += 700; // still blocked when sampling stops
    const { stalls } = sampler.stop();
    expect(told).toHaveLength(2);
    expect(stalls![0]).toBe(told[0]);
    expect(stalls![1]).toBe(told[1]);
  });
});
