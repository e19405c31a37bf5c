// `agentload merge <shard run folders>`: the shards of one run (`run --shard i/N`) as one run
// folder: records.jsonl (every shard's records), summary.json and SLO verdicts judged on the
// merged records (metrics/merge-shards.ts), report.html, run.json naming the shards. The folders
// must be distinct shards of one workload, every shard of 0..N-1 present (--partial merges what
// is there, and the merged run is then not valid).
import { join } from "node:path";
import { idealCacheOfRun, type IdealCacheOptions, type IdealCacheSummary } from "../metrics/cache-attribution.js";
import { checkShardSet, mergeShards, ShardSetError, type ShardFolder, type ShardSet } from "../metrics/merge-shards.js";
import { resolveSlo, type Objective } from "../metrics/slo.js";
import { readRunFolder } from "../records/read.js";
import { FolderWriteError, RunFolder } from "../records/run-folder.js";
import type { RequestRecord, RunMetadata } from "../records/types.js";
import { htmlReporter } from "../report/html-report.js";
import { summaryDocument } from "../report/summary-json.js";
import { renderSummary } from "../report/summary-table.js";
import { generateSessionAt, scaffoldsOf } from "../workload/generate.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import type { SessionGraph } from "../workload/types.js";
import { CliError, parseFlags, type Command } from "./args.js";
import { EXIT } from "./run.js";
import { scrape } from "./run-folder.js";

const HELP = `usage: agentload merge <shard run folder>... [options]
Merges the run folders of one run's shards (agentload run --shard i/N, one folder per shard) into one
run folder: records.jsonl with every shard's requests, summary.json (histograms, counts and tokens
summarized again from the records, never averaged percentiles), SLO verdicts judged on the merged
requests, report.html, and run.json naming the shard folders. The folders must hold run.json of
the same workload (spec, seed and session count), the same shard count and start time, and each
shard index 0..N-1 once.
options:
  --out DIR      parent folder of the merged run folder (default ./runs)
  --partial      merge the shards given even when some are missing (the merged run is not valid: exit 4)
exit codes (as agentload run's): 0 every SLO passed (or none); 1 an SLO failed; 2 usage error, a folder
  that cannot be read, or folders that are not the shards of one run (a mismatch, a shard given twice,
  shards missing without --partial); 4 the merged run is not valid (a shard missing, interrupted or
  unfinished, a shard's client saturated or short of its load, no request succeeded, too many failed);
  5 the merged run folder could not be written`;

function readShard(dir: string, onNote: (line: string) => void): ShardFolder & { resolvedSpec: unknown } {
  let folder: ReturnType<typeof readRunFolder>;
  try {
    folder = readRunFolder(dir, { onNote });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const before = scrape(dir, "server-metrics-before.txt");
  const after = scrape(dir, "server-metrics-after.txt");
  return {
    dir,
    metadata: folder.metadata,
    summary: folder.summary as ShardFolder["summary"],
    records: folder.records,
    resolvedSpec: folder.resolvedSpec,
    ...(before ? { serverBefore: before } : {}),
    ...(after ? { serverAfter: after } : {}),
  };
}

/**
 * The merged run's ideal prefix cache, worked out again over all shards' requests (scaffolds and
 * blocks shared across shards count once, as in one process): a spec's session i is rebuilt from
 * the spec and i. A trace replay's sessions are not in its folder: left out, with a note.
 */
function idealCache(spec: unknown, shards: readonly ShardFolder[], records: readonly RequestRecord[]): IdealCacheSummary | string {
  const ideal = shards.map((s) => s.summary?.summary?.prefix?.ideal);
  const first = ideal[0];
  if (!first) return "the shards' runs have no ideal prefix cache";
  const s = spec as Partial<ResolvedWorkloadSpec> | null;
  if (!s || !Array.isArray(s.agents)) return "a trace replay's sessions are not in its run folder";
  const workload = s as ResolvedWorkloadSpec;
  const sessions = new Map<string, SessionGraph>();
  for (const r of records) {
    if (sessions.has(r.sessionId)) continue;
    const i = Number(r.sessionId);
    if (!Number.isInteger(i) || i < 0) return `session id '${r.sessionId}' is not a spec's session index`;
    sessions.set(r.sessionId, generateSessionAt(workload, i));
  }
  const options: IdealCacheOptions = { ttlMs: first.ttlMs, ...(first.lru ? { lruBlocks: first.lru.blocks, blockTokens: first.lru.blockTokens } : {}) };
  return idealCacheOfRun(records, sessions, scaffoldsOf(workload), options);
}

export const mergeCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, { out: { type: "string" }, partial: { type: "boolean" } });
  if (positionals.length === 0) throw new CliError("merge expects the run folders of a run's shards, got none");
  const note = (line: string) => console.error(`agentload: ${line}`);
  const folders = positionals.map((dir) => readShard(dir, note));
  let set: ShardSet;
  try {
    set = checkShardSet(folders);
  } catch (err) {
    if (err instanceof ShardSetError) throw new CliError(err.message);
    throw err;
  }
  if (set.missing.length > 0 && !values.partial) {
    const missing = set.missing.map((i) => `${i}/${set.count}`).join(", ");
    const given = set.shards.map((s) => `${s.metadata!.shard!.index}/${set.count}`).join(", ");
    throw new CliError(`shard${set.missing.length === 1 ? "" : "s"} ${missing} missing (given: ${given}); give every shard's run folder, or --partial to merge these (the merged run is then not valid, exit 4)`);
  }
  for (const w of set.warnings) note(w);
  const firstShard = folders.find((f) => f.dir === set.shards[0]!.dir)!;
  const spec = firstShard.resolvedSpec as { name?: string; slo?: unknown } | null;
  let objectives: Objective[];
  try {
    objectives = resolveSlo(spec?.slo ?? {}, undefined, `${join(firstShard.dir, "spec.resolved.json")}: slo`);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const merged = mergeShards(set, { objectives });
  try {
    const ideal = idealCache(firstShard.resolvedSpec, set.shards, merged.records);
    if (typeof ideal === "string") note(`ideal prefix cache left out of the merged run: ${ideal}`);
    else merged.summary.prefix.ideal = ideal;
  } catch (err) {
    note(`ideal prefix cache not worked out: ${(err as Error).message}`);
  }

  const first = set.shards[0]!.metadata!;
  const name = spec?.name ?? first.workload.name;
  const { shard: _shard, ...rest } = first;
  const metadata: RunMetadata = {
    ...rest,
    // The earliest shard's set-up start: the merged run began then.
    startedAt: set.shards.map((s) => s.metadata!.startedAt).sort()[0]!,
    mergedFrom: set.shards.map((s) => s.dir),
  };
  const run = { name, summary: merged.summary, verdicts: merged.verdicts, passed: merged.passed, interrupted: merged.interrupted, validity: merged.validity, metadata };
  let folder: RunFolder;
  try {
    folder = RunFolder.create(values.out ?? "runs", `${name}-merged`);
    folder.writeJson("spec.resolved.json", firstShard.resolvedSpec ?? {});
    folder.writeJson("run.json", metadata);
    folder.writeText("records.jsonl", merged.records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    folder.writeJson("summary.json", summaryDocument({ ...run, dir: folder.dir }));
  } catch (err) {
    if (!(err instanceof FolderWriteError)) throw err;
    console.error(`agentload: ${err.message}`);
    console.error(renderSummary(merged.summary, merged.verdicts, { color: false, validity: merged.validity }));
    return EXIT.recordsLost;
  }
  try {
    folder.writeText("report.html", await htmlReporter.render({ ...run, dir: folder.dir, records: merged.records }));
  } catch (err) {
    note(`report.html not written: ${(err as Error).message}`);
  }
  console.log(renderSummary(merged.summary, merged.verdicts, { color: process.stdout.isTTY === true, validity: merged.validity }));
  console.log(`merged ${set.shards.length} of ${set.count} shards into: ${folder.dir}`);
  if (!merged.validity.valid) return EXIT.invalid;
  return merged.passed ? EXIT.passed : EXIT.sloFailed;
};
