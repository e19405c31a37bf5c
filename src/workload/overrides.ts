// The one way a spec is varied, whoever varies it (describeWorkload's options, the CLI's
// --sessions / --seed / --concurrency): the overrides merged into the base spec, then the result
// sent through validateSpec again, so an override is checked exactly as a spec file is.
import { validateSpec, type ResolvedWorkloadSpec } from "./spec.js";
import type { TrafficSpec, WorkloadSpec } from "./spec-types.js";

/**
 * Spec fields that replace the base spec's. `slo` merges per metric; `traffic` of the base's mode
 * (or without a mode) merges per field, so `{ traffic: { mode: "concurrent", concurrency: 8 } }`
 * keeps the ramp-up and limits. A member that is `undefined` is not an override.
 */
export type SpecOverrides = Partial<Omit<WorkloadSpec, "name" | "$schema">>;

export interface OverrideOptions {
  /** Names where the overrides come from in errors (`describeWorkload("x")`, `spec.yaml with --sessions 0`). */
  source: string;
}

/** The base spec with the overrides applied, validated and resolved. Throws a SpecError naming `source`. */
export function applyOverrides(base: WorkloadSpec | ResolvedWorkloadSpec, overrides: SpecOverrides, options: OverrideOptions): ResolvedWorkloadSpec {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as SpecOverrides;
  const merged: Record<string, unknown> = { ...base, ...given };
  if (base.slo || given.slo) merged.slo = { ...base.slo, ...given.slo };
  const traffic = mergeTraffic(base, given);
  if (traffic !== undefined) merged.traffic = traffic;
  return validateSpec(merged, { source: options.source });
}

function mergeTraffic(base: WorkloadSpec, overrides: SpecOverrides): TrafficSpec | undefined {
  const old = base.traffic;
  const given = overrides.traffic as Partial<TrafficSpec> | undefined;
  let traffic: TrafficSpec | undefined;
  if (given === undefined) traffic = old;
  else if (old === undefined || (given.mode !== undefined && given.mode !== old.mode)) traffic = given as TrafficSpec;
  else traffic = { ...old, ...given } as TrafficSpec;
  // A resolved spec's traffic.maxSessions defaults to its session count; a new count must not
  // stay capped by the old one. An explicit smaller cap stays, and so does one the overrides give.
  if (
    traffic?.maxSessions !== undefined &&
    overrides.sessions !== undefined &&
    given?.maxSessions === undefined &&
    base.sessions !== undefined &&
    traffic.maxSessions >= base.sessions
  ) {
    const { maxSessions: _dropped, ...rest } = traffic;
    traffic = rest;
  }
  return traffic;
}
