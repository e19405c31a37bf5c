// report.html in the run folder, when the run ends: the run's records read back (they were
// written as they happened, so nothing is held in memory for this during the run), drawn by the
// HTML reporter. Rendering is the report's; the files are the run's.
import { statSync } from "node:fs";
import type { RunFolder } from "../records/run-folder.js";
import { readRecords } from "../records/read.js";
import { htmlReporter } from "../report/html-report.js";
import type { FinishedRun } from "../report/types.js";

/**
 * Records beyond this size are not read back at the end of a run (a soak's file would be held in
 * memory whole): the run says so, and `agentload report --html` draws it on demand.
 */
export const MAX_REPORT_RECORDS_BYTES = 256 * 1024 * 1024;

export async function writeHtmlReport(folder: RunFolder, run: Omit<FinishedRun, "records">): Promise<void> {
  const size = statSync(folder.path("records.jsonl")).size;
  if (size > MAX_REPORT_RECORDS_BYTES) {
    throw new Error(`records.jsonl is ${Math.round(size / 2 ** 20)} MB, more than a run reads back for its report; agentload report ${folder.dir} --html FILE draws it`);
  }
  const html = await htmlReporter.render({ ...run, records: readRecords(folder.path("records.jsonl")) });
  folder.writeText("report.html", html);
}
