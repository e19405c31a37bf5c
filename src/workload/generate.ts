// Synthetic session graphs from a WorkloadSpec: single requests, linear chains, subagent DAGs and
// compaction, for several weighted agent types.
//
// Determinism: every random quantity has its own stream, rngFor(seed, path), with paths such as
//   sessions/<i>/agent                       which agent type session i is
//   sessions/<i>/main/<quantity>             the main chain's turns, task, fresh, output, wait, ...
//   <chain>/turn<t>/child<k>/<quantity>      child k spawned after turn t of <chain>
// so session i is the same whether or not other sessions are generated, and drawing one more
// quantity (or adding an agent feature) never shifts the numbers of another.
//
// Ids: a session's id is its index ("0", "1", ...); node ids are "0", "1", ... in creation order,
// which is a topological order (a node is created after all its parents).
//
// Shapes (all sizes drawn, rounded to whole non-negative numbers; turns at least 1):
// - a chain of `turns` requests, each inheriting the previous one's history; the first adds
//   taskTokens, later ones freshInput; waits are drawn for every request that has parents;
// - subagents: after turn t, if a turn follows it, with spawnProbability, fanOut children run,
//   each a chain of its template agent from that agent's scaffold (first node kind "spawn",
//   historyParent null); turn t+1 becomes a "report" whose parents are turn t and every child's
//   last node and whose fresh input is the children's summaries (blocking, the default). With
//   inheritHistory a child's first request continues the parent's conversation (a fork) instead
//   of starting from its scaffold. With blocking: false the parent goes on at once, and each
//   child's report is read, with joinProbability, by the turn joinAfterTurns later (at most the last), else never. A spawn may
//   start only within spawnWindow (fractions of the chain) and then goes on for burstTurns
//   consecutive turns (default 1), each spawning fanOut children. A chain at depth d spawns with
//   its agent's own `subagents` (else the one it was spawned under) while d < maxDepth;
// - compaction: when a request's prompt (scaffold + history + fresh) would pass contextLimit, a
//   "compaction" request (fresh promptTokens, output summaryTokens, no wait) runs first and the
//   request restarts from scaffold + summary + its fresh input (historyParent null).
import { createDistribution } from "./distributions.js";
import { FIELD_LIMITS, MAX_NODES_PER_SESSION, MAX_TOKENS } from "./limits.js";
import { SpecError, type SpecPath } from "./spec-errors.js";
import { rngFor } from "../stats/random.js";
import { standardGamma, standardNormal } from "../stats/samplers.js";
import type { AgentSpec, CompactionSpec, DistributionSpec, ReasoningSpec, SubagentSpec, WorkloadSpec } from "./spec-types.js";
import { inheritedPrompt, replyOf, rootPrompt, type NodeTokens } from "./tokens.js";
import type { NodeKind, RequestNode, Rng, Scaffold, SessionGraph, Workload } from "./types.js";

export { MAX_NODES_PER_SESSION } from "./limits.js";

/** The scaffolds of a spec: one per agent type, id = agent name. */
export function scaffoldsOf(spec: WorkloadSpec): Scaffold[] {
  return spec.agents.map((a) => ({
    id: a.name,
    systemTokens: a.scaffold?.systemTokens ?? 0,
    toolTokens: a.scaffold?.toolTokens ?? 0,
  }));
}

/** All sessions of a spec, generated at once. */
export function generateWorkload(spec: WorkloadSpec): Workload {
  return {
    name: spec.name,
    seed: String(spec.seed),
    scaffolds: scaffoldsOf(spec),
    sessions: [...iterateSessions(spec)],
  };
}

/** The spec's sessions, generated one at a time (session i depends only on seed, spec and i). */
export function* iterateSessions(spec: WorkloadSpec): Generator<SessionGraph, void, undefined> {
  const plan = prepare(spec);
  for (let i = 0; i < spec.sessions; i++) yield generateSession(plan, i);
}

/** Session i alone, identical to the i-th session of iterateSessions(spec). */
export function generateSessionAt(spec: WorkloadSpec, index: number): SessionGraph {
  return generateSession(prepare(spec), index);
}

interface Plan {
  spec: WorkloadSpec;
  agents: Map<string, AgentSpec>;
  scaffoldTokens: Map<string, number>;
  /** Cumulative weights of the agents sessions are drawn from. */
  cumulative: { agent: AgentSpec; upTo: number }[];
  totalWeight: number;
}

/** Check what the generator relies on (the schema checks the rest) and precompute lookups. */
function prepare(spec: WorkloadSpec): Plan {
  if (!Number.isInteger(spec.sessions) || spec.sessions < 0) {
    throw new Error(`workload '${spec.name}': sessions must be a non-negative integer, got ${JSON.stringify(spec.sessions)}`);
  }
  const agents = new Map<string, AgentSpec>();
  spec.agents.forEach((agent, i) => {
    if (agents.has(agent.name)) throw new Error(`workload '${spec.name}': agents[${i}].name '${agent.name}' is used twice`);
    agents.set(agent.name, agent);
  });
  spec.agents.forEach((agent, i) => {
    const template = agent.subagents?.agent;
    if (template !== undefined && !agents.has(template)) {
      throw new Error(
        `workload '${spec.name}': agents[${i}].subagents.agent '${template}' is not an agent name (expected one of ${[...agents.keys()].join(", ")})`,
      );
    }
    const limit = agent.subagents?.maxConcurrent;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw new Error(`workload '${spec.name}': agents[${i}].subagents.maxConcurrent must be a whole number >= 1, got ${JSON.stringify(limit)}`);
    }
  });
  const cumulative: Plan["cumulative"] = [];
  let totalWeight = 0;
  spec.agents.forEach((agent, i) => {
    const weight = agent.weight ?? 1;
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new Error(`workload '${spec.name}': agents[${i}].weight must be a finite number >= 0, got ${JSON.stringify(agent.weight)}`);
    }
    if (weight > 0) {
      totalWeight += weight;
      cumulative.push({ agent, upTo: totalWeight });
    }
  });
  if (spec.sessions > 0 && totalWeight === 0) {
    throw new Error(`workload '${spec.name}': agents[].weight are all 0, so no agent type can start a session`);
  }
  const scaffoldTokens = new Map(scaffoldsOf(spec).map((s) => [s.id, s.systemTokens + s.toolTokens]));
  return { spec, agents, scaffoldTokens, cumulative, totalWeight };
}

function pickAgent(plan: Plan, rng: Rng): AgentSpec {
  const u = rng.next() * plan.totalWeight;
  for (const entry of plan.cumulative) if (u < entry.upTo) return entry.agent;
  return plan.cumulative[plan.cumulative.length - 1]!.agent;
}

/** One chain of requests by one agent: the session's main chain or a subagent's. */
interface Chain {
  agent: AgentSpec;
  /** Stream path prefix of this chain's quantities. */
  path: string;
  /** 0 for the main chain, 1 for its subagents, ... */
  depth: number;
  /** How this chain spawns subagents: its agent's own config, else the one it was spawned under. */
  spawning: SubagentSpec | undefined;
  /** Its length when its spawner set it (turnsShare); else drawn from its agent's turns. */
  turns?: number;
  /** A fork (inheritHistory): the node whose conversation its first request continues. */
  historyFrom?: string;
  /** Its agent's reasoning, with the stream of each reply's share (set by runChain). */
  reasoning?: Reasoning | null;
}

function generateSession(plan: Plan, index: number): SessionGraph {
  const { seed } = plan.spec;
  const root = `sessions/${index}`;
  const agent = pickAgent(plan, rngFor(seed, `${root}/agent`));
  const builder = new SessionBuilder(plan, String(index), agent.name);
  builder.runChain({ agent, path: `${root}/main`, depth: 0, spawning: agent.subagents }, [], "turn");
  return { id: String(index), agent: agent.name, scaffoldId: agent.name, nodes: builder.nodes };
}

/**
 * Whole non-negative numbers from a distribution (token counts, turn counts, milliseconds), at
 * most the quantity's limit (limits.ts): validation refuses a distribution that passes it more
 * than rarely, so a clamped draw is a thin tail cut, and an Infinity can never reach the run.
 * The stream is opened on the first draw: opening one costs more than a draw, and many chains
 * never draw some of their quantities.
 */
class Counts {
  private rng: Rng | undefined;
  constructor(
    private readonly spec: DistributionSpec,
    private readonly seed: string | number,
    private readonly path: string,
    private readonly sessionId: string,
    private readonly most: number,
    private readonly least = 0,
  ) {}
  draw(): number {
    const x = typeof this.spec === "number" ? this.spec : drawFrom(this.spec, (this.rng ??= rngFor(this.seed, this.path)));
    // No clamp mends NaN: parameters too extreme for the sampler (validation found no such case).
    if (Number.isNaN(x)) throw new SpecError([{ path: [], message: `session ${this.sessionId}, ${this.path}: the distribution drew NaN; its parameters are too extreme` }]);
    return Math.min(this.most, Math.max(this.least, Math.round(x)));
  }

  /**
   * A draw on one side of `threshold` (above: greater than it), by drawing again until one lands
   * there: the law conditioned on that side. After SIDE_TRIES draws the last is kept (for a side
   * of chance 1%, once in about 23,000 such turns).
   */
  drawOnSide(above: boolean, threshold: number): number {
    let x = this.draw();
    for (let tries = 1; x > threshold !== above && tries < SIDE_TRIES; tries++) x = this.draw();
    return x;
  }
}

const SIDE_TRIES = 1000;

/** Chance that a draw of `spec` lies above `threshold`, worked out once per spec. */
const chanceAbove = new WeakMap<object, Map<number, number>>();
function drawsAbove(spec: DistributionSpec, threshold: number): number {
  if (typeof spec !== "object" || spec === null) return Math.round(spec) > threshold ? 1 : 0;
  let byThreshold = chanceAbove.get(spec);
  if (!byThreshold) chanceAbove.set(spec, (byThreshold = new Map()));
  let chance = byThreshold.get(threshold);
  if (chance === undefined) {
    // Draws are rounded: a draw above the threshold is one at or above its next half-integer.
    chance = 1 - createDistribution(spec, { next: () => 0.5 }).cdf(Math.floor(threshold) + 0.5);
    byThreshold.set(threshold, chance);
  }
  return chance;
}

/**
 * Which of a chain's turns are large (freshInputLarge). The chain's chance is freshInput's own
 * chance of a draw above `above`, or with a correlation a beta draw of that mean (shapes
 * chance * (1 / correlation - 1) and (1 - chance) * (1 / correlation - 1), a ratio of gammas);
 * along the chain it is weighted by freshInputByPosition's factor over that factor's mean on
 * [0, 1], 2 sinh(slope / 2) / slope, so the chain's expected count of large turns stays the same.
 */
class LargeTurns {
  readonly above: number;
  private readonly chance: number;
  private readonly slope: number;
  private readonly sides: Rng;

  constructor(spec: NonNullable<AgentSpec["freshInputLarge"]>, freshInput: DistributionSpec, slope: number, seed: string | number, path: string) {
    this.above = spec.above;
    this.slope = slope;
    const mean = drawsAbove(freshInput, spec.above);
    const correlation = spec.correlation ?? 0;
    if (correlation > 0 && mean > 0 && mean < 1) {
      const rng = rngFor(seed, `${path}/largeChance`);
      const total = 1 / correlation - 1;
      const a = standardGamma(rng, mean * total);
      const b = standardGamma(rng, (1 - mean) * total);
      this.chance = a + b > 0 ? a / (a + b) : mean;
    } else {
      this.chance = mean;
    }
    this.sides = rngFor(seed, `${path}/largeSide`);
  }

  /** Whether the turn at `position` (t / T) is large: one draw of the chain's sides stream. */
  at(position: number): boolean {
    const weight = this.slope === 0 ? 1 : Math.exp(this.slope * (position - 0.5)) / ((2 * Math.sinh(this.slope / 2)) / this.slope);
    return this.sides.next() < Math.min(1, this.chance * weight);
  }
}

/** Draws from `stream` through the distribution `spec` builds, built once per spec (sharedDistributions). */
class StreamSwitch implements Rng {
  current: Rng | undefined;
  next(): number {
    return this.current!.next();
  }
}

/**
 * One distribution per spec object, drawn by every stream of that quantity: building one (its
 * parameters read and checked, bounds, a truncated law's mass) cost more than its draws, and
 * every session built several (`benchmarks/dispatch-lateness.ts`, single-request sessions at 200
 * a second: 23 MB of the client's 470 MB of garbage in 10 s). Each draw first says which stream
 * it draws from; the families keep nothing between draws, so a draw depends on its stream alone
 * and the sequence is the one a distribution per stream gave.
 */
const sharedDistributions = new WeakMap<object, { distribution: { sample(): number }; streams: StreamSwitch }>();

function drawFrom(spec: DistributionSpec, stream: Rng): number {
  if (typeof spec !== "object" || spec === null) return createDistribution(spec, stream).sample();
  let shared = sharedDistributions.get(spec);
  if (!shared) {
    const streams = new StreamSwitch();
    shared = { distribution: createDistribution(spec, streams), streams };
    sharedDistributions.set(spec, shared);
  }
  shared.streams.current = stream;
  return shared.distribution.sample();
}

/** The limit of each quantity the generator draws, by its stream name. */
const QUANTITY_LIMITS: Record<string, number> = {
  turns: FIELD_LIMITS.count.most,
  fanOut: FIELD_LIMITS.count.most,
  wait: FIELD_LIMITS.waitMs.most,
};

class SessionBuilder {
  readonly nodes: RequestNode[] = [];
  private readonly tokens: NodeTokens[] = [];
  /** Turns of each chain, by the id of its last node. */
  private readonly chainTurns = new Map<string, number>();

  constructor(
    private readonly plan: Plan,
    private readonly sessionId: string,
    private readonly sessionScaffold: string,
  ) {}

  get seed(): string | number {
    return this.plan.spec.seed;
  }

  counts(chain: Chain, quantity: string, spec: DistributionSpec, least = 0): Counts {
    const most = QUANTITY_LIMITS[quantity] ?? FIELD_LIMITS.tokens.most;
    return new Counts(spec, this.plan.spec.seed, `${chain.path}/${quantity}`, this.sessionId, most, least);
  }

  /** A SpecError about the session's agent: the spec, not the code, has to change. */
  private tooLarge(field: SpecPath, message: string): SpecError {
    const index = this.plan.spec.agents.findIndex((a) => a.name === this.sessionScaffold);
    return new SpecError([{ path: ["agents", index, ...field], message: `session ${this.sessionId}: ${message}` }]);
  }

  /**
   * Add a chain of the agent's turns, its first request depending on `after` (none for the
   * session's first request). Returns the id of the chain's last node.
   */
  runChain(chain: Chain, after: string[], firstKind: NodeKind): string {
    const { agent } = chain;
    const turns = chain.turns ?? Math.max(1, this.counts(chain, "turns", agent.turns).draw());
    chain.reasoning = agent.reasoning ? new Reasoning(agent.reasoning, this.plan.spec.seed, chain.path) : null;
    const fresh = this.counts(chain, "fresh", agent.freshInput);
    // This chain's own factor on what its turns add, from its own stream.
    const sigma = agent.freshInputSpread ?? 0;
    const byTurns = agent.freshInputByTurns ? lengthFactor(agent.freshInputByTurns, turns) : 1;
    const spread = (sigma > 0 ? spreadFactor(sigma, rngFor(this.plan.spec.seed, `${chain.path}/freshSpread`)) : 1) * byTurns;
    // Turns later in the chain add more (or less): freshInputByPosition, a factor of 1 half way.
    const trend = agent.freshInputByPosition ?? 0;
    // Large turns (freshInputLarge): this chain's own chance of one, and the stream of sides.
    const large = agent.freshInputLarge ? new LargeTurns(agent.freshInputLarge, agent.freshInput, trend, this.plan.spec.seed, chain.path) : null;
    // A factor never takes a turn past the distribution's own max (the largest a trace showed).
    const bound = typeof agent.freshInput === "object" ? agent.freshInput.max : undefined;
    const freshMost = Math.min(FIELD_LIMITS.tokens.most, bound ?? Infinity);
    // Its own stream even when it defaults to freshInput, so a spec with defaults filled in
    // (resolveSpec) generates the same sessions as the spec as written.
    // A request never asks for 0 tokens, and a chain's first prompt is never empty: a fitted
    // distribution whose draw rounds to 0 (a Mooncake row of output_length 0) is raised to 1.
    const bare = (this.plan.scaffoldTokens.get(agent.name) ?? 0) === 0;
    const task = this.counts(chain, "task", agent.taskTokens ?? agent.freshInput, bare ? 1 : 0);
    const output = this.counts(chain, "output", agent.output, 1);
    const wait = this.counts(chain, "wait", agent.waitMs ?? 0);
    const compaction: Compaction | null = agent.compaction
      ? { spec: agent.compaction, summary: this.counts(chain, "compaction", agent.compaction.summaryTokens) }
      : null;
    const spawning = chain.spawning && chain.depth < (chain.spawning.maxDepth ?? 1) ? chain.spawning : undefined;
    let spawnRng: Rng | undefined;
    const fanOut = spawning ? this.counts(chain, "fanOut", spawning.fanOut ?? 1) : null;
    const summary = spawning ? this.counts(chain, "summary", spawning.summaryTokens) : null;
    const joins = spawning && spawning.blocking === false ? new Joins(this, chain, spawning, turns) : null;
    // Turn t may start a burst of spawns when it lies in the window (fractions of the chain's turns).
    const windowFrom = Math.round((spawning?.spawnWindow?.from ?? 0) * turns);
    const windowTo = Math.round((spawning?.spawnWindow?.to ?? 1) * turns);
    const burstLength = spawning?.burstTurns !== undefined ? this.counts(chain, "burst", spawning.burstTurns) : null;
    let burstLeft = 0;

    let prev = this.add(chain, {
      parents: after,
      historyParent: chain.historyFrom ?? null,
      freshInputTokens: task.draw(),
      outputTokens: output.draw(),
      waitAfterReadyMs: after.length > 0 ? wait.draw() : 0,
      kind: firstKind,
    });
    // Turn t (0-based) may spawn subagents only when a turn follows it: that next request is the
    // one that reads their reports, so `turns` stays the exact length of the chain.
    for (let t = 1; t < turns; t++) {
      let parents = [prev];
      // Drawn on every turn, used or not, so turning subagents on leaves the other turns' sizes alone.
      // A draw at the distribution's max (a fitted cap: tool results cut at a limit) stays there.
      const isLarge = large !== null && large.at(t / turns);
      let freshTokens = large ? fresh.drawOnSide(isLarge, large.above) : fresh.draw();
      const factor = trend === 0 ? spread : spread * Math.exp(trend * (t / turns - 0.5));
      // A large turn keeps its size: a file is as long early in a chain as late.
      if (factor !== 1 && freshTokens < freshMost && !isLarge) freshTokens = Math.min(freshMost, Math.round(freshTokens * factor));
      let kind: NodeKind = "turn";
      let children = 0;
      if (spawning) {
        spawnRng ??= rngFor(this.plan.spec.seed, `${chain.path}/spawn`);
        // Drawn on every turn, so a window or bursts leave the other turns' draws where they were.
        const starts = spawnRng.next() < spawning.spawnProbability;
        if (burstLeft > 0) {
          burstLeft--;
          children = fanOut!.draw();
        } else if (starts && t - 1 >= windowFrom && t - 1 <= windowTo) {
          burstLeft = burstLength ? Math.max(1, burstLength.draw()) - 1 : 0;
          children = fanOut!.draw();
        }
      }
      let reports: string[] = [];
      if (children > 0) {
        const lasts = this.spawn(chain, spawning!, t - 1, prev, children, turns - t);
        if (joins) joins.plan(t, lasts, lasts.map((id) => this.chainTurns.get(id)!));
        else reports = lasts;
      }
      if (joins) reports = joins.due(t);
      if (reports.length > 0) {
        parents = [prev, ...reports];
        freshTokens = 0;
        for (let k = 0; k < reports.length; k++) freshTokens += summary!.draw();
        kind = "report";
      }
      const userTurn = chain.reasoning?.userTurn() ?? false;
      prev = this.continueChain(chain, prev, parents, freshTokens, output.draw(), wait.draw(), kind, compaction, userTurn);
    }
    this.chainTurns.set(prev, turns);
    return prev;
  }

  /**
   * Run `count` subagents after node `from` (turn `turn`, with `left` turns of the chain after it);
   * returns each child's last node id.
   */
  private spawn(chain: Chain, spawning: SubagentSpec, turn: number, from: string, count: number, left: number): string[] {
    const template = this.plan.agents.get(spawning.agent)!;
    const limit = spawning.maxConcurrent ?? Infinity;
    const lasts: string[] = [];
    for (let k = 0; k < count; k++) {
      // Child k waits for child k - maxConcurrent to finish, so at most maxConcurrent run at once.
      const after = k >= limit ? [from, lasts[k - limit]!] : [from];
      const path = `${chain.path}/turn${turn}/child${k}`;
      const child: Chain = { agent: template, path, depth: chain.depth + 1, spawning: template.subagents ?? spawning };
      if (spawning.inheritHistory === true) child.historyFrom = from;
      if (spawning.turnsShare !== undefined) {
        const share = drawFrom(spawning.turnsShare, rngFor(this.plan.spec.seed, `${path}/turnsShare`));
        child.turns = Math.min(FIELD_LIMITS.count.most, Math.max(1, Math.round(share * left)));
      }
      lasts.push(this.runChain(child, after, "spawn"));
    }
    return lasts;
  }

  /**
   * The chain's next request after `prev`. When its prompt would pass the context limit, a
   * compaction request runs first and the request restarts from scaffold + summary.
   */
  private continueChain(
    chain: Chain,
    prev: string,
    parents: string[],
    fresh: number,
    output: number,
    wait: number,
    kind: NodeKind,
    compaction: Compaction | null,
    userTurn: boolean,
  ): string {
    const prevIndex = Number(prev);
    const drop = chain.reasoning?.dropFor(userTurn);
    const dropping = drop === undefined ? {} : { dropReasoning: drop };
    const prompt = inheritedPrompt(this.tokens[prevIndex]!, this.nodes[prevIndex]!.outputTokens, fresh, undefined, replyOf(this.nodes[prevIndex]!, dropping));
    if (!compaction || prompt.promptTokens <= compaction.spec.contextLimit) {
      return this.add(chain, { parents, historyParent: prev, freshInputTokens: fresh, outputTokens: output, waitAfterReadyMs: wait, kind, ...dropping });
    }
    const before = chain.reasoning?.dropFor(false);
    const summary = compaction.summary.draw();
    const compacted = this.add(chain, {
      parents: [prev],
      historyParent: prev,
      freshInputTokens: compaction.spec.promptTokens ?? 200,
      outputTokens: summary,
      waitAfterReadyMs: 0,
      kind: "compaction",
      ...(before === undefined ? {} : { dropReasoning: before }),
    });
    return this.add(chain, {
      parents: parents.map((p) => (p === prev ? compacted : p)),
      historyParent: null,
      freshInputTokens: summary + fresh,
      outputTokens: output,
      waitAfterReadyMs: wait,
      kind,
    });
  }

  private add(chain: Chain, fields: Omit<RequestNode, "id" | "scaffoldId">): string {
    if (this.nodes.length >= MAX_NODES_PER_SESSION) {
      // Turns are limited on their own, so only subagents can make a session this large.
      throw this.tooLarge(["subagents"], `passed ${MAX_NODES_PER_SESSION.toLocaleString("en-US")} requests: lower spawnProbability, fanOut or maxDepth`);
    }
    const id = String(this.nodes.length);
    const node: RequestNode = { id, ...fields };
    if (chain.agent.name !== this.sessionScaffold) node.scaffoldId = chain.agent.name;
    // A compaction's summary is all visible: it is what the restarted request carries.
    const reasoning = fields.kind === "compaction" ? 0 : (chain.reasoning?.tokensOf(fields.outputTokens) ?? 0);
    if (reasoning > 0) node.reasoningTokens = reasoning;
    const history = fields.historyParent === null ? null : Number(fields.historyParent);
    const tokens =
      history === null
        ? rootPrompt(this.plan.scaffoldTokens.get(chain.agent.name) ?? 0, fields.freshInputTokens)
        : inheritedPrompt(this.tokens[history]!, this.nodes[history]!.outputTokens, fields.freshInputTokens, undefined, replyOf(this.nodes[history]!, node));
    // Prompts grow with every turn; past the limit their text would not fit in memory.
    if (tokens.promptTokens > MAX_TOKENS) {
      throw this.tooLarge(
        [],
        `request ${id}'s prompt grows to ${tokens.promptTokens.toLocaleString("en-US")} tokens; expected at most ` +
          `${MAX_TOKENS.toLocaleString("en-US")}: add compaction, or lower turns, freshInput or output`,
      );
    }
    this.tokens.push(tokens);
    this.nodes.push(node);
    return id;
  }
}

/** freshInputByTurns's factor for a chain of `turns`, the length kept within [minTurns, maxTurns]. */
function lengthFactor(by: NonNullable<AgentSpec["freshInputByTurns"]>, turns: number): number {
  const length = Math.min(by.maxTurns ?? Infinity, Math.max(by.minTurns ?? 0, turns));
  return (length / by.referenceTurns) ** by.exponent;
}

/** A chain's factor stays within this many standard deviations of 1 (in log space). */
const SPREAD_LIMIT = 2;

/**
 * exp(sigma Z) for Z a standard normal truncated to +-SPREAD_LIMIT: a factor of median 1, so
 * chains keep the trace's typical size and its mean comes from the spread (fit divides each
 * conversation's factor out the same way), and no chain draws sizes beyond what conversations of
 * the trace showed (the branching trace's lie within 1.6 standard deviations); untruncated, one
 * seed's chain drew a factor that grew a prompt to 1.08M tokens against the trace's 167k.
 */
function spreadFactor(sigma: number, rng: Rng): number {
  let z = standardNormal(rng);
  for (let tries = 0; Math.abs(z) > SPREAD_LIMIT && tries < 1000; tries++) z = standardNormal(rng);
  return Math.exp(sigma * Math.max(-SPREAD_LIMIT, Math.min(SPREAD_LIMIT, z)));
}

/**
 * Where the reports of subagents that do not block are read: each child, with joinProbability,
 * by the parent's turn joinAfterTurns after the one it was spawned before (at most the last
 * turn); the others are never read. Drawn from the chain's own `join` and `joinAfter` streams.
 */
class Joins {
  private readonly pending = new Map<number, string[]>();
  private readonly rng: Rng;
  private readonly after: Counts;
  private readonly probability: number;

  constructor(
    builder: SessionBuilder,
    chain: Chain,
    spawning: SubagentSpec,
    private readonly turns: number,
  ) {
    this.rng = rngFor(builder.seed, `${chain.path}/join`);
    this.after = builder.counts(chain, "joinAfter", spawning.joinAfterTurns ?? 1);
    this.probability = spawning.joinProbability ?? 1;
  }

  /**
   * Children spawned before turn t, with their own lengths in turns: which later turn reads each
   * one's report, if any. Never before the child has had, turn for turn, the time to finish: a
   * parent turn that read a report due sooner would wait for it, and in the branching trace's
   * fit that stretched the longest path from 44 to 60 requests.
   */
  plan(t: number, lasts: string[], lengths: number[]): void {
    for (let k = 0; k < lasts.length; k++) {
      const last = lasts[k]!;
      if (!(this.rng.next() < this.probability)) continue;
      const at = Math.min(this.turns - 1, t - 1 + Math.max(1, this.after.draw(), lengths[k]!));
      const list = this.pending.get(at);
      if (list) list.push(last);
      else this.pending.set(at, [last]);
    }
  }

  /** The reports turn t reads. */
  due(t: number): string[] {
    const list = this.pending.get(t) ?? [];
    this.pending.delete(t);
    return list;
  }
}

/**
 * An agent's reasoning: each reply's hidden share (its own stream, drawn once per reply), which
 * turns are new user messages (drawn on every turn after the first), and how a prompt holds the
 * replies before it (RequestNode.dropReasoning).
 */
class Reasoning {
  private readonly shareStream: Rng;
  private readonly userTurns: Rng | null;

  constructor(
    private readonly spec: ReasoningSpec,
    seed: string | number,
    path: string,
  ) {
    this.shareStream = rngFor(seed, `${path}/reasoning`);
    const p = spec.userTurnProbability ?? 0;
    this.userTurns = p > 0 ? rngFor(seed, `${path}/userTurn`) : null;
  }

  /** Reasoning tokens of a reply of `output` tokens: at least one token stays visible. */
  tokensOf(output: number): number {
    const share = Math.min(1, Math.max(0, drawFrom(this.spec.share, this.shareStream)));
    return Math.max(0, Math.min(output - 1, Math.round(share * output)));
  }

  /** Whether the next turn is a new user message. */
  userTurn(): boolean {
    return this.userTurns !== null && this.userTurns.next() < (this.spec.userTurnProbability ?? 0);
  }

  /** How a request that inherits a history holds its reasoning. */
  dropFor(userTurn: boolean): "parent" | "all" | undefined {
    const mode = this.spec.inHistory ?? "all";
    if (mode === "visible") return "parent";
    if (mode === "visible_across_user_turns" && userTurn) return "all";
    return undefined;
  }
}

/** An agent's compaction settings with the stream of its summary sizes. */
interface Compaction {
  spec: CompactionSpec;
  summary: Counts;
}
