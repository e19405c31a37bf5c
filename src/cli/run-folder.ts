// A finished run folder read back and judged again: its records summarized (with the counters the
// run scraped from the server), its SLOs evaluated (its own, or objectives given), and its
// validity judged. `agentload report` renders it; `agentload compare` compares two of them.
import { requestEndAt } from "../records/request-end.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { summarizeRecords } from "../metrics/aggregator.js";
import type { ClientChecks } from "../metrics/client-checks.js";
import { parsePrometheus, type PrometheusScrape } from "../metrics/prometheus.js";
import { evaluateSlos, resolveSlo, type Objective } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import { runValidity } from "../metrics/validity.js";
import { readRunFolder } from "../records/read.js";
import type { RequestRecord, RunMetadata } from "../records/types.js";
import type { MergedShards } from "../metrics/merge-shards.js";
import { CliError } from "./args.js";

/** A run folder judged as `report` judges it: the judged run (as merged shards are), and where it came from. */
export interface JudgedRunFolder extends MergedShards {
  dir: string;
  name: string;
  /** run.json, when the folder has one. */
  metadata?: RunMetadata;
}

/** A server-metrics file of a run folder, parsed (undefined when the folder has none). */
export function scrape(dir: string, file: string): PrometheusScrape | undefined {
  const path = join(dir, file);
  return existsSync(path) ? parsePrometheus(readFileSync(path, "utf8")) : undefined;
}

/** The measured span of the records (a run that crashed before its summary.json). */
function spanOf(records: readonly RequestRecord[]): number {
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    if (r.warmup) continue;
    start = Math.min(start, r.dispatchedAt);
    end = Math.max(end, requestEndAt(r));
  }
  return Number.isFinite(start) && end > start ? end - start : 1;
}

/**
 * Reads and judges a run folder. `slo` replaces the run's own objectives (`sloWhere` names where
 * they came from in errors). A folder that cannot be read is a CliError naming it.
 */
export function judgeRunFolder(dir: string, options: { slo?: unknown; sloWhere?: string; onNote?: (line: string) => void } = {}): JudgedRunFolder {
  let folder: ReturnType<typeof readRunFolder>;
  try {
    folder = readRunFolder(dir, options.onNote ? { onNote: options.onNote } : {});
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const previous = folder.summary as { name?: string; interrupted?: boolean; summary?: RunSummary; validity?: { client?: ClientChecks } } | null;
  const spec = folder.resolvedSpec as { name?: string; slo?: unknown } | null;
  let objectives: Objective[];
  try {
    objectives = resolveSlo("slo" in options ? options.slo : (spec?.slo ?? {}), undefined, options.sloWhere ?? `${join(dir, "spec.resolved.json")}: slo`);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const serverBefore = scrape(dir, "server-metrics-before.txt");
  const serverAfter = scrape(dir, "server-metrics-after.txt");
  const summary = summarizeRecords(folder.records, {
    wallMs: previous?.summary?.wallMs ?? spanOf(folder.records),
    slo: objectives,
    ...(serverBefore ? { serverBefore } : {}),
    ...(serverAfter ? { serverAfter } : {}),
  });
  // The ideal cache needs the run's session graphs, which records alone do not hold; it does not change on re-judging.
  if (previous?.summary?.prefix?.ideal) summary.prefix.ideal = previous.summary.prefix.ideal;
  const verdicts = evaluateSlos(objectives, summary);
  const interrupted = previous?.interrupted ?? previous === null;
  // The client's CPU and the load it offered were measured during the run, not recorded per
  // request: summary.json keeps them, and they are judged again with the records' lag.
  const client = previous?.validity?.client;
  const validity = runValidity(summary, { interrupted, slo: objectives, ...(client?.cpu ? { cpuJudged: client.cpu } : {}), ...(client?.load?.load ? { achievedLoad: client.load.load } : {}) });
  return {
    dir,
    name: previous?.name ?? spec?.name ?? dir,
    summary,
    verdicts,
    passed: verdicts.every((v) => v.pass),
    interrupted,
    validity,
    records: folder.records,
    ...(folder.metadata ? { metadata: folder.metadata } : {}),
  };
}
