// --start-at T: read as an ISO time with its zone or epoch ms, refused when in the past beyond the
// tolerance or too far ahead (errors name the flag, the value, now and what was expected); the
// wait ends at T, on the signal, or at once with StartMissedError when set-up ended too late.
import { describe, expect, it } from "vitest";
import { MAX_START_WAIT_MS, parseStartAt, parseStartIn, START_TOLERANCE_MS, StartMissedError, waitForStart } from "../../../src/run/start-at.js";

const now = Date.parse("2026-12-06T12:00:00Z");

describe("parseStartAt", () => {
  it("reads ISO times with a zone and epoch milliseconds", () => {
    expect(parseStartAt("2026-12-06T12:05:00Z", now)).toBe(now + 300_000);
    expect(parseStartAt("2026-12-06T13:05:00+01:00", now)).toBe(now + 300_000);
    expect(parseStartAt(String(now + 1000), now)).toBe(now + 1000);
    // Within the tolerance in the past: starts at once.
    expect(parseStartAt(String(now - START_TOLERANCE_MS), now)).toBe(now - START_TOLERANCE_MS);
  });
  it("refuses a time without zone, in the past, or too far ahead, saying what was expected", () => {
    expect(() => parseStartAt("2026-12-06T12:05:00", now)).toThrow("--start-at expects an ISO time with its time zone (e.g. 2026-12-06T14:00:00Z) or epoch milliseconds, got '2026-12-06T12:05:00'");
    expect(() => parseStartAt("2026-12-06T11:59:00Z", now)).toThrow("--start-at 2026-12-06T11:59:00Z is 60.0 s in the past (now 2026-12-06T12:00:00.000Z); expected a time at most 2 s ago");
    expect(() => parseStartAt(String(Math.floor(now / 1000)), now)).toThrow(/\(epoch milliseconds, not seconds\) is .* in the past/);
    expect(() => parseStartAt("2026-12-06T14:00:00Z", now)).toThrow("--start-at 2026-12-06T14:00:00Z is 2.0 hours ahead (now 2026-12-06T12:00:00.000Z); expected a time at most 60 minutes ahead");
    expect(() => parseStartAt("2026-13-45T12:00:00Z", now)).toThrow("--start-at expects a valid ISO time");
  });
  it("--start-in: now plus a duration", () => {
    expect(parseStartIn("90s", now)).toBe(now + 90_000);
    expect(parseStartIn("5m", now)).toBe(now + 300_000);
    expect(parseStartIn("10", now)).toBe(now + 10_000);
    expect(() => parseStartIn("soon", now)).toThrow("--start-in expects a duration such as 90s, 5m or 1h, got 'soon'");
    expect(() => parseStartIn(`${MAX_START_WAIT_MS / 3_600_000 + 1}h`, now)).toThrow(/at most 60 minutes ahead/);
  });
});

describe("waitForStart", () => {
  it("returns once the clock reads T", async () => {
    const at = Date.now() + 30;
    await waitForStart(at);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
  });
  it("a set-up that ended after T beyond the tolerance throws StartMissedError", async () => {
    const at = Date.now() - START_TOLERANCE_MS - 500;
    const err = await waitForStart(at).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartMissedError);
    expect((err as StartMissedError).code).toBe("AGENTLOAD_START_MISSED");
    expect((err as Error).message).toMatch(/set-up ended 2\.\d s after it \(tolerance 2 s\); this shard did not run/);
  });
  it("the signal ends the wait at once (no timer left to hold the process)", async () => {
    const controller = new AbortController();
    const waiting = waitForStart(Date.now() + 60_000, controller.signal);
    controller.abort();
    await waiting;
    expect(controller.signal.aborted).toBe(true);
  });
});
