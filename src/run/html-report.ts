// report.html in the run folder, when the run ends: the run's records read back (they were
// written as they happened, so nothing is held in memory for this during the run) and its
// metadata, drawn by the HTML reporter. Rendering is the report's; the files are the run's.
import { readFileSync } from "node:fs";
import type { RunFolder } from "../records/run-folder.js";
import { readRecords } from "../records/read.js";
import type { RunMetadata } from "../records/types.js";
import { htmlReporter } from "../report/html-report.js";
import type { FinishedRun } from "../report/types.js";

export async function writeHtmlReport(folder: RunFolder, run: Omit<FinishedRun, "records" | "metadata">): Promise<void> {
  const records = readRecords(folder.path("records.jsonl"));
  let metadata: RunMetadata | undefined;
  try {
    metadata = JSON.parse(readFileSync(folder.path("run.json"), "utf8")) as RunMetadata;
  } catch {
    metadata = undefined; // the report says the folder has none
  }
  const html = await htmlReporter.render({ ...run, records, ...(metadata ? { metadata } : {}) });
  folder.writeText("report.html", html);
}
