// The one path every workload spec takes, whatever it was written in (YAML, JSON, the TS DSL,
// a mapped Veeksha config): check it against the schema, then for sense, then fill in defaults.
// Web-standard only; reading files lives in spec-file.ts.
import { parseDuration } from "../stats/units.js";
import { SpecError, sortBySource, type SpecProblem, type SpecSource } from "./spec-errors.js";
import { schemaProblems } from "./spec-schema-check.js";
import { semanticProblems } from "./spec-semantics.js";
import type {
  AgentSpec,
  CompactionSpec,
  ConcurrentTrafficSpec,
  DistributionSpec,
  RateTrafficSpec,
  RequestOptionsSpec,
  ScaffoldSpec,
  SloSpec,
  SubagentSpec,
  TimeoutsSpec,
  WorkloadSpec,
} from "./spec-types.js";

export { SpecError, formatPath, type LocatedProblem, type Locate, type SpecLocation, type SpecPath, type SpecProblem, type SpecSource } from "./spec-errors.js";

export interface ResolvedScaffoldSpec extends ScaffoldSpec {
  systemTokens: number;
  toolTokens: number;
}
export interface ResolvedSubagentSpec extends SubagentSpec {
  fanOut: DistributionSpec;
  maxDepth: number;
}
export interface ResolvedCompactionSpec extends CompactionSpec {
  promptTokens: number;
}
export interface ResolvedAgentSpec extends AgentSpec {
  weight: number;
  scaffold: ResolvedScaffoldSpec;
  taskTokens: DistributionSpec;
  waitMs: DistributionSpec;
  subagents?: ResolvedSubagentSpec;
  compaction?: ResolvedCompactionSpec;
}
interface ResolvedTrafficCommon {
  maxSessions: number;
  warmupSessions: number;
  onError: "continue" | "cancel-session";
}
export type ResolvedConcurrentTrafficSpec = ConcurrentTrafficSpec &
  ResolvedTrafficCommon & {
    concurrency: number;
    rampUpSeconds: number;
  };
export type ResolvedRateTrafficSpec = RateTrafficSpec & ResolvedTrafficCommon;
export type ResolvedTrafficSpec = ResolvedConcurrentTrafficSpec | ResolvedRateTrafficSpec;
export interface ResolvedTimeoutsSpec extends TimeoutsSpec {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}
export interface ResolvedRequestOptionsSpec extends RequestOptionsSpec {
  api: "chat" | "completions";
  ignoreEos: boolean;
  extraBody: Record<string, unknown>;
  timeouts: ResolvedTimeoutsSpec;
}
/**
 * A spec's SLOs as written (metric -> stat -> limit): the metric catalogue (metrics/) checks the
 * names and parses the limits, since which metrics exist is the catalogue's to say.
 */
export type ResolvedSloSpec = SloSpec;
/** A valid spec with every default filled in; still a WorkloadSpec. */
export interface ResolvedWorkloadSpec extends WorkloadSpec {
  /** The seed as a string: 42 and "42" are the same seed. */
  seed: string;
  agents: ResolvedAgentSpec[];
  traffic: ResolvedTrafficSpec;
  request: ResolvedRequestOptionsSpec;
  slo: ResolvedSloSpec;
}

/** Defaults that the schema documents and this module applies. */
export const specDefaults = {
  weight: 1,
  waitMs: 0,
  fanOut: 1,
  maxDepth: 1,
  compactionPromptTokens: 200,
  concurrency: 1,
  timeouts: { connectMs: 10_000, firstTokenMs: 60_000, idleMs: 30_000, totalMs: 600_000 },
} as const;

/**
 * Validates a plain object as a workload spec and returns it with defaults applied.
 * Throws a SpecError listing every problem (schema problems first; the checks for sense run
 * once the shape is right). `from` names the source and locates paths in it for the messages.
 */
export function validateSpec(input: unknown, from: SpecSource = {}): ResolvedWorkloadSpec {
  const data = withoutUndefined(input);
  let problems: SpecProblem[] = schemaProblems(data);
  if (problems.length === 0) problems = semanticProblems(data as WorkloadSpec);
  if (problems.length > 0) throw new SpecError(sortBySource(problems, from.locate), from);
  return resolveSpec(data as WorkloadSpec);
}

/** Fills in defaults of a spec already known to be valid. */
export function resolveSpec(spec: WorkloadSpec): ResolvedWorkloadSpec {
  const traffic = spec.traffic ?? { mode: "concurrent" };
  const common: ResolvedTrafficCommon = {
    maxSessions: traffic.maxSessions ?? spec.sessions,
    warmupSessions: traffic.warmupSessions ?? 0,
    onError: traffic.onError ?? "continue",
  };
  const resolvedTraffic: ResolvedTrafficSpec =
    traffic.mode === "concurrent"
      ? { ...traffic, ...common, concurrency: traffic.concurrency ?? specDefaults.concurrency, rampUpSeconds: traffic.rampUpSeconds ?? 0 }
      : { ...traffic, ...common };
  const request = spec.request ?? {};
  return {
    ...spec,
    seed: String(spec.seed),
    agents: spec.agents.map(resolveAgent),
    traffic: resolvedTraffic,
    request: {
      ...request,
      api: request.api ?? "chat",
      ignoreEos: request.ignoreEos ?? true,
      extraBody: (request.extraBody as Record<string, unknown> | undefined) ?? {},
      timeouts: { ...specDefaults.timeouts, ...request.timeouts },
    },
    slo: spec.slo ?? {},
  };
}

function resolveAgent(agent: AgentSpec): ResolvedAgentSpec {
  const { subagents, compaction, ...rest } = agent;
  const out: ResolvedAgentSpec = {
    ...rest,
    weight: agent.weight ?? specDefaults.weight,
    scaffold: { systemTokens: agent.scaffold?.systemTokens ?? 0, toolTokens: agent.scaffold?.toolTokens ?? 0 },
    taskTokens: agent.taskTokens ?? agent.freshInput,
    waitMs: agent.waitMs ?? specDefaults.waitMs,
  };
  if (subagents) {
    out.subagents = {
      ...subagents,
      fanOut: subagents.fanOut ?? specDefaults.fanOut,
      maxDepth: subagents.maxDepth ?? specDefaults.maxDepth,
    };
  }
  if (compaction) {
    out.compaction = { ...compaction, promptTokens: compaction.promptTokens ?? specDefaults.compactionPromptTokens };
  }
  return out;
}

export { parseDuration };

/** A deep copy without `undefined` members: in code, `{ waitMs: undefined }` means "not given". */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
    return out;
  }
  return value;
}
