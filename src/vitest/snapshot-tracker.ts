// Obsolete metric snapshot entries, as vitest finds its own obsolete snapshots: in the worker,
// toMatchMetricSnapshot notes every key it checks (and whether it wrote or updated the entry);
// when the test file ends (an afterAll of the setup file, setup.ts), the entries of the file's
// snapshot files that no test checked are obsolete. They are removed only with -u (update "all")
// and only when the whole file ran; otherwise they are reported and kept. What was found goes
// into the file task's meta, for snapshot-reporter.ts to count across the run.
//
// More conservative than vitest, because a baseline costs a benchmark run to take again:
//  - nothing is removed unless every test of the file ran (a -t filter, .only, .skip, .todo, a
//    failed beforeAll, --bail or a test skipped at run time all leave the file partial) and at
//    least one did;
//  - the entries of a test that did not pass (failed before reaching its snapshot, skipped) are
//    never obsolete: only entries of passing tests, or of no test at all (renamed, removed), are.
import { existsSync } from "node:fs";
import path from "node:path";
import { capacitySnapshotPath, readCapacitySnapshotFile, removeCapacitySnapshotEntries } from "./capacity-snapshot.js";
import { BENCH_SNAPSHOT_DIR, METRIC_SNAPSHOT_DIR, metricSnapshotPath, readMetricSnapshotFile, removeMetricSnapshotEntries, type MetricSnapshotOutcome, type SnapshotUpdateMode } from "./metric-snapshot.js";

/** Where each test file's counts go: the file task's meta under this key. */
export const SNAPSHOT_META_KEY = "agentloadMetricSnapshots";

/** What happened to one snapshot file during one test file's run. */
export interface SnapshotFileReport {
  /** Absolute path of the snapshot file. */
  file: string;
  written: number;
  updated: number;
  /** Keys no test checked. */
  obsolete: string[];
  /** The obsolete keys were removed (-u on a whole-file run). */
  removed: boolean;
  /** Why obsolete keys were kept: no -u, or not every test of the file ran. */
  kept?: "no-update" | "partial-run";
}

interface Tracked {
  checked: Set<string>;
  written: number;
  updated: number;
}

// On globalThis: the matchers that noted the keys and the setup file that settles them may come
// from two copies of this module (the package's dist and its source, say) in one worker.
const TRACKED = Symbol.for("agentload.metricSnapshotTracker");
function tracked(): Map<string, Tracked> {
  const g = globalThis as { [TRACKED]?: Map<string, Tracked> };
  return (g[TRACKED] ??= new Map());
}
function trackedFor(snapshotFile: string): Tracked {
  const key = path.resolve(snapshotFile);
  let t = tracked().get(key);
  if (!t) tracked().set(key, (t = { checked: new Set(), written: 0, updated: 0 }));
  return t;
}

/** The key was checked (before comparing: a key whose check throws is not obsolete either). */
export function noteSnapshotChecked(snapshotFile: string, key: string): void {
  trackedFor(snapshotFile).checked.add(key);
}

/** The check's outcome, for the written and updated counts. */
export function noteSnapshotOutcome(snapshotFile: string, outcome: MetricSnapshotOutcome): void {
  const t = trackedFor(snapshotFile);
  if (outcome === "written") t.written++;
  else if (outcome === "updated") t.updated++;
}

/** The fields of vitest's task objects this module reads (File, Suite, Test). */
export interface TaskLike {
  type: string;
  name: string;
  mode: string;
  tasks?: TaskLike[];
  result?: { state?: string };
}

export interface TestOutcome {
  /** As toMatchMetricSnapshot sees it (vitest's currentTestName): suite names and test name joined by " > ". */
  name: string;
  /** It was selected and run to an end (passed or failed). */
  ran: boolean;
  passed: boolean;
}

/** Every test of a file task, with its full name and whether it ran and passed. */
export function testsOf(file: TaskLike): TestOutcome[] {
  const out: TestOutcome[] = [];
  const walk = (tasks: TaskLike[] | undefined, names: string[]) => {
    for (const task of tasks ?? []) {
      if (task.type === "suite") {
        walk(task.tasks, [...names, task.name]);
        continue;
      }
      const state = task.result?.state;
      const ran = (task.mode === "run" || task.mode === "queued") && (state === "pass" || state === "fail");
      out.push({ name: [...names, task.name].join(" > "), ran, passed: ran && state === "pass" });
    }
  };
  walk(file.tasks, []);
  return out;
}

/** A key `<test name> <n>` or `<test name>: <hint> <n>` belongs to that test (see nextSnapshotKey in matchers.ts). */
export function keyBelongsTo(key: string, testName: string): boolean {
  const base = key.replace(/ \d+$/, "");
  return base === testName || base.startsWith(`${testName}: `);
}

/** The keys no test checked, leaving alone those of tests that did not pass. */
export function findObsolete(keys: Iterable<string>, checked: ReadonlySet<string>, tests: readonly TestOutcome[]): string[] {
  const unfinished = tests.filter((t) => !t.passed).map((t) => t.name);
  return [...keys].filter((k) => !checked.has(k) && !unfinished.some((name) => keyBelongsTo(k, name)));
}

/** Every test of the file ran (none filtered, skipped or left unrun), and there was at least one. */
export function ranWhole(tests: readonly TestOutcome[]): boolean {
  return tests.length > 0 && tests.every((t) => t.ran);
}

/** Each kind of snapshot file a test file may have: where it is, its keys, how to remove some. */
const STORES: { path: (testFile: string) => string; keys: (file: string) => string[]; remove: (file: string, keys: string[]) => void }[] = [
  ...[METRIC_SNAPSHOT_DIR, BENCH_SNAPSHOT_DIR].map((dir) => ({
    path: (testFile: string) => metricSnapshotPath(testFile, dir),
    keys: (file: string) => Object.keys(readMetricSnapshotFile(file).entries),
    remove: (file: string, keys: string[]) => void removeMetricSnapshotEntries(file, keys),
  })),
  { path: capacitySnapshotPath, keys: (file) => Object.keys(readCapacitySnapshotFile(file)), remove: (file, keys) => void removeCapacitySnapshotEntries(file, keys) },
];

/**
 * At the end of a test file: finds the obsolete entries of its snapshot files (`__metrics__`,
 * `__benchmarks__` and `__capacity__`), removes them when update is "all" and the whole file ran,
 * and forgets what was noted for them. Returns a report per snapshot file with anything to say.
 */
export function settleTestFile(testFile: string, file: TaskLike, update: SnapshotUpdateMode | undefined): SnapshotFileReport[] {
  const tests = testsOf(file);
  const whole = ranWhole(tests);
  const reports: SnapshotFileReport[] = [];
  for (const store of STORES) {
    const snapshotFile = path.resolve(store.path(testFile));
    const t = tracked().get(snapshotFile);
    tracked().delete(snapshotFile);
    if (!t && !existsSync(snapshotFile)) continue;
    const obsolete = findObsolete(store.keys(snapshotFile), t?.checked ?? new Set(), tests);
    const report: SnapshotFileReport = { file: snapshotFile, written: t?.written ?? 0, updated: t?.updated ?? 0, obsolete, removed: false };
    if (obsolete.length > 0) {
      if (update === "all" && whole) {
        store.remove(snapshotFile, obsolete);
        report.removed = true;
      } else {
        report.kept = update === "all" ? "partial-run" : "no-update";
      }
    }
    if (report.written + report.updated + obsolete.length > 0) reports.push(report);
  }
  return reports;
}
