// Stopping a run (run/run-control.ts): a signal that fired before the control started still stops
// the run, and each set-up step ends at once on the signal with RunInterrupted, undoing set-up.
import { describe, expect, it } from "vitest";
import { RunInterrupted, setUpSteps, startRunControl } from "../../../src/run/run-control.js";
import { TimerQueue } from "../../../src/run/timer-queue.js";

describe("startRunControl", () => {
  it("stops at once when the signal was aborted before it started (no abort event comes any more)", () => {
    const controller = new AbortController();
    controller.abort();
    let stops = 0;
    const control = startRunControl({ timers: new TimerQueue(), signal: controller.signal, graceMs: 0, onStop: () => stops++ });
    expect(control.stopped()).toBe(true);
    expect(stops).toBe(1);
    control.dispose();
  });

  it("stops on a later abort, once", () => {
    const controller = new AbortController();
    let stops = 0;
    const control = startRunControl({ timers: new TimerQueue(), signal: controller.signal, graceMs: 0, onStop: () => stops++ });
    expect(control.stopped()).toBe(false);
    controller.abort();
    controller.abort();
    expect(control.stopped()).toBe(true);
    expect(stops).toBe(1);
    control.dispose();
  });
});

describe("setUpSteps", () => {
  it("passes results and errors through while the signal has not fired", async () => {
    const steps = setUpSteps(new AbortController().signal);
    await expect(steps.step("a", async () => 42)).resolves.toBe(42);
    await expect(steps.step("b", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(setUpSteps(undefined).step("c", async () => "no signal")).resolves.toBe("no signal");
  });

  it("rejects a step that never ends as soon as the signal fires, undoing set-up last first", async () => {
    const controller = new AbortController();
    const steps = setUpSteps(controller.signal);
    const undone: string[] = [];
    steps.onInterrupt(() => void undone.push("folder"));
    steps.onInterrupt(() => void undone.push("client"));
    const pending = steps.step("tokenizer", () => new Promise<never>(() => {}));
    setTimeout(() => controller.abort(), 10);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunInterrupted);
    expect(err).toMatchObject({ code: "interrupted", step: "tokenizer", message: "interrupted during set-up (tokenizer), before the first measured request: nothing was measured" });
    expect(undone).toEqual(["client", "folder"]);
  });

  it("does not start a step once the signal has fired; an error the abort caused is the interrupt", async () => {
    const controller = new AbortController();
    const steps = setUpSteps(controller.signal);
    const failsOnAbort = steps.step("warm-up request", () => new Promise((_, reject) => controller.signal.addEventListener("abort", () => reject(new Error("aborted")))));
    controller.abort();
    await expect(failsOnAbort).rejects.toBeInstanceOf(RunInterrupted);
    let started = false;
    await expect(steps.step("server counters", async () => (started = true))).rejects.toMatchObject({ step: "server counters" });
    expect(started).toBe(false);
  });
});
