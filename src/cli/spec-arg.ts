// The spec file argument shared by every command that reads a workload spec.
import { sloProblemLines, sloProblems } from "../metrics/slo.js";
import { applyOverrides, type SpecOverrides } from "../workload/overrides.js";
import { loadSpecFile } from "../workload/spec-file.js";
import { formatProblem } from "../workload/spec-errors.js";
import { fieldProblem } from "../workload/spec-schema-check.js";
import { SpecError, type ResolvedWorkloadSpec } from "../workload/spec.js";
import { CliError } from "./args.js";

/** Flags every command that reads a spec accepts to vary it. */
export const SPEC_OVERRIDE_FLAGS = {
  sessions: { type: "string" },
  seed: { type: "string" },
  concurrency: { type: "string" },
} as const;

/** The flags of the commands that run a spec (run, search, sweep): per run, or per point. */
export const SPEC_RUN_FLAGS = {
  warmup: { type: "string" },
  duration: { type: "string" },
} as const;

/** The override flags' values as given (`duration` only where the command has the flag). */
export interface SpecOverrideValues {
  sessions?: string | undefined;
  seed?: string | undefined;
  concurrency?: string | undefined;
  warmup?: string | undefined;
  duration?: string | undefined;
}

/** The spec field each override flag sets, as SpecError paths name it. */
const FLAG_PATHS: Record<keyof SpecOverrideValues, string> = {
  sessions: "sessions",
  seed: "seed",
  concurrency: "traffic.concurrency",
  warmup: "traffic.warmupSessions",
  duration: "traffic.durationSeconds",
};

/**
 * The single spec file argument, loaded and validated, with --sessions / --seed / --concurrency /
 * --warmup (and --duration where the command has it) applied through applyOverrides, so they are
 * checked as the file is.
 * Spec problems become usage errors (printed without a stack); loader warnings go to stderr.
 */
export async function readSpecArg(command: string, positionals: string[], flags: SpecOverrideValues): Promise<ResolvedWorkloadSpec> {
  if (positionals.length !== 1) {
    throw new CliError(`${command} expects one spec file, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  }
  const path = positionals[0]!;
  let spec: ResolvedWorkloadSpec;
  try {
    const loaded = await loadSpecFile(path);
    for (const warning of loaded.warnings) console.error(`agentload: ${warning}`); // warnings name file:line:col
    spec = loaded.spec;
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message);
    throw err;
  }
  // The SLO names metrics and statistics of the catalogue, which the spec's schema cannot list.
  const sloIssues = sloProblems(spec.slo);
  if (sloIssues.length > 0) throw new CliError(sloProblemLines(sloIssues, `${path}: slo`).join("\n"));
  if (flags.seed !== undefined && flags.seed.trim() === "") throw new CliError("--seed expects a non-empty value");
  if (flags.concurrency !== undefined && spec.traffic.mode !== "concurrent") {
    throw new CliError(`--concurrency applies to concurrent traffic; this spec uses ${spec.traffic.mode} traffic`);
  }
  const traffic: Record<string, unknown> = {};
  if (flags.concurrency !== undefined) traffic.concurrency = flagValue(flags.concurrency);
  if (flags.duration !== undefined) traffic.durationSeconds = flagValue(flags.duration);
  if (flags.warmup !== undefined) traffic.warmupSessions = flagValue(flags.warmup);
  const overrides: Record<string, unknown> = {};
  if (flags.sessions !== undefined) overrides.sessions = flagValue(flags.sessions);
  if (flags.seed !== undefined) overrides.seed = flags.seed;
  if (Object.keys(traffic).length > 0) overrides.traffic = { mode: spec.traffic.mode, ...traffic };
  if (Object.keys(overrides).length === 0) return spec;
  const given = (Object.keys(FLAG_PATHS) as (keyof SpecOverrideValues)[]).filter((f) => flags[f] !== undefined);
  const source = `${path} with ${given.map((f) => `--${f} ${flags[f]}`).join(" ")}`;
  try {
    return applyOverrides(spec, overrides as SpecOverrides, { source });
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    // A problem with a flag's value names the flag; any other (the combination) names the spec and flags.
    const lines = err.problems.map((p) => {
      const flag = given.find((f) => FLAG_PATHS[f] === p.path);
      return flag ? `--${flag}: ${p.message}` : formatProblem(p, source);
    });
    throw new CliError(lines.join("\n"));
  }
}

/**
 * An override flag's value checked as the spec field it stands for, where there is no spec to
 * apply it to (a trace replay): the same limits and the same message as `--sessions 0` on a spec.
 */
export function specFlag(flag: "sessions" | "concurrency" | "duration" | "warmup", text: string): number {
  const value = flagValue(text);
  const problem = fieldProblem(flag === "duration" ? "durationSeconds" : flag === "warmup" ? "warmupSessions" : flag, value);
  if (problem) throw new CliError(`--${flag}: ${problem}`);
  return value as number;
}

/** A flag's text as the spec value it stands for: a number when it reads as one, else the text (the schema names the type). */
function flagValue(text: string): number | string {
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}
