// Can a run's numbers be trusted at all? A run that measured nothing, mostly failed, was cut
// short, or whose client lagged behind its own schedule, was saturated or offered less load than
// asked (client-checks.ts) says little about the server, whatever its latencies: comparisons built
// on it are inconclusive rather than a pass.
import {
  cpuCheck,
  cpuProblem,
  lagCheck,
  lagProblem,
  loadCheck,
  loadProblem,
  type AchievedLoad,
  type ClientChecks,
  type ClientCpuSamples,
  type CpuCheck,
} from "./client-checks.js";
import type { Objective } from "./slo.js";
import type { RunSummary } from "./summary.js";

export interface RunValidity {
  valid: boolean;
  /** Why not, one line each ("no request succeeded", "3 of 40 requests failed (7.5%, limit 5%)"). */
  problems: string[];
  /**
   * The run's health notes (dispatch lateness p99 over 10 ms). Shown, not part of validity:
   * between a request's end and its child's dispatch the client counts the reply on the server
   * and renders the next prompt, 2-4 ms on every dependent request of a small run measured here,
   * so a p99 over a dozen requests crosses 10 ms on single outliers. Lag that distorts the
   * measurement is judged by `client.lag` instead.
   */
  warnings: string[];
  /** The client's own checks and their figures: lag always, CPU and achieved load when the run measured them. */
  client?: ClientChecks;
}

export interface ValidityOptions {
  /**
   * Largest share of failed requests a valid run may have (default 0.05, or 0.5 when `slo` bounds
   * errorRate: the SLO judges the error rate then, but a run that mostly failed is never valid).
   */
  maxErrorRate?: number;
  /** The run's SLO objectives. */
  slo?: readonly Pick<Objective, "metric">[];
  /** The run was stopped before its workload ended. */
  interrupted?: boolean;
  /** What the run measured of its client besides the records (absent when re-judging a run folder). */
  clientCpu?: ClientCpuSamples;
  achievedLoad?: AchievedLoad;
  /** The CPU check as the run judged it (summary.json), when re-judging a run folder whose samples are gone. */
  cpuJudged?: CpuCheck;
}

export const DEFAULT_MAX_ERROR_RATE = 0.05;
/** Above this share of failures a run "mostly failed", whatever its SLO allows. */
export const MOSTLY_FAILED = 0.5;

export function runValidity(summary: RunSummary, options: ValidityOptions = {}): RunValidity {
  const sloJudgesErrors = options.slo?.some((o) => o.metric === "errorRate") ?? false;
  const maxErrorRate = options.maxErrorRate ?? (sloJudgesErrors ? MOSTLY_FAILED : DEFAULT_MAX_ERROR_RATE);
  const problems: string[] = [];
  const { ok, failed } = summary.counts;
  if (ok === 0) problems.push(failed > 0 ? `no request succeeded (${failed} failed)` : "no request was measured");
  else if (summary.errors.rate > maxErrorRate) {
    problems.push(`${failed} of ${ok + failed} requests failed (${(summary.errors.rate * 100).toFixed(1)}%, limit ${(maxErrorRate * 100).toFixed(1)}%)`);
  }
  if (options.interrupted) problems.push("the run was interrupted before its workload ended");
  const client: ClientChecks = { lag: lagCheck(summary) };
  if (options.clientCpu) client.cpu = cpuCheck(options.clientCpu);
  else if (options.cpuJudged) client.cpu = options.cpuJudged;
  if (options.achievedLoad) client.load = loadCheck(options.achievedLoad);
  for (const p of [lagProblem(client.lag), client.cpu && cpuProblem(client.cpu), client.load && loadProblem(client.load)]) if (p) problems.push(p);
  const warnings = [...summary.health.problems];
  if (client.cpu?.note) warnings.push(client.cpu.note);
  return { valid: problems.length === 0, problems, warnings, client };
}
