// The run's ideal prefix cache (metrics/cache-attribution.ts), worked out when the run has ended:
// its records read back from records.jsonl (nothing is kept in memory for it while requests run)
// and its released sessions built again from the plan (a spec's session i is a pure function of
// its seed and i; a trace's are the trace's), so nothing of it is on the dispatch path.
import { statSync } from "node:fs";
import { idealCacheOfRun, type IdealCacheOptions, type IdealCacheSummary } from "../metrics/cache-attribution.js";
import { readRecords } from "../records/read.js";
import type { RunFolder } from "../records/run-folder.js";
import type { SessionGraph } from "../workload/types.js";
import { MAX_REPORT_RECORDS_BYTES } from "./html-report.js";
import type { RunPlan } from "./run.js";

/** The ideal cache of a finished run whose first `released` sessions of `plan` were released. */
export function idealCacheOfFolder(folder: RunFolder, plan: Pick<RunPlan, "sessionAt" | "scaffolds">, released: number, options: IdealCacheOptions = {}): IdealCacheSummary {
  const size = statSync(folder.path("records.jsonl")).size;
  if (size > MAX_REPORT_RECORDS_BYTES) {
    throw new Error(`records.jsonl is ${Math.round(size / 2 ** 20)} MB, more than a run reads back when it ends`);
  }
  const records = readRecords(folder.path("records.jsonl"));
  const sessions = new Map<string, SessionGraph>();
  for (let i = 0; i < released; i++) {
    const graph = plan.sessionAt(i);
    sessions.set(graph.id, graph);
  }
  return idealCacheOfRun(records, sessions, plan.scaffolds, options);
}
