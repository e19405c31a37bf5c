// The spec file argument shared by every command that reads a workload spec.
import { loadSpecFile } from "../workload/spec-file.js";
import { SpecError, type ResolvedWorkloadSpec } from "../workload/spec.js";
import { CliError, intFlag } from "./args.js";

/** Flags every command that reads a spec accepts to vary it. */
export const SPEC_OVERRIDE_FLAGS = {
  sessions: { type: "string" },
  seed: { type: "string" },
} as const;

/**
 * The single spec file argument, loaded and validated, with --sessions / --seed applied.
 * Spec problems become usage errors (printed without a stack); loader warnings go to stderr.
 */
export async function readSpecArg(
  command: string,
  positionals: string[],
  overrides: { sessions?: string | undefined; seed?: string | undefined },
): Promise<ResolvedWorkloadSpec> {
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
  const sessions = intFlag("sessions", overrides.sessions, spec.sessions);
  if (overrides.seed !== undefined && overrides.seed.trim() === "") throw new CliError("--seed expects a non-empty value");
  return { ...spec, sessions, seed: overrides.seed ?? spec.seed };
}
