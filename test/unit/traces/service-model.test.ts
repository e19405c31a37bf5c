import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { serviceMs, timedByModel } from "../../../src/traces/service-model.js";
import type { Trace } from "../../../src/traces/types.js";

const model = { fixedMs: 10, perPromptTokenMs: 0.5, perOutputTokenMs: 2 };

describe("timing a trace by a fixed service model", () => {
  const trace: Trace = {
    format: "csv",
    source: "t",
    requests: [
      { id: "a", conversation: "c", parents: [], historyParent: null, freshInputTokens: 20, outputTokens: 5, promptTokens: 20 },
      { id: "b", conversation: "c", parents: [{ from: "a", type: "sequential" }], historyParent: "a", freshInputTokens: 10, outputTokens: 10, promptTokens: 35, waitAfterReadyMs: 7 },
      { id: "s", conversation: "d", parents: [{ from: "a", type: "subagent_spawn" }], historyParent: null, freshInputTokens: 40, outputTokens: 1, promptTokens: 40 },
      { id: "j", conversation: "c", parents: [{ from: "b", type: "sequential" }, { from: "s", type: "subagent_result" }], historyParent: "b", freshInputTokens: 3, outputTokens: 1, promptTokens: 58 },
    ],
  };

  it("sends each request its wait after its last parent ends, and takes the model's time", () => {
    const timed = timedByModel(trace, model).requests;
    expect(serviceMs(trace.requests[0]!, model)).toBe(10 + 10 + 10);
    expect(timed.map((r) => [r.id, r.dispatchedMs, r.respondedMs])).toEqual([
      ["a", 0, 30],
      ["b", 37, 37 + 10 + 17.5 + 20],
      ["s", 30, 30 + 10 + 20 + 2],
      // j waits for b (ends 84.5) and s (ends 62); no wait in the trace: sent at once.
      ["j", 84.5, 84.5 + 10 + 29 + 2],
    ]);
    // b and s overlap: two in flight at once.
    expect(analyzeTrace(timedByModel(trace, model)).peakInFlight).toBe(2);
  });

  it("starts sessions at their arrival when told", () => {
    const timed = timedByModel(trace, model, () => 1000).requests;
    expect(timed[0]!.dispatchedMs).toBe(1000);
    expect(trace.requests[0]!.dispatchedMs).toBeUndefined();
  });
});
