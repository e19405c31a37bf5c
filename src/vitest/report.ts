// What a workload leaves for CI pages and dashboards: per SLO test, the measured metrics as
// test annotations (vitest's JUnit reporter writes a test's annotations as <property name value>,
// its JSON reporter keeps them too), and per run a metrics JSON under the project's outputDir
// (a copy of the run folder's summary.json with where it came from).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { RunResult } from "../run/run.js";
import type { SloVerdict } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import type { ServerInfo } from "./context.js";

export { headlineProperties, objectiveProperties, type Property } from "../report/junit-properties.js";

/** Task meta every workload test carries (vitest's JSON reporter writes a test's meta). */
export interface WorkloadTestMeta {
  workload: string;
  runDir: string;
  objective?: string;
  measured?: number | null;
  limit?: number;
  pass?: boolean;
}

export interface MetricsFile {
  workload: string;
  /** The workload file, relative to the project root. */
  file: string;
  finishedAt: string;
  server: ServerInfo;
  runDir: string;
  passed: boolean;
  interrupted: boolean;
  verdicts: SloVerdict[];
  summary: RunSummary;
}

/** `benchmarks/coding.workload.ts` + "cache off" -> `benchmarks-coding.workload--cache-off`. */
export function metricsFileName(relativeFile: string, workload: string): string {
  const slug = (s: string) => s.replace(/\.[cm]?[jt]sx?$/, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${slug(relativeFile)}--${slug(workload) || "workload"}.json`;
}

/** Writes <outputDir>/metrics/<file>--<workload>.json (the latest run of that workload) and returns its path. */
export function writeMetricsFile(
  outputDir: string,
  root: string,
  entry: { workload: string; testFile: string; server: ServerInfo; result: RunResult },
): string {
  const file = relative(root, entry.testFile).split("\\").join("/");
  const data: MetricsFile = {
    workload: entry.workload,
    file,
    finishedAt: new Date().toISOString(),
    server: entry.server,
    runDir: entry.result.dir,
    passed: entry.result.passed,
    interrupted: entry.result.interrupted,
    verdicts: entry.result.verdicts,
    summary: entry.result.summary,
  };
  const dir = join(outputDir, "metrics");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, metricsFileName(file, entry.workload));
  writeFileSync(path, JSON.stringify(data, null, 2) + "\n");
  return path;
}
