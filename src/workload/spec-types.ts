// GENERATED from schema/workload.schema.json by scripts/gen-spec-types.mjs. Do not edit:
// change the schema and run `node scripts/gen-spec-types.mjs`.
// Holds the spec types and, at the end, the schema itself as a constant, so the validator needs no
// file access or JSON import (the core runs on Node, Bun and Deno, and the build's rootDir is src/).

/**
 * A number (always that value) or a distribution object.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "DistributionSpec".
 */
export type DistributionSpec = number | DistributionObject;
/**
 * A distribution given by its type and parameters.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "DistributionObject".
 */
export type DistributionObject =
  | FixedDistribution
  | UniformDistribution
  | NormalDistribution
  | LognormalDistribution
  | GammaDistribution
  | WeibullDistribution
  | ExponentialDistribution
  | ParetoDistribution
  | InverseGaussianDistribution
  | ZipfDistribution
  | EmpiricalDistribution
  | SpikeTailDistribution;
/**
 * How sessions are released.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "TrafficSpec".
 */
export type TrafficSpec = ConcurrentTrafficSpec | RateTrafficSpec;
/**
 * How sessions arrive in rate mode.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ArrivalSpec".
 */
export type ArrivalSpec = PoissonArrivals | GammaArrivals | ConstantArrivals;
/**
 * Milliseconds, or a string such as "750ms", "1.5s", "2m".
 *
 * This interface was referenced by `LatencyThreshold`'s JSON-Schema definition
 * via the `patternProperty` "^p\d{1,2}(\.\d+)?$".
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "Duration".
 */
export type Duration = number | string;

/**
 * An agentload workload: agent types, how sessions are released, how requests are sent, and the SLOs.
 */
export interface WorkloadSpec {
  /**
   * Editor hint; ignored.
   */
  $schema?: string;
  name: string;
  description?: string;
  /**
   * One seed fixes the whole workload.
   */
  seed: string | number;
  /**
   * How many sessions the workload has (at most a billion: sessions are generated one at a time, and counts stay exact integers).
   */
  sessions: number;
  /**
   * @minItems 1
   */
  agents: AgentSpec[];
  traffic?: TrafficSpec;
  request?: RequestOptionsSpec;
  slo?: SloSpec;
  /**
   * An engine agentload starts for the run and stops after (vLLM, SGLang, TGI, llama.cpp), as it starts the built-in engine: `{port}` in args, env, baseUrl and readyUrl becomes `port`, or a free port; `{host}` becomes 127.0.0.1. Its last log lines explain a failed start or a death mid-run. `--url` on the command line runs against that server instead.
   */
  server?: {
    /**
     * The program (a relative path is found from cwd).
     */
    command: string;
    /**
     * Its arguments, e.g. [serve, Qwen/Qwen3-8B, --port, "{port}"].
     */
    args?: string[];
    /**
     * Added to agentload's environment.
     */
    env?: {
      [k: string]: string | undefined;
    };
    /**
     * Working directory, relative to the spec file's folder (default that folder).
     */
    cwd?: string;
    /**
     * The port it listens on (default a free port, given through {port}).
     */
    port?: number;
    /**
     * Its OpenAI-compatible base URL (default http://{host}:{port}/v1).
     */
    baseUrl?: string;
    /**
     * Polled until it answers 200 (default the base URL's root + /health).
     */
    readyUrl?: string;
    /**
     * How long it may take to be ready (default 600).
     */
    readyTimeoutSeconds?: number;
  };
  /**
   * Fields to sweep with `agentload sweep`: a field path of this spec (traffic.concurrency, agents[0].turns; engine.prefixCache and engine.slots for the built-in engine) -> the values to run it at. Every combination is one run; `agentload run` runs the spec as written.
   */
  sweep?: {
    /**
     * @minItems 1
     */
    [k: string]: (number | string | boolean)[] | undefined;
  };
}
/**
 * One agent type; each session draws one by weight.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "AgentSpec".
 */
export interface AgentSpec {
  /**
   * Unique name.
   */
  name: string;
  /**
   * Relative share of sessions; 0 = only used as a subagent template.
   */
  weight?: number;
  scaffold?: ScaffoldSpec;
  /**
   * Fresh tokens of a session's first user message (default: freshInput).
   */
  taskTokens?: DistributionSpec;
  /**
   * Requests in the main chain (1 = a single request).
   */
  turns: DistributionSpec;
  /**
   * Fresh tokens each later turn adds (tool results, user messages).
   */
  freshInput: DistributionSpec;
  /**
   * How much conversations differ in the size of what their turns add: each chain multiplies its freshInput draws by its own lognormal factor of median 1 and this log-space standard deviation, kept within 2 standard deviations; a turn never passes freshInput's max (default 0: every chain alike). In the branching OpenClaw trace one subagent's median tool result is 19 tokens and another's 1,663.
   */
  freshInputSpread?: number;
  /**
   * Longer chains add more per turn: a chain of T turns multiplies its freshInput draws by (T / referenceTurns) ^ exponent, with freshInputSpread's factor on top; a turn never passes freshInput's max (default: no dependence). In the branching OpenClaw trace conversations of 20 requests or more add a geometric mean of 344 tokens a turn, shorter ones 123.
   */
  freshInputByTurns?: {
    /**
     * How per-turn size grows with the chain's turns (0: not at all, 1: in proportion).
     */
    exponent: number;
    /**
     * The length at which the factor is 1.
     */
    referenceTurns: number;
    /**
     * Shorter chains take the factor of this length (fit: the shortest it saw), so the factor is not extrapolated.
     */
    minTurns?: number;
    /**
     * Longer chains take the factor of this length (fit: the longest it saw).
     */
    maxTurns?: number;
  };
  /**
   * Turns add more as a chain goes on: turn t of a chain of T turns multiplies its freshInput draw by exp(freshInputByPosition * (t / T - 1/2)), a factor of 1 half way, with the chain's other factors on top; a turn never passes freshInput's max (default 0: no dependence). In the branching OpenClaw trace a conversation's first fifth of turns adds a geometric mean of 85 tokens a turn and its last fifth 526.
   */
  freshInputByPosition?: number;
  /**
   * Turns whose freshInput draw lies above `above` are large (a file read beside a tool's short output): a large draw is not scaled by the chain's factors (freshInputSpread, freshInputByTurns, freshInputByPosition); instead turn t of T is large with freshInput's own chance of a draw above `above` times exp(freshInputByPosition * (t / T - 1/2)) over that factor's mean along a chain (at most 1), and a turn draws from freshInput on its side of `above`. With a correlation, chains differ in that chance: each draws its own from a beta law of that mean and intra-chain correlation. freshInput's law over all turns is unchanged (default: no turn counts as large). In the branching OpenClaw trace 13 of the 27 subagent conversations of 5 requests or more have no turn adding over 5,000 tokens and one has 9; no turn in the first fifth of a conversation adds over 3,500 tokens, 20% of those in its last fifth do.
   */
  freshInputLarge?: {
    /**
     * Draws above this many tokens are large turns.
     */
    above: number;
    /**
     * How alike a chain's turns are in being large (default 0: each turn on its own).
     */
    correlation?: number;
  };
  /**
   * Output tokens per request.
   */
  output: DistributionSpec;
  /**
   * Milliseconds between a request becoming ready and its dispatch (default 0).
   */
  waitMs?: DistributionSpec;
  reasoning?: ReasoningSpec;
  subagents?: SubagentSpec;
  compaction?: CompactionSpec;
}
/**
 * The start every prompt of this agent shares, byte-identical across its sessions.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ScaffoldSpec".
 */
export interface ScaffoldSpec {
  /**
   * System prompt tokens (at most 10,000,000, the largest context a server offers).
   */
  systemTokens?: number;
  /**
   * Tool definition tokens (at most 10,000,000, the largest context a server offers).
   */
  toolTokens?: number;
}
/**
 * Always the same value.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "FixedDistribution".
 */
export interface FixedDistribution {
  type: "fixed";
  value: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
}
/**
 * Uniform between min and max: integers, both ends included, unless continuous.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "UniformDistribution".
 */
export interface UniformDistribution {
  type: "uniform";
  /**
   * Lowest value.
   */
  min: number;
  /**
   * Highest value.
   */
  max: number;
  /**
   * Draw real numbers in [min, max) instead of integers.
   */
  continuous?: boolean;
}
/**
 * Normal (Gaussian).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "NormalDistribution".
 */
export interface NormalDistribution {
  type: "normal";
  mean: number;
  stddev: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * exp of a normal with mean mu and standard deviation sigma.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "LognormalDistribution".
 */
export interface LognormalDistribution {
  type: "lognormal";
  mu: number;
  sigma: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Gamma with shape k and scale theta (mean k*theta).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "GammaDistribution".
 */
export interface GammaDistribution {
  type: "gamma";
  shape: number;
  scale: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Weibull with shape k and scale lambda.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "WeibullDistribution".
 */
export interface WeibullDistribution {
  type: "weibull";
  shape: number;
  scale: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Exponential with the given mean (1/rate).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ExponentialDistribution".
 */
export interface ExponentialDistribution {
  type: "exponential";
  mean: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Pareto type I: values >= scale, tail index alpha.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ParetoDistribution".
 */
export interface ParetoDistribution {
  type: "pareto";
  scale: number;
  alpha: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Inverse Gaussian (Wald) with mean mu and shape lambda.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "InverseGaussianDistribution".
 */
export interface InverseGaussianDistribution {
  type: "inverse_gaussian";
  mean: number;
  shape: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
  /**
   * Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution.
   */
  truncate?: boolean;
}
/**
 * Zipf over the integers 1..n with exponent s.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ZipfDistribution".
 */
export interface ZipfDistribution {
  type: "zipf";
  /**
   * At most 1,000,000: the sampler keeps a table of n probabilities.
   */
  n: number;
  s: number;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
}
/**
 * Draws uniformly from the given samples (e.g. measured from a trace).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "EmpiricalDistribution".
 */
export interface EmpiricalDistribution {
  type: "empirical";
  /**
   * @minItems 1
   */
  samples: number[];
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
}
/**
 * A mixture: with spikeProbability draw from spike, otherwise from tail.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "SpikeTailDistribution".
 */
export interface SpikeTailDistribution {
  type: "spike_tail";
  spikeProbability: number;
  spike: DistributionSpec;
  tail: DistributionSpec;
  /**
   * Clamp: samples below this are raised to it.
   */
  min?: number;
  /**
   * Clamp: samples above this are lowered to it.
   */
  max?: number;
}
/**
 * Hidden reasoning in replies, and how much of a reply stays in the history later prompts carry.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ReasoningSpec".
 */
export interface ReasoningSpec {
  /**
   * Share of each reply's output tokens that is reasoning (a number or distribution in [0, 1]; at least one token of a reply stays visible).
   */
  share: DistributionSpec;
  /**
   * all: later prompts carry whole replies. visible: they carry each reply without its reasoning. visible_across_user_turns: whole replies within a user turn, and at a new user message every earlier reply without its reasoning (OpenClaw and Codex-style agents: the prompt shrinks at each user message).
   */
  inHistory?: "all" | "visible" | "visible_across_user_turns";
  /**
   * Chance that a turn after the first is a new user message rather than a tool result (where visible_across_user_turns drops reasoning).
   */
  userTurnProbability?: number;
}
/**
 * Subagents spawned from the main chain, turning it into a DAG.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "SubagentSpec".
 */
export interface SubagentSpec {
  /**
   * Name of the agents[] entry used as the subagent template.
   */
  agent: string;
  /**
   * true: a child's first request continues the spawning turn's conversation (a fork of it, as Veeksha's DAG branches are) instead of starting from its template's scaffold; the template gives its turns and sizes.
   */
  inheritHistory?: boolean;
  /**
   * Chance per parent turn of spawning subagents.
   */
  spawnProbability: number;
  /**
   * Where in a chain spawns may start, as fractions of its turns (default from 0 to 1): agents often plan, then hand work out early. A turn t of n may start spawning when round(from * n) <= t <= round(to * n).
   */
  spawnWindow?: {
    from?: number;
    to?: number;
  };
  /**
   * Consecutive turns that spawn once one does (default 1): a spawn starts a burst of this many turns, each spawning fanOut subagents, and spawnProbability is the chance per turn of starting a burst.
   */
  burstTurns?: DistributionSpec;
  /**
   * Subagents per spawn point (default 1).
   */
  fanOut?: DistributionSpec;
  /**
   * A subagent's length relative to its parent: its turns are this share of the turns its parent has left after the spawn (at least 1), instead of its template's turns. Orchestrators keep going while their subagents work, and finish about when they do (in the branching OpenClaw trace, children ran 0.8 to 1.2 times the turns their parent had left).
   */
  turnsShare?: DistributionSpec;
  /**
   * Tokens of each child's report, appended to the parent's next request.
   */
  summaryTokens: DistributionSpec;
  /**
   * Nesting depth: a subagent's own subagents count (at most 100: each level is a recursion of the generator).
   */
  maxDepth?: number;
  /**
   * At most this many of one parent's subagents run at once (default: no limit).
   */
  maxConcurrent?: number;
  /**
   * true: the parent's next turn waits for every child and reads their reports (a fork-join). false: the parent keeps going; each child's report is read by a later turn with joinProbability, or never.
   */
  blocking?: boolean;
  /**
   * With blocking: false, the chance that a child's report is read by a later turn of its parent (default 1); the others run to their end unread.
   */
  joinProbability?: number;
  /**
   * With blocking: false, how many parent turns after the spawn the report is read (default 1: the next turn); a join past the parent's last turn lands on its last turn.
   */
  joinAfterTurns?: DistributionSpec;
}
/**
 * Context compaction: when the next prompt would pass contextLimit tokens, a compaction request runs first and the chain restarts from scaffold + summary.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "CompactionSpec".
 */
export interface CompactionSpec {
  /**
   * Prompt size in tokens that triggers a compaction (at most 10,000,000, the largest context a server offers).
   */
  contextLimit: number;
  /**
   * Output tokens of the compaction request (the summary the chain restarts from).
   */
  summaryTokens: DistributionSpec;
  /**
   * Fresh tokens of the compaction instruction.
   */
  promptTokens?: number;
}
/**
 * Keep a fixed number of sessions active (closed loop).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ConcurrentTrafficSpec".
 */
export interface ConcurrentTrafficSpec {
  mode: "concurrent";
  /**
   * Sessions active at once (at most 100,000: each keeps its conversation in the client's memory, and one client address has at most 64k ports to a server).
   */
  concurrency?: number;
  /**
   * Seconds over which concurrency grows to its target (at most 2,147,483, the longest a timer can wait).
   */
  rampUpSeconds?: number;
  /**
   * Stop after this many sessions (default: sessions).
   */
  maxSessions?: number;
  /**
   * Stop releasing sessions after this many seconds (at most 2,147,483, 24.8 days: the longest a timer can wait).
   */
  durationSeconds?: number;
  /**
   * Sessions excluded from metrics.
   */
  warmupSessions?: number;
  /**
   * What a failed request does to the rest of its session.
   */
  onError?: "continue" | "cancel-session";
}
/**
 * Release sessions by an arrival process (open loop).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "RateTrafficSpec".
 */
export interface RateTrafficSpec {
  mode: "rate";
  arrivals: ArrivalSpec;
  /**
   * Stop after this many sessions (default: sessions).
   */
  maxSessions?: number;
  /**
   * Stop releasing sessions after this many seconds (at most 2,147,483, 24.8 days: the longest a timer can wait).
   */
  durationSeconds?: number;
  /**
   * Sessions excluded from metrics.
   */
  warmupSessions?: number;
  /**
   * What a failed request does to the rest of its session.
   */
  onError?: "continue" | "cancel-session";
}
/**
 * Sessions arrive independently: exponential gaps with mean 1/rate.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "PoissonArrivals".
 */
export interface PoissonArrivals {
  type: "poisson";
  /**
   * Sessions per second.
   */
  rate: number;
}
/**
 * Bursty arrivals: gamma gaps with mean 1/rate and coefficient of variation cv (cv 1 = Poisson).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "GammaArrivals".
 */
export interface GammaArrivals {
  type: "gamma";
  /**
   * Sessions per second.
   */
  rate: number;
  cv: number;
}
/**
 * Evenly spaced arrivals, 1/rate seconds apart.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "ConstantArrivals".
 */
export interface ConstantArrivals {
  type: "constant";
  /**
   * Sessions per second.
   */
  rate: number;
}
/**
 * How requests are sent.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "RequestOptionsSpec".
 */
export interface RequestOptionsSpec {
  /**
   * /v1/chat/completions or /v1/completions.
   */
  api?: "chat" | "completions";
  /**
   * Server base URL including /v1 (usually given on the command line).
   */
  baseUrl?: string;
  /**
   * Model name sent in each request.
   */
  model?: string;
  /**
   * Ask the server to generate exactly the planned output tokens.
   */
  ignoreEos?: boolean;
  /**
   * Server-specific fields merged into each request body.
   */
  extraBody?: {
    [k: string]: unknown | undefined;
  };
  timeouts?: TimeoutsSpec;
}
/**
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "TimeoutsSpec".
 */
export interface TimeoutsSpec {
  /**
   * Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).
   */
  connectMs?: number;
  /**
   * Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).
   */
  firstTokenMs?: number;
  /**
   * Longest wait for the next token once one has come; a stream that stalls longer fails as idle-timeout (at most 2^31 - 1 ms, the longest a timer can wait).
   */
  idleMs?: number;
  /**
   * Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).
   */
  totalMs?: number;
}
/**
 * Bounds a run must meet (k6-like): metric -> statistic -> limit, for any metric of the catalogue (ttfc, ttfv, tbc, tbcRequestMean, tbcRequestMax, tpot, e2e, ttfcScheduled, e2eScheduled, dispatchLateness, sessionDuration, errorRate, requestsPerSec, outputTokensPerSec, goodputPerSec, cacheHitRate, requests) or a sub-metric such as ttfc{kind:spawn} or e2e{agent:explorer}. Names and statistics are checked against the catalogue when the spec is run.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "SloSpec".
 */
export interface SloSpec {
  /**
   * Time to first content chunk.
   */
  ttfc?: LatencyThreshold;
  /**
   * Time between content chunks.
   */
  tbc?: LatencyThreshold;
  /**
   * Time per output token after the first.
   */
  tpot?: LatencyThreshold;
  /**
   * Request end-to-end latency.
   */
  e2e?: LatencyThreshold;
  /**
   * Share of failed requests.
   */
  errorRate?: RatioThreshold;
  /**
   * Time to first visible content.
   */
  ttfv?: LatencyThreshold;
  [k: string]: Threshold | LatencyThreshold | RatioThreshold | undefined;
}
/**
 * Upper bounds on a latency's statistics: any percentile as pNN (p50, p99.9), max, mean.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "LatencyThreshold".
 */
export interface LatencyThreshold {
  max?: Duration;
  mean?: Duration;
  [k: string]: Duration | undefined;
}
/**
 * Bounds on a ratio in [0, 1]: max (at most) or min (at least).
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "RatioThreshold".
 */
export interface RatioThreshold {
  max?: number;
  min?: number;
}
/**
 * Bounds on any catalogue metric: for latencies (ms) pNN, max, mean as durations; for run-level metrics max (at most) or min (at least) as numbers.
 *
 * This interface was referenced by `WorkloadSpec`'s JSON-Schema
 * via the `definition` "Threshold".
 */
export interface Threshold {
  [k: string]: number | Duration | undefined;
}

/** The JSON Schema these types come from, for run-time validation. */
export const workloadSpecSchema: Record<string, unknown> = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "WorkloadSpec",
  "description": "An agentload workload: agent types, how sessions are released, how requests are sent, and the SLOs.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "name",
    "seed",
    "sessions",
    "agents"
  ],
  "properties": {
    "$schema": {
      "type": "string",
      "description": "Editor hint; ignored."
    },
    "name": {
      "type": "string",
      "minLength": 1
    },
    "description": {
      "type": "string"
    },
    "seed": {
      "type": [
        "string",
        "integer"
      ],
      "description": "One seed fixes the whole workload."
    },
    "sessions": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000000000,
      "description": "How many sessions the workload has (at most a billion: sessions are generated one at a time, and counts stay exact integers)."
    },
    "agents": {
      "type": "array",
      "minItems": 1,
      "items": {
        "$ref": "#/definitions/AgentSpec"
      }
    },
    "traffic": {
      "$ref": "#/definitions/TrafficSpec"
    },
    "request": {
      "$ref": "#/definitions/RequestOptionsSpec"
    },
    "slo": {
      "$ref": "#/definitions/SloSpec"
    },
    "server": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "command"
      ],
      "description": "An engine agentload starts for the run and stops after (vLLM, SGLang, TGI, llama.cpp), as it starts the built-in engine: `{port}` in args, env, baseUrl and readyUrl becomes `port`, or a free port; `{host}` becomes 127.0.0.1. Its last log lines explain a failed start or a death mid-run. `--url` on the command line runs against that server instead.",
      "properties": {
        "command": {
          "type": "string",
          "minLength": 1,
          "description": "The program (a relative path is found from cwd)."
        },
        "args": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Its arguments, e.g. [serve, Qwen/Qwen3-8B, --port, \"{port}\"]."
        },
        "env": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          },
          "description": "Added to agentload's environment."
        },
        "cwd": {
          "type": "string",
          "description": "Working directory, relative to the spec file's folder (default that folder)."
        },
        "port": {
          "type": "integer",
          "minimum": 1,
          "maximum": 65535,
          "description": "The port it listens on (default a free port, given through {port})."
        },
        "baseUrl": {
          "type": "string",
          "description": "Its OpenAI-compatible base URL (default http://{host}:{port}/v1)."
        },
        "readyUrl": {
          "type": "string",
          "description": "Polled until it answers 200 (default the base URL's root + /health)."
        },
        "readyTimeoutSeconds": {
          "type": "number",
          "exclusiveMinimum": 0,
          "description": "How long it may take to be ready (default 600)."
        }
      }
    },
    "sweep": {
      "type": "object",
      "description": "Fields to sweep with `agentload sweep`: a field path of this spec (traffic.concurrency, agents[0].turns; engine.prefixCache and engine.slots for the built-in engine) -> the values to run it at. Every combination is one run; `agentload run` runs the spec as written.",
      "minProperties": 1,
      "propertyNames": {
        "pattern": "^[A-Za-z_$][\\w$-]*(\\[\\d+\\])*(\\.[A-Za-z_$][\\w$-]*(\\[\\d+\\])*)*$"
      },
      "additionalProperties": {
        "type": "array",
        "minItems": 1,
        "items": {
          "type": [
            "number",
            "string",
            "boolean"
          ]
        }
      }
    }
  },
  "definitions": {
    "FixedDistribution": {
      "title": "FixedDistribution",
      "description": "Always the same value.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "value"
      ],
      "properties": {
        "type": {
          "const": "fixed"
        },
        "value": {
          "type": "number"
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        }
      }
    },
    "UniformDistribution": {
      "title": "UniformDistribution",
      "description": "Uniform between min and max: integers, both ends included, unless continuous.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "min",
        "max"
      ],
      "properties": {
        "type": {
          "const": "uniform"
        },
        "min": {
          "type": "number",
          "description": "Lowest value."
        },
        "max": {
          "type": "number",
          "description": "Highest value."
        },
        "continuous": {
          "type": "boolean",
          "default": false,
          "description": "Draw real numbers in [min, max) instead of integers."
        }
      }
    },
    "NormalDistribution": {
      "title": "NormalDistribution",
      "description": "Normal (Gaussian).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "mean",
        "stddev"
      ],
      "properties": {
        "type": {
          "const": "normal"
        },
        "mean": {
          "type": "number"
        },
        "stddev": {
          "type": "number",
          "minimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "LognormalDistribution": {
      "title": "LognormalDistribution",
      "description": "exp of a normal with mean mu and standard deviation sigma.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "mu",
        "sigma"
      ],
      "properties": {
        "type": {
          "const": "lognormal"
        },
        "mu": {
          "type": "number"
        },
        "sigma": {
          "type": "number",
          "minimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "GammaDistribution": {
      "title": "GammaDistribution",
      "description": "Gamma with shape k and scale theta (mean k*theta).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "shape",
        "scale"
      ],
      "properties": {
        "type": {
          "const": "gamma"
        },
        "shape": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "scale": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "WeibullDistribution": {
      "title": "WeibullDistribution",
      "description": "Weibull with shape k and scale lambda.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "shape",
        "scale"
      ],
      "properties": {
        "type": {
          "const": "weibull"
        },
        "shape": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "scale": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "ExponentialDistribution": {
      "title": "ExponentialDistribution",
      "description": "Exponential with the given mean (1/rate).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "mean"
      ],
      "properties": {
        "type": {
          "const": "exponential"
        },
        "mean": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "ParetoDistribution": {
      "title": "ParetoDistribution",
      "description": "Pareto type I: values >= scale, tail index alpha.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "scale",
        "alpha"
      ],
      "properties": {
        "type": {
          "const": "pareto"
        },
        "scale": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "alpha": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "InverseGaussianDistribution": {
      "title": "InverseGaussianDistribution",
      "description": "Inverse Gaussian (Wald) with mean mu and shape lambda.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "mean",
        "shape"
      ],
      "properties": {
        "type": {
          "const": "inverse_gaussian"
        },
        "mean": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "shape": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        },
        "truncate": {
          "type": "boolean",
          "default": false,
          "description": "Truncate to [min, max] instead of clamping: a draw outside is drawn again, so no value piles up at a bound and the mean is the mean within the bounds. The bounds must hold at least 1% of the distribution."
        }
      }
    },
    "ZipfDistribution": {
      "title": "ZipfDistribution",
      "description": "Zipf over the integers 1..n with exponent s.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "n",
        "s"
      ],
      "properties": {
        "type": {
          "const": "zipf"
        },
        "n": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000,
          "description": "At most 1,000,000: the sampler keeps a table of n probabilities."
        },
        "s": {
          "type": "number",
          "exclusiveMinimum": 0
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        }
      }
    },
    "EmpiricalDistribution": {
      "title": "EmpiricalDistribution",
      "description": "Draws uniformly from the given samples (e.g. measured from a trace).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "samples"
      ],
      "properties": {
        "type": {
          "const": "empirical"
        },
        "samples": {
          "type": "array",
          "items": {
            "type": "number"
          },
          "minItems": 1
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        }
      }
    },
    "SpikeTailDistribution": {
      "title": "SpikeTailDistribution",
      "description": "A mixture: with spikeProbability draw from spike, otherwise from tail.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "spikeProbability",
        "spike",
        "tail"
      ],
      "properties": {
        "type": {
          "const": "spike_tail"
        },
        "spikeProbability": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "spike": {
          "$ref": "#/definitions/DistributionSpec"
        },
        "tail": {
          "$ref": "#/definitions/DistributionSpec"
        },
        "min": {
          "type": "number",
          "description": "Clamp: samples below this are raised to it."
        },
        "max": {
          "type": "number",
          "description": "Clamp: samples above this are lowered to it."
        }
      }
    },
    "DistributionObject": {
      "title": "DistributionObject",
      "description": "A distribution given by its type and parameters.",
      "type": "object",
      "required": [
        "type"
      ],
      "discriminator": {
        "propertyName": "type"
      },
      "oneOf": [
        {
          "$ref": "#/definitions/FixedDistribution"
        },
        {
          "$ref": "#/definitions/UniformDistribution"
        },
        {
          "$ref": "#/definitions/NormalDistribution"
        },
        {
          "$ref": "#/definitions/LognormalDistribution"
        },
        {
          "$ref": "#/definitions/GammaDistribution"
        },
        {
          "$ref": "#/definitions/WeibullDistribution"
        },
        {
          "$ref": "#/definitions/ExponentialDistribution"
        },
        {
          "$ref": "#/definitions/ParetoDistribution"
        },
        {
          "$ref": "#/definitions/InverseGaussianDistribution"
        },
        {
          "$ref": "#/definitions/ZipfDistribution"
        },
        {
          "$ref": "#/definitions/EmpiricalDistribution"
        },
        {
          "$ref": "#/definitions/SpikeTailDistribution"
        }
      ]
    },
    "DistributionSpec": {
      "title": "DistributionSpec",
      "description": "A number (always that value) or a distribution object.",
      "oneOf": [
        {
          "type": "number"
        },
        {
          "$ref": "#/definitions/DistributionObject"
        }
      ]
    },
    "PoissonArrivals": {
      "title": "PoissonArrivals",
      "description": "Sessions arrive independently: exponential gaps with mean 1/rate.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "rate"
      ],
      "properties": {
        "type": {
          "const": "poisson"
        },
        "rate": {
          "type": "number",
          "exclusiveMinimum": 0,
          "description": "Sessions per second."
        }
      }
    },
    "GammaArrivals": {
      "title": "GammaArrivals",
      "description": "Bursty arrivals: gamma gaps with mean 1/rate and coefficient of variation cv (cv 1 = Poisson).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "rate",
        "cv"
      ],
      "properties": {
        "type": {
          "const": "gamma"
        },
        "rate": {
          "type": "number",
          "exclusiveMinimum": 0,
          "description": "Sessions per second."
        },
        "cv": {
          "type": "number",
          "exclusiveMinimum": 0
        }
      }
    },
    "ConstantArrivals": {
      "title": "ConstantArrivals",
      "description": "Evenly spaced arrivals, 1/rate seconds apart.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "type",
        "rate"
      ],
      "properties": {
        "type": {
          "const": "constant"
        },
        "rate": {
          "type": "number",
          "exclusiveMinimum": 0,
          "description": "Sessions per second."
        }
      }
    },
    "ArrivalSpec": {
      "title": "ArrivalSpec",
      "description": "How sessions arrive in rate mode.",
      "type": "object",
      "required": [
        "type"
      ],
      "discriminator": {
        "propertyName": "type"
      },
      "oneOf": [
        {
          "$ref": "#/definitions/PoissonArrivals"
        },
        {
          "$ref": "#/definitions/GammaArrivals"
        },
        {
          "$ref": "#/definitions/ConstantArrivals"
        }
      ]
    },
    "ScaffoldSpec": {
      "title": "ScaffoldSpec",
      "description": "The start every prompt of this agent shares, byte-identical across its sessions.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "systemTokens": {
          "type": "integer",
          "minimum": 0,
          "maximum": 10000000,
          "default": 0,
          "description": "System prompt tokens (at most 10,000,000, the largest context a server offers)."
        },
        "toolTokens": {
          "type": "integer",
          "minimum": 0,
          "maximum": 10000000,
          "default": 0,
          "description": "Tool definition tokens (at most 10,000,000, the largest context a server offers)."
        }
      }
    },
    "SubagentSpec": {
      "title": "SubagentSpec",
      "description": "Subagents spawned from the main chain, turning it into a DAG.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "agent",
        "spawnProbability",
        "summaryTokens"
      ],
      "properties": {
        "agent": {
          "type": "string",
          "minLength": 1,
          "description": "Name of the agents[] entry used as the subagent template."
        },
        "inheritHistory": {
          "type": "boolean",
          "default": false,
          "description": "true: a child's first request continues the spawning turn's conversation (a fork of it, as Veeksha's DAG branches are) instead of starting from its template's scaffold; the template gives its turns and sizes."
        },
        "spawnProbability": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "description": "Chance per parent turn of spawning subagents."
        },
        "spawnWindow": {
          "type": "object",
          "additionalProperties": false,
          "description": "Where in a chain spawns may start, as fractions of its turns (default from 0 to 1): agents often plan, then hand work out early. A turn t of n may start spawning when round(from * n) <= t <= round(to * n).",
          "properties": {
            "from": {
              "type": "number",
              "minimum": 0,
              "maximum": 1,
              "default": 0
            },
            "to": {
              "type": "number",
              "minimum": 0,
              "maximum": 1,
              "default": 1
            }
          }
        },
        "burstTurns": {
          "description": "Consecutive turns that spawn once one does (default 1): a spawn starts a burst of this many turns, each spawning fanOut subagents, and spawnProbability is the chance per turn of starting a burst.",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "fanOut": {
          "description": "Subagents per spawn point (default 1).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "turnsShare": {
          "description": "A subagent's length relative to its parent: its turns are this share of the turns its parent has left after the spawn (at least 1), instead of its template's turns. Orchestrators keep going while their subagents work, and finish about when they do (in the branching OpenClaw trace, children ran 0.8 to 1.2 times the turns their parent had left).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "summaryTokens": {
          "description": "Tokens of each child's report, appended to the parent's next request.",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "maxDepth": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100,
          "default": 1,
          "description": "Nesting depth: a subagent's own subagents count (at most 100: each level is a recursion of the generator)."
        },
        "maxConcurrent": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100000,
          "description": "At most this many of one parent's subagents run at once (default: no limit)."
        },
        "blocking": {
          "type": "boolean",
          "default": true,
          "description": "true: the parent's next turn waits for every child and reads their reports (a fork-join). false: the parent keeps going; each child's report is read by a later turn with joinProbability, or never."
        },
        "joinProbability": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "description": "With blocking: false, the chance that a child's report is read by a later turn of its parent (default 1); the others run to their end unread."
        },
        "joinAfterTurns": {
          "description": "With blocking: false, how many parent turns after the spawn the report is read (default 1: the next turn); a join past the parent's last turn lands on its last turn.",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        }
      }
    },
    "CompactionSpec": {
      "title": "CompactionSpec",
      "description": "Context compaction: when the next prompt would pass contextLimit tokens, a compaction request runs first and the chain restarts from scaffold + summary.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "contextLimit",
        "summaryTokens"
      ],
      "properties": {
        "contextLimit": {
          "type": "integer",
          "minimum": 1,
          "maximum": 10000000,
          "description": "Prompt size in tokens that triggers a compaction (at most 10,000,000, the largest context a server offers)."
        },
        "summaryTokens": {
          "description": "Output tokens of the compaction request (the summary the chain restarts from).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "promptTokens": {
          "type": "integer",
          "minimum": 0,
          "maximum": 10000000,
          "default": 200,
          "description": "Fresh tokens of the compaction instruction."
        }
      }
    },
    "AgentSpec": {
      "title": "AgentSpec",
      "description": "One agent type; each session draws one by weight.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name",
        "turns",
        "freshInput",
        "output"
      ],
      "properties": {
        "name": {
          "type": "string",
          "minLength": 1,
          "description": "Unique name."
        },
        "weight": {
          "type": "number",
          "minimum": 0,
          "default": 1,
          "description": "Relative share of sessions; 0 = only used as a subagent template."
        },
        "scaffold": {
          "$ref": "#/definitions/ScaffoldSpec"
        },
        "taskTokens": {
          "description": "Fresh tokens of a session's first user message (default: freshInput).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "turns": {
          "description": "Requests in the main chain (1 = a single request).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "freshInput": {
          "description": "Fresh tokens each later turn adds (tool results, user messages).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "freshInputSpread": {
          "type": "number",
          "minimum": 0,
          "maximum": 5,
          "description": "How much conversations differ in the size of what their turns add: each chain multiplies its freshInput draws by its own lognormal factor of median 1 and this log-space standard deviation, kept within 2 standard deviations; a turn never passes freshInput's max (default 0: every chain alike). In the branching OpenClaw trace one subagent's median tool result is 19 tokens and another's 1,663."
        },
        "freshInputByTurns": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "exponent",
            "referenceTurns"
          ],
          "description": "Longer chains add more per turn: a chain of T turns multiplies its freshInput draws by (T / referenceTurns) ^ exponent, with freshInputSpread's factor on top; a turn never passes freshInput's max (default: no dependence). In the branching OpenClaw trace conversations of 20 requests or more add a geometric mean of 344 tokens a turn, shorter ones 123.",
          "properties": {
            "exponent": {
              "type": "number",
              "minimum": -3,
              "maximum": 3,
              "description": "How per-turn size grows with the chain's turns (0: not at all, 1: in proportion)."
            },
            "referenceTurns": {
              "type": "number",
              "exclusiveMinimum": 0,
              "description": "The length at which the factor is 1."
            },
            "minTurns": {
              "type": "number",
              "exclusiveMinimum": 0,
              "description": "Shorter chains take the factor of this length (fit: the shortest it saw), so the factor is not extrapolated."
            },
            "maxTurns": {
              "type": "number",
              "exclusiveMinimum": 0,
              "description": "Longer chains take the factor of this length (fit: the longest it saw)."
            }
          }
        },
        "freshInputByPosition": {
          "type": "number",
          "minimum": -5,
          "maximum": 5,
          "description": "Turns add more as a chain goes on: turn t of a chain of T turns multiplies its freshInput draw by exp(freshInputByPosition * (t / T - 1/2)), a factor of 1 half way, with the chain's other factors on top; a turn never passes freshInput's max (default 0: no dependence). In the branching OpenClaw trace a conversation's first fifth of turns adds a geometric mean of 85 tokens a turn and its last fifth 526."
        },
        "freshInputLarge": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "above"
          ],
          "description": "Turns whose freshInput draw lies above `above` are large (a file read beside a tool's short output): a large draw is not scaled by the chain's factors (freshInputSpread, freshInputByTurns, freshInputByPosition); instead turn t of T is large with freshInput's own chance of a draw above `above` times exp(freshInputByPosition * (t / T - 1/2)) over that factor's mean along a chain (at most 1), and a turn draws from freshInput on its side of `above`. With a correlation, chains differ in that chance: each draws its own from a beta law of that mean and intra-chain correlation. freshInput's law over all turns is unchanged (default: no turn counts as large). In the branching OpenClaw trace 13 of the 27 subagent conversations of 5 requests or more have no turn adding over 5,000 tokens and one has 9; no turn in the first fifth of a conversation adds over 3,500 tokens, 20% of those in its last fifth do.",
          "properties": {
            "above": {
              "type": "number",
              "exclusiveMinimum": 0,
              "description": "Draws above this many tokens are large turns."
            },
            "correlation": {
              "type": "number",
              "minimum": 0,
              "maximum": 0.95,
              "description": "How alike a chain's turns are in being large (default 0: each turn on its own)."
            }
          }
        },
        "output": {
          "description": "Output tokens per request.",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "waitMs": {
          "description": "Milliseconds between a request becoming ready and its dispatch (default 0).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "reasoning": {
          "$ref": "#/definitions/ReasoningSpec"
        },
        "subagents": {
          "$ref": "#/definitions/SubagentSpec"
        },
        "compaction": {
          "$ref": "#/definitions/CompactionSpec"
        }
      }
    },
    "ConcurrentTrafficSpec": {
      "title": "ConcurrentTrafficSpec",
      "description": "Keep a fixed number of sessions active (closed loop).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "mode"
      ],
      "properties": {
        "mode": {
          "const": "concurrent"
        },
        "concurrency": {
          "type": "integer",
          "minimum": 1,
          "maximum": 100000,
          "default": 1,
          "description": "Sessions active at once (at most 100,000: each keeps its conversation in the client's memory, and one client address has at most 64k ports to a server)."
        },
        "rampUpSeconds": {
          "type": "number",
          "minimum": 0,
          "maximum": 2147483,
          "default": 0,
          "description": "Seconds over which concurrency grows to its target (at most 2,147,483, the longest a timer can wait)."
        },
        "maxSessions": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000000,
          "description": "Stop after this many sessions (default: sessions)."
        },
        "durationSeconds": {
          "type": "number",
          "exclusiveMinimum": 0,
          "maximum": 2147483,
          "description": "Stop releasing sessions after this many seconds (at most 2,147,483, 24.8 days: the longest a timer can wait)."
        },
        "warmupSessions": {
          "type": "integer",
          "minimum": 0,
          "maximum": 1000000000,
          "default": 0,
          "description": "Sessions excluded from metrics."
        },
        "onError": {
          "type": "string",
          "enum": [
            "continue",
            "cancel-session"
          ],
          "default": "continue",
          "description": "What a failed request does to the rest of its session."
        }
      }
    },
    "RateTrafficSpec": {
      "title": "RateTrafficSpec",
      "description": "Release sessions by an arrival process (open loop).",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "mode",
        "arrivals"
      ],
      "properties": {
        "mode": {
          "const": "rate"
        },
        "arrivals": {
          "$ref": "#/definitions/ArrivalSpec"
        },
        "maxSessions": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000000,
          "description": "Stop after this many sessions (default: sessions)."
        },
        "durationSeconds": {
          "type": "number",
          "exclusiveMinimum": 0,
          "maximum": 2147483,
          "description": "Stop releasing sessions after this many seconds (at most 2,147,483, 24.8 days: the longest a timer can wait)."
        },
        "warmupSessions": {
          "type": "integer",
          "minimum": 0,
          "maximum": 1000000000,
          "default": 0,
          "description": "Sessions excluded from metrics."
        },
        "onError": {
          "type": "string",
          "enum": [
            "continue",
            "cancel-session"
          ],
          "default": "continue",
          "description": "What a failed request does to the rest of its session."
        }
      }
    },
    "TrafficSpec": {
      "title": "TrafficSpec",
      "description": "How sessions are released.",
      "type": "object",
      "required": [
        "mode"
      ],
      "discriminator": {
        "propertyName": "mode"
      },
      "oneOf": [
        {
          "$ref": "#/definitions/ConcurrentTrafficSpec"
        },
        {
          "$ref": "#/definitions/RateTrafficSpec"
        }
      ]
    },
    "TimeoutsSpec": {
      "title": "TimeoutsSpec",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "connectMs": {
          "type": "integer",
          "minimum": 1,
          "maximum": 2147483647,
          "description": "Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).",
          "default": 10000
        },
        "firstTokenMs": {
          "type": "integer",
          "minimum": 1,
          "maximum": 2147483647,
          "description": "Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).",
          "default": 60000
        },
        "idleMs": {
          "type": "integer",
          "minimum": 1,
          "maximum": 2147483647,
          "default": 30000,
          "description": "Longest wait for the next token once one has come; a stream that stalls longer fails as idle-timeout (at most 2^31 - 1 ms, the longest a timer can wait)."
        },
        "totalMs": {
          "type": "integer",
          "minimum": 1,
          "maximum": 2147483647,
          "description": "Milliseconds (at most 2^31 - 1, the longest a timer can wait: a longer one fires at once).",
          "default": 600000
        }
      }
    },
    "RequestOptionsSpec": {
      "title": "RequestOptionsSpec",
      "description": "How requests are sent.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "api": {
          "type": "string",
          "enum": [
            "chat",
            "completions"
          ],
          "default": "chat",
          "description": "/v1/chat/completions or /v1/completions."
        },
        "baseUrl": {
          "type": "string",
          "minLength": 1,
          "description": "Server base URL including /v1 (usually given on the command line)."
        },
        "model": {
          "type": "string",
          "minLength": 1,
          "description": "Model name sent in each request."
        },
        "ignoreEos": {
          "type": "boolean",
          "default": true,
          "description": "Ask the server to generate exactly the planned output tokens."
        },
        "extraBody": {
          "type": "object",
          "default": {},
          "description": "Server-specific fields merged into each request body.",
          "additionalProperties": true
        },
        "timeouts": {
          "$ref": "#/definitions/TimeoutsSpec"
        }
      }
    },
    "Duration": {
      "title": "Duration",
      "description": "Milliseconds, or a string such as \"750ms\", \"1.5s\", \"2m\".",
      "oneOf": [
        {
          "type": "number",
          "minimum": 0
        },
        {
          "type": "string",
          "pattern": "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m)\\s*$"
        }
      ]
    },
    "LatencyThreshold": {
      "title": "LatencyThreshold",
      "description": "Upper bounds on a latency's statistics: any percentile as pNN (p50, p99.9), max, mean.",
      "type": "object",
      "additionalProperties": false,
      "minProperties": 1,
      "properties": {
        "max": {
          "$ref": "#/definitions/Duration"
        },
        "mean": {
          "$ref": "#/definitions/Duration"
        }
      },
      "patternProperties": {
        "^p\\d{1,2}(\\.\\d+)?$": {
          "$ref": "#/definitions/Duration"
        }
      }
    },
    "RatioThreshold": {
      "title": "RatioThreshold",
      "description": "Bounds on a ratio in [0, 1]: max (at most) or min (at least).",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "max": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "min": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        }
      },
      "minProperties": 1
    },
    "SloSpec": {
      "title": "SloSpec",
      "description": "Bounds a run must meet (k6-like): metric -> statistic -> limit, for any metric of the catalogue (ttfc, ttfv, tbc, tbcRequestMean, tbcRequestMax, tpot, e2e, ttfcScheduled, e2eScheduled, dispatchLateness, sessionDuration, errorRate, requestsPerSec, outputTokensPerSec, goodputPerSec, cacheHitRate, requests) or a sub-metric such as ttfc{kind:spawn} or e2e{agent:explorer}. Names and statistics are checked against the catalogue when the spec is run.",
      "type": "object",
      "additionalProperties": {
        "$ref": "#/definitions/Threshold"
      },
      "properties": {
        "ttfc": {
          "description": "Time to first content chunk.",
          "allOf": [
            {
              "$ref": "#/definitions/LatencyThreshold"
            }
          ]
        },
        "tbc": {
          "description": "Time between content chunks.",
          "allOf": [
            {
              "$ref": "#/definitions/LatencyThreshold"
            }
          ]
        },
        "tpot": {
          "description": "Time per output token after the first.",
          "allOf": [
            {
              "$ref": "#/definitions/LatencyThreshold"
            }
          ]
        },
        "e2e": {
          "description": "Request end-to-end latency.",
          "allOf": [
            {
              "$ref": "#/definitions/LatencyThreshold"
            }
          ]
        },
        "errorRate": {
          "description": "Share of failed requests.",
          "allOf": [
            {
              "$ref": "#/definitions/RatioThreshold"
            }
          ]
        },
        "ttfv": {
          "description": "Time to first visible content.",
          "allOf": [
            {
              "$ref": "#/definitions/LatencyThreshold"
            }
          ]
        }
      },
      "propertyNames": {
        "pattern": "^[A-Za-z][A-Za-z0-9_]*(\\{[^{}]*\\})?$"
      }
    },
    "Threshold": {
      "title": "Threshold",
      "description": "Bounds on any catalogue metric: for latencies (ms) pNN, max, mean as durations; for run-level metrics max (at most) or min (at least) as numbers.",
      "type": "object",
      "minProperties": 1,
      "additionalProperties": {
        "anyOf": [
          {
            "type": "number",
            "minimum": 0
          },
          {
            "$ref": "#/definitions/Duration"
          }
        ]
      }
    },
    "ReasoningSpec": {
      "title": "ReasoningSpec",
      "description": "Hidden reasoning in replies, and how much of a reply stays in the history later prompts carry.",
      "type": "object",
      "additionalProperties": false,
      "required": [
        "share"
      ],
      "properties": {
        "share": {
          "description": "Share of each reply's output tokens that is reasoning (a number or distribution in [0, 1]; at least one token of a reply stays visible).",
          "allOf": [
            {
              "$ref": "#/definitions/DistributionSpec"
            }
          ]
        },
        "inHistory": {
          "type": "string",
          "enum": [
            "all",
            "visible",
            "visible_across_user_turns"
          ],
          "default": "all",
          "description": "all: later prompts carry whole replies. visible: they carry each reply without its reasoning. visible_across_user_turns: whole replies within a user turn, and at a new user message every earlier reply without its reasoning (OpenClaw and Codex-style agents: the prompt shrinks at each user message)."
        },
        "userTurnProbability": {
          "type": "number",
          "minimum": 0,
          "maximum": 1,
          "default": 0,
          "description": "Chance that a turn after the first is a new user message rather than a tool result (where visible_across_user_turns drops reasoning)."
        }
      }
    }
  }
};
