// Hidden reasoning in replies and how much of a reply later prompts carry (issue 15, item 3).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTrace } from "../../../src/traces/read.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import { generateSessionAt, generateWorkload } from "../../../src/workload/generate.js";
import type { AgentSpec, ReasoningSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { inheritedPrompt, sessionTokens } from "../../../src/workload/tokens.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

function spec(reasoning: ReasoningSpec | undefined, more: Partial<AgentSpec> = {}): WorkloadSpec {
  const agent: AgentSpec = { name: "a", scaffold: { systemTokens: 100 }, turns: 40, freshInput: 50, output: 100, ...more };
  if (reasoning) agent.reasoning = reasoning;
  return { name: "r", seed: 4, sessions: 1, agents: [agent] };
}

describe("token accounting with reasoning", () => {
  const parent = { promptTokens: 1000, sharedPrefixTokens: 0, scaffoldTokens: 100 };
  it("a whole reply is carried, and its reasoning remembered for a later drop", () => {
    const kept = inheritedPrompt(parent, 100, 10, undefined, { visible: 40 });
    expect(kept).toEqual({ promptTokens: 1110, sharedPrefixTokens: 1100, scaffoldTokens: 100, carriedReasoning: 60, stableTokens: 1000 });
    const next = inheritedPrompt(kept, 100, 10, undefined, { visible: 40 });
    expect(next).toMatchObject({ promptTokens: 1220, carriedReasoning: 120, stableTokens: 1000 });
    // A new user turn drops all carried reasoning: the prompt shrinks, and only the part before
    // the first reply with reasoning repeats an earlier prompt.
    expect(inheritedPrompt(next, 100, 10, undefined, { visible: 40, drop: "all" })).toEqual({ promptTokens: 1220 - 120 + 40 + 10, sharedPrefixTokens: 1000, scaffoldTokens: 100 });
  });
  it("visible only: the parent's reply without its reasoning; the parent's prompt is what repeats", () => {
    expect(inheritedPrompt(parent, 100, 10, undefined, { visible: 40, drop: "parent" })).toEqual({ promptTokens: 1050, sharedPrefixTokens: 1000, scaffoldTokens: 100 });
    // Without reasoning nothing changes.
    expect(inheritedPrompt(parent, 100, 10, undefined, { visible: 100, drop: "all" })).toEqual(inheritedPrompt(parent, 100, 10));
  });
});

describe("generated reasoning", () => {
  it("marks each reply's reasoning, at least one token visible, and leaves the other draws alone", () => {
    const plain = generateSessionAt(spec(undefined), 0);
    const reasoned = generateSessionAt(spec({ share: 0.7 }), 0);
    expect(reasoned.nodes.map((n) => ({ ...n, reasoningTokens: undefined }))).toEqual(plain.nodes.map((n) => ({ ...n, reasoningTokens: undefined })));
    for (const n of reasoned.nodes) expect(n.reasoningTokens).toBe(70);
    const all = generateSessionAt(spec({ share: 1 }, { output: 5 }), 0);
    for (const n of all.nodes) expect(n.reasoningTokens).toBe(4);
  });

  it("visible: every prompt carries its parent's visible part only, so contexts grow by it", () => {
    const s = generateSessionAt(spec({ share: 0.6, inHistory: "visible" }), 0);
    expect(s.nodes.slice(1).every((n) => n.dropReasoning === "parent")).toBe(true);
    const tokens = sessionTokens(s, [{ id: "a", systemTokens: 100, toolTokens: 0 }]);
    expect(tokens.get("39")!.promptTokens).toBe(100 + 50 + 39 * (40 + 50));
  });

  it("visible across user turns: whole replies within a turn, a sawtooth at new user messages", () => {
    const s = generateSessionAt(spec({ share: 0.6, inHistory: "visible_across_user_turns", userTurnProbability: 0.15 }), 0);
    const userTurns = s.nodes.filter((n) => n.dropReasoning === "all");
    expect(userTurns.length).toBeGreaterThan(1);
    expect(s.nodes.every((n) => n.dropReasoning === undefined || n.dropReasoning === "all")).toBe(true);
    const tokens = sessionTokens(s, [{ id: "a", systemTokens: 100, toolTokens: 0 }]);
    for (const n of userTurns) {
      // Every reply of the turn before loses its reasoning, the parent's too (60 of its 100).
      const parent = tokens.get(n.historyParent!)!;
      expect(parent.carriedReasoning).toBeGreaterThan(0);
      expect(tokens.get(n.id)!.promptTokens).toBe(parent.promptTokens - parent.carriedReasoning! + 40 + 50);
      expect(tokens.get(n.id)!.sharedPrefixTokens).toBe(parent.stableTokens);
    }
    // Within a turn, a prompt extends its parent's whole conversation.
    const inTurn = s.nodes.find((n) => n.historyParent !== null && n.dropReasoning === undefined)!;
    expect(tokens.get(inTurn.id)!.sharedPrefixTokens).toBe(tokens.get(inTurn.historyParent!)!.promptTokens + 100);
  });

  it("the share must be at least 0", () => {
    expect(() => validateSpec(spec({ share: -0.1 }), { source: "r.yaml" })).toThrow(/reasoning\.share.*expected a number >= 0/s);
    expect(generateWorkload(validateSpec(spec({ share: { type: "uniform", min: 0, max: 1, continuous: true } }))).sessions).toHaveLength(1);
  });
});

describe.skipIf(!haveShared)(haveShared ? "fitting reasoning from case-study-1-interp" : `fitting reasoning (${sharedSkipReason})`, () => {
  it("finds that new user messages drop the turn's reasoning, and the share of reasoning in replies", async () => {
    const trace = await readTrace(join(sharedTraces, "openclaw/case-study-1-interp/dag.json"));
    const reasoning = fitTrace(trace).spec.agents[0]!.reasoning!;
    expect(reasoning.inHistory).toBe("visible_across_user_turns");
    // The trace's replies carry 39% of the output tokens (from_previous_assistant over output).
    expect(reasoning.share).toBeCloseTo(0.61, 2);
    // 3 of the 128 requests after the first answer a new user message.
    expect(reasoning.userTurnProbability).toBeCloseTo(3 / 128, 4);
  });
});

describe("a generated workload with reasoning, fitted again", () => {
  it("fit finds the share, the history mode and the rate of user turns it was generated with", async () => {
    const { workloadTrace } = await import("../../../src/traces/from-workload.js");
    const s = { ...spec({ share: 0.5, inHistory: "visible_across_user_turns", userTurnProbability: 0.1 }, { output: { type: "lognormal", mu: 5, sigma: 0.5 } }), sessions: 20 };
    const reasoning = fitTrace(workloadTrace(generateWorkload(s))).spec.agents[0]!.reasoning!;
    expect(reasoning.inHistory).toBe("visible_across_user_turns");
    expect(reasoning.share).toBeGreaterThan(0.45);
    expect(reasoning.share).toBeLessThan(0.55);
    expect(reasoning.userTurnProbability).toBeGreaterThan(0.06);
    expect(reasoning.userTurnProbability).toBeLessThan(0.14);
    const visible = fitTrace(workloadTrace(generateWorkload({ ...s, agents: [{ ...s.agents[0]!, reasoning: { share: 0.5, inHistory: "visible" } }] }))).spec.agents[0]!.reasoning!;
    expect(visible.inHistory).toBe("visible");
    const kept = fitTrace(workloadTrace(generateWorkload({ ...s, agents: [{ ...s.agents[0]!, reasoning: { share: 0.5 } }] }))).spec.agents[0]!.reasoning!;
    expect(Object.keys(kept)).toEqual(["share"]);
    expect(kept.share).toBeCloseTo(0.5, 1);
  });
});

describe.skipIf(!haveShared)(haveShared ? "replaying case-study-1-interp" : `replaying case study 1 (${sharedSkipReason})`, () => {
  it("drops reasoning where the trace's prompts did, so the replay sends the trace's prompt tokens", async () => {
    const { traceWorkload } = await import("../../../src/traces/sessions.js");
    const trace = await readTrace(join(sharedTraces, "openclaw/case-study-1-interp/dag.json"));
    const workload = traceWorkload(trace);
    const nodes = workload.sessions.flatMap((s) => s.nodes);
    // The three new user messages after the first drop the turn's reasoning.
    expect(nodes.filter((n) => n.dropReasoning === "all")).toHaveLength(3);
    let replayed = 0;
    for (const g of workload.sessions) for (const t of sessionTokens(g, workload.scaffolds).values()) replayed += t.promptTokens;
    const traced = trace.requests.reduce((s, r) => s + r.promptTokens!, 0);
    // 1.27 times the trace's when every reply was carried whole.
    expect(Math.abs(replayed / traced - 1)).toBeLessThan(0.02);
  });
});
