// One point of a capacity search judged from its run: healthy only when the run is valid (it
// measured enough, its error rate is under the limit, its client kept up and offered the load it
// was asked for: metrics/validity.ts) and every SLO held. The figures kept per point are the ones
// a frontier table shows; the run folder holds the rest.
import type { RunResult } from "../run/run.js";
import type { ProbeResult } from "./capacity.js";
import type { LoadAxis } from "./load.js";

export interface PointFigures {
  runDir: string;
  requests: number;
  failed: number;
  /** Successful requests per second of wall time. */
  requestsPerSec: number;
  outputTokensPerSec: number;
  /** Share of successful requests that met every per-request SLO limit (null without latency SLOs). */
  goodputShare: number | null;
  ttfcP50: number | null;
  ttfcP95: number | null;
  tbcP95: number | null;
  tpotP50: number | null;
  e2eP95: number | null;
  /** The server's prefix-cache hit rate over the run, else the requests' reported one. */
  cacheHitRate: number | null;
  /**
   * The load the run really offered, in the axis's unit: the mean sessions in flight over the
   * steady part (concurrency), or the rate of the arrival schedule the seed drew (rate axes: a
   * few dozen Poisson gaps can average 35% off their rate). Null when the run did not measure it.
   */
  offered: number | null;
  /** Each SLO objective: its name, the measured value, the limit and whether it held. */
  slo: { name: string; measured: number | null; limit: number; pass: boolean }[];
}

export function figuresOf(result: RunResult, axis?: Pick<LoadAxis, "fromSessionRate">): PointFigures {
  const s = result.summary;
  const load = result.validity.client?.load?.load;
  const offered =
    load?.mode === "concurrency" ? load.achieved : load?.mode === "rate" && load.plannedPerSec !== null ? (axis?.fromSessionRate ?? ((r: number) => r))(load.plannedPerSec) : null;
  const p = (metric: string, key: "p50" | "p95") => s.latency[metric]?.[key] ?? null;
  return {
    runDir: result.dir,
    requests: s.counts.requests,
    failed: s.counts.failed,
    requestsPerSec: s.throughput.requestsPerSec,
    outputTokensPerSec: s.throughput.outputTokensPerSec,
    goodputShare: s.goodput?.share ?? null,
    ttfcP50: p("ttfc", "p50"),
    ttfcP95: p("ttfc", "p95"),
    tbcP95: p("tbc", "p95"),
    tpotP50: p("tpot", "p50"),
    e2eP95: p("e2e", "p95"),
    cacheHitRate: s.prefix.server?.rate ?? s.prefix.requestHitRate ?? null,
    offered,
    slo: result.verdicts.map((v) => ({ name: v.name, measured: v.measured, limit: v.limit, pass: v.pass })),
  };
}

/** A run as a search point: the validity problems first (a run that cannot be judged), then each failed SLO. */
export function judgePoint(result: RunResult, axis?: Pick<LoadAxis, "fromSessionRate">): ProbeResult<PointFigures> {
  const failed = result.verdicts.filter((v) => !v.pass);
  const reasons = [...result.validity.problems.map((p) => `not valid: ${p}`), ...failed.map((v) => v.message)];
  const healthy = result.validity.valid && failed.length === 0;
  return { healthy, reasons: healthy ? [] : reasons, ...(failed[0] ? { binding: failed[0].name } : {}), detail: figuresOf(result, axis) };
}
