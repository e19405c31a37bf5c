// Traffic modes: how a run releases its sessions, one small unit per mode (as k6 has one executor
// per file). Each mode file maps the run plan's traffic of its mode to a runner (types.ts).
//
// To add a mode: write <mode>.ts exporting a `TrafficMode<"<mode>">` (its mapping from the plan's
// traffic and its loop), add one line to `modes` below, and add the mode's traffic to the spec
// schema (schema/workload.schema.json, then `npm run gen:spec-types`) or, for a mode only trace
// replays use, to RunPlan's traffic type in ../run.ts. The table's type lists every mode of
// RunPlan's traffic, so a mode without a line here does not compile.
import type { RunPlan } from "../run.js";
import { concurrent } from "./concurrent.js";
import { rate } from "./rate.js";
import { timed } from "./timed.js";
import type { PlanTraffic, TrafficMode, TrafficModeName, TrafficRunner } from "./types.js";

export type { PlanTraffic, TrafficDeps, TrafficMode, TrafficModeName, TrafficRunner } from "./types.js";

const modes: { [M in TrafficModeName]: TrafficMode<M> } = {
  concurrent,
  rate,
  timed,
};

/** The runner of a plan's traffic. */
export function trafficRunner(plan: RunPlan): TrafficRunner {
  // The table pairs each mode with its own traffic type; TypeScript cannot follow that through the lookup.
  const mode = modes[plan.traffic.mode] as unknown as (traffic: PlanTraffic, plan: RunPlan) => TrafficRunner;
  return mode(plan.traffic, plan);
}
