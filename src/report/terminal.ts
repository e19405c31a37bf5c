// The terminal table (summary-table.ts) as a reporter.
import { renderSummary } from "./summary-table.js";
import type { Reporter } from "./types.js";

export const terminalReporter: Reporter = {
  name: "terminal",
  description: "the summary table and SLO verdicts, as `agentload run` prints them",
  render: (run, options = {}) => renderSummary(run.summary, run.verdicts, { ...options, ...(run.validity ? { validity: run.validity } : {}) }),
};
