// Capacity snapshots: a describeCapacity search's frontier kept as a baseline in
// `__capacity__/<test file>.json` next to the test file, keyed like metric snapshots (test name
// and counter), and later searches compared with it as `agentload compare` compares two search
// folders (compare/frontiers.ts): the new search regressed only when it failed at a load the
// baseline held, less a minimum effect. The effect is the noise rule: reruns of one search on the
// built-in engine found frontiers 7.3 to 9.5 around 8.0 at precision 10%
// (benchmarks/search-repeat.ts), so the default is metric snapshots' 25%. As with metric
// snapshots, a search that decided nothing near the baseline (it stopped below it at its highest
// load or its point budget, or held no load and failed only above it) is inconclusive and fails,
// while a closed bracket that straddles the baseline's frontier less the effect passes,
// a baseline of another workload is not compared, and vitest's update modes write and rewrite.
//
// Node-only (node:fs); Bun and Deno provide both.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compareFrontiers, type SearchSide } from "../compare/frontiers.js";
import type { WorkloadFingerprint } from "../run/fingerprint.js";
import type { SearchStop } from "../search/capacity.js";
import { loadText } from "../search/table.js";
import type { CapacityResultView } from "./capacity-judge.js";
import { readSnapshotJson } from "./metric-snapshot-file.js";
import { environmentDiff, hostEnvironment, type HostEnvironment, type MetricSnapshotOutcome, type SnapshotUpdateMode } from "./metric-snapshot.js";
import type { ServerEnvironment } from "./run-view.js";

export const CAPACITY_SNAPSHOT_DIR = "__capacity__";
export const CAPACITY_SNAPSHOT_VERSION = 1;
/** Metric snapshots' default: a rerun of one search moves its frontier by up to ~20% here. */
export const CAPACITY_MIN_EFFECT = 0.25;

export interface CapacitySnapshotEntry {
  workload: string;
  /** The spec searched (before the load was set on the axis): a baseline of another workload is not compared. */
  fingerprint?: WorkloadFingerprint;
  over: string;
  unit: string;
  precision: number;
  frontier: number;
  firstFailing: number | null;
  binding: string | null;
  stopped: SearchStop;
  /** Every load tried, in order: what a reviewer reads in the diff. */
  points: { load: number; healthy: boolean; binding?: string }[];
  savedAt: string;
  environment: { server: ServerEnvironment; host: HostEnvironment };
}


/** `benchmarks/gate.workload.ts` -> `benchmarks/__capacity__/gate.workload.ts.json`. */
export function capacitySnapshotPath(testFile: string): string {
  return path.join(path.dirname(testFile), CAPACITY_SNAPSHOT_DIR, `${path.basename(testFile)}.json`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readCapacitySnapshotFile(file: string): Record<string, CapacitySnapshotEntry> {
  const data = readSnapshotJson(file);
  if (data === undefined) return {};
  if (!isObject(data) || data.version !== CAPACITY_SNAPSHOT_VERSION || !isObject(data.entries)) {
    throw new Error(`${file}: not a capacity snapshot file: expected { "version": ${CAPACITY_SNAPSHOT_VERSION}, "entries": { ... } }`);
  }
  for (const [key, entry] of Object.entries(data.entries)) {
    if (!isObject(entry) || typeof entry.frontier !== "number" || typeof entry.over !== "string" || !Array.isArray(entry.points)) {
      throw new Error(`${file}: entries[${JSON.stringify(key)}]: expected an object with "over", "frontier" (a number) and "points"`);
    }
  }
  return data.entries as Record<string, CapacitySnapshotEntry>;
}

/** Sorted keys, so the file's diff does not depend on the order tests ran in. */
function writeWhole(file: string, entries: Record<string, CapacitySnapshotEntry>): void {
  const sorted = Object.fromEntries(Object.keys(entries).sort().map((k) => [k, entries[k]]));
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ version: CAPACITY_SNAPSHOT_VERSION, entries: sorted }, null, 2)}\n`);
  renameSync(temp, file);
}

export function writeCapacitySnapshotEntry(file: string, key: string, entry: CapacitySnapshotEntry): void {
  const entries = readCapacitySnapshotFile(file);
  entries[key] = entry;
  writeWhole(file, entries);
}

/** Removes entries; a file left with none is deleted. Returns the keys removed. */
export function removeCapacitySnapshotEntries(file: string, keys: readonly string[]): string[] {
  const entries = readCapacitySnapshotFile(file);
  const removed = keys.filter((k) => k in entries);
  if (removed.length === 0) return [];
  for (const k of removed) delete entries[k];
  if (Object.keys(entries).length === 0) rmSync(file, { force: true });
  else writeWhole(file, entries);
  return removed;
}

export interface CapacitySnapshotRequest {
  testFile: string;
  key: string;
  capacity: CapacityResultView;
  update: SnapshotUpdateMode;
  ci: boolean;
  /** Smallest drop that counts, a fraction (default CAPACITY_MIN_EFFECT). */
  minEffect?: number;
  savedAt?: Date;
  host?: HostEnvironment;
}

export interface CapacitySnapshotCheck {
  outcome: MetricSnapshotOutcome;
  pass: boolean;
  file: string;
  key: string;
  message: string;
}

const rounded = (x: number) => Math.round(x * 1e6) / 1e6;

export function capacityEntryOf(c: CapacityResultView, options: { savedAt?: Date; host?: HostEnvironment } = {}): CapacitySnapshotEntry {
  if (c.frontier === null) throw new Error("a capacity snapshot needs a frontier");
  return {
    workload: c.name,
    ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
    over: c.over,
    unit: c.unit,
    precision: c.precision,
    frontier: rounded(c.frontier),
    firstFailing: c.firstFailing === null ? null : rounded(c.firstFailing),
    binding: c.binding,
    stopped: c.stopped,
    points: c.points.map((p) => ({ load: rounded(p.load), healthy: p.healthy, ...(p.binding ? { binding: p.binding } : {}) })),
    savedAt: (options.savedAt ?? new Date()).toISOString(),
    environment: { server: { ...c.environment }, host: options.host ?? hostEnvironment() },
  };
}

/** A stored entry or a fresh result as compareFrontiers reads a side. */
function sideOf(dir: string, s: Pick<CapacitySnapshotEntry, "over" | "unit" | "precision" | "firstFailing" | "binding" | "stopped"> & { frontier: number | null }): SearchSide {
  return { dir, spec: dir, over: s.over, unit: s.unit, precision: s.precision, frontier: s.frontier, firstFailing: s.firstFailing, binding: s.binding, stopped: s.stopped, points: [] };
}

/** Writes, rewrites or compares the search's snapshot entry, as the update mode says. */
export function checkCapacitySnapshot(req: CapacitySnapshotRequest): CapacitySnapshotCheck {
  const file = capacitySnapshotPath(req.testFile);
  const shown = path.relative(process.cwd(), file) || file;
  const name = JSON.stringify(req.key);
  const c = req.capacity;
  const minEffect = req.minEffect ?? CAPACITY_MIN_EFFECT;
  const done = (outcome: MetricSnapshotOutcome, pass: boolean, message: string): CapacitySnapshotCheck => ({ outcome, pass, file, key: req.key, message });
  const at = (x: number | null) => (x === null ? "-" : `${loadText(x)} ${c.unit}`);
  const entryNow = () => capacityEntryOf(c, { ...(req.savedAt ? { savedAt: req.savedAt } : {}), ...(req.host ? { host: req.host } : {}) });
  // A search that held no load is no baseline: every later search would look fine against it.
  const storable = c.frontier !== null;
  const notStored = `capacity snapshot ${name} (${shown}): not stored: no load was healthy (first failing ${at(c.firstFailing)}${c.binding ? `, binding SLO ${c.binding}` : ""})`;

  const baseline = readCapacitySnapshotFile(file)[req.key];
  if (!baseline) {
    if (req.update !== "all" && (req.update === "none" || req.ci)) {
      const why = req.ci ? "CI is set" : "snapshot updates are off";
      return done("missing", false, `missing capacity snapshot ${name} in ${shown}: run vitest -u to write it (${why}, so it was not written)`);
    }
    if (!storable) return done("inconclusive", false, notStored);
    writeCapacitySnapshotEntry(file, req.key, entryNow());
    return done("written", true, `capacity snapshot ${name} written to ${shown}: frontier ${at(c.frontier)}`);
  }
  const rewrite = (why: string): CapacitySnapshotCheck => {
    if (!storable) return done("inconclusive", false, notStored);
    writeCapacitySnapshotEntry(file, req.key, entryNow());
    return done("updated", true, `capacity snapshot ${name} updated in ${shown} (${why}): frontier ${at(c.frontier)}`);
  };

  const was = baseline.fingerprint;
  const now = c.fingerprint;
  if (baseline.over !== c.over || (was && now && (was.spec !== now.spec || was.sessions !== now.sessions))) {
    if (req.update === "all") return rewrite("the workload changed");
    const what = baseline.over !== c.over ? `over ${baseline.over} -> ${c.over}` : was!.spec !== now!.spec ? `spec ${was!.spec} -> ${now!.spec}` : `sessions ${was!.sessions} -> ${now!.sessions}`;
    return done("different-workload", false, `capacity snapshot ${name} (${shown}) is for a different search (${what}): not compared; update it with vitest -u once the new workload is what you want to measure`);
  }

  const comparison = compareFrontiers(sideOf("baseline", baseline), sideOf("new", c), { minEffect });
  const threshold = baseline.frontier * (1 - minEffect);
  // Not shown lower, but did the new search try the loads that would have shown it? It held a load
  // at or above the threshold, or closed its bracket at its precision (a bracket straddling the
  // threshold is the noise band, and passes as a straddling interval passes a metric snapshot).
  const decided = comparison.outcome === "lower" || (c.frontier !== null && (c.frontier >= threshold || c.stopped === "precision"));
  const outcome: MetricSnapshotOutcome = comparison.outcome === "lower" ? "regressed" : decided ? "matched" : "inconclusive";
  if (outcome !== "matched" && req.update === "all") return rewrite(outcome === "regressed" ? "it had regressed" : "it decided too little");
  const bracket = (s: { frontier: number | null; firstFailing: number | null }) => `frontier ${at(s.frontier)}, first failing ${at(s.firstFailing)}`;
  const lines = [
    outcome === "matched"
      ? `capacity snapshot ${name} (${shown}) matches the baseline of ${baseline.savedAt}${comparison.outcome === "higher" ? " (higher: rerun with vitest -u to take the new frontier)" : ""}`
      : outcome === "regressed"
        ? `capacity snapshot ${name} (${shown}): the capacity dropped against the baseline of ${baseline.savedAt}`
        : `capacity snapshot ${name} (${shown}): inconclusive: the search held no load at or above ${at(threshold)} (the baseline's frontier less ${Math.round(minEffect * 100)}%), failed at none below it, and did not close its bracket (it stopped: ${c.stopped}); widen its range (max, min, maxPoints)`,
    `  baseline: ${bracket(baseline)}${baseline.binding ? `, binding SLO ${baseline.binding}` : ""}`,
    `  new:      ${bracket(c)}${c.binding ? `, binding SLO ${c.binding}` : ""}`,
    `  ${comparison.verdict.replace(/\bA\b/g, "the baseline").replace(/\bB\b/g, "the new search")}`,
  ];
  const environmentChanges = environmentDiff(baseline.environment, { server: { ...c.environment }, host: req.host ?? hostEnvironment() });
  if (environmentChanges.length > 0) lines.push(`  note: measured differently from the baseline: ${environmentChanges.join(", ")}`);
  if (outcome === "regressed") lines.push("  (rerun with vitest -u to accept the new frontier)");
  return done(outcome, outcome === "matched", lines.join("\n"));
}
