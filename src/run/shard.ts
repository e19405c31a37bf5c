// One share of a workload (`agentload run --shard i/N`): shard i owns the sessions whose index is
// i modulo N, and, in `concurrent` traffic, the lanes whose number is i modulo N.
//
// Round robin rather than contiguous blocks: sessions are released in index order, so with
// blocks the last shard would own the sessions a `--duration` or an interrupt never reaches, a
// rate schedule's last stretch would all land on one machine, and the warm-up sessions (the first
// W) on shard 0 alone; dealt round robin, every shard runs its share of each part of the schedule.
// Session i depends only on the seed and i (workload/generate.ts), so a shard builds its own
// sessions without the others'.
//
// Traffic: `rate` keeps the seed's one arrival schedule and each shard releases the arrivals of
// its own sessions (arrival k is session k's); `timed` (trace replay) releases each owned session
// at its recorded arrival counted from the trace's first; `concurrent` C lanes: lane k (joining at
// k/C of the ramp-up) runs on shard k mod N, so shard i runs floor(C/N) lanes plus one when
// i < C mod N, and the lanes' join times over all shards are the unsharded run's.
import type { ArrivalProcess } from "../workload/arrivals.js";

export interface Shard {
  /** 0-based, < count. */
  index: number;
  count: number;
}

/** The most shards a run is split into: beyond this a shard of any workload agentload runs holds a handful of sessions. */
export const MAX_SHARDS = 10_000;

/** "i/N" (0 <= i < N) as a Shard; the error says what was expected. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`--shard expects i/N (shard i of N, counting from 0, e.g. 0/4), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`--shard expects N >= 1 shards, got '${text}'`);
  if (count > MAX_SHARDS) throw new Error(`--shard expects at most ${MAX_SHARDS} shards, got '${text}'`);
  if (index >= count) throw new Error(`--shard expects an index from 0 to ${count - 1} for ${count} shards, got '${text}'`);
  return { index, count };
}

export const shardName = (s: Shard): string => `${s.index}/${s.count}`;

/** Whether session `i` (0-based, of the whole workload) belongs to the shard. */
export function ownsSession(shard: Shard, i: number): boolean {
  return i % shard.count === shard.index;
}

/** How many of the workload's first `total` sessions the shard owns. */
export function shardSessionCount(shard: Shard, total: number): number {
  return total > shard.index ? Math.ceil((total - shard.index) / shard.count) : 0;
}

/** The workload's index of the shard's k-th session (0-based). */
export function sessionIndexOf(shard: Shard | undefined, k: number): number {
  return shard ? shard.index + k * shard.count : k;
}

/**
 * The lane numbers (of 0..concurrency-1) the shard runs (all without a shard), the first `most`
 * of them: lanes past the sessions a process releases would never run one (concurrency 10^9 on
 * two sessions allocated a billion lanes and ran out of memory).
 */
export function shardLanes(shard: Shard | undefined, concurrency: number, most = Infinity): number[] {
  const lanes: number[] = [];
  for (let k = shard?.index ?? 0; k < concurrency && lanes.length < most; k += shard?.count ?? 1) lanes.push(k);
  return lanes;
}

/**
 * The shard's arrivals out of the workload's one arrival process: the gap before its first
 * session (the first `index` gaps) and then, per session, the sum of the next `count` gaps.
 * Every gap is drawn in order, so the times are the unsharded schedule's, whichever shard asks.
 */
export function shardArrivals(shard: Shard, arrivals: ArrivalProcess): { firstGapMs: number; arrivals: ArrivalProcess } {
  const sum = (n: number) => {
    let total = 0;
    for (let k = 0; k < n; k++) total += arrivals.nextGapMs();
    return total;
  };
  const firstGapMs = sum(shard.index);
  return {
    firstGapMs,
    arrivals: { nextGapMs: () => sum(shard.count), meanGapMs: () => arrivals.meanGapMs() * shard.count },
  };
}

/**
 * What keeps a shard from running its share, or null: a shard that owns no session would measure
 * nothing, a concurrent shard with no lane would never release its sessions.
 */
export function shardProblem(shard: Shard, o: { sessions: number; concurrency?: number }): string | null {
  const name = shardName(shard);
  // Every shard refuses, not only an idle one: the shards of one run are started with the same flags.
  const idle = (from: number) => (from === shard.count - 1 ? `shard ${from}` : `shards ${from} to ${shard.count - 1}`);
  if (o.sessions < shard.count) {
    return `--shard ${name}: the workload has ${o.sessions} session${o.sessions === 1 ? "" : "s"}, fewer than ${shard.count} shards (session i belongs to shard i mod ${shard.count}), so ${idle(o.sessions)} would own none; use at most ${o.sessions} shards`;
  }
  if (o.concurrency !== undefined && o.concurrency < shard.count) {
    return `--shard ${name}: concurrency ${o.concurrency} is fewer lanes than ${shard.count} shards (lane k runs on shard k mod ${shard.count}), so ${idle(o.concurrency)} would run none; use at most ${o.concurrency} shards or raise --concurrency`;
  }
  return null;
}
