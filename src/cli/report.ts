// `agentload report <run-dir>`: renders a finished run folder again, from its records, in any
// format of the reporter table (report/index.ts), and judges it by its own SLOs or by new ones
// (`--slo file.yaml`), so an old run can be re-judged without running it again.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSearchReport } from "../report/html/search-report.js";
import { renderTraceReport } from "../report/html/trace-report.js";
import { parse as parseYaml } from "yaml";
import { REPORTERS, reporterNamed } from "../report/index.js";
import { CliError, parseFlags, type Command } from "./args.js";
import { judgeRunFolder } from "./run-folder.js";
import { readSearch } from "./search-folder.js";
import { readTraceArg, TRACE_FLAGS } from "./trace-arg.js";

const HELP = `usage: agentload report <run-dir | search-dir | trace> [options]
Re-renders a run folder (records.jsonl, summary.json, spec.resolved.json) and judges it again; a
capacity search's folder (search.json) renders as its HTML report (the frontier plot, every point);
a trace (a file, or a folder agentload analyze reads) renders as its HTML report (analyze's figures,
each quantity against its fitted family, the waits on log-log axes with the spike/tail split).
options:
  --html FILE      write the HTML report (plots, verdicts, summary; one self-contained file) there;
                   the same as --format html --out FILE
  --slo FILE       judge by these SLOs (YAML or JSON: an \`slo:\` mapping, or the mapping itself) instead of the run's own
  --format NAME    ${REPORTERS.map((r) => `${r.name} (${r.description})`).join(";\n                   ")}
                   (default terminal)
  --out FILE       write there instead of standard output
  --block-size N   a trace's tokens per hash id block (as for agentload analyze)
  --tokenizer T    how a raw transcript's fresh input is counted (as for agentload analyze)
exit codes: 0 every SLO passed (or none), 1 an SLO failed, 2 usage error or unreadable run folder,
  4 the run is not valid (no request succeeded, too many failed, cut short)`;

/**
 * A trace rather than a run folder: a file (a run folder is a directory), or a directory without
 * records.jsonl that holds what readTrace reads (an OpenClaw dag.json or sessions.json, session logs).
 */
function isTracePath(path: string): boolean {
  try {
    if (statSync(path).isFile()) return true;
    if (existsSync(join(path, "records.jsonl"))) return false;
    return readdirSync(path).some((f) => f === "dag.json" || f === "sessions.json" || f.endsWith(".jsonl"));
  } catch {
    return false; // judgeRunFolder names the missing path
  }
}

/** The SLO mapping of a file: its `slo:` member, or the file itself. */
function readSloFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`--slo ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new CliError(`--slo ${path}: not YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const d = data as { slo?: unknown } | null;
  return typeof d === "object" && d !== null && "slo" in d ? d.slo : data;
}

export const reportCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  // The trace flags but --format, which here names the reporter (a trace's format is detected).
  const { values, positionals } = parseFlags(argv, { slo: { type: "string" }, format: { type: "string" }, out: { type: "string" }, html: { type: "string" }, "block-size": TRACE_FLAGS["block-size"], tokenizer: TRACE_FLAGS.tokenizer });
  if (values.html !== undefined) {
    if ((values.format !== undefined && values.format !== "html") || values.out !== undefined) throw new CliError("--html FILE writes the HTML report; give it alone, or --format and --out");
    values.format = "html";
    values.out = values.html;
  }
  if (positionals.length !== 1) throw new CliError(`report expects one run folder, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  const dir = positionals[0]!;
  if (existsSync(join(dir, "search.json"))) {
    if ((values.format ?? "html") !== "html") throw new CliError(`a search folder renders as HTML only (--html FILE, or --format html); got --format ${values.format}`);
    if (values.slo !== undefined) throw new CliError("--slo re-judges a run folder; a search's points were judged when they ran");
    const html = await renderSearchReport(readSearch(dir));
    if (values.out !== undefined) writeFileSync(values.out, html);
    else process.stdout.write(html);
    return 0;
  }
  if (isTracePath(dir)) {
    if ((values.format ?? "html") !== "html") throw new CliError(`a trace renders as HTML only (--html FILE, or --format html); got --format ${values.format}`);
    if (values.slo !== undefined) throw new CliError("--slo re-judges a run folder; a trace has no SLOs to judge");
    const trace = await readTraceArg("report", [dir], { "block-size": values["block-size"], tokenizer: values.tokenizer });
    const html = await renderTraceReport(trace);
    if (values.out !== undefined) writeFileSync(values.out, html);
    else process.stdout.write(html);
    return 0;
  }
  const reporter = reporterNamed(values.format ?? "terminal");
  if (!reporter) throw new CliError(`--format expects one of ${REPORTERS.map((r) => r.name).join(", ")}, got '${values.format}'`);
  const run = judgeRunFolder(dir, {
    ...(values.slo !== undefined ? { slo: readSloFile(values.slo), sloWhere: `--slo ${values.slo}: slo` } : {}),
    onNote: (line) => console.error(`agentload: ${line}`),
  });
  const { summary, verdicts, passed, interrupted, validity } = run;
  const text = await reporter.render(
    { name: run.name, summary, verdicts, passed, interrupted, validity, dir, records: run.records, ...(run.metadata ? { metadata: run.metadata } : {}) },
    { color: reporter.name === "terminal" && values.out === undefined && process.stdout.isTTY === true },
  );
  if (values.out !== undefined) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return !validity.valid ? 4 : passed ? 0 : 1;
};
