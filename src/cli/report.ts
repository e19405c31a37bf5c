// `agentload report <run-dir>`: renders a finished run folder again, from its records, in any
// format of the reporter table (report/index.ts), and judges it by its own SLOs or by new ones
// (`--slo file.yaml`), so an old run can be re-judged without running it again.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSearchReport } from "../report/html/search-report.js";
import { parse as parseYaml } from "yaml";
import { REPORTERS, reporterNamed } from "../report/index.js";
import { CliError, parseFlags, type Command } from "./args.js";
import { judgeRunFolder } from "./run-folder.js";
import { readSearch } from "./search-folder.js";

const HELP = `usage: agentload report <run-dir | search-dir> [options]
Re-renders a run folder (records.jsonl, summary.json, spec.resolved.json) and judges it again; a
capacity search's folder (search.json) renders as its HTML report (the frontier plot, every point).
options:
  --html FILE      write the HTML report (plots, verdicts, summary; one self-contained file) there;
                   the same as --format html --out FILE
  --slo FILE       judge by these SLOs (YAML or JSON: an \`slo:\` mapping, or the mapping itself) instead of the run's own
  --format NAME    ${REPORTERS.map((r) => `${r.name} (${r.description})`).join(";\n                   ")}
                   (default terminal)
  --out FILE       write there instead of standard output
exit codes: 0 every SLO passed (or none), 1 an SLO failed, 2 usage error or unreadable run folder,
  4 the run is not valid (no request succeeded, too many failed, cut short)`;

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
  const { values, positionals } = parseFlags(argv, { slo: { type: "string" }, format: { type: "string" }, out: { type: "string" }, html: { type: "string" } });
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
