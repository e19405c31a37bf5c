// The run's ideal prefix cache (metrics/cache-attribution.ts), worked out when the run has ended:
// its records read back from records.jsonl (nothing is kept in memory for it while requests run)
// and its released sessions built again from the plan (a spec's session i is a pure function of
// its seed and i; a trace's are the trace's), so nothing of it is on the dispatch path.
// It needs every request the server saw at once (the simulation replays them in time order), so
// it keeps of each only the fields it reads: a record's chunk stamps are most of it (a 16-token
// reply: 1.2 kB of heap per record read whole, against 0.3 kB kept here), and a session graph
// is built when its requests are turned into prompts and dropped after.
import { statSync } from "node:fs";
import { idealCacheOfRun, type IdealCacheOptions, type IdealCacheSummary } from "../metrics/cache-attribution.js";
import { forEachRecord } from "../records/read.js";
import { requestEndAt } from "../records/request-end.js";
import type { RunFolder } from "../records/run-folder.js";
import type { RequestRecord } from "../records/types.js";
import type { SessionGraph } from "../workload/types.js";
import { MAX_REPORT_RECORDS_BYTES } from "./html-report.js";
import type { RunPlan } from "./run.js";

const NO_CHUNKS: number[] = [];

/** The ideal cache of a finished run whose first `released` sessions of `plan` were released. */
export function idealCacheOfFolder(folder: RunFolder, plan: Pick<RunPlan, "sessionAt" | "scaffolds">, released: number, options: IdealCacheOptions = {}): IdealCacheSummary {
  const size = statSync(folder.path("records.jsonl")).size;
  if (size > MAX_REPORT_RECORDS_BYTES) {
    throw new Error(`records.jsonl is ${Math.round(size / 2 ** 20)} MB, more than a run reads back when it ends`);
  }
  const records: RequestRecord[] = [];
  forEachRecord(folder.path("records.jsonl"), (r) => {
    // What never reached the server fills no cache (idealCacheOfRun leaves it out too).
    if (r.error && r.firstTokenAt === undefined) return;
    records.push(slim(r));
  });
  const index = new Map<string, number>();
  for (let i = 0; i < released; i++) index.set(plan.sessionAt(i).id, i);
  const sessions = {
    has: (id: string) => index.has(id),
    get: (id: string): SessionGraph | undefined => {
      const i = index.get(id);
      return i === undefined ? undefined : plan.sessionAt(i);
    },
  };
  return idealCacheOfRun(records, sessions, plan.scaffolds, options);
}

/** The fields idealCacheOfRun reads, the end of the request as doneAt. */
function slim(r: RequestRecord): RequestRecord {
  const out: RequestRecord = {
    sessionId: r.sessionId,
    nodeId: r.nodeId,
    readyAt: r.readyAt,
    plannedAt: r.plannedAt,
    dispatchedAt: r.dispatchedAt,
    chunkAt: NO_CHUNKS,
    doneAt: requestEndAt(r),
    expectedPromptTokens: r.expectedPromptTokens,
    sharedPrefixTokens: r.sharedPrefixTokens,
    freshInputTokens: r.freshInputTokens,
    requestedOutputTokens: r.requestedOutputTokens,
  };
  if (r.firstTokenAt !== undefined) out.firstTokenAt = r.firstTokenAt;
  if (r.scaffoldTokens !== undefined) out.scaffoldTokens = r.scaffoldTokens;
  if (r.cachedTokens !== undefined) out.cachedTokens = r.cachedTokens;
  if (r.warmup) out.warmup = true;
  if (r.error) out.error = { kind: r.error.kind, message: "" };
  return out;
}
