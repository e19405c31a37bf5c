// What a trace says about its agent, as plain data: request expansion, token heterogeneity,
// bursty waits, prompt and cache sizes, prefix reuse, DAG shape and concurrency. Definitions
// follow ../shared/reference/trace-truth.md; docs/traces.md lists them all.
import type { DistributionStats } from "../stats/histogram.js";
import { sortNumbers } from "../stats/sort.js";
import { percentile, summarizeSorted } from "../workload/inspect.js";
import { fitFamilies, paretoTail, type FitReport, type ParetoTail } from "./fit.js";
import { indexTrace, sessionRoots, traceSessions, type TraceIndex } from "./sessions.js";
import type { EdgeType, Trace, TraceFormat, TraceRequest } from "./types.js";

/** Distribution of one quantity; percentiles interpolate linearly between order statistics (numpy's default). */
export interface Stats extends DistributionStats {
  sum: number;
}

export interface WaitStats extends Stats {
  /** Waits under 100 ms (tool calls that return at once). */
  under100ms: number;
  shareUnder100ms: number;
  /** Waits over 10 s (a person thinking, slow tools). */
  over10s: number;
  shareOver10s: number;
  /** Pareto fit of the waits from 100 ms up (null with fewer than 2 above). */
  tail: ParetoTail | null;
}

export interface PrefixOverlap {
  /** Requests compared with the one before them (their history parent; the previous request in time for sessionless hash-id traces). */
  pairs: number;
  /** Prompt tokens of those requests. */
  promptTokens: number;
  /** Of which the start repeats the previous request's prompt and reply. */
  sharedTokens: number;
  /** sharedTokens / promptTokens. */
  ratio: number;
  /** Per request: shared / prompt. */
  perRequest: Stats;
  /** How the shared part was measured: from hash ids, the trace's cacheable history, or prompt minus fresh input. */
  measuredBy: "hash_ids" | "cacheable_history" | "prompt_minus_fresh";
}

export interface TraceAnalysis {
  source: string;
  format: TraceFormat;
  /** Rows the reader left out, and why (null: none). */
  skipped: { rows: number; why: string } | null;
  requests: number;
  /** Connected groups of requests (an agent with all its subagents). */
  sessions: number;
  /** Agent conversations: listed by the trace, with at least one request, spawned by another. */
  conversations: { listed: number; withRequests: number; spawned: number };
  /** Messages a person typed (null when the trace does not say). */
  userMessages: number | null;
  /** Requests per user message. */
  expansionFactor: number | null;
  /** Fresh input as the trace counts it: a later request's includes its parent's reply (docs/traces.md). */
  freshInputTokens: Stats;
  /**
   * Fresh input less the parent's reply the trace counts in it: what `fit` fits and a generated
   * workload adds (it carries the parent's output over by itself). Null when the trace does not
   * tell the reply apart.
   */
  freshInputWithoutReplyTokens: Stats | null;
  outputTokens: Stats;
  /**
   * Every family fitted (maximum likelihood, ranked by AIC, KS beside) to fresh input as the trace
   * counts it and to output, over all requests, uncropped. Null unless asked for (`fits: true`).
   */
  fits: { freshInputTokens: FitReport; outputTokens: FitReport } | null;
  /** Over requests with a history parent (null when the trace has no waits). */
  waitAfterReadyMs: WaitStats | null;
  /** Server-counted prompts (null when the trace has no prompt sizes). */
  prompt: {
    tokens: Stats;
    /** Sum of the parts not read from cache (null when the trace does not say what was cached). */
    uncachedTokens: number | null;
    /** Sum of cache reads. */
    cachedTokens: number | null;
    /** cachedTokens / prompt tokens. */
    cacheHitRatio: number | null;
    /** The largest prompt. */
    usedContext: number;
  } | null;
  prefixOverlap: PrefixOverlap | null;
  /** With hash ids: prompt blocks already seen in any earlier request (an unbounded prefix cache's hits). */
  reusablePrefix: { tokens: number; promptTokens: number; ratio: number } | null;
  graph: {
    /** Nodes on the longest path (the longest session's). */
    longestPath: number;
    /** Most requests sharing one longest-path depth in a session. */
    maxWidth: number;
    maxFanOut: number;
    maxFanIn: number;
    edges: number;
    edgesByType: Record<EdgeType, number>;
  };
  /** Most requests between dispatch and response at once (null without both timestamps). */
  peakInFlight: number | null;
  /** First dispatch to last response. */
  wallTimeMs: number | null;
  /** Session arrivals (null with fewer than 2 timed sessions). */
  arrivals: { sessions: number; spanMs: number; perSecond: number; gapMs: Stats; /** Standard deviation / mean of the gaps (1 for Poisson arrivals). */ gapCv: number } | null;
}

export function stats(values: ArrayLike<number>): Stats {
  const sorted = sortNumbers(Float64Array.from(values));
  const { count, mean, p50, p90, p99, max, sum } = summarizeSorted(sorted);
  return { count, mean, min: count > 0 ? sorted[0]! : 0, p50, p90, p95: percentile(sorted, 0.95), p99, max, sum };
}

/** Conversations spawned by another: listed with a spawner, or whose first request was spawned. */
export function spawnedConversations(trace: Trace): Set<string> {
  const spawned = new Set<string>();
  for (const c of trace.conversations ?? []) if (c.spawnedBy !== undefined) spawned.add(c.id);
  for (const r of trace.requests) if (r.parents.some((e) => e.type === "subagent_spawn")) spawned.add(r.conversation);
  return spawned;
}

export interface AnalyzeOptions {
  /**
   * Fit every family to fresh input and output (`TraceAnalysis.fits`). Off by default: on a
   * million requests they take 1.8 s (with quantiles where they cost, fit.ts FIT_QUANTILES; 18 s
   * before), beside about 3 s of CPU for the rest (benchmarks/trace-analysis.ts).
   */
  fits?: boolean;
}

/** What each request adds without its parent's reply, or null when no request tells the reply. */
function freshWithoutReply(requests: TraceRequest[]): number[] | null {
  if (!requests.some((r) => r.replyTokens !== undefined)) return null;
  return requests.map((r) => Math.max(0, r.freshInputTokens - (r.replyTokens ?? 0)));
}

export function analyzeTrace(trace: Trace, options: AnalyzeOptions = {}): TraceAnalysis {
  const requests = trace.requests;
  const index = indexTrace(trace);
  const sessions = traceSessions(trace, index);
  const spawned = spawnedConversations(trace);
  const withRequests = new Set<string>();
  for (const r of requests) withRequests.add(r.conversation);

  const userMessages = trace.userMessages ?? countUserTriggers(requests, spawned);
  const fresh = requests.map((r) => r.freshInputTokens);
  const output = requests.map((r) => r.outputTokens);
  const withoutReply = freshWithoutReply(requests);
  return {
    source: trace.source,
    format: trace.format,
    skipped: trace.skipped ?? null,
    requests: requests.length,
    sessions: sessions.length,
    conversations: {
      listed: trace.conversations?.length ?? withRequests.size,
      withRequests: withRequests.size,
      spawned: spawned.size,
    },
    userMessages,
    expansionFactor: userMessages ? requests.length / userMessages : null,
    freshInputTokens: stats(fresh),
    freshInputWithoutReplyTokens: withoutReply ? stats(withoutReply) : null,
    outputTokens: stats(output),
    fits: options.fits ? { freshInputTokens: fitFamilies(fresh), outputTokens: fitFamilies(output) } : null,
    waitAfterReadyMs: waitStats(requests),
    prompt: promptStats(requests),
    prefixOverlap: prefixOverlap(trace, index),
    reusablePrefix: reusablePrefix(trace),
    graph: graphShape(trace, index, sessionRoots(trace, index)),
    peakInFlight: peakInFlight(requests),
    wallTimeMs: wallTime(requests),
    arrivals: arrivals(sessions.map((s) => s.arrivalMs)),
  };
}

function countUserTriggers(requests: TraceRequest[], spawned: Set<string>): number | null {
  if (!requests.some((r) => r.trigger !== undefined)) return null;
  let n = 0;
  for (const r of requests) if (r.trigger === "user" && !spawned.has(r.conversation)) n++;
  return n;
}

function waitStats(requests: TraceRequest[]): WaitStats | null {
  const waits: number[] = [];
  for (const r of requests) if (r.historyParent !== null && r.waitAfterReadyMs !== undefined) waits.push(r.waitAfterReadyMs);
  if (waits.length === 0) return null;
  let under = 0;
  let over = 0;
  for (const w of waits) {
    if (w < 100) under++;
    if (w > 10_000) over++;
  }
  return {
    ...stats(waits),
    under100ms: under,
    shareUnder100ms: under / waits.length,
    over10s: over,
    shareOver10s: over / waits.length,
    tail: paretoTail(waits, 100),
  };
}

function promptStats(requests: TraceRequest[]): TraceAnalysis["prompt"] {
  const prompts: number[] = [];
  let cached = 0;
  let knowsCache = false;
  for (const r of requests) {
    if (r.promptTokens === undefined) continue;
    prompts.push(r.promptTokens);
    if (r.cachedTokens !== undefined) {
      cached += r.cachedTokens;
      knowsCache = true;
    }
  }
  if (prompts.length === 0) return null;
  const tokens = stats(prompts);
  return {
    tokens,
    uncachedTokens: knowsCache ? tokens.sum - cached : null,
    cachedTokens: knowsCache ? cached : null,
    cacheHitRatio: knowsCache && tokens.sum > 0 ? cached / tokens.sum : null,
    usedContext: tokens.max,
  };
}

function commonLeading(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function byDispatch(requests: TraceRequest[]): TraceRequest[] {
  return requests.every((r) => r.dispatchedMs !== undefined)
    ? [...requests].sort((a, b) => a.dispatchedMs! - b.dispatchedMs!)
    : requests;
}

function prefixOverlap(trace: Trace, at: TraceIndex): PrefixOverlap | null {
  const requests = trace.requests;
  const block = trace.blockSize ?? 0;
  const hashed = block > 0 && requests.some((r) => r.hashIds !== undefined);
  // Each request is compared with its history parent; sessionless hash-id traces (Mooncake) with
  // the one sent just before it.
  const sessionless = hashed && requests.every((r) => r.historyParent === null);
  const order = sessionless ? byDispatch(requests) : requests;
  let measuredBy: PrefixOverlap["measuredBy"] | null = null;
  const ratios: number[] = [];
  let prompt = 0;
  let shared = 0;
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    const p = sessionless ? (i > 0 ? order[i - 1]! : undefined) : at.history[i]! >= 0 ? requests[at.history[i]!]! : undefined;
    if (!p) continue;
    let s: number;
    let total = r.promptTokens ?? (r.hashIds ? r.hashIds.length * block : undefined);
    if (hashed && r.hashIds && p.hashIds) {
      s = commonLeading(r.hashIds, p.hashIds) * block;
      measuredBy = "hash_ids";
    } else if (r.sharedPrefixTokens !== undefined) {
      s = r.sharedPrefixTokens;
      measuredBy ??= "cacheable_history";
    } else if (r.promptTokens !== undefined) {
      s = r.promptTokens - r.freshInputTokens;
      measuredBy ??= "prompt_minus_fresh";
    } else continue;
    if (total === undefined || total <= 0) continue;
    s = Math.max(0, Math.min(s, total));
    total = Math.max(total, s);
    ratios.push(s / total);
    prompt += total;
    shared += s;
  }
  if (ratios.length === 0 || measuredBy === null) return null;
  return { pairs: ratios.length, promptTokens: prompt, sharedTokens: shared, ratio: prompt > 0 ? shared / prompt : 0, perRequest: stats(ratios), measuredBy };
}

function reusablePrefix(trace: Trace): TraceAnalysis["reusablePrefix"] {
  const block = trace.blockSize ?? 0;
  if (block <= 0 || !trace.requests.some((r) => r.hashIds !== undefined)) return null;
  // A block id names its whole prefix, so a prompt's reusable part is its leading ids seen before.
  const seen = new Set<number>();
  let reusable = 0;
  let prompt = 0;
  for (const r of byDispatch(trace.requests)) {
    if (!r.hashIds) continue;
    const total = r.promptTokens ?? r.hashIds.length * block;
    let k = 0;
    while (k < r.hashIds.length && seen.has(r.hashIds[k]!)) k++;
    reusable += Math.min(total, k * block);
    prompt += total;
    // The first k are seen already.
    for (let j = k; j < r.hashIds.length; j++) seen.add(r.hashIds[j]!);
  }
  return { tokens: reusable, promptTokens: prompt, ratio: prompt > 0 ? reusable / prompt : 0 };
}

/**
 * The DAG's shape from the trace's index, over all requests at once (a session's edges stay within
 * it): depth of a request = nodes on the longest path ending at it (workload/graph.ts depthLevels),
 * width = the most requests of one session at one depth. Made per session as SessionGraphs, the
 * million-request benchmark allocated a million nodes and their maps for it.
 */
function graphShape(trace: Trace, at: TraceIndex, roots: Int32Array): TraceAnalysis["graph"] {
  const edgesByType: Record<EdgeType, number> = { sequential: 0, subagent_spawn: 0, subagent_result: 0, dependency: 0 };
  let edges = 0;
  for (const r of trace.requests) {
    for (const e of r.parents) {
      edgesByType[e.type]++;
      edges++;
    }
  }
  const n = trace.requests.length;
  const depthOf = new Int32Array(n);
  const children = new Int32Array(n);
  let longestPath = 0;
  let maxFanIn = 0;
  for (let i = 0; i < n; i++) {
    let d = 1;
    const from = at.parentStart[i]!;
    const to = at.parentStart[i + 1]!;
    for (let k = from; k < to; k++) {
      const p = at.parentIndex[k]!;
      d = Math.max(d, depthOf[p]! + 1);
      children[p]!++;
    }
    depthOf[i] = d;
    if (d > longestPath) longestPath = d;
    if (to - from > maxFanIn) maxFanIn = to - from;
  }
  let maxFanOut = 0;
  for (let i = 0; i < n; i++) if (children[i]! > maxFanOut) maxFanOut = children[i]!;
  // Requests per session and depth, counted in one array: a session (named by its root's
  // position) has a slot per depth down to its deepest request, at most twice the requests in all.
  // A map keyed by session and depth took 0.15 s on a million requests, the array 0.015 s.
  const deepest = new Int32Array(n);
  for (let i = 0; i < n; i++) if (depthOf[i]! > deepest[roots[i]!]!) deepest[roots[i]!] = depthOf[i]!;
  const offset = new Int32Array(n);
  let slots = 0;
  for (let i = 0; i < n; i++) {
    if (roots[i] !== i) continue;
    offset[i] = slots;
    slots += deepest[i]! + 1;
  }
  const perLevel = new Int32Array(slots);
  let maxWidth = 0;
  for (let i = 0; i < n; i++) {
    const count = ++perLevel[offset[roots[i]!]! + depthOf[i]!]!;
    if (count > maxWidth) maxWidth = count;
  }
  return { longestPath, maxWidth, maxFanOut, maxFanIn, edges, edgesByType };
}

function peakInFlight(requests: TraceRequest[]): number | null {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const r of requests) {
    if (r.dispatchedMs === undefined || r.respondedMs === undefined) continue;
    starts.push(r.dispatchedMs);
    ends.push(r.respondedMs);
  }
  if (starts.length === 0) return null;
  const s = sortNumbers(Float64Array.from(starts));
  const e = sortNumbers(Float64Array.from(ends));
  // A response at the same moment as a dispatch ends first: in flight over [dispatch, response).
  let peak = 0;
  let now = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (j < e.length && e[j]! <= s[i]!) {
      j++;
      now--;
    }
    now++;
    if (now > peak) peak = now;
  }
  return peak;
}

function wallTime(requests: TraceRequest[]): number | null {
  let first = Infinity;
  let last = -Infinity;
  for (const r of requests) {
    if (r.dispatchedMs !== undefined && r.dispatchedMs < first) first = r.dispatchedMs;
    const end = r.respondedMs ?? r.dispatchedMs;
    if (end !== undefined && end > last) last = end;
  }
  return Number.isFinite(first) && Number.isFinite(last) ? last - first : null;
}

function arrivals(times: (number | undefined)[]): TraceAnalysis["arrivals"] {
  const at = times.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  if (at.length < 2) return null;
  const gaps: number[] = [];
  for (let i = 1; i < at.length; i++) gaps.push(at[i]! - at[i - 1]!);
  const span = at[at.length - 1]! - at[0]!;
  const gapMs = stats(gaps);
  let ss = 0;
  for (const g of gaps) ss += (g - gapMs.mean) ** 2;
  const gapCv = gapMs.mean > 0 ? Math.sqrt(ss / gaps.length) / gapMs.mean : 0;
  return { sessions: at.length, spanMs: span, perSecond: span > 0 ? ((at.length - 1) * 1000) / span : 0, gapMs, gapCv };
}
