// `agentload report <run-dir>`: renders a finished run folder again, from its records, in any
// format of the reporter table (report/index.ts), and judges it by its own SLOs or by new ones
// (`--slo file.yaml`), so an old run can be re-judged without running it again.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { summarizeRecords } from "../metrics/aggregator.js";
import { parsePrometheus, type PrometheusScrape } from "../metrics/prometheus.js";
import { evaluateSlos, resolveSlo, type Objective } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import { runValidity } from "../metrics/validity.js";
import type { ClientChecks } from "../metrics/client-checks.js";
import { readRunFolder } from "../records/read.js";
import type { RequestRecord } from "../records/types.js";
import { REPORTERS, reporterNamed } from "../report/index.js";
import { CliError, parseFlags, type Command } from "./args.js";

const HELP = `usage: agentload report <run-dir> [options]
Re-renders a run folder (records.jsonl, summary.json, spec.resolved.json) and judges it again.
options:
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

function scrape(dir: string, file: string): PrometheusScrape | undefined {
  const path = join(dir, file);
  return existsSync(path) ? parsePrometheus(readFileSync(path, "utf8")) : undefined;
}

/** The measured span of the records (a run that crashed before its summary.json). */
function spanOf(records: readonly RequestRecord[]): number {
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    if (r.warmup) continue;
    start = Math.min(start, r.dispatchedAt);
    end = Math.max(end, r.doneAt ?? r.chunkAt[r.chunkAt.length - 1] ?? r.dispatchedAt);
  }
  return Number.isFinite(start) && end > start ? end - start : 1;
}

export const reportCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, { slo: { type: "string" }, format: { type: "string" }, out: { type: "string" } });
  if (positionals.length !== 1) throw new CliError(`report expects one run folder, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  const dir = positionals[0]!;
  const reporter = reporterNamed(values.format ?? "terminal");
  if (!reporter) throw new CliError(`--format expects one of ${REPORTERS.map((r) => r.name).join(", ")}, got '${values.format}'`);
  let folder: ReturnType<typeof readRunFolder>;
  try {
    folder = readRunFolder(dir, { onNote: (line) => console.error(`agentload: ${line}`) });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const previous = folder.summary as { name?: string; interrupted?: boolean; summary?: RunSummary; validity?: { client?: ClientChecks } } | null;
  const spec = folder.resolvedSpec as { name?: string; slo?: unknown } | null;
  const slo = values.slo !== undefined ? readSloFile(values.slo) : (spec?.slo ?? {});
  let objectives: Objective[];
  try {
    objectives = resolveSlo(slo, undefined, values.slo !== undefined ? `--slo ${values.slo}: slo` : `${join(dir, "spec.resolved.json")}: slo`);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const serverBefore = scrape(dir, "server-metrics-before.txt");
  const serverAfter = scrape(dir, "server-metrics-after.txt");
  const summary = summarizeRecords(folder.records, {
    wallMs: previous?.summary?.wallMs ?? spanOf(folder.records),
    slo: objectives,
    ...(serverBefore ? { serverBefore } : {}),
    ...(serverAfter ? { serverAfter } : {}),
  });
  const verdicts = evaluateSlos(objectives, summary);
  const passed = verdicts.every((v) => v.pass);
  const interrupted = previous?.interrupted ?? previous === null;
  // The client's CPU and the load it offered were measured during the run, not recorded per
  // request: summary.json keeps them, and they are judged again with the records' lag.
  const client = previous?.validity?.client;
  const validity = runValidity(summary, { interrupted, slo: objectives, ...(client?.cpu ? { cpuJudged: client.cpu } : {}), ...(client?.load?.load ? { achievedLoad: client.load.load } : {}) });
  const text = reporter.render(
    { name: previous?.name ?? spec?.name ?? dir, summary, verdicts, passed, interrupted, validity, dir, records: folder.records },
    { color: reporter.name === "terminal" && values.out === undefined && process.stdout.isTTY === true },
  );
  if (values.out !== undefined) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return !validity.valid ? 4 : passed ? 0 : 1;
};
