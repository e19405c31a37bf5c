// summary.json: the run's summary and verdicts as plain JSON (what a run folder keeps).
import type { FinishedRun, Reporter } from "./types.js";

/** The object summary.json holds. */
export function summaryDocument(run: FinishedRun): object {
  return { name: run.name, interrupted: run.interrupted, passed: run.passed, ...(run.validity ? { validity: run.validity } : {}), summary: run.summary, verdicts: run.verdicts };
}

export const summaryJsonReporter: Reporter = {
  name: "json",
  description: "summary.json: the summary (histograms included) and the SLO verdicts",
  render: (run) => `${JSON.stringify(summaryDocument(run), null, 2)}\n`,
};
