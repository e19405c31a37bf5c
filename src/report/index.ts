// The reporters, by --format name. Adding one: a module exporting a Reporter, one line here.
import { chromeTraceReporter } from "./chrome-trace.js";
import { csvReporter } from "./csv.js";
import { htmlReporter } from "./html-report.js";
import { junitReporter } from "./junit.js";
import { summaryJsonReporter } from "./summary-json.js";
import { terminalReporter } from "./terminal.js";
import type { Reporter } from "./types.js";

export const REPORTERS: readonly Reporter[] = [terminalReporter, summaryJsonReporter, csvReporter, chromeTraceReporter, junitReporter, htmlReporter];

export function reporterNamed(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.name === name);
}

export type { FinishedRun, Reporter, ReportOptions } from "./types.js";
