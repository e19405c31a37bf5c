// The shards of one run (`agentload run --shard i/N`) as one run (`agentload merge`). The shards
// ran at the same time, against one time zero (`--start-at`), so unlike merge.ts's repeats (one
// after another, wall times added) the merged run lasts as long as its longest shard, and its
// requests overlap across shards.
//
// Everything a record holds is summarized again from the union of the shards' records with the
// run's own aggregator, as one process would have (histograms, counts, tokens, goodput, decode
// overlap across shards, dispatch lateness): no percentile is averaged. What records do not hold
// comes from the shards' summaries: the client's checks (each shard's CPU and achieved load,
// judged on that shard), and the server's counters (the widest window over the shards' scrapes:
// the counters only grow, so the smallest value before and the largest after bracket every
// shard's requests when all shards ran against one server).
import type { RequestRecord, RunMetadata } from "../records/types.js";
import { requestEndAt } from "../records/request-end.js";
import { summarizeRecords } from "./aggregator.js";
import type { MetricCatalogue } from "./catalogue.js";
import { cpuProblem, loadCheck, loadProblem, type ClientChecks } from "./client-checks.js";
import type { PrometheusScrape } from "./prometheus.js";
import { evaluateSlos, type Objective, type SloVerdict } from "./slo.js";
import type { RunSummary } from "./summary.js";
import { runValidity, type RunValidity } from "./validity.js";

/** A shard's run folder as read from disk (the CLI reads it; nothing here touches files). */
export interface ShardFolder {
  dir: string;
  /** run.json, or null when the folder has none. */
  metadata: RunMetadata | null;
  /** summary.json as written by run (name, interrupted, summary, validity), or null when the shard did not finish. */
  summary: { interrupted?: boolean; summary?: RunSummary; validity?: { problems?: string[]; client?: ClientChecks } } | null;
  records: RequestRecord[];
  serverBefore?: PrometheusScrape;
  serverAfter?: PrometheusScrape;
}

export interface ShardSet {
  /** Shard count N. */
  count: number;
  /** The folders in shard order (index 0 first); missing shards are absent. */
  shards: ShardFolder[];
  /** Indices of 0..N-1 no folder was given for. */
  missing: number[];
  /** The start time every shard waited for (ISO), when they had one. */
  startAt?: string;
  /** Whether every shard's run.json names the same server URL (its counters then cover all shards' requests). */
  oneServer: boolean;
  /** Said, not fatal (no shared start time, several servers). */
  warnings: string[];
}

/** The folders are not the shards of one run: each problem names the folder, the file and the field. */
export class ShardSetError extends Error {
  readonly code = "AGENTLOAD_SHARDS_MISMATCH";
  constructor(readonly problems: string[]) {
    super(`not the shards of one run:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ShardSetError";
  }
}

const name = (s: { index: number; count: number }) => `${s.index}/${s.count}`;

/**
 * Checks that the folders are distinct shards of one workload (run.json: the same shard count,
 * workload fingerprint (the resolved spec's hash, seed included, and session count) and start
 * time) and says which of 0..N-1 are missing. Throws ShardSetError listing every problem.
 */
export function checkShardSet(folders: readonly ShardFolder[]): ShardSet {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (folders.length === 0) throw new ShardSetError(["no run folder given"]);
  const shards = folders.flatMap((f) => {
    if (!f.metadata) {
      problems.push(`${f.dir}/run.json: not found; a shard's run folder holds run.json naming its shard (agentload run --shard i/N)`);
      return [];
    }
    if (!f.metadata.shard) {
      problems.push(`${f.dir}/run.json: no shard: this run was not started with --shard i/N`);
      return [];
    }
    const { index, count } = f.metadata.shard as { index?: unknown; count?: unknown };
    if (!Number.isInteger(count) || !Number.isInteger(index) || (count as number) < 1 || (index as number) < 0 || (index as number) >= (count as number)) {
      problems.push(`${f.dir}/run.json: shard: expected { index, count } with whole numbers 0 <= index < count, got ${JSON.stringify(f.metadata.shard)}`);
      return [];
    }
    return [{ folder: f, metadata: f.metadata, shard: f.metadata.shard }];
  });
  const [first] = shards;
  if (!first) throw new ShardSetError(problems);
  const expected = (what: string, value: unknown, want: unknown) => `${what} is ${JSON.stringify(value)}, expected ${JSON.stringify(want)} as in ${first.folder.dir}/run.json`;
  const byIndex = new Map<number, ShardFolder>();
  for (const s of shards) {
    const where = `${s.folder.dir}/run.json`;
    if (s.shard.count !== first.shard.count) problems.push(`${where}: ${expected("shard.count", s.shard.count, first.shard.count)}`);
    const fp = s.metadata.workload.fingerprint;
    const firstFp = first.metadata.workload.fingerprint;
    if (!fp || !firstFp) {
      if (s === first || fp) problems.push(`${!fp ? where : `${first.folder.dir}/run.json`}: no workload.fingerprint: cannot tell which workload it ran`);
    } else {
      if (fp.spec !== firstFp.spec) problems.push(`${where}: ${expected("workload.fingerprint.spec", fp.spec, firstFp.spec)}: another workload (its spec or seed differ)`);
      if (fp.sessions !== firstFp.sessions) problems.push(`${where}: ${expected("workload.fingerprint.sessions", fp.sessions, firstFp.sessions)}: another session count`);
    }
    if (s.metadata.workload.name !== first.metadata.workload.name) problems.push(`${where}: ${expected("workload.name", s.metadata.workload.name, first.metadata.workload.name)}`);
    if (s.shard.startAt !== first.shard.startAt) problems.push(`${where}: ${expected("shard.startAt", s.shard.startAt ?? null, first.shard.startAt ?? null)}: the shards did not share one start time`);
    const twin = byIndex.get(s.shard.index);
    if (twin) problems.push(`shard ${name(s.shard)} given twice: ${twin.dir} and ${s.folder.dir}`);
    else byIndex.set(s.shard.index, s.folder);
  }
  if (problems.length > 0) throw new ShardSetError(problems);
  const count = first.shard.count;
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (first.shard.startAt === undefined && count > 1) {
    warnings.push("the shards were started without --start-at: each shard's records count from its own clock's start, laid here on one time zero as if they had started together");
  }
  const servers = new Set(shards.map((s) => s.metadata.server.url));
  if (servers.size > 1) warnings.push(`the shards ran against ${servers.size} servers (${[...servers].join(", ")}): the server's counters are left out of the merged run`);
  return {
    count,
    shards: [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, f]) => f),
    missing,
    ...(first.shard.startAt !== undefined ? { startAt: first.shard.startAt } : {}),
    oneServer: servers.size === 1,
    warnings,
  };
}

/** A run judged: its summary, SLO verdicts and validity over its records (a run folder's, cli/run-folder.ts, has the same). */
export interface MergedShards {
  summary: RunSummary;
  verdicts: SloVerdict[];
  passed: boolean;
  /** A shard was interrupted or did not finish (no summary.json). */
  interrupted: boolean;
  validity: RunValidity;
  /** The union of the shards' records, in the order they ended. */
  records: RequestRecord[];
}

/** Per key: the smallest (`pick` Math.min) or largest value over the scrapes; undefined unless every shard has one. */
function widest(scrapes: (PrometheusScrape | undefined)[], pick: (a: number, b: number) => number): PrometheusScrape | undefined {
  if (scrapes.length === 0 || scrapes.some((s) => s === undefined)) return undefined;
  const out: PrometheusScrape = new Map(scrapes[0]);
  for (const s of scrapes.slice(1)) for (const [k, v] of s!) out.set(k, out.has(k) ? pick(out.get(k)!, v) : v);
  return out;
}

/**
 * One run of a checked shard set: its records summarized together, judged by `objectives`,
 * valid only when every shard is there, finished and valid, and the merged run is valid.
 */
export function mergeShards(set: ShardSet, options: { objectives: readonly Objective[]; catalogue?: MetricCatalogue }): MergedShards {
  const records = set.shards.flatMap((s) => s.records).sort((a, b) => requestEndAt(a) - requestEndAt(b));
  const wallMs = Math.max(0, ...set.shards.map((s) => s.summary?.summary?.wallMs ?? spanOf(s.records)));
  const { oneServer } = set;
  const serverBefore = oneServer ? widest(set.shards.map((s) => s.serverBefore), Math.min) : undefined;
  const serverAfter = oneServer ? widest(set.shards.map((s) => s.serverAfter), Math.max) : undefined;
  const summary = summarizeRecords(records, {
    wallMs,
    slo: options.objectives,
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
    ...(serverBefore ? { serverBefore } : {}),
    ...(serverAfter ? { serverAfter } : {}),
  });
  const verdicts = evaluateSlos(options.objectives, summary, options.catalogue);
  const unfinished = set.shards.filter((s) => s.summary === null);
  const interrupted = unfinished.length > 0 || set.shards.some((s) => s.summary?.interrupted === true) || set.missing.length > 0;
  const base = runValidity(summary, { slo: options.objectives });
  const problems = [...base.problems];
  if (set.missing.length > 0) {
    problems.push(`shard${set.missing.length === 1 ? "" : "s"} ${set.missing.map((i) => `${i}/${set.count}`).join(", ")} missing: the merged run holds ${set.shards.length} of ${set.count} shares of the workload`);
  }
  set.shards.forEach((s) => {
    const shard = s.metadata!.shard!;
    const label = `shard ${name(shard)} (${s.dir})`;
    if (s.summary === null) {
      problems.push(`${label}: no summary.json: the shard did not finish (its ${s.records.length} records are merged)`);
      return;
    }
    if (s.summary.interrupted) problems.push(`${label}: interrupted before its share of the workload ended`);
    // The client's own checks were judged on the shard that measured them; the records' lag is judged again on the merged run.
    const client = s.summary.validity?.client;
    const cpu = client?.cpu ? cpuProblem(client.cpu) : null;
    const load = client?.load ? loadProblem(loadCheck(client.load.load)) : null;
    for (const p of [cpu, load]) if (p) problems.push(`${label}: ${p}`);
  });
  const validity: RunValidity = { ...base, valid: problems.length === 0, problems, warnings: [...set.warnings, ...base.warnings] };
  return { summary, verdicts, passed: verdicts.every((v) => v.pass), interrupted, validity, records };
}

/** The measured span of records (a shard that crashed before its summary.json). */
function spanOf(records: readonly RequestRecord[]): number {
  let end = 0;
  for (const r of records) if (!r.warmup) end = Math.max(end, requestEndAt(r));
  return end;
}
