// The spec one describeWorkload runs: a base spec (from the DSL's workload(), a plain spec object,
// or a YAML/JSON file relative to the workload file), the options' overrides on top, then the
// session() templates as more agents; all sent through the one validation path again, so an
// override is checked exactly like a spec file.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSpecText } from "../workload/spec-text.js";
import { defaultCatalogue, type MetricCatalogue } from "../metrics/catalogue.js";
import { sloProblemLines, sloProblems } from "../metrics/slo.js";
import { applyOverrides, type SpecOverrides } from "../workload/overrides.js";
import { SpecError, type ResolvedWorkloadSpec } from "../workload/spec.js";
import type { AgentSpec, WorkloadSpec } from "../workload/spec-types.js";

export type { SpecOverrides } from "../workload/overrides.js";

/** Where a workload comes from: a spec object, or the path (or file URL) of a YAML/JSON spec. */
export type WorkloadSource = WorkloadSpec | ResolvedWorkloadSpec | string | URL;

export interface AssembleInput {
  /** The describeWorkload name: the spec's name when there is no base spec, and in errors. */
  name: string;
  spec?: WorkloadSource;
  overrides?: SpecOverrides;
  /** session() templates, appended to the agents. */
  sessions?: AgentSpec[];
  /** The workload file: relative spec paths start from its folder. */
  testFile?: string;
  /** The metrics the SLO may name (default: the built-in catalogue). */
  catalogue?: MetricCatalogue;
}

export function specPath(source: string | URL, testFile: string | undefined): string {
  if (source instanceof URL) return fileURLToPath(source);
  if (source.startsWith("file:")) return fileURLToPath(source);
  if (isAbsolute(source) || !testFile) return resolve(source);
  return resolve(dirname(testFile), source);
}

function readSpec(path: string): ResolvedWorkloadSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new SpecError([{ path: [], message: `cannot read the spec: ${reason}` }], { source: path });
  }
  return parseSpecText(text, path).spec;
}

export function assembleSpec(input: AssembleInput): ResolvedWorkloadSpec {
  const where = `describeWorkload(${JSON.stringify(input.name)})`;
  const base: Partial<WorkloadSpec> =
    input.spec === undefined ? {} : typeof input.spec === "string" || input.spec instanceof URL ? readSpec(specPath(input.spec, input.testFile)) : input.spec;
  const overrides = input.overrides ?? {};
  const agents = [...(overrides.agents ?? base.agents ?? []), ...(input.sessions ?? [])];
  if (agents.length === 0) {
    throw new Error(`${where}: no sessions: give spec (a workload(...) spec or the path of a YAML spec), agents, or declare session(...) templates inside`);
  }
  // Without a base spec the options are the whole spec: validation names what is missing.
  const named = { ...base, name: base.name ?? input.name } as WorkloadSpec;
  const spec = applyOverrides(named, { ...overrides, agents }, { source: where });
  const problems = sloProblems(spec.slo, input.catalogue ?? defaultCatalogue);
  if (problems.length > 0) throw new TypeError(`${where}: invalid SLO:\n${sloProblemLines(problems).map((l) => `  ${l}`).join("\n")}`);
  return spec;
}
