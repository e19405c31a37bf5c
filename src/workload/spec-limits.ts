// Checks a schema-valid spec against the limits of limits.ts that the schema cannot state: sizes
// are distributions (a number, or a law whose draws may pass the limit), and a session's expected
// size follows from several fields. Also builds every distribution once, so a parameter the
// sampler refuses is a spec error here rather than an exception while sessions are generated.
import { createDistribution, describeDistribution, type Distribution } from "./distributions.js";
import { Clamped, Truncated } from "./distributions/law.js";
import { FIELD_LIMITS, MAX_CLAMPED_SHARE, MAX_COUNT, MAX_NODES_PER_SESSION } from "./limits.js";
import type { SpecPath, SpecProblem } from "./spec-errors.js";
import type { AgentSpec, DistributionSpec, SubagentSpec, WorkloadSpec } from "./spec-types.js";
import { rngFor } from "../stats/random.js";

type Limit = (typeof FIELD_LIMITS)[keyof typeof FIELD_LIMITS];

/** Each sized field of an agent: where it is and which limit applies. */
function sizedFields(agent: AgentSpec): { dist: DistributionSpec; path: SpecPath; limit: Limit }[] {
  const fields: { dist: DistributionSpec | undefined; path: SpecPath; limit: Limit }[] = [
    { dist: agent.taskTokens, path: ["taskTokens"], limit: FIELD_LIMITS.tokens },
    { dist: agent.turns, path: ["turns"], limit: FIELD_LIMITS.count },
    { dist: agent.freshInput, path: ["freshInput"], limit: FIELD_LIMITS.tokens },
    { dist: agent.output, path: ["output"], limit: FIELD_LIMITS.tokens },
    { dist: agent.waitMs, path: ["waitMs"], limit: FIELD_LIMITS.waitMs },
    { dist: agent.subagents?.fanOut, path: ["subagents", "fanOut"], limit: FIELD_LIMITS.count },
    { dist: agent.subagents?.summaryTokens, path: ["subagents", "summaryTokens"], limit: FIELD_LIMITS.tokens },
    { dist: agent.compaction?.summaryTokens, path: ["compaction", "summaryTokens"], limit: FIELD_LIMITS.tokens },
  ];
  return fields.filter((f): f is { dist: DistributionSpec; path: SpecPath; limit: Limit } => f.dist !== undefined);
}

/** Problems of a spec whose shape and sense are already right, in spec order. */
export function limitProblems(spec: WorkloadSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  // cdf and mean draw nothing; the stream is only there because a distribution needs one.
  const rng = rngFor("limits", "probe");
  spec.agents.forEach((agent, i) => {
    for (const { dist, path, limit } of sizedFields(agent)) {
      const at = ["agents", i, ...path];
      let built: Distribution;
      try {
        built = createDistribution(dist, rng);
      } catch (e) {
        problems.push({ path: at, message: (e as Error).message });
        continue;
      }
      const problem = aboveLimit(dist, built, limit);
      if (problem) problems.push({ path: at, message: problem });
    }
  });
  if (problems.length === 0) problems.push(...sessionSizeProblems(spec, rng));
  return problems;
}

/** Why draws pass the field's limit too often, or undefined when they do not. */
function aboveLimit(dist: DistributionSpec, built: Distribution, limit: Limit): string | undefined {
  const share = 1 - built.cdf(limit.most);
  // NaN: parameters so extreme the CDF cannot say; the generator's clamp still holds the draws.
  if (!(share > MAX_CLAMPED_SHARE)) return undefined;
  const most = limit.most.toLocaleString("en-US");
  if (typeof dist === "number" || dist.type === "fixed") {
    return `expected at most ${most} ${limit.what}, got ${typeof dist === "number" ? dist : dist.value}`;
  }
  const percent = share >= 0.9995 ? "every time" : `${(share * 100).toPrecision(3)}% of the time`;
  return (
    `${describeDistribution(dist)} draws more than ${most} ${limit.what} (the limit) ${percent}; ` +
    `fix its parameters or clamp it with max (draws above the limit are cut to it only when at most ` +
    `${MAX_CLAMPED_SHARE * 100}% of them are)`
  );
}

/** E[value] of a distribution with draws also clamped to [lo, hi] (as the generator clamps counts). */
function meanWithin(dist: DistributionSpec, rng: ReturnType<typeof rngFor>, lo: number, hi: number): number {
  const built = createDistribution(dist, rng);
  return built instanceof Clamped || built instanceof Truncated ? built.clampedMean(lo, hi) : Math.min(hi, Math.max(lo, built.mean()));
}

/**
 * A session's expected number of requests, by agent: a chain of E[turns] requests whose turns
 * but the last spawn E[fanOut] subagent chains with spawnProbability, each as large in its turn,
 * to maxDepth levels. The generator stops a session at MAX_NODES_PER_SESSION requests; a spec
 * whose average session passes that is refused here, naming the subagents that make it so large.
 */
function sessionSizeProblems(spec: WorkloadSpec, rng: ReturnType<typeof rngFor>): SpecProblem[] {
  const byName = new Map(spec.agents.map((a) => [a.name, a]));
  const chainSize = (agent: AgentSpec, spawning: SubagentSpec | undefined, depth: number): number => {
    const turns = meanWithin(agent.turns, rng, 1, MAX_COUNT);
    const spawn = spawning && depth < (spawning.maxDepth ?? 1) ? spawning : undefined;
    const template = spawn ? byName.get(spawn.agent) : undefined;
    if (!spawn || !template || spawn.spawnProbability === 0) return turns;
    const fanOut = meanWithin(spawn.fanOut ?? 1, rng, 0, MAX_COUNT);
    return turns + (turns - 1) * spawn.spawnProbability * fanOut * chainSize(template, template.subagents ?? spawn, depth + 1);
  };
  const problems: SpecProblem[] = [];
  spec.agents.forEach((agent, i) => {
    if ((agent.weight ?? 1) === 0) return; // a template only: its size counts where it is spawned
    const size = chainSize(agent, agent.subagents, 0);
    if (size > MAX_NODES_PER_SESSION) {
      problems.push({
        path: ["agents", i, agent.subagents ? "subagents" : "turns"],
        message:
          `a session of this agent would have about ${Math.round(size).toLocaleString("en-US")} requests on average ` +
          `(turns, spawnProbability x fanOut, over maxDepth levels); expected at most ${MAX_NODES_PER_SESSION.toLocaleString("en-US")}: ` +
          `lower spawnProbability, fanOut or maxDepth`,
      });
    }
  });
  return problems;
}
