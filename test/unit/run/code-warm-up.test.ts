// The client's code warm-up (run/code-warm-up.ts) goes through the same decoder, record and
// aggregator a run uses, on replies of the chat and completions APIs, and keeps nothing.
import { describe, expect, it } from "vitest";
import { warmUpClientCode } from "../../../src/run/code-warm-up.js";
import { generateSessionAt } from "../../../src/workload/generate.js";
import { validateSpec } from "../../../src/workload/spec.js";

const spec = validateSpec({ name: "w", seed: 1, sessions: 1, agents: [{ name: "a", turns: 3, freshInput: 20, output: 4 }] });

describe("warmUpClientCode", () => {
  for (const api of ["chat", "completions"] as const) {
    it(`decodes every canned ${api} reply whole and aggregates a record for each`, () => {
      const r = warmUpClientCode({ session: generateSessionAt(spec, 0), api, aggregator: { slo: { ttfc: { p99: 1000 } } }, now: () => performance.now(), rounds: 40 });
      expect(r).toEqual({ records: 40, whole: 40 });
    });
  }

  it("warms nothing without a session", () => {
    expect(warmUpClientCode({ session: undefined, api: "chat", aggregator: {}, now: () => performance.now() })).toEqual({ records: 0, whole: 0 });
  });
});
