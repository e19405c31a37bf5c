// The HTML report as a reporter: one self-contained page with the plots (report/html/), written
// as report.html into every run folder and by `agentload report <run> --html FILE`.
import { renderRunReport } from "./html/run-report.js";
import type { Reporter } from "./types.js";

export const htmlReporter: Reporter = {
  name: "html",
  description: "one self-contained HTML page: verdicts, summary and plots (opens offline)",
  needsRecords: true,
  render: (run) => renderRunReport(run, run.metadata),
};
