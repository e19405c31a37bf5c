// A finished run's prefix cache against the ideal one: its records (dispatch order, expected token
// counts, the server's cached tokens) and its session graphs go through metrics/ideal-cache.ts, and
// per request the tokens the ideal (infinite) cache had but the server did not report cached are
// put down to that request's reason (scaffold, spawn, compaction, ttl, fork, history).
//
// Which requests: every record that reached the server (it ended well or got a first token) fills
// the simulated cache in dispatch order, warm-up ones too; the totals count the measured successful
// ones (the aggregator's tokens.expectedPrompt), and achieved / ideal those of them that report
// cached tokens. Per such request, ideal = the infinite cache's hit tokens, cached = the server's;
// ideal > cached adds the difference to missed[reason], cached > ideal to beyondIdeal (template
// tokens that open every new message, or a first word two texts share by chance: the ideal counts
// a prompt's own message as new from its first token). So, exactly:
//   idealTokens - cachedTokens = Σ missed - beyondIdeal.
import { requestEndAt } from "../records/request-end.js";
import type { RequestRecord } from "../records/types.js";
import { promptSegments, type PromptCounts } from "../workload/prompt-segments.js";
import { nodeScaffold, scaffoldSize, type ScaffoldLookup } from "../workload/tokens.js";
import type { SessionGraph } from "../workload/types.js";
import { cacheTotals, MISS_REASONS, noMisses, simulatePrefixCache, type CacheRequest, type CacheTotals, type MissReason } from "./ideal-cache.js";

/**
 * 5 minutes: the lifetime hosted prompt caches give an idle prefix (Anthropic's default cache
 * TTL; OpenAI keeps cached prefixes 5 to 10 minutes of inactivity). Self-hosted engines evict by
 * LRU, not by time, so the TTL only names the waits a hosted cache would not survive.
 */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
/** vLLM's default KV block size in tokens. */
export const DEFAULT_CACHE_BLOCK_TOKENS = 16;

export interface IdealCacheOptions {
  /** Default DEFAULT_CACHE_TTL_MS. */
  ttlMs?: number;
  /** Simulate an LRU cache of this many blocks too. */
  lruBlocks?: number;
  /** Tokens per block of the LRU cache (default DEFAULT_CACHE_BLOCK_TOKENS). */
  blockTokens?: number;
}

/** The server's cached tokens against the infinite cache's hits, request by request. */
export interface AchievedCache {
  /** Measured successful requests that report cached tokens. */
  requests: number;
  /** The infinite cache's hit tokens over those requests. */
  idealTokens: number;
  /** The server's reported cached tokens over those requests. */
  cachedTokens: number;
  /** cachedTokens / idealTokens (null when the ideal is 0). */
  ratio: number | null;
  /** Σ over requests of max(0, ideal - cached), by the request's reason. */
  missed: Record<MissReason, number>;
  /** Σ over requests of max(0, cached - ideal). */
  beyondIdeal: number;
}

export interface IdealCacheSummary {
  ttlMs: number;
  /** A prefix cache that never evicts (per token): the workload's intended reuse. */
  infinite: CacheTotals;
  lru: (CacheTotals & { blocks: number; blockTokens: number }) | null;
  /** Null when no measured request reported cached tokens. */
  achieved: AchievedCache | null;
}

/**
 * The ideal cache of a run. `sessions`: the run's session graphs by id (records of sessions not
 * there are left out; each is asked for once, so it may build them on demand); `scaffolds`: for records without scaffoldTokens (runs before it was recorded).
 */
export function idealCacheOfRun(
  records: readonly RequestRecord[],
  sessions: Pick<ReadonlyMap<string, SessionGraph>, "has" | "get">,
  scaffolds: ScaffoldLookup,
  options: IdealCacheOptions = {},
): IdealCacheSummary {
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
  const sent = records.filter((r) => !r.error || r.firstTokenAt !== undefined);
  const bySession = new Map<string, RequestRecord[]>();
  for (const r of sent) {
    if (!sessions.has(r.sessionId)) continue;
    let list = bySession.get(r.sessionId);
    if (!list) bySession.set(r.sessionId, (list = []));
    list.push(r);
  }
  const requests: CacheRequest[] = [];
  const kept: RequestRecord[] = [];
  for (const [sessionId, list] of bySession) {
    const graph = sessions.get(sessionId)!;
    const byNode = new Map(graph.nodes.map((n) => [n.id, n]));
    const counts = new Map<string, PromptCounts>();
    for (const r of list) {
      const node = byNode.get(r.nodeId);
      if (!node) continue;
      const scaffoldTokens = r.scaffoldTokens ?? (node.historyParent === null ? scaffoldSize(nodeScaffold(graph, node, scaffolds)) : 0);
      counts.set(r.nodeId, { promptTokens: r.expectedPromptTokens, sharedPrefixTokens: r.sharedPrefixTokens, scaffoldTokens });
    }
    const prompts = promptSegments(graph, counts);
    for (const r of list) {
      const prompt = prompts.get(r.nodeId);
      if (!prompt) continue;
      requests.push({
        sessionId,
        prompt,
        dispatchAt: r.dispatchedAt,
        prefilledAt: r.firstTokenAt ?? requestEndAt(r),
        endAt: requestEndAt(r),
        waitMs: r.dispatchedAt - r.readyAt,
        measured: !r.warmup && !r.error,
        replied: !r.error,
      });
      kept.push(r);
    }
  }
  const lruOptions = options.lruBlocks !== undefined ? { blocks: options.lruBlocks, blockTokens: options.blockTokens ?? DEFAULT_CACHE_BLOCK_TOKENS } : undefined;
  const result = simulatePrefixCache(requests, { ttlMs, ...(lruOptions ? { lru: lruOptions } : {}) });

  const achieved: AchievedCache = { requests: 0, idealTokens: 0, cachedTokens: 0, ratio: null, missed: noMisses(), beyondIdeal: 0 };
  kept.forEach((r, i) => {
    if (!requests[i]!.measured || r.cachedTokens === undefined) return;
    const o = result.infinite[i]!;
    achieved.requests++;
    achieved.idealTokens += o.hitTokens;
    achieved.cachedTokens += r.cachedTokens;
    const gap = o.hitTokens - r.cachedTokens;
    if (gap > 0) achieved.missed[o.reason] += gap;
    else achieved.beyondIdeal -= gap;
  });
  achieved.ratio = achieved.idealTokens > 0 ? achieved.cachedTokens / achieved.idealTokens : null;
  return {
    ttlMs,
    infinite: cacheTotals(requests, result.infinite),
    lru: result.lru && lruOptions ? { ...cacheTotals(requests, result.lru), ...lruOptions } : null,
    achieved: achieved.requests > 0 ? achieved : null,
  };
}

/** Tokens by reason, largest first, zeros left out. */
export function missesByReason(missed: Record<MissReason, number>): [MissReason, number][] {
  return MISS_REASONS.map((r) => [r, missed[r]] as [MissReason, number]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * Several runs' ideal caches as one (the runs of a repeated workload): token sums added, rates
 * made again from them. Undefined unless every run has one, with the same TTL and LRU cache.
 */
export function mergeIdealCaches(list: readonly (IdealCacheSummary | undefined)[]): IdealCacheSummary | undefined {
  const first = list[0];
  if (!first || list.some((x) => !x || x.ttlMs !== first.ttlMs || x.lru?.blocks !== first.lru?.blocks || x.lru?.blockTokens !== first.lru?.blockTokens)) return undefined;
  const all = list as readonly IdealCacheSummary[];
  const totals = (pick: (x: IdealCacheSummary) => CacheTotals): CacheTotals => {
    const t: CacheTotals = { requests: 0, promptTokens: 0, hitTokens: 0, hitRate: null, missed: noMisses(), fresh: 0 };
    for (const x of all.map(pick)) {
      t.requests += x.requests;
      t.promptTokens += x.promptTokens;
      t.hitTokens += x.hitTokens;
      t.fresh += x.fresh;
      for (const r of MISS_REASONS) t.missed[r] += x.missed[r] ?? 0;
    }
    t.hitRate = t.promptTokens > 0 ? t.hitTokens / t.promptTokens : null;
    return t;
  };
  const achievedList = all.map((x) => x.achieved).filter((a): a is AchievedCache => a !== null);
  let achieved: AchievedCache | null = null;
  if (achievedList.length > 0) {
    achieved = { requests: 0, idealTokens: 0, cachedTokens: 0, ratio: null, missed: noMisses(), beyondIdeal: 0 };
    for (const a of achievedList) {
      achieved.requests += a.requests;
      achieved.idealTokens += a.idealTokens;
      achieved.cachedTokens += a.cachedTokens;
      achieved.beyondIdeal += a.beyondIdeal;
      for (const r of MISS_REASONS) achieved.missed[r] += a.missed[r] ?? 0;
    }
    achieved.ratio = achieved.idealTokens > 0 ? achieved.cachedTokens / achieved.idealTokens : null;
  }
  return {
    ttlMs: first.ttlMs,
    infinite: totals((x) => x.infinite),
    lru: first.lru ? { ...totals((x) => x.lru!), blocks: first.lru.blocks, blockTokens: first.lru.blockTokens } : null,
    achieved,
  };
}
