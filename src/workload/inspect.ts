// What a workload looks like before it runs: counts, shapes and token statistics, as plain data
// (for --json and tests) plus a small text table for people.
import { depthLevels, fanIn, fanOut, validateSession } from "./graph.js";
import { addReuse, promptReuseRatio, sessionTokens, type ReuseTotals, type ScaffoldLookup } from "./tokens.js";
import type { NodeKind, SessionGraph, Workload } from "./types.js";

/** Distribution of one quantity. Percentiles interpolate linearly between order statistics (numpy's default). */
export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  sum: number;
}

export interface WorkloadStats {
  name: string;
  sessions: number;
  requests: number;
  /** Sessions per agent type (sessions without an agent name count under ""). */
  agents: Record<string, number>;
  requestsPerSession: Summary;
  /** Per session: nodes on the longest path. */
  depth: Summary;
  /** Per session: most nodes on one longest-path depth level (see graph.width). */
  width: Summary;
  maxFanOut: number;
  maxFanIn: number;
  freshInputTokens: Summary;
  outputTokens: Summary;
  /** Over requests that have parents (a session's first request waits for nothing). */
  waitAfterReadyMs: Summary;
  promptTokens: Summary;
  sharedPrefixTokens: number;
  /** Shared-prefix tokens / prompt tokens, as the workload intends (client side). */
  promptReuseRatio: number;
  /** Requests per node kind; nodes without a kind count as "turn". */
  kinds: Record<NodeKind, number>;
}

/** Percentile q in [0, 1] of sorted values, linear interpolation between order statistics. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

export function summarize(values: ArrayLike<number>): Summary {
  return summarizeSorted(Float64Array.from(values).sort());
}

/** summarize() of values already sorted ascending. */
export function summarizeSorted(sorted: ArrayLike<number>): Summary {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  const n = sorted.length;
  return {
    count: n,
    mean: n > 0 ? sum / n : 0,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: n > 0 ? sorted[n - 1]! : 0,
    sum,
  };
}

/** Statistics of sessions read one at a time (e.g. straight from iterateSessions). */
export function inspectSessions(sessions: Iterable<SessionGraph>, scaffolds: ScaffoldLookup, name = ""): WorkloadStats {
  const perSession = { requests: [] as number[], depth: [] as number[], width: [] as number[] };
  const perRequest = { fresh: [] as number[], output: [] as number[], wait: [] as number[], prompt: [] as number[] };
  const agents: Record<string, number> = {};
  const kinds: Record<NodeKind, number> = { turn: 0, spawn: 0, report: 0, compaction: 0 };
  let reuse: ReuseTotals = { promptTokens: 0, sharedPrefixTokens: 0 };
  let maxFanOut = 0;
  let maxFanIn = 0;
  for (const session of sessions) {
    validateSession(session);
    const agent = session.agent ?? "";
    agents[agent] = (agents[agent] ?? 0) + 1;
    perSession.requests.push(session.nodes.length);
    const levels = depthLevels(session);
    const perLevel = new Map<number, number>();
    let depth = 0;
    let width = 0;
    for (const d of levels.values()) {
      const n = (perLevel.get(d) ?? 0) + 1;
      perLevel.set(d, n);
      depth = Math.max(depth, d);
      width = Math.max(width, n);
    }
    perSession.depth.push(depth);
    perSession.width.push(width);
    for (const n of fanOut(session).values()) maxFanOut = Math.max(maxFanOut, n);
    for (const n of fanIn(session).values()) maxFanIn = Math.max(maxFanIn, n);
    const tokens = sessionTokens(session, scaffolds);
    reuse = addReuse(reuse, tokens.values());
    for (const node of session.nodes) {
      perRequest.fresh.push(node.freshInputTokens);
      perRequest.output.push(node.outputTokens);
      if (node.parents.length > 0) perRequest.wait.push(node.waitAfterReadyMs);
      perRequest.prompt.push(tokens.get(node.id)!.promptTokens);
      kinds[node.kind ?? "turn"]++;
    }
  }
  return {
    name,
    sessions: perSession.requests.length,
    requests: perRequest.fresh.length,
    agents,
    requestsPerSession: summarize(perSession.requests),
    depth: summarize(perSession.depth),
    width: summarize(perSession.width),
    maxFanOut,
    maxFanIn,
    freshInputTokens: summarize(perRequest.fresh),
    outputTokens: summarize(perRequest.output),
    waitAfterReadyMs: summarize(perRequest.wait),
    promptTokens: summarize(perRequest.prompt),
    sharedPrefixTokens: reuse.sharedPrefixTokens,
    promptReuseRatio: promptReuseRatio(reuse),
    kinds,
  };
}

export function inspectWorkload(workload: Workload): WorkloadStats {
  return inspectSessions(workload.sessions, workload.scaffolds, workload.name);
}

function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
}

/** A plain-text report of the statistics: a few header lines and one table of distributions. */
export function renderStats(stats: WorkloadStats): string {
  const agentList = Object.entries(stats.agents)
    .map(([name, n]) => `${name || "(unnamed)"} ${n}`)
    .join(", ");
  const head = [
    `workload ${stats.name}`,
    `sessions ${stats.sessions} (${agentList || "none"}), requests ${stats.requests}`,
    `requests by kind: turn ${stats.kinds.turn}, spawn ${stats.kinds.spawn}, report ${stats.kinds.report}, compaction ${stats.kinds.compaction}`,
    `max fan-out ${stats.maxFanOut}, max fan-in ${stats.maxFanIn}`,
    `expected prompt reuse ratio ${(stats.promptReuseRatio * 100).toFixed(1)}% (${stats.sharedPrefixTokens} of ${stats.promptTokens.sum} prompt tokens)`,
  ];
  const rows: [string, Summary][] = [
    ["requests/session", stats.requestsPerSession],
    ["depth (nodes)", stats.depth],
    ["width", stats.width],
    ["fresh input tok", stats.freshInputTokens],
    ["output tok", stats.outputTokens],
    ["prompt tok", stats.promptTokens],
    ["wait ms", stats.waitAfterReadyMs],
  ];
  const header = ["", "n", "mean", "p50", "p90", "p99", "max"];
  const cells = rows.map(([label, s]) => [label, String(s.count), fmt(s.mean), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [...head, "", line(header), ...cells.map(line)].join("\n") + "\n";
}
