// The metric snapshot counts of a run, printed once after it as vitest prints its own snapshot
// counts: `agentload metric snapshots: 1 written, 2 updated, 1 obsolete removed`, and each
// obsolete entry below. Each test file's worker leaves its counts in the file task's meta
// (snapshot-tracker.ts); this reporter adds them up at the end of the run.
//
// A project cannot list reporters (vitest reads `reporters` from the root config only), so the
// plugin agentload() puts in its project adds the reporter to the root config from
// configureVitest, which vitest documents for this (before it creates the reporters).
import path from "node:path";
import type { Plugin } from "vitest/config";
import type { Reporter, TestModule, Vitest } from "vitest/node";
import { SNAPSHOT_META_KEY, type SnapshotFileReport } from "./snapshot-tracker.js";

/** The lines to print for a run's reports (none when there is nothing to say). */
export function formatSnapshotReports(reports: readonly SnapshotFileReport[], root: string): string[] {
  const sum = (f: (r: SnapshotFileReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const written = sum((r) => r.written);
  const updated = sum((r) => r.updated);
  const removed = sum((r) => (r.removed ? r.obsolete.length : 0));
  const unasked = sum((r) => (r.kept === "no-update" ? r.obsolete.length : 0));
  const partial = sum((r) => (r.kept === "partial-run" ? r.obsolete.length : 0));
  const parts: string[] = [];
  if (written) parts.push(`${written} written`);
  if (updated) parts.push(`${updated} updated`);
  if (removed) parts.push(`${removed} obsolete removed`);
  if (unasked) parts.push(`${unasked} obsolete (run vitest -u to remove)`);
  if (partial) parts.push(`${partial} obsolete kept (their test file did not run whole; run all of it with vitest -u to remove)`);
  if (parts.length === 0) return [];
  const lines = [`agentload metric snapshots: ${parts.join(", ")}`];
  for (const r of reports) {
    const shown = path.relative(root, r.file) || r.file;
    for (const key of r.obsolete) lines.push(`  ${r.removed ? "removed" : "obsolete"}: ${shown} › ${JSON.stringify(key)}`);
  }
  return lines;
}

/** The reports a test module's worker left in its meta (none when it has no metric snapshots). */
export function reportsOf(module: Pick<TestModule, "meta">): SnapshotFileReport[] {
  const value = (module.meta() as Record<string, unknown>)[SNAPSHOT_META_KEY];
  return Array.isArray(value) ? (value as SnapshotFileReport[]) : [];
}

const MARK = "agentloadMetricSnapshotReporter";

/** vitest's reporters that print a document (not lines for people) to stdout when given no output file. */
const DOCUMENT_REPORTERS = new Set(["json", "junit", "tap", "tap-flat"]);

/**
 * Some reporter prints a document to stdout (`vitest --reporter=json > results.json`): then the
 * lines go to stderr, so the document stays parseable.
 */
export function documentOnStdout(config: { reporters: readonly unknown[]; outputFile?: string | Partial<Record<string, string>> }): boolean {
  return config.reporters.some((r) => {
    const [name, options] = Array.isArray(r) ? r : [r, undefined];
    if (typeof name !== "string" || !DOCUMENT_REPORTERS.has(name)) return false;
    const own = (options as { outputFile?: unknown } | undefined)?.outputFile;
    const shared = typeof config.outputFile === "string" ? config.outputFile : config.outputFile?.[name];
    return !own && !shared;
  });
}

export class MetricSnapshotReporter implements Reporter {
  readonly [MARK] = true;
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (!this.vitest) return;
    const lines = formatSnapshotReports(modules.flatMap(reportsOf), this.vitest.config.root);
    const toStderr = documentOnStdout(this.vitest.config as { reporters: unknown[]; outputFile?: string | Partial<Record<string, string>> });
    for (const line of lines) {
      if (toStderr) this.vitest.logger.error(line);
      else this.vitest.logger.log(line);
    }
  }
}

/**
 * A Vite plugin adding the reporter to the run's reporters, once however many agentload projects
 * there are (the workloads project and its bench project, say).
 */
export function metricSnapshotReportPlugin(): Plugin {
  return {
    name: "agentload:metric-snapshot-report",
    configureVitest({ vitest }) {
      const reporters = vitest.config.reporters as unknown[];
      if (reporters.some((r) => typeof r === "object" && r !== null && MARK in r)) return;
      reporters.push(new MetricSnapshotReporter());
    },
  };
}
