// The reporters, by --format name. Adding one: a module exporting a Reporter, one line here.
import { csvReporter } from "./csv.js";
import { junitReporter } from "./junit.js";
import { summaryJsonReporter } from "./summary-json.js";
import { terminalReporter } from "./terminal.js";
import type { Reporter } from "./types.js";

export const REPORTERS: readonly Reporter[] = [terminalReporter, summaryJsonReporter, csvReporter, junitReporter];

export function reporterNamed(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.name === name);
}

export type { FinishedRun, Reporter, ReportOptions } from "./types.js";
