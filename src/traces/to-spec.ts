// A workload spec that reproduces a trace: the graph shape (turns per conversation, how often and
// how widely subagents are spawned, how deep they nest), fitted distributions of fresh input,
// output and waits, and the scaffold estimated from first prompts. Conversations nobody spawned
// become the "main" agent, spawned ones the "subagent" template.
import type { DistributionSpec } from "../workload/distributions.js";
import type { AgentSpec, ReasoningSpec, SubagentSpec, TrafficSpec, WorkloadSpec } from "../workload/spec-types.js";
import { sessionArrivals, spawnedConversations, type TraceAnalysis } from "./analyze.js";
import { majorityOf, type HashRows } from "./hash-chains.js";
import { fitFamilies, fitSpikeTail, type Family, type FitReport, type SpikeTailFit } from "./fit.js";
import { forksAsSpawns } from "./forks.js";
import { EDGE_CODE, tableOf, tableTrace, traceMeta, type RequestTable } from "./table.js";
import type { Trace } from "./types.js";
import { TraceError } from "./where.js";
import { TWO_KINDS_BIC, twoKindsEvidence } from "./two-kinds.js";
import { extent, sortNumbers } from "../stats/sort.js";

export interface FitSpecOptions {
  /** Spec name (default: from the trace's source). */
  name?: string;
  seed?: number | string;
  /** Sessions the spec generates (default: as many as the trace has). */
  sessions?: number;
  /** Fit token counts on the values up to this quantile only (0 < q <= 1). */
  crop?: number;
  families?: readonly Family[];
}

/** How one quantity of one agent was turned into a distribution. */
export interface QuantityFit {
  agent: string;
  quantity: string;
  values: number;
  spec: DistributionSpec;
  /** "fixed", "empirical", a family name, "<family>+cap" (an atom at a cap, the family below it), "<family>+tail" (outputs: a Pareto tail above the family) or "spike_tail". */
  method: string;
  report?: FitReport;
  spikeTail?: SpikeTailFit;
  /** The cap the values piled at (method "<family>+cap"): its value and how many sat there. */
  cap?: { value: number; count: number };
  /** Outputs with a tail (method "<family>+tail"): the whole law's AIC and the best single family's. */
  tailAic?: { withTail: number; family: string; single: number };
}

export interface TraceFit {
  spec: WorkloadSpec;
  quantities: QuantityFit[];
}

/** Below this many values a quantity is resampled (empirical) rather than fitted. */
const MIN_VALUES_TO_FIT = 8;

function round(x: number): number {
  return Number.isInteger(x) ? x : Number(x.toPrecision(6));
}

function rounded(spec: DistributionSpec): DistributionSpec {
  if (typeof spec === "number") return round(spec);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    out[k] = typeof v === "number" ? round(v) : v !== null && typeof v === "object" && !Array.isArray(v) ? rounded(v as DistributionSpec) : v;
  }
  return out as DistributionSpec;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

interface Fitter {
  quantities: QuantityFit[];
  options: FitSpecOptions;
  /** The largest output of the whole trace, where every agent's output tail ends. */
  outputMost: number;
}

/**
 * Values of one quantity: a list, or a Float64Array of the size counted first for what a
 * conversation's requests give one each (outputs, waits, fresh input); on the million-request
 * Mooncake-style bench file the lists and their copies put fit's peak at 571 MB, 518 MB so (one
 * run each with process.memoryUsage() between stages).
 */
type Values = readonly number[] | Float64Array;

/**
 * f of each value, into a Float64Array by a loop: Float64Array.from(values, f) first lists every
 * value on the heap (69 MB a million, measured with --expose-gc), and a typed array's map 17 MB.
 */
function mapValues(values: ArrayLike<number>, f: (x: number, i: number) => number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]!, i);
  return out;
}

function someBelow(values: Values, floor: number): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! < floor) return true;
  return false;
}

/** Do all the values equal the first? */
function allSame(values: Values): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** A distribution for whole-number values: fixed, resampled, or the best family by AIC. */
function distributionFor(f: Fitter, agent: string, quantity: string, values: Values, bounds?: { min: number; max: number }): DistributionSpec | undefined {
  if (values.length === 0) return undefined;
  const record = (spec: DistributionSpec, method: string, extra: Partial<QuantityFit> = {}) => {
    f.quantities.push({ agent, quantity, values: values.length, spec, method, ...extra });
    return spec;
  };
  // Output starts at 1 token, since a request cannot ask for none: smaller values count as 1.
  const floor = quantity === "output" ? 1 : undefined;
  // Not copied without a floor, nor when no value is below it: on a million requests each copy
  // was 8 MB more of fit's peak.
  const samples = floor === undefined || !someBelow(values, floor) ? values : mapValues(values, (v) => Math.max(floor, v));
  if (allSame(samples)) return record(samples[0]!, "fixed");
  if (values.length < MIN_VALUES_TO_FIT) return record({ type: "empirical", samples: Array.from(samples) }, "empirical");
  // Every family is truncated to the values fitted (from the floor up, when there is one).
  // Each family's parameters re-estimated for the truncated law (fit-truncated.ts).
  const options: { crop?: number; families?: readonly Family[]; floor?: number; bounds?: { min: number; max: number }; reestimate: boolean } = {
    reestimate: true,
  };
  if (floor !== undefined) options.floor = floor;
  if (bounds !== undefined) options.bounds = bounds;
  if (f.options.crop !== undefined) options.crop = f.options.crop;
  if (f.options.families !== undefined) options.families = f.options.families;
  const cap = capOf(samples);
  if (cap) {
    // A limit the trace's producer applied (OpenClaw cuts a tool result at 50,000 tokens): an atom
    // at the cap, the family fitted to the values below it.
    const below: number[] = [];
    for (let i = 0; i < samples.length; i++) if (samples[i]! < cap.lowest) below.push(samples[i]!);
    const report = fitFamilies(below, options);
    const best = report.fits[0];
    const tail: DistributionSpec = best ? best.spec : { type: "empirical", samples: below };
    const spec: DistributionSpec = { type: "spike_tail", spikeProbability: cap.count / samples.length, spike: cap.value, tail, max: cap.value };
    return record(rounded(spec), `${best ? best.family : "empirical"}+cap`, { report, cap: { value: cap.value, count: cap.count } });
  }
  const report = fitFamilies(values, options);
  const best = report.fits[0];
  if (quantity === "output" && best && samples.length >= MIN_VALUES_FOR_TAIL && f.options.crop === undefined) {
    const tail = outputTail(samples, options, f.outputMost);
    // Only where the tail earns its three parameters (AIC): one family's parameters come back
    // closer where it is the law (an inverse Gaussian's mean within 5% on 3,600 outputs, 11% with
    // a tail beside its body).
    if (tail && tail.aic < best.aic) {
      return record(rounded(tail.fit.spec), `${tail.fit.spike!.fits[0]!.family}+tail`, { spikeTail: tail.fit, tailAic: { withTail: tail.aic, family: best.family, single: best.aic } });
    }
  }
  if (!best) return record({ type: "empirical", samples: Array.from(samples) }, "empirical", { report });
  return record(rounded(best.spec), best.family, { report });
}

/** The value at rank floor(q * (n - 1)) of sorted values (no interpolation: a value the trace has). */
function rankQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** Outputs with at least this many values get a tail of their own. */
const MIN_VALUES_FOR_TAIL = 50;
/** Where an output's tail starts: this quantile of the agent's outputs. */
const TAIL_QUANTILE = 0.9;

/**
 * Outputs as a body and a tail, with the law's AIC: the best family below the agent's 90th
 * percentile (truncated there), a Pareto above it truncated at the largest output of the whole
 * trace (`most`), since how long a reply runs does not depend on the agent's nesting level and
 * each level holds only a share of the trace's longest. One family for all the values fits the
 * body and misses the tail: the branching trace's subagents nested twice wrote 3 outputs over
 * 2,000 tokens where their lognormal expected 0.65 (AIC 3,949.8 with the tail, 3,953.3 without).
 * Null where fewer than 2 values lie above the threshold.
 */
function outputTail(
  samples: Values,
  options: { floor?: number; families?: readonly Family[]; reestimate: boolean },
  most: number,
): { fit: SpikeTailFit; aic: number } | null {
  const sorted = sortNumbers(Float64Array.from(samples));
  const threshold = rankQuantile(sorted, TAIL_QUANTILE);
  const top = sorted[sorted.length - 1]!;
  // Sorted: at least 2 values above the threshold means the one before the largest is too.
  if (!(sorted[sorted.length - 2]! > threshold)) return null;
  const fit = fitSpikeTail(samples, threshold, { max: Math.max(most, top), spike: options });
  const body = fit.spike?.fits[0];
  if (!body || !fit.tail || !Number.isFinite(fit.tail.alpha)) return null;
  // The whole law's log-likelihood: each side's share, the body's (truncated at the threshold)
  // and the truncated Pareto's; parameters: the body's, the share, alpha and the threshold.
  const { alpha, max } = fit.tail;
  const below = samples.length - fit.tail.count;
  const bodyParameters = (body.aic + 2 * body.logLikelihood) / 2;
  let tailLogLikelihood = fit.tail.count * (Math.log(alpha) + alpha * Math.log(threshold) - Math.log(1 - (threshold / max) ** alpha));
  for (let i = 0; i < samples.length; i++) if (samples[i]! >= threshold) tailLogLikelihood -= (alpha + 1) * Math.log(samples[i]!);
  const p = fit.spikeProbability;
  const logLikelihood = below * Math.log(p) + fit.tail.count * Math.log(1 - p) + body.logLikelihood + tailLogLikelihood;
  return { fit, aic: 2 * (bodyParameters + 3) - 2 * logLikelihood };
}

/** Values this close to the largest (a share of it) count as sitting at a cap. */
const CAP_TOLERANCE = 0.001;
/** At least this many values at the largest make it a cap rather than the tail's last draw. */
const MIN_AT_CAP = 3;

/**
 * A cap the values pile at: at least MIN_AT_CAP of them within CAP_TOLERANCE of the largest, and
 * at least MIN_VALUES_TO_FIT distinct values below it (a few repeated values are not a cap). A continuous family puts almost no mass there: in the branching
 * trace 6 of 538 turns add 49,995-50,000 tokens (tool results cut at 50,000), 30% of all fresh
 * input, and without the atom its fitted prompts came out 0.60x the trace's at p90.
 */
export function capOf(values: Values): { value: number; lowest: number; count: number } | undefined {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (!(max > 0)) return undefined;
  const lowest = max * (1 - CAP_TOLERANCE);
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! >= lowest) count++;
  if (count < MIN_AT_CAP) return undefined;
  // The family below the cap needs values to fit: as many distinct ones as any fit needs values.
  const below = new Set<number>();
  for (let i = 0; i < values.length; i++) if (values[i]! < lowest) below.add(values[i]!);
  if (below.size < MIN_VALUES_TO_FIT) return undefined;
  return { value: max, lowest, count };
}

/** Quantiles kept when a count distribution is resampled (empirical). */
const EMPIRICAL_SAMPLES = 100;
/** Counts with at most this many distinct values are resampled rather than fitted by a continuous family. */
const MAX_DISTINCT_COUNTS = 30;

/**
 * A distribution for small whole counts (turns, children per spawn): resampled from the values
 * seen (at most EMPIRICAL_SAMPLES evenly spaced quantiles of them), since a continuous family
 * fitted to a handful of integers misplaces their mean; many distinct values are fitted instead.
 */
function countDistribution(f: Fitter, agent: string, quantity: string, values: number[]): DistributionSpec | undefined {
  const distinct = new Set(values).size;
  if (values.length === 0 || distinct === 1 || distinct > MAX_DISTINCT_COUNTS) return distributionFor(f, agent, quantity, values);
  const sorted = [...values].sort((a, b) => a - b);
  const samples =
    sorted.length <= EMPIRICAL_SAMPLES
      ? sorted
      : Array.from({ length: EMPIRICAL_SAMPLES }, (_, i) => sorted[Math.round(((i + 0.5) / EMPIRICAL_SAMPLES) * sorted.length - 0.5)]!);
  const spec: DistributionSpec = { type: "empirical", samples };
  f.quantities.push({ agent, quantity, values: values.length, spec, method: "empirical" });
  return spec;
}

function waitsFor(f: Fitter, agent: string, waits: Values): DistributionSpec | undefined {
  if (waits.length === 0) return undefined;
  if (allSame(waits)) {
    f.quantities.push({ agent, quantity: "waitMs", values: waits.length, spec: waits[0]!, method: "fixed" });
    return waits[0]!;
  }
  const fit = fitSpikeTail(waits);
  const spec = rounded(fit.spec);
  f.quantities.push({ agent, quantity: "waitMs", values: waits.length, spec, method: "spike_tail", spikeTail: fit });
  return spec;
}

const SPAWN = EDGE_CODE.subagent_spawn;
const RESULT = EDGE_CODE.subagent_result;

/**
 * A conversation: its requests' positions in the trace's table (table.ts), in trace (topological)
 * order. Fit reads the table's columns, never request objects: on the million-request bench file
 * the objects alone held 290 MB, the table 120 MB.
 */
type Conversation = Int32Array;

/** The requests of each conversation, conversations in order of their first request. */
function byConversation(t: RequestTable): Conversation[] {
  const n = t.length;
  const rank = new Int32Array(t.conversations.length).fill(-1);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = t.conversation[i]!;
    if (rank[c]! < 0) rank[c] = sizes.push(0) - 1;
    sizes[rank[c]!]!++;
  }
  const positions = new Int32Array(n);
  const start = new Int32Array(sizes.length + 1);
  for (let k = 0; k < sizes.length; k++) start[k + 1] = start[k]! + sizes[k]!;
  const filled = start.slice(0, sizes.length);
  for (let i = 0; i < n; i++) positions[filled[rank[t.conversation[i]!]!]!++] = i;
  return sizes.map((_, k) => positions.subarray(start[k]!, start[k + 1]!));
}

/** How many of request i's parents are edges of this type. */
function edgesOfType(t: RequestTable, i: number, type: number): number {
  let count = 0;
  for (let k = t.parentStart[i]!; k < t.parentStart[i + 1]!; k++) if (t.parentType[k] === type) count++;
  return count;
}

/** Tokens of first prompts that are scaffold: the trace's own split, else a majority's shared hash-id prefix, else 0. */
function scaffoldEstimate(t: RequestTable, roots: readonly number[], blockSize: number | undefined): number {
  const split = t.column("scaffoldTokens");
  const told: number[] = [];
  if (split) for (const i of roots) if (!Number.isNaN(split[i]!)) told.push(split[i]!);
  if (told.length > 0) return Math.round(median(told));
  const ids = roots.map((i) => t.hashIds(i));
  if (!blockSize || ids.filter((h) => h && h.length > 0).length < 2) return 0;
  const prompt = t.column("promptTokens");
  const promptOf = (k: number): number | undefined => (prompt && !Number.isNaN(prompt[roots[k]!]!) ? prompt[roots[k]!]! : undefined);
  const rows: HashRows = {
    length: roots.length,
    count: (k) => ids[k]?.length ?? 0,
    id: (k, b) => ids[k]![b]!,
    prompt: promptOf,
    outputTokens: (k) => t.output[roots[k]!]!,
  };
  // The same majority rule that keeps a shared scaffold from chaining conversations (hash-chains.ts).
  const { blocks, sharing: shared } = majorityOf(rows);
  // The last block of a prompt may be partial: never more than the shortest sharing prompt.
  let shortest = Infinity;
  for (const k of shared) shortest = Math.min(shortest, promptOf(k) ?? ids[k]!.length * blockSize);
  return Math.min(blocks * blockSize, blocks > 0 ? shortest : 0);
}

interface Group {
  name: string;
  conversations: Conversation[];
}

/** The conversations each spawning request (by position) started. */
type Children = Map<number, Conversation[]>;

function agentFor(f: Fitter, group: Group, t: RequestTable, blockSize: number | undefined, childrenOf: Children, subagentName: string | null): AgentSpec {
  const name = group.name;
  const roots = group.conversations.map((c) => c[0]!).filter((i) => !t.hasHistoryParent(i));
  const scaffold = scaffoldEstimate(t, roots, blockSize);
  const turns = countDistribution(f, name, "turns", group.conversations.map((c) => c.length)) ?? 1;
  const task = distributionFor(f, name, "taskTokens", roots.map((i) => Math.max(0, t.fresh[i]! - scaffold)));
  let requests = 0;
  let laterCount = 0;
  let waitCount = 0;
  const wait = t.column("waitAfterReadyMs");
  for (const c of group.conversations) {
    requests += c.length;
    for (const i of c) {
      if (!t.hasHistoryParent(i)) continue;
      if (edgesOfType(t, i, RESULT) === 0) laterCount++;
      if (wait && !Number.isNaN(wait[i]!)) waitCount++;
    }
  }
  // Counted above, filled here: each list a typed array of its size.
  const later = new Int32Array(laterCount);
  // Where in its conversation each of `later` comes: k / length for the k-th request (0-based).
  const at = new Float64Array(laterCount);
  const outputs = new Float64Array(requests);
  const waits = new Float64Array(waitCount);
  let l = 0;
  let o = 0;
  let w = 0;
  for (const c of group.conversations) {
    for (let k = 0; k < c.length; k++) {
      const i = c[k]!;
      outputs[o++] = t.output[i]!;
      if (!t.hasHistoryParent(i)) continue;
      if (edgesOfType(t, i, RESULT) === 0) {
        at[l] = k / c.length;
        later[l++] = i;
      }
      if (wait && !Number.isNaN(wait[i]!)) waits[w++] = wait[i]!;
    }
  }
  const reasoning = reasoningFor(group, t);
  const added = grownTokens(t, later, reasoning);
  const spread = freshSpread(t, later, new Map(group.conversations.map((c) => [t.conversation[c[0]!]!, c.length])), added, at);
  const freshInput = distributionFor(f, name, "freshInput", spread.values, spread.bounds) ?? task ?? 0;
  const output = distributionFor(f, name, "output", outputs) ?? 1;
  // Keys in the order docs/spec-format.md writes them.
  const agent = { name } as AgentSpec;
  if (scaffold > 0) agent.scaffold = { systemTokens: scaffold, toolTokens: 0 };
  if (task !== undefined) agent.taskTokens = task;
  agent.turns = turns;
  agent.freshInput = freshInput;
  if (spread.sigma > 0) agent.freshInputSpread = round(spread.sigma);
  if (spread.trend !== 0) agent.freshInputByPosition = round(spread.trend);
  if (spread.largeAt !== undefined) {
    // Large turns are told apart wherever chains have factors (their sizes were not divided by
    // them) or cluster in some chains.
    const correlation = clusteringOf(t, later, added, spread.largeAt);
    const factors = spread.sigma > 0 || spread.trend !== 0 || spread.byTurns !== undefined;
    if (factors || correlation > 0) agent.freshInputLarge = { above: Math.round(spread.largeAt), ...(correlation > 0 ? { correlation: round(correlation) } : {}) };
  }
  if (spread.byTurns) {
    const { exponent, referenceTurns, minTurns, maxTurns } = spread.byTurns;
    agent.freshInputByTurns = { exponent: round(exponent), referenceTurns: round(referenceTurns), minTurns, maxTurns };
  }
  agent.output = output;
  const waitMs = waitsFor(f, name, waits);
  if (waitMs !== undefined) agent.waitMs = waitMs;
  if (reasoning) agent.reasoning = reasoning;
  if (subagentName) {
    const sub = spawningFor(f, name, group, t, childrenOf, subagentName);
    if (sub) agent.subagents = sub;
  }
  return agent;
}

/**
 * Whether the trace's prompts drop reasoning, and how much of each reply it is. Per request with a
 * history parent, what the prompt dropped: the parent's prompt and whole output plus what the
 * request adds (without the reply the trace counts in its fresh input), minus its prompt. Within
 * a user turn of the OpenClaw traces that is about 0 (whole replies stay); at the three new user
 * messages of case study 1 it is 10k to 12k tokens, the reasoning of the turn before. Read as: the
 * visible share of a reply is the reply the next prompt carries over its parent's output; the
 * history mode is `visible` when requests in a turn drop most of their parent's reasoning, else
 * `visible_across_user_turns` when new user messages drop most of what their turn carried, else
 * the share alone (whole replies stay). Needs the trace to tell the reply (replyTokens) and prompt
 * sizes; else nothing is written.
 */
function reasoningFor(group: Group, t: RequestTable): ReasoningSpec | undefined {
  const reply = t.column("replyTokens");
  const prompt = t.column("promptTokens");
  if (!reply || !prompt) return undefined;
  let outputs = 0;
  let visible = 0;
  const inTurn: number[] = [];
  const atUser: number[] = [];
  let later = 0;
  let userTurns = 0;
  for (const c of group.conversations) {
    // Reasoning carried since the conversation's last user message, as the trace would hold it.
    let carried = 0;
    for (const i of c) {
      if (!t.hasHistoryParent(i)) {
        carried = 0;
        continue;
      }
      const p = t.historyPosition(i);
      if (p < 0 || Number.isNaN(reply[i]!) || Number.isNaN(prompt[p]!) || Number.isNaN(prompt[i]!) || t.output[p] === 0) continue;
      const parentOutput = t.output[p]!;
      later++;
      outputs += parentOutput;
      visible += Math.min(reply[i]!, parentOutput);
      const reasoning = Math.max(0, parentOutput - reply[i]!);
      const dropped = prompt[p]! + parentOutput + addedTokens(t, i) - prompt[i]!;
      if (t.triggerOf(i) === "user") {
        userTurns++;
        if (carried + reasoning > 0) atUser.push(dropped / (carried + reasoning));
        carried = 0;
      } else {
        if (reasoning > 0) inTurn.push(dropped / reasoning);
        carried += reasoning;
      }
    }
  }
  const share = outputs > 0 ? 1 - visible / outputs : 0;
  if (later === 0 || share < 0.05) return undefined;
  const mid = (xs: number[]) => (xs.length === 0 ? 0 : median(xs));
  if (mid(inTurn) > 0.5) return { share: round(share), inHistory: "visible" };
  if (userTurns > 0 && mid(atUser) > 0.5) return { share: round(share), inHistory: "visible_across_user_turns", userTurnProbability: round(userTurns / later) };
  // Whole replies stay in every prompt: the share changes no prompt, but says what of each reply
  // is visible (what a trace counts as the reply in the next request's fresh input).
  return { share: round(share) };
}

/** Below this many conversations with two or more later requests, no spread is estimated. */
const MIN_CONVERSATIONS_FOR_SPREAD = 3;
/** Below this many such conversations, no dependence on the chain's length is estimated. */
const MIN_CONVERSATIONS_FOR_TURNS = 6;
/** The dependence on length is kept only when its slope is this many standard errors from 0. */
const TURNS_SLOPE_STANDARD_ERRORS = 2;

interface FreshSpread {
  sigma: number;
  /** freshInputByPosition: log size = trend * (k / length - 1/2) + the rest, for the k-th request. */
  trend: number;
  /**
   * The range of the values before their factors were divided out (those at a cap left aside),
   * where the values are divided: the fit is truncated to it, so that draws reach the largest
   * size the trace showed before the generator multiplies them again.
   */
  bounds?: { min: number; max: number };
  /** Values above it are large turns (freshInputLarge's `above`); absent when none is. */
  largeAt?: number;
  /** freshInputByTurns: log mean size = exponent * log(turns / referenceTurns) + the chain's own factor. */
  byTurns?: { exponent: number; referenceTurns: number; minTurns: number; maxTurns: number };
  values: Values;
}

/**
 * How much conversations differ in what their turns add (freshInputSpread, freshInputByTurns): a
 * random effect on each conversation's mean log size, with its length as a covariate. The slope of
 * mean log size on log turns (least squares over conversations) is kept when it is at least
 * TURNS_SLOPE_STANDARD_ERRORS standard errors from 0; the spread is the variance of what remains
 * beyond what each conversation's own scatter explains (method of moments). The values are
 * returned with each conversation's factor divided out (its own part shrunk toward 1 by how little
 * its requests tell), for the family fit. In the branching trace conversations' medians run from
 * 19 to 1,663 tokens (between-conversation variance of log sizes 1.0 against 4.0 within): drawn
 * alike for every chain, the generated prompts bunched (p50 1.34x, p90 0.63x the trace's). And
 * long conversations add more per turn: a geometric mean of 344 tokens a turn in those of 20
 * requests or more, 123 in shorter ones; with the spread alone the fitted chains had 202 and 187,
 * and the long ones' prompts came out 0.68x the trace's at p90.
 */
function freshSpread(
  t: RequestTable,
  later: Int32Array,
  turnsOf: ReadonlyMap<number, number>,
  raw: Float64Array,
  at: Float64Array,
): FreshSpread {
  // Values at a cap are the producer's limit, not the conversation's scale: left out of the
  // spread and kept as they are (the generator leaves a draw at the cap alone too).
  const cap = capOf(raw);
  const atCap = (x: number) => cap !== undefined && x >= cap.lowest;
  // Where the sizes are two kinds of turns (two-kinds.ts), the large ones (above the values'
  // LARGE_QUANTILE) are left out of the factors too: the generator keeps their size and moves
  // their chance instead (freshInputLarge).
  const largeAt =
    raw.length > 0 && twoKindsEvidence(raw.filter((x) => !atCap(x))) > TWO_KINDS_BIC
      ? rankQuantile(sortNumbers(Float64Array.from(raw)), LARGE_QUANTILE)
      : Infinity;
  const isLarge = (x: number) => x > largeAt;
  const groups = byConversationOf(t, later, raw, (x) => atCap(x) || isLarge(x)).filter(([, g]) => g.length >= 2);
  const log = mapValues(raw, (x) => Math.log(Math.max(1, x)));
  const trend = positionTrend(groups, log, at);
  const centred = (i: number) => trend * (at[i]! - 0.5);
  if (trend !== 0) for (let i = 0; i < log.length; i++) log[i] = log[i]! - centred(i);
  // The values with the factors divided out, within the range of the values as they were.
  const large = raw.some(isLarge) ? { largeAt } : {};
  const divided = (sigma: number, factor: (i: number) => number): FreshSpread => {
    if (trend === 0 && factor === NO_FACTOR) return { sigma, trend, values: raw, ...large };
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of raw) {
      if (atCap(x)) continue;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const values = mapValues(raw, (x, i) => (atCap(x) || isLarge(x) ? x : Math.min(hi, Math.max(lo, Math.round(x / (factor(i) * Math.exp(centred(i))))))));
    return { sigma, trend, values, bounds: { min: lo, max: hi }, ...large };
  };
  if (groups.length < MIN_CONVERSATIONS_FOR_SPREAD) return divided(0, NO_FACTOR);
  const stats = groups.map(([conversation, g]) => {
    const m = g.reduce((s, i) => s + log[i]!, 0) / g.length;
    const v = g.reduce((s, i) => s + (log[i]! - m) ** 2, 0) / (g.length - 1);
    return { g, m, noise: v / g.length, x: Math.log(turnsOf.get(conversation) ?? g.length + 1) };
  });
  const k = stats.length;
  const grand = stats.reduce((s, c) => s + c.m, 0) / k;
  const center = stats.reduce((s, c) => s + c.x, 0) / k;
  const sxx = stats.reduce((s, c) => s + (c.x - center) ** 2, 0);
  let slope = 0;
  // Lengths must differ (three distinct ones at least) for a slope to mean anything: conversations
  // all of 5 requests gave a slope of rounding errors over rounding errors.
  if (k >= MIN_CONVERSATIONS_FOR_TURNS && new Set(stats.map((c) => c.x)).size >= 3) {
    const b = stats.reduce((s, c) => s + (c.x - center) * (c.m - grand), 0) / sxx;
    const residual = stats.reduce((s, c) => s + (c.m - grand - b * (c.x - center)) ** 2, 0) / (k - 2);
    // Within the spec's bounds for freshInputByTurns's exponent.
    if (residual > 0 && Math.abs(b) >= TURNS_SLOPE_STANDARD_ERRORS * Math.sqrt(residual / sxx)) slope = Math.max(-3, Math.min(3, b));
  }
  const explained = (c: { x: number }) => slope * (c.x - center);
  const freedom = slope === 0 ? k - 1 : k - 2;
  const between = stats.reduce((s, c) => s + (c.m - grand - explained(c)) ** 2, 0) / freedom - stats.reduce((s, c) => s + c.noise, 0) / k;
  const sigma = between > 0.01 ? Math.sqrt(between) : 0;
  if (sigma === 0 && slope === 0) return divided(0, NO_FACTOR);
  const factor = new Float64Array(raw.length).fill(1);
  for (const c of stats) {
    const shrink = sigma === 0 ? 0 : between / (between + c.noise);
    for (const i of c.g) factor[i] = Math.exp(explained(c) + shrink * (c.m - grand - explained(c)));
  }
  // Factors of median 1 (in log space about the mean conversation), as the generator draws them.
  const out = divided(sigma, (i) => factor[i]!);
  if (slope !== 0) {
    const lengths = stats.map((c) => Math.round(Math.exp(c.x)));
    const { min: minTurns, max: maxTurns } = extent(lengths);
    out.byTurns = { exponent: slope, referenceTurns: Math.exp(center), minTurns, maxTurns };
  }
  return out;
}

/** Values above this quantile of what turns add are large turns (freshInputLarge). */
const LARGE_QUANTILE = 0.9;
/** A correlation is written when the counts' overdispersion is this many standard errors above none. */
const CLUSTERING_STANDARD_ERRORS = 2;

/**
 * How much large turns (above `above`) cluster in some conversations (freshInputLarge's
 * correlation): a beta-binomial's intra-conversation correlation by the method of moments over
 * conversations with two or more values, kept when Tarone's statistic for overdispersion is at
 * least CLUSTERING_STANDARD_ERRORS; else 0. In the branching trace: 0.05 and 0.11 for the two
 * levels of subagents.
 */
function clusteringOf(t: RequestTable, later: Int32Array, values: Values, above: number): number {
  const n = new Int32Array(t.conversations.length);
  const k = new Int32Array(t.conversations.length);
  for (let j = 0; j < later.length; j++) {
    const c = t.conversation[later[j]!]!;
    n[c]!++;
    if (values[j]! > above) k[c]!++;
  }
  let total = 0;
  let large = 0;
  let groups = 0;
  for (let c = 0; c < n.length; c++) {
    if (n[c]! < 2) continue;
    total += n[c]!;
    large += k[c]!;
    groups++;
  }
  if (groups < MIN_CONVERSATIONS_FOR_SPREAD || large === 0 || large === total) return 0;
  const p = large / total;
  let squares = 0;
  let pairs = 0;
  for (let c = 0; c < n.length; c++) {
    if (n[c]! < 2) continue;
    squares += (k[c]! - n[c]! * p) ** 2;
    pairs += n[c]! * (n[c]! - 1);
  }
  const excess = squares - p * (1 - p) * total;
  const z = excess / (p * (1 - p) * Math.sqrt(2 * pairs));
  if (z < CLUSTERING_STANDARD_ERRORS) return 0;
  return Math.max(0, Math.min(0.95, excess / (p * (1 - p) * pairs)));
}

const NO_FACTOR = (): number => 1;
/** The largest freshInputByPosition a spec takes. */
const MAX_POSITION_SLOPE = 5;
/** Fewer values than this (beyond one per conversation) estimate no trend by position. */
const MIN_VALUES_FOR_TREND = 20;

/**
 * How what a turn adds changes along its conversation (freshInputByPosition): the slope of log
 * size on k / length within conversations (each conversation's own mean taken out, so that chains
 * that read more do not pass for a trend), kept when it is at least TURNS_SLOPE_STANDARD_ERRORS
 * standard errors from 0. In the branching trace a conversation's first fifth of turns adds a
 * geometric mean of 85 tokens a turn and its last fifth 526 (all turns; on the turns that are not
 * large the fit finds 1.9 for the subagents nested twice and the bound, 5, for the main agent).
 * Drawn alike along the chain, the fitted chains had grown 2.4x from their middle to their end
 * where the trace's grew 3.4x.
 */
function positionTrend(groups: [number, Int32Array][], log: Float64Array, at: Float64Array): number {
  let sxx = 0;
  let sxy = 0;
  let count = 0;
  const means = groups.map(([, g]) => {
    let mx = 0;
    let my = 0;
    for (const i of g) {
      mx += at[i]!;
      my += log[i]!;
    }
    mx /= g.length;
    my /= g.length;
    for (const i of g) {
      sxx += (at[i]! - mx) ** 2;
      sxy += (at[i]! - mx) * (log[i]! - my);
    }
    count += g.length;
    return { mx, my };
  });
  const freedom = count - groups.length - 1;
  if (!(sxx > 0) || freedom < MIN_VALUES_FOR_TREND) return 0;
  const b = sxy / sxx;
  let residual = 0;
  groups.forEach(([, g], k) => {
    for (const i of g) residual += (log[i]! - means[k]!.my - b * (at[i]! - means[k]!.mx)) ** 2;
  });
  if (Math.abs(b) < TURNS_SLOPE_STANDARD_ERRORS * Math.sqrt(residual / freedom / sxx)) return 0;
  // Within the spec's bounds (a factor of 12 from the middle of a chain to its end).
  return Math.max(-MAX_POSITION_SLOPE, Math.min(MAX_POSITION_SLOPE, b));
}

/**
 * The positions in `later` of each conversation's requests (those not at the cap), conversations
 * in order of their first: counted, then filled into one Int32Array, one view each. A map of a
 * list per conversation held a million numbers in 52,045 growing lists on the Mooncake-style
 * bench file.
 */
export function byConversationOf(t: RequestTable, later: Int32Array, raw: Float64Array, atCap: (x: number) => boolean): [number, Int32Array][] {
  const rank = new Int32Array(t.conversations.length).fill(-1);
  const sizes: number[] = [];
  const names: number[] = [];
  for (let i = 0; i < later.length; i++) {
    if (atCap(raw[i]!)) continue;
    const c = t.conversation[later[i]!]!;
    if (rank[c]! < 0) {
      rank[c] = sizes.push(0) - 1;
      names.push(c);
    }
    sizes[rank[c]!]!++;
  }
  const start = new Int32Array(sizes.length + 1);
  for (let k = 0; k < sizes.length; k++) start[k + 1] = start[k]! + sizes[k]!;
  const members = new Int32Array(start[sizes.length]!);
  const filled = start.slice(0, sizes.length);
  for (let i = 0; i < later.length; i++) if (!atCap(raw[i]!)) members[filled[rank[t.conversation[later[i]!]!]!]!++] = i;
  return names.map((c, k) => [c, members.subarray(start[k]!, start[k + 1]!)]);
}

/** Reads the trace counts below this many tokens tell the template's tokens per message. */
const SMALL_READ = 1000;
/** Fewer such reads than this: no template tokens are taken out. */
const MIN_SMALL_READS = 10;

/**
 * What each of `later` adds for the generator, measured from the trace's prompt sizes where it
 * can be: the request's prompt less its history parent's prompt and the part of the parent's
 * reply the generator carries over (the whole reply, or its visible part when the fitted
 * reasoning drops the rest), less the chat template's tokens around a message (the median excess
 * over the trace's own count on reads under SMALL_READ tokens: 7 in OpenClaw case study 1, 15 in
 * case study 2; a run's template adds its own again). Else, and where that comes out negative
 * (the producer dropped context the generator does not drop: a prompt that shrank), the trace's
 * own count of fresh input less the reply (addedTokens). In the branching OpenClaw trace the
 * prompts grew 1.2-2.5x what its fresh input counts for reads over 3,000 tokens (a 50,000-token
 * tool result grew one prompt by 103,355 tokens): fitted from the counts, the generated chains
 * grew less and the prompts came out 0.72x the trace's at p90; fitted from the prompts (with
 * freshInputByPosition and freshInputLarge), 1.00-1.20x from p10 to p75 and 0.83x at p90 (40
 * seeds). In case study 1 the two agree once the template's tokens are taken out.
 */
function grownTokens(t: RequestTable, later: Int32Array, reasoning: ReasoningSpec | undefined): Float64Array {
  const counted = mapValues(later, (i) => addedTokens(t, i));
  const prompt = t.column("promptTokens");
  if (!prompt) return counted;
  const reply = t.column("replyTokens");
  const measured = mapValues(later, (i) => {
    const p = t.historyPosition(i);
    if (p < 0 || Number.isNaN(prompt[i]!) || Number.isNaN(prompt[p]!)) return NaN;
    let carried = t.output[p]!;
    if (reasoning?.inHistory === "visible") {
      const visible = reply?.[i];
      if (visible === undefined || Number.isNaN(visible)) return NaN;
      carried = Math.min(visible, carried);
    } else if (reasoning?.inHistory === "visible_across_user_turns" && t.triggerOf(i) === "user") {
      // Where the turn's reasoning is dropped: what it held is not known request by request.
      return NaN;
    }
    const grown = prompt[i]! - prompt[p]! - carried;
    return grown >= 0 ? grown : NaN;
  });
  const excess: number[] = [];
  for (let k = 0; k < later.length; k++) if (counted[k]! < SMALL_READ && !Number.isNaN(measured[k]!)) excess.push(measured[k]! - counted[k]!);
  const template = excess.length >= MIN_SMALL_READS ? Math.max(0, median(excess)) : 0;
  return mapValues(counted, (c, k) => {
    // Not 0 where the trace counted more: a size of 0 leaves the log-scale families out of the fit.
    const m = measured[k]! - template;
    return m >= 1 ? m : c;
  });
}

/**
 * What a request adds for the generator: its fresh input without the parent's reply, which a
 * generated workload carries over by itself (a trace counts it as fresh).
 */
function addedTokens(t: RequestTable, i: number): number {
  const reply = t.column("replyTokens")?.[i];
  return Math.max(0, t.fresh[i]! - (reply === undefined || Number.isNaN(reply) ? 0 : reply));
}

/**
 * How a group's conversations spawn: chance per turn that has a next turn, children per spawn,
 * each child's report (what a request reading k results adds, over k; else the children's last
 * replies, when no request reads them), and whether the parent waits: blocking when every child's
 * report is read by the parent's next request (a fork-join); otherwise the share of children
 * whose report some later request reads, and how many requests after the spawn it does.
 */
function spawningFor(
  f: Fitter,
  agent: string,
  group: Group,
  t: RequestTable,
  childrenOf: Children,
  subagentName: string,
): SubagentSpec | undefined {
  let spawning = 0;
  const fanOuts: number[] = [];
  const reports: number[] = [];
  const lastReplies: number[] = [];
  let children = 0;
  const joinGaps: number[] = [];
  const shares: number[] = [];
  let inherits = 0;
  const shape = burstsOf(group, childrenOf);
  for (const c of group.conversations) {
    // Which request of this conversation (its turn) reads each child request's report.
    const readAt = new Map<number, number>();
    c.forEach((r, k) => {
      for (let e = t.parentStart[r]!; e < t.parentStart[r + 1]!; e++) if (t.parentType[e] === RESULT) readAt.set(t.parentIndex[e]!, k);
    });
    c.forEach((r, k) => {
      const results = edgesOfType(t, r, RESULT);
      if (results > 0) for (let j = 0; j < results; j++) reports.push(Math.round(addedTokens(t, r) / results));
      const spawned = childrenOf.get(r);
      if (!spawned) return;
      spawning++;
      fanOuts.push(spawned.length);
      for (const child of spawned) {
        children++;
        if (t.historyPosition(child[0]!) === r) inherits++;
        lastReplies.push(t.output[child[child.length - 1]!]!);
        shares.push(child.length / Math.max(1, c.length - 1 - k));
        let at: number | undefined;
        for (const q of child) if (readAt.has(q)) at = Math.max(at ?? -1, readAt.get(q)!);
        if (at !== undefined && at > k) joinGaps.push(at - k);
      }
    });
  }
  if (spawning === 0) return undefined;
  // Keys in the order docs/spec-format.md writes them.
  const spec = { agent: subagentName } as SubagentSpec;
  // Forks (forks.ts): every child's first request continues its spawner's conversation.
  if (inherits > 0 && inherits === children) spec.inheritHistory = true;
  spec.spawnProbability = round(Math.min(1, shape.lengths.length / Math.max(1, shape.opportunities)));
  if (shape.from > 0 || shape.to < 1) spec.spawnWindow = { from: round(shape.from), to: round(shape.to) };
  if (shape.lengths.some((n) => n > 1)) spec.burstTurns = countDistribution(f, agent, "subagents.burstTurns", shape.lengths)!;
  spec.fanOut = countDistribution(f, agent, "subagents.fanOut", fanOuts)!;
  spec.summaryTokens = distributionFor(f, agent, "subagents.summaryTokens", reports.length > 0 ? reports : lastReplies)!;
  const blocking = joinGaps.length === children && joinGaps.every((g) => g === 1);
  if (!blocking) {
    // Children that do not block run beside the rest of their parent's chain, and their lengths
    // follow what it has left: drawn from the template's turns alone, a child spawned late ran
    // long past its parent (the branching trace's fit: longest path 67 against 44).
    spec.turnsShare = countDistribution(f, agent, "subagents.turnsShare", shares.map(round))!;
    spec.blocking = false;
    spec.joinProbability = round(joinGaps.length / children);
    const after = countDistribution(f, agent, "subagents.joinAfterTurns", joinGaps);
    if (after !== undefined && after !== 1) spec.joinAfterTurns = after;
  }
  return spec;
}

/**
 * When a group's conversations spawn: runs of consecutive spawning turns (bursts) and their
 * lengths, the window of the chain (as fractions of its turns) where bursts started, and the
 * turns that could have started one: in the window, with a next turn, not inside a burst. The
 * generator's rule (generate.ts) is the same: turn i of n may start a burst when
 * round(from * n) <= i <= round(to * n). In the branching trace the main agent spawns on turns
 * 5 to 13 of 38 in one run, and spread evenly over its chain the same 9 spawns doubled the
 * longest path and halved the peak in flight.
 */
function burstsOf(group: Group, childrenOf: Children): { lengths: number[]; from: number; to: number; opportunities: number } {
  const lengths: number[] = [];
  const starts: { at: number; of: number }[] = [];
  const inBurst = new Set<number>();
  for (const c of group.conversations) {
    for (let i = 0; i < c.length - 1; i++) {
      if (!childrenOf.has(c[i]!) || (i > 0 && childrenOf.has(c[i - 1]!))) continue;
      let n = 1;
      while (i + n < c.length - 1 && childrenOf.has(c[i + n]!)) inBurst.add(c[i + n++]!);
      lengths.push(n);
      starts.push({ at: i, of: c.length });
    }
  }
  if (starts.length === 0) return { lengths, from: 0, to: 1, opportunities: 0 };
  const { min: from, max: to } = extent(starts.map((s) => s.at / s.of));
  let opportunities = 0;
  for (const c of group.conversations) {
    const first = Math.round(round(from) * c.length);
    const last = Math.round(round(to) * c.length);
    for (let i = Math.max(0, first); i <= Math.min(last, c.length - 2); i++) if (!inBurst.has(c[i]!)) opportunities++;
  }
  return { lengths, from, to, opportunities };
}

/** Agent names by nesting depth: the conversations nobody spawned, then each level of subagents. */
function groupName(depth: number): string {
  return depth === 0 ? "main" : depth === 1 ? "subagent" : `subagent-${depth}`;
}

/** Fits a spec to a trace; `spec` validates with validateSpec. */
export function fitTrace(trace: Trace, options: FitSpecOptions = {}): TraceFit {
  // Forks within a conversation (Veeksha DAGs) are fitted as subagents that inherit history.
  trace = forksAsSpawns(trace);
  // Everything below reads the requests' columns; a trace read as objects gets a table too.
  if (!trace.table) trace = tableTrace(tableOf(trace), traceMeta(trace));
  const t = trace.table!;
  let outputMost = 1;
  for (let i = 0; i < t.length; i++) if (t.output[i]! > outputMost) outputMost = t.output[i]!;
  const f: Fitter = { quantities: [], options, outputMost };
  // Sessions and their arrivals only: the whole analysis (prefix reuse, DAG shape) is not needed here.
  const { sessions, arrivals } = sessionArrivals(trace);
  const conversations = byConversation(t);
  const spawned = spawnedConversations(trace);

  // Which request spawned each child conversation (by position), and how deep children nest.
  const childrenOf: Children = new Map();
  const parentConversation = new Map<number, number>();
  for (const c of conversations) {
    const first = c[0]!;
    let from = -1;
    for (let k = t.parentStart[first]!; k < t.parentStart[first + 1]! && from < 0; k++) if (t.parentType[k] === SPAWN) from = t.parentIndex[k]!;
    if (from < 0) continue;
    const list = childrenOf.get(from);
    if (list) list.push(c);
    else childrenOf.set(from, [c]);
    parentConversation.set(t.conversation[first]!, t.conversation[from]!);
  }
  // Each level of nesting is an agent of its own, so a level that cannot spawn (the deepest) does
  // not dilute the spawn rate of the one above it: in the 575-request branching trace, depth-1
  // subagents spawn on 11% of turns and depth-2 ones never; one template for both gave 4.8%.
  const depthOf = (conversation: number): number => {
    let d = 0;
    for (let c = parentConversation.get(conversation); c !== undefined && d <= conversations.length; c = parentConversation.get(c)) d++;
    return spawned.has(t.conversations[conversation]!) ? Math.max(1, d) : 0;
  };
  const groups: Group[] = [];
  for (const c of conversations) {
    const d = depthOf(t.conversation[c[0]!]!);
    (groups[d] ??= { name: groupName(d), conversations: [] }).conversations.push(c);
  }
  if (!groups[0]) throw new TraceError(`${trace.source}: every conversation was spawned by another; nothing to start a session from`);
  // A level with no conversations (a spawn edge whose child has no requests) ends the nesting.
  let levels = 1;
  while (groups[levels]) levels++;
  const agents: AgentSpec[] = [];
  for (let d = 0; d < levels; d++) {
    const next = d + 1 < levels && childrenOf.size > 0 ? groups[d + 1]!.name : null;
    const { name, ...rest } = agentFor(f, groups[d]!, t, trace.blockSize, childrenOf, next);
    // Subagent templates only: sessions never start with them.
    agents.push(d === 0 ? { name, ...rest } : { name, weight: 0, ...rest });
  }
  for (const a of agents) if (a.subagents) a.subagents.maxDepth = Math.max(1, levels - 1);

  const spec: WorkloadSpec = {
    name: options.name ?? specName(trace.source),
    description: `fitted by agentload fit from ${trace.source} (${trace.format}, ${plural(t.length, "request")}, ${plural(sessions, "session")})`,
    seed: options.seed ?? 1,
    sessions: options.sessions ?? sessions,
    agents,
  };
  const traffic = trafficFor(arrivals);
  if (traffic) spec.traffic = traffic;
  return { spec, quantities: f.quantities };
}

/** Open-loop arrivals like the trace's: Poisson when the gaps' cv is near 1, else gamma with that cv. */
function trafficFor(arrivals: TraceAnalysis["arrivals"]): TrafficSpec | undefined {
  if (!arrivals || arrivals.sessions < 10 || !(arrivals.perSecond > 0) || !(arrivals.gapCv > 0)) return undefined;
  const rate = round(arrivals.perSecond);
  if (Math.abs(arrivals.gapCv - 1) < 0.1) return { mode: "rate", arrivals: { type: "poisson", rate } };
  return { mode: "rate", arrivals: { type: "gamma", rate, cv: round(arrivals.gapCv) } };
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function specName(source: string): string {
  const parts = source.split(/[\\/]/).filter((p) => p !== "");
  const last = parts[parts.length - 1] ?? "trace";
  const base = last.replace(/\.(jsonl|json|csv)$/, "");
  const name = ["dag", "session", "sessions"].includes(base) && parts.length > 1 ? parts[parts.length - 2]! : base;
  return `${name}-fit`;
}
