// The load meter on explicit times: in-flight sessions weighted by time over the steady part
// only, and open-loop releases against their schedule.
import { describe, expect, it } from "vitest";
import { createLoadMeter } from "../../../src/run/traffic/load.js";

describe("load meter", () => {
  it("concurrency: a lane that dawdles between sessions shows as a mean below the target", () => {
    const m = createLoadMeter();
    m.concurrency(2, 1000);
    // Lane A: busy 0-11000 without a break. Lane B: busy 500-3000, idle 3000-6000, busy 6000-11000.
    m.sessionStarted(0);
    m.sessionStarted(500);
    m.sessionEnded(3000);
    m.sessionStarted(6000);
    m.rampDown(11_000);
    m.sessionEnded(11_000);
    m.sessionEnded(12_000); // the tail after the ramp-down does not count
    // Steady 1000-11000: 2 in flight for 7 s, 1 for 3 s.
    expect(m.result(12_000)).toEqual({ mode: "concurrency", target: 2, steadyMs: 10_000, achieved: 1.7 });
  });

  it("concurrency: a steady part under a second is not judged", () => {
    const m = createLoadMeter();
    m.concurrency(3, 2000);
    m.sessionStarted(0);
    m.rampDown(2500);
    expect(m.result(2600)).toMatchObject({ achieved: null, steadyMs: 500, note: "steady part 500ms: too short to judge" });
  });

  it("the first ramp-down counts (sessions ran out, then the run stopped)", () => {
    const m = createLoadMeter();
    m.concurrency(1, 0);
    m.sessionStarted(0);
    m.rampDown(2000);
    m.rampDown(5000);
    expect(m.result(6000)).toMatchObject({ steadyMs: 2000, achieved: 1 });
  });

  it("rate: sessions released later and later fall behind the schedule's rate", () => {
    const m = createLoadMeter();
    m.rate(10);
    for (let i = 0; i < 11; i++) m.released(i * 100, i * 125); // the client lags 25 ms more each time
    expect(m.result(2000)).toEqual({ mode: "rate", targetPerSec: 10, sessions: 11, plannedPerSec: 10, achievedPerSec: 8 });
  });

  it("rate: too short a schedule is not judged; no target said, no result", () => {
    const m = createLoadMeter();
    m.rate(NaN);
    m.released(0, 0);
    expect(m.result(10)).toMatchObject({ targetPerSec: null, achievedPerSec: null, note: "1 session released over 0ms of schedule: too few to judge the rate" });
    expect(createLoadMeter().result(10)).toBeUndefined();
  });
});
