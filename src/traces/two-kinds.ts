// Whether sizes are two kinds of turns rather than one: a two-component normal mixture on log
// sizes against one normal, by BIC. The branching OpenClaw trace's subagent turns are tool results
// of tens of tokens and file reads of thousands (BIC 23 in favour of two; its main agent's, 98);
// a generated workload of one lognormal with a lognormal factor per chain scores -8 to -25 (one
// kind). Fit tells large turns apart (freshInputLarge) only where there are two kinds: on one
// lognormal, splitting off its top 10% took the chains' spread from 1.0 to 0.71 and the refitted
// workload's prompts 1.2-1.3x from p10 to p50.

import { sortNumbers } from "../stats/sort.js";

/** At most this many values (evenly spaced quantiles) go into the mixture: EM is O(n) per step. */
const MAX_POINTS = 2000;
const ITERATIONS = 200;
/** BIC difference counted as strong evidence (Kass and Raftery: above 10, very strong). */
export const TWO_KINDS_BIC = 10;

/** BIC of one normal less BIC of a two-component mixture, on the logs of the positive values. */
export function twoKindsEvidence(values: ArrayLike<number>): number {
  // Sorted before the logs are taken (the log keeps the order): token counts sort by counting.
  let positive = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > 0) positive++;
  const logs = new Float64Array(positive);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i]! > 0) logs[k++] = values[i]!;
  sortNumbers(logs);
  for (let i = 0; i < logs.length; i++) logs[i] = Math.log(logs[i]!);
  const n = logs.length;
  if (n < 10) return -Infinity;
  const x = n <= MAX_POINTS ? logs : Float64Array.from({ length: MAX_POINTS }, (_, i) => logs[Math.floor(((i + 0.5) * n) / MAX_POINTS)]!);
  const m = x.length;
  if (x[0] === x[m - 1]) return -Infinity;
  const mean = x.reduce((s, v) => s + v, 0) / m;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / m;
  if (!(variance > 0)) return -Infinity;
  const one = -0.5 * m * (Math.log(2 * Math.PI * variance) + 1);
  // Started from the lower and upper quartiles' neighbourhoods, each with half the variance.
  let w = 0.5;
  let m1 = x[Math.floor(m * 0.25)]!;
  let m2 = x[Math.floor(m * 0.85)]!;
  let v1 = variance / 2;
  let v2 = variance / 2;
  const floor = variance * 1e-4;
  const r = new Float64Array(m);
  let two = -Infinity;
  for (let it = 0; it < ITERATIONS; it++) {
    let ll = 0;
    for (let i = 0; i < m; i++) {
      const a = ((1 - w) * Math.exp(-((x[i]! - m1) ** 2) / (2 * v1))) / Math.sqrt(2 * Math.PI * v1);
      const b = (w * Math.exp(-((x[i]! - m2) ** 2) / (2 * v2))) / Math.sqrt(2 * Math.PI * v2);
      const total = a + b;
      ll += Math.log(total > 0 ? total : Number.MIN_VALUE);
      r[i] = total > 0 ? b / total : x[i]! > (m1 + m2) / 2 ? 1 : 0;
    }
    if (Math.abs(ll - two) < 1e-9 * Math.abs(ll)) {
      two = ll;
      break;
    }
    two = ll;
    let sw = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < m; i++) {
      sw += r[i]!;
      s2 += r[i]! * x[i]!;
      s1 += (1 - r[i]!) * x[i]!;
    }
    if (sw <= 0 || sw >= m) break;
    w = sw / m;
    m2 = s2 / sw;
    m1 = s1 / (m - sw);
    let q1 = 0;
    let q2 = 0;
    for (let i = 0; i < m; i++) {
      q2 += r[i]! * (x[i]! - m2) ** 2;
      q1 += (1 - r[i]!) * (x[i]! - m1) ** 2;
    }
    v2 = Math.max(floor, q2 / sw);
    v1 = Math.max(floor, q1 / (m - sw));
  }
  // Parameters: 2 for one normal, 5 for the mixture.
  return -2 * one + 2 * Math.log(m) - (-2 * two + 5 * Math.log(m));
}
