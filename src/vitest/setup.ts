// Setup file of the workloads project: the workload matchers on vitest's expect, and, when each
// test file ends, its metric snapshot files settled (obsolete entries found, removed with -u on a
// whole-file run; see snapshot-tracker.ts), with the counts in the file's meta for the reporter.
import { afterAll, expect } from "vitest";
import { installMatchers } from "./matchers.js";
import type { SnapshotUpdateMode } from "./metric-snapshot.js";
import { settleTestFile, SNAPSHOT_META_KEY, type TaskLike } from "./snapshot-tracker.js";

installMatchers(expect);

type FileTask = TaskLike & { filepath: string; meta: Record<string, unknown> };
const isFileTask = (v: unknown): v is FileTask => typeof v === "object" && v !== null && typeof (v as FileTask).filepath === "string" && Array.isArray((v as FileTask).tasks);

// A hook of a setup file belongs to each test file, so this runs once per file, after all its
// tests and their own afterAll hooks. vitest passes the file task as the hook's last argument
// (after a fixture context since 4.1); a function declaring no parameters reads it from
// `arguments`, because vitest parses a hook's declared first parameter as a fixtures pattern.
afterAll(function settleMetricSnapshots() {
  // eslint-disable-next-line prefer-rest-params -- see above: declared parameters would be parsed as fixtures
  const file = [...arguments].find(isFileTask);
  if (!file) return;
  // The file's own snapshot state (set by vitest for each test), so -u is read as vitest reads it;
  // unknown when no test ran, and then nothing is removed.
  const state = expect.getState() as { snapshotState?: { snapshotUpdateState?: SnapshotUpdateMode } };
  const reports = settleTestFile(file.filepath, file, state.snapshotState?.snapshotUpdateState);
  if (reports.length > 0) file.meta[SNAPSHOT_META_KEY] = reports;
});
