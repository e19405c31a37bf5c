// The spec one describeWorkload runs: a base spec (from the DSL's workload(), a plain spec object,
// or a YAML/JSON file relative to the workload file), the options' overrides on top, then the
// session() templates as more agents; all sent through the one validation path again, so an
// override is checked exactly like a spec file.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSpecText } from "../workload/spec-text.js";
import { SpecError, validateSpec, type ResolvedWorkloadSpec } from "../workload/spec.js";
import type { AgentSpec, WorkloadSpec } from "../workload/spec-types.js";

/** Where a workload comes from: a spec object, or the path (or file URL) of a YAML/JSON spec. */
export type WorkloadSource = WorkloadSpec | ResolvedWorkloadSpec | string | URL;

/** Spec fields that replace the base spec's (`slo` merges per metric). */
export type SpecOverrides = Partial<Omit<WorkloadSpec, "name" | "$schema">>;

export interface AssembleInput {
  /** The describeWorkload name: the spec's name when there is no base spec, and in errors. */
  name: string;
  spec?: WorkloadSource;
  overrides?: SpecOverrides;
  /** session() templates, appended to the agents. */
  sessions?: AgentSpec[];
  /** The workload file: relative spec paths start from its folder. */
  testFile?: string;
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
  const merged: Record<string, unknown> = { ...base, ...overrides, name: base.name ?? input.name, agents };
  if (base.slo || overrides.slo) merged.slo = { ...base.slo, ...overrides.slo };
  // A resolved spec's traffic.maxSessions defaults to its session count; a new count must not
  // stay capped by the old one. An explicit smaller cap stays.
  const traffic = base.traffic;
  if (overrides.sessions !== undefined && !overrides.traffic && traffic?.maxSessions !== undefined && base.sessions !== undefined && traffic.maxSessions >= base.sessions) {
    const { maxSessions: _dropped, ...rest } = traffic;
    merged.traffic = rest;
  }
  return validateSpec(merged, { source: where });
}
