// Checks a schema-valid spec for what a schema cannot say: names that must match, ranges whose ends
// must be ordered, counts that must be at least 1, limits that must leave room.
import { didYouMean, type SpecPath, type SpecProblem } from "./spec-errors.js";
import { limitProblems } from "./spec-limits.js";
import type { AgentSpec, DistributionSpec, WorkloadSpec } from "./spec-types.js";

/** Problems of a spec that already conforms to the schema, in spec order. */
export function semanticProblems(spec: WorkloadSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const names = spec.agents.map((a) => a.name);

  spec.agents.forEach((agent, i) => {
    const first = names.indexOf(agent.name);
    if (first !== i) {
      problems.push({
        path: ["agents", i, "name"],
        message: `duplicate agent name ${JSON.stringify(agent.name)} (also agents[${first}]); names must be unique`,
      });
    }
    problems.push(...agentProblems(agent, ["agents", i], names));
  });

  if (!spec.agents.some((a) => (a.weight ?? 1) > 0)) {
    problems.push({
      path: ["agents"],
      message: "every agent has weight 0: at least one agent needs weight > 0 (weight 0 marks subagent templates)",
    });
  }

  const traffic = spec.traffic;
  if (traffic) {
    const maxSessions = traffic.maxSessions ?? spec.sessions;
    if (traffic.maxSessions !== undefined && traffic.maxSessions > spec.sessions) {
      problems.push({
        path: ["traffic", "maxSessions"],
        message: `expected at most sessions (${spec.sessions}), got ${traffic.maxSessions}`,
      });
    }
    if (traffic.warmupSessions !== undefined && traffic.warmupSessions >= maxSessions) {
      problems.push({
        path: ["traffic", "warmupSessions"],
        message: `expected fewer than the ${maxSessions} sessions the run releases, got ${traffic.warmupSessions} (nothing would be measured)`,
      });
    }
  }
  const baseUrl = spec.request?.baseUrl;
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    problems.push({ path: ["request", "baseUrl"], message: `expected an http:// or https:// URL such as http://127.0.0.1:8080/v1, got ${JSON.stringify(baseUrl)}` });
  }
  if (spec.server !== undefined && baseUrl !== undefined) {
    problems.push({ path: ["server"], message: "a spec gives either server (an engine agentload starts) or request.baseUrl (a server already running), not both" });
  }
  for (const field of ["baseUrl", "readyUrl"] as const) {
    const url = spec.server?.[field];
    if (url !== undefined && !isHttpUrl(url.replace(/\{port\}/g, "1").replace(/\{host\}/g, "127.0.0.1"))) {
      problems.push({ path: ["server", field], message: `expected an http:// or https:// URL (with {port} and {host} where the server's go), such as http://{host}:{port}/v1, got ${JSON.stringify(url)}` });
    }
  }
  // The limits build each distribution, which assumes the checks above passed (ordered ranges).
  if (problems.length === 0) problems.push(...limitProblems(spec));
  return problems;
}

/** The smallest value each sized field may take, and whether it counts whole things. */
const fieldRules: Record<string, { least: number; what: string; whole: boolean }> = {
  turns: { least: 1, what: "requests", whole: true },
  taskTokens: { least: 0, what: "tokens", whole: true },
  freshInput: { least: 0, what: "tokens", whole: true },
  output: { least: 1, what: "tokens", whole: true },
  waitMs: { least: 0, what: "milliseconds", whole: false },
  fanOut: { least: 1, what: "subagents", whole: true },
  joinAfterTurns: { least: 1, what: "turns", whole: true },
  burstTurns: { least: 1, what: "turns", whole: true },
  turnsShare: { least: 0, what: "a share of the parent's turns left", whole: false },
  reasoningShare: { least: 0, what: "a share of the output", whole: false },
  summaryTokens: { least: 1, what: "tokens", whole: true },
};

function agentProblems(agent: AgentSpec, at: SpecPath, names: string[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const sized = (dist: DistributionSpec | undefined, path: SpecPath, field: string) => {
    if (dist === undefined) return;
    const rule = fieldRules[field];
    problems.push(...distributionProblems(dist, path));
    if (rule) problems.push(...boundProblems(dist, path, rule));
  };
  for (const field of ["taskTokens", "turns", "freshInput", "output", "waitMs"] as const) {
    sized(agent[field], [...at, field], field);
  }

  sized(agent.reasoning?.share, [...at, "reasoning", "share"], "reasoningShare");

  const sub = agent.subagents;
  if (sub) {
    if (!names.includes(sub.agent)) {
      const guess = didYouMean(sub.agent, names);
      problems.push({
        path: [...at, "subagents", "agent"],
        message:
          `no agent named ${JSON.stringify(sub.agent)}` +
          (guess ? ` (did you mean "${guess}"?)` : `; agents are: ${names.join(", ")}`),
        suggested: !!guess,
      });
    }
    sized(sub.fanOut, [...at, "subagents", "fanOut"], "fanOut");
    sized(sub.summaryTokens, [...at, "subagents", "summaryTokens"], "summaryTokens");
    sized(sub.joinAfterTurns, [...at, "subagents", "joinAfterTurns"], "joinAfterTurns");
    sized(sub.burstTurns, [...at, "subagents", "burstTurns"], "burstTurns");
    sized(sub.turnsShare, [...at, "subagents", "turnsShare"], "turnsShare");
    const window = sub.spawnWindow;
    if (window && (window.from ?? 0) > (window.to ?? 1)) {
      problems.push({ path: [...at, "subagents", "spawnWindow"], message: `expected from <= to, got from ${window.from ?? 0} and to ${window.to ?? 1}` });
    }
    if (sub.blocking !== false) {
      // A blocking spawn's reports are all read by the next turn; a join setting would be ignored.
      for (const field of ["joinProbability", "joinAfterTurns"] as const) {
        if (sub[field] !== undefined) {
          problems.push({ path: [...at, "subagents", field], message: "applies only to subagents that do not block: add blocking: false, or remove it" });
        }
      }
    }
  }

  const compaction = agent.compaction;
  if (compaction) {
    sized(compaction.summaryTokens, [...at, "compaction", "summaryTokens"], "summaryTokens");
    const fixed = (agent.scaffold?.systemTokens ?? 0) + (agent.scaffold?.toolTokens ?? 0) + (compaction.promptTokens ?? 200);
    if (compaction.contextLimit <= fixed) {
      problems.push({
        path: [...at, "compaction", "contextLimit"],
        message: `expected more than the ${fixed} tokens the scaffold and compaction prompt already take, got ${compaction.contextLimit}`,
      });
    }
  }
  return problems;
}

/** Shape checks the schema cannot express: ordered ranges, whole-number uniform ends. */
function distributionProblems(dist: DistributionSpec, path: SpecPath): SpecProblem[] {
  if (typeof dist === "number") return [];
  const problems: SpecProblem[] = [];
  if (dist.min !== undefined && dist.max !== undefined && dist.min > dist.max) {
    problems.push({ path: [...path, "min"], message: `expected min <= max (${dist.max}), got ${dist.min}` });
  }
  if (dist.type === "uniform" && !dist.continuous) {
    for (const end of ["min", "max"] as const) {
      if (!Number.isInteger(dist[end])) {
        problems.push({
          path: [...path, end],
          message: `expected a whole number (uniform draws integers unless continuous: true), got ${dist[end]}`,
        });
      }
    }
  }
  if (dist.type === "spike_tail") {
    problems.push(...distributionProblems(dist.spike, [...path, "spike"]));
    problems.push(...distributionProblems(dist.tail, [...path, "tail"]));
  }
  return problems;
}

/**
 * Lower bounds where the smallest value is plain to see (a number, fixed, uniform, empirical).
 * Open-ended distributions are left to the sampler, which clamps counts at their floor.
 */
function boundProblems(
  dist: DistributionSpec,
  path: SpecPath,
  rule: { least: number; what: string; whole: boolean },
): SpecProblem[] {
  const check = (value: number, at: SpecPath): SpecProblem[] => {
    if (value < rule.least) {
      return [{ path: at, message: `expected a number >= ${rule.least} (${rule.what}), got ${value}` }];
    }
    if (rule.whole && !Number.isInteger(value)) {
      return [{ path: at, message: `expected a whole number of ${rule.what}, got ${value}` }];
    }
    return [];
  };
  if (typeof dist === "number") return check(dist, path);
  switch (dist.type) {
    case "fixed":
      return check(dist.value, [...path, "value"]);
    case "uniform":
      return dist.min < rule.least ? check(dist.min, [...path, "min"]) : [];
    case "empirical": {
      // A loop, not Math.min(...samples): spreading a long list overflows the stack.
      let at = 0;
      for (let k = 1; k < dist.samples.length; k++) if (dist.samples[k]! < dist.samples[at]!) at = k;
      const low = dist.samples[at]!;
      return low < rule.least ? check(low, [...path, "samples", at]) : [];
    }
    case "spike_tail":
      return [...boundProblems(dist.spike, [...path, "spike"], rule), ...boundProblems(dist.tail, [...path, "tail"], rule)];
    default:
      return [];
  }
}

/** An absolute http(s) URL: anything else fails every request, or fetch refuses it outright. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
