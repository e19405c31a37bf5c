// A workload spec that reproduces a trace: the graph shape (turns per conversation, how often and
// how widely subagents are spawned, how deep they nest), fitted distributions of fresh input,
// output and waits, and the scaffold estimated from first prompts. Conversations nobody spawned
// become the "main" agent, spawned ones the "subagent" template.
import type { DistributionSpec } from "../workload/distributions.js";
import type { AgentSpec, SubagentSpec, TrafficSpec, WorkloadSpec } from "../workload/spec-types.js";
import { analyzeTrace, spawnedConversations } from "./analyze.js";
import { majorityPrefix } from "./hash-chains.js";
import { fitFamilies, fitSpikeTail, type Family, type FitReport, type SpikeTailFit } from "./fit.js";
import { indexTrace } from "./sessions.js";
import type { Trace, TraceRequest } from "./types.js";
import { TraceError } from "./where.js";

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
  /** "fixed", "empirical", a family name or "spike_tail". */
  method: string;
  report?: FitReport;
  spikeTail?: SpikeTailFit;
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
}

/** A distribution for whole-number values: fixed, resampled, or the best family by AIC. */
function distributionFor(f: Fitter, agent: string, quantity: string, values: number[]): DistributionSpec | undefined {
  if (values.length === 0) return undefined;
  const record = (spec: DistributionSpec, method: string, extra: Partial<QuantityFit> = {}) => {
    f.quantities.push({ agent, quantity, values: values.length, spec, method, ...extra });
    return spec;
  };
  if (values.every((v) => v === values[0])) return record(values[0]!, "fixed");
  if (values.length < MIN_VALUES_TO_FIT) return record({ type: "empirical", samples: [...values] }, "empirical");
  const options: { crop?: number; families?: readonly Family[] } = {};
  if (f.options.crop !== undefined) options.crop = f.options.crop;
  if (f.options.families !== undefined) options.families = f.options.families;
  const report = fitFamilies(values, options);
  const best = report.fits[0];
  if (!best) return record({ type: "empirical", samples: [...values] }, "empirical", { report });
  return record(rounded(best.spec), best.family, { report });
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

function waitsFor(f: Fitter, agent: string, waits: number[]): DistributionSpec | undefined {
  if (waits.length === 0) return undefined;
  if (waits.every((w) => w === waits[0])) {
    f.quantities.push({ agent, quantity: "waitMs", values: waits.length, spec: waits[0]!, method: "fixed" });
    return waits[0]!;
  }
  const fit = fitSpikeTail(waits);
  const spec = rounded(fit.spec);
  f.quantities.push({ agent, quantity: "waitMs", values: waits.length, spec, method: "spike_tail", spikeTail: fit });
  return spec;
}

/** The requests of each conversation, in trace (topological) order. */
function byConversation(trace: Trace): Map<string, TraceRequest[]> {
  const out = new Map<string, TraceRequest[]>();
  for (const r of trace.requests) {
    const list = out.get(r.conversation);
    if (list) list.push(r);
    else out.set(r.conversation, [r]);
  }
  return out;
}

/** Tokens of first prompts that are scaffold: the trace's own split, else a majority's shared hash-id prefix, else 0. */
function scaffoldEstimate(roots: TraceRequest[], blockSize: number | undefined): number {
  const told = roots.filter((r) => r.scaffoldTokens !== undefined).map((r) => r.scaffoldTokens!);
  if (told.length > 0) return Math.round(median(told));
  if (!blockSize || roots.filter((r) => r.hashIds && r.hashIds.length > 0).length < 2) return 0;
  // The same majority rule that keeps a shared scaffold from chaining conversations (hash-chains.ts).
  const { blocks, sharing: shared } = majorityPrefix(roots);
  // The last block of a prompt may be partial: never more than the shortest sharing prompt.
  let shortest = Infinity;
  for (const r of shared) shortest = Math.min(shortest, r.promptTokens ?? r.hashIds!.length * blockSize);
  return Math.min(blocks * blockSize, blocks > 0 ? shortest : 0);
}

interface Group {
  name: string;
  conversations: TraceRequest[][];
}

function agentFor(f: Fitter, group: Group, trace: Trace, childrenOf: Map<string, TraceRequest[][]>, subagentName: string | null): AgentSpec {
  const name = group.name;
  const roots = group.conversations.map((c) => c[0]!).filter((r) => r.historyParent === null);
  const scaffold = scaffoldEstimate(roots, trace.blockSize);
  const turns = countDistribution(f, name, "turns", group.conversations.map((c) => c.length)) ?? 1;
  const task = distributionFor(f, name, "taskTokens", roots.map((r) => Math.max(0, r.freshInputTokens - scaffold)));
  const later: TraceRequest[] = [];
  const all: TraceRequest[] = [];
  const waits: number[] = [];
  for (const c of group.conversations) {
    for (const r of c) {
      all.push(r);
      if (r.historyParent === null) continue;
      if (!r.parents.some((e) => e.type === "subagent_result")) later.push(r);
      if (r.waitAfterReadyMs !== undefined) waits.push(r.waitAfterReadyMs);
    }
  }
  const freshInput = distributionFor(f, name, "freshInput", later.map(addedTokens)) ?? task ?? 0;
  const output = distributionFor(f, name, "output", all.map((r) => r.outputTokens)) ?? 1;
  // Keys in the order docs/spec-format.md writes them.
  const agent = { name } as AgentSpec;
  if (scaffold > 0) agent.scaffold = { systemTokens: scaffold, toolTokens: 0 };
  if (task !== undefined) agent.taskTokens = task;
  agent.turns = turns;
  agent.freshInput = freshInput;
  agent.output = output;
  const wait = waitsFor(f, name, waits);
  if (wait !== undefined) agent.waitMs = wait;
  if (subagentName) {
    const sub = spawningFor(f, name, group, childrenOf, subagentName);
    if (sub) agent.subagents = sub;
  }
  return agent;
}

/**
 * What a request adds for the generator: its fresh input without the parent's reply, which a
 * generated workload carries over by itself (a trace counts it as fresh).
 */
function addedTokens(r: TraceRequest): number {
  return Math.max(0, r.freshInputTokens - (r.replyTokens ?? 0));
}

/**
 * How a group's conversations spawn: chance per turn that has a next turn, children per spawn,
 * and each child's report: what a request reading k results adds, over k (else the children's
 * last replies, when no request reads them).
 */
function spawningFor(
  f: Fitter,
  agent: string,
  group: Group,
  childrenOf: Map<string, TraceRequest[][]>,
  subagentName: string,
): SubagentSpec | undefined {
  let opportunities = 0;
  let spawning = 0;
  const fanOuts: number[] = [];
  const reports: number[] = [];
  const lastReplies: number[] = [];
  for (const c of group.conversations) {
    opportunities += Math.max(0, c.length - 1);
    for (const r of c) {
      const results = r.parents.filter((e) => e.type === "subagent_result").length;
      if (results > 0) for (let k = 0; k < results; k++) reports.push(Math.round(addedTokens(r) / results));
      const children = childrenOf.get(r.id);
      if (!children) continue;
      spawning++;
      fanOuts.push(children.length);
      for (const child of children) lastReplies.push(child[child.length - 1]!.outputTokens);
    }
  }
  if (spawning === 0) return undefined;
  const spec: SubagentSpec = {
    agent: subagentName,
    spawnProbability: round(Math.min(1, spawning / Math.max(1, opportunities))),
    fanOut: countDistribution(f, agent, "subagents.fanOut", fanOuts)!,
    summaryTokens: distributionFor(f, agent, "subagents.summaryTokens", reports.length > 0 ? reports : lastReplies)!,
  };
  return spec;
}

/** Fits a spec to a trace; `spec` validates with validateSpec. */
export function fitTrace(trace: Trace, options: FitSpecOptions = {}): TraceFit {
  const f: Fitter = { quantities: [], options };
  const analysis = analyzeTrace(trace);
  const conversations = byConversation(trace);
  const spawned = spawnedConversations(trace);

  // Which request spawned each child conversation, and how deep children nest.
  const childrenOf = new Map<string, TraceRequest[][]>();
  const parentConversation = new Map<string, string>();
  const { index } = indexTrace(trace);
  const conversationOf = { get: (id: string) => trace.requests[index.get(id)!]?.conversation };
  for (const [id, requests] of conversations) {
    const edge = requests[0]!.parents.find((e) => e.type === "subagent_spawn");
    if (!edge) continue;
    const list = childrenOf.get(edge.from);
    if (list) list.push(requests);
    else childrenOf.set(edge.from, [requests]);
    parentConversation.set(id, conversationOf.get(edge.from)!);
  }
  let maxDepth = 0;
  for (const id of parentConversation.keys()) {
    let d = 0;
    for (let c: string | undefined = id; c !== undefined && d <= conversations.size; c = parentConversation.get(c)) d++;
    maxDepth = Math.max(maxDepth, d - 1);
  }

  const main: Group = { name: "main", conversations: [] };
  const sub: Group = { name: "subagent", conversations: [] };
  for (const [id, requests] of conversations) (spawned.has(id) ? sub : main).conversations.push(requests);
  if (main.conversations.length === 0) throw new TraceError(`${trace.source}: every conversation was spawned by another; nothing to start a session from`);
  const hasSub = sub.conversations.length > 0 && childrenOf.size > 0;
  const agents: AgentSpec[] = [agentFor(f, main, trace, childrenOf, hasSub ? sub.name : null)];
  if (hasSub) {
    const { name, ...rest } = agentFor(f, sub, trace, childrenOf, maxDepth > 1 ? sub.name : null);
    agents.push({ name, weight: 0, ...rest }); // a template only: sessions never start with it
    for (const a of agents) if (a.subagents) a.subagents.maxDepth = Math.max(1, maxDepth);
  }

  const spec: WorkloadSpec = {
    name: options.name ?? specName(trace.source),
    description: `fitted by agentload fit from ${trace.source} (${trace.format}, ${plural(analysis.requests, "request")}, ${plural(analysis.sessions, "session")})`,
    seed: options.seed ?? 1,
    sessions: options.sessions ?? analysis.sessions,
    agents,
  };
  const traffic = trafficFor(analysis.arrivals);
  if (traffic) spec.traffic = traffic;
  return { spec, quantities: f.quantities };
}

/** Open-loop arrivals like the trace's: Poisson when the gaps' cv is near 1, else gamma with that cv. */
function trafficFor(arrivals: ReturnType<typeof analyzeTrace>["arrivals"]): TrafficSpec | undefined {
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
