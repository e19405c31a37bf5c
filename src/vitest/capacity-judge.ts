// toSustain's rule on describeCapacity's result, apart from the describe block so the matchers
// stay free of vitest's runner: a load is sustained only when the search showed it healthy (the
// frontier is at least it), not sustained when the search failed at or below it, and otherwise
// inconclusive (inside the last bracket, beyond the highest load tried, or beyond the points).
import type { CapacityPoint, SearchStop } from "../search/capacity.js";
import type { LoadDimension } from "../search/load.js";
import type { PointFigures } from "../search/point.js";
import type { WorkloadFingerprint } from "../run/fingerprint.js";
import type { ServerEnvironment } from "./run-view.js";
import { loadText } from "../search/table.js";

/** What describeCapacity hands its tests: the search's result. */
export interface CapacityResultView {
  readonly kind: "agentload-capacity";
  name: string;
  over: LoadDimension;
  unit: string;
  precision: number;
  frontier: number | null;
  firstFailing: number | null;
  binding: string | null;
  reasons: string[];
  stopped: SearchStop;
  points: CapacityPoint<PointFigures>[];
  /** The table and outcome lines, as agentload search prints them. */
  lines: string[];
  /** The spec searched (before the load was set on the axis), for a capacity snapshot. */
  fingerprint?: WorkloadFingerprint;
  /** What served the search, for a capacity snapshot. */
  environment?: ServerEnvironment;
}

export function isCapacityResult(x: unknown): x is CapacityResultView {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "agentload-capacity";
}

/** toSustain's verdict: healthy at the load, not healthy, or not decided by this search. */
export function judgeSustain(c: CapacityResultView, load: number): { outcome: "sustained" | "not-sustained" | "inconclusive"; message: string } {
  const at = `${c.over} ${loadText(load)} ${c.unit}`;
  const name = JSON.stringify(c.name);
  if (c.frontier !== null && c.frontier >= load) {
    return { outcome: "sustained", message: `${name} sustains ${at}: its frontier is ${loadText(c.frontier)}` };
  }
  if (c.firstFailing !== null && c.firstFailing <= load) {
    const why = c.binding ? `, binding SLO ${c.binding}` : c.reasons[0] ? ` (${c.reasons[0]})` : "";
    const frontier = c.frontier === null ? "no load was healthy" : `its frontier is ${loadText(c.frontier)}`;
    return { outcome: "not-sustained", message: `${name} does not sustain ${at}: it failed at ${loadText(c.firstFailing)}${why}; ${frontier}` };
  }
  if (c.stopped === "max-load") {
    return { outcome: "inconclusive", message: `${name}: inconclusive at ${at}: the search stopped at its highest load ${loadText(c.frontier ?? 0)} (max), below it` };
  }
  if (c.stopped === "max-points") {
    return { outcome: "inconclusive", message: `${name}: inconclusive at ${at}: the search ran out of points (maxPoints) before it reached it` };
  }
  return {
    outcome: "inconclusive",
    message: `${name}: inconclusive at ${at}: it lies between the frontier ${c.frontier === null ? "-" : loadText(c.frontier)} (healthy) and the first failing load ${c.firstFailing === null ? "-" : loadText(c.firstFailing)}; search with a finer precision`,
  };
}
