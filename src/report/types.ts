// The reporter seam: a finished run, as plain data, and the contract of a renderer. Each output
// format (the terminal table, summary.json, a CSV of requests, JUnit XML) is one small module of
// this folder and one line of index.ts; the HTML report is one more.
import type { MetricCatalogue } from "../metrics/catalogue.js";
import type { SloVerdict } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import type { RequestRecord, RunMetadata } from "../records/types.js";
import type { RunValidity } from "../metrics/validity.js";

/** What every reporter renders: one run's summary, its verdicts, and (when read back) its records. */
export interface FinishedRun {
  name: string;
  summary: RunSummary;
  verdicts: SloVerdict[];
  passed: boolean;
  interrupted: boolean;
  /** The run folder, when there is one. */
  dir?: string;
  /** Whether the run measured enough to be judged (absent for runs written before it existed). */
  validity?: RunValidity;
  /** The requests, in the order they ended (reporters that need them say so). */
  records?: readonly RequestRecord[];
  /** Where and how it was measured (the run folder's run.json), when known. */
  metadata?: RunMetadata;
}

export interface ReportOptions {
  /** ANSI colors (terminal only). */
  color?: boolean;
  /** The metrics to show (default: the built-in catalogue plus whatever else the summary holds). */
  catalogue?: MetricCatalogue;
}

export interface Reporter {
  /** The --format name. */
  name: string;
  description: string;
  /** Needs FinishedRun.records. */
  needsRecords?: boolean;
  /** The report's text; a promise where drawing is asynchronous (the HTML report's plots). */
  render(run: FinishedRun, options?: ReportOptions): string | Promise<string>;
}
