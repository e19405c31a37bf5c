// One run of a workload against a server: content set-up (tokenizer, vocabulary, template
// overhead), traffic and dispatch, a record per request appended as it ends, server counters
// before and after, then the summary and SLO verdicts, all kept in the run folder.
import { setMaxListeners } from "node:events";
import { createArrivals } from "../workload/arrivals.js";
import { createContentRenderer, conversationOf, type ChatMessage, type ContentRenderer } from "../workload/content.js";
import { calibrateVocabulary } from "../workload/content-vocabulary.js";
import { createReplyCounter, measureTemplateOverhead } from "../workload/content-overhead.js";
import { generateSessionAt, scaffoldsOf } from "../workload/generate.js";
import { rngFor } from "../workload/random.js";
import type { ResolvedRequestOptionsSpec, ResolvedSloSpec, ResolvedTrafficSpec, ResolvedWorkloadSpec } from "../workload/spec.js";
import { resolveTokenizer } from "../workload/tokenizer.js";
import { inheritedPrompt, NO_OVERHEAD, nodeScaffold, rootPrompt, scaffoldSize, type NodeTokens, type TemplateOverhead } from "../workload/tokens.js";
import type { Scaffold, SessionGraph } from "../workload/types.js";
import { createAggregator } from "../metrics/aggregator.js";
import { evaluateSlos, type SloVerdict } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import { scrapeServerMetrics, type ServerMetricsSnapshot } from "./server-metrics.js";
import { createClient, type Client } from "./client.js";
import { RecordWriter } from "./record-writer.js";
import { RunFolder } from "./run-folder.js";
import { runSession, type NodeStart } from "./session-runner.js";
import { TimerQueue } from "./timer-queue.js";
import { runTraffic, type TrafficPlan } from "./traffic.js";
import type { RequestRecord } from "./types.js";

export interface RunTarget {
  /** OpenAI-compatible base URL including /v1. */
  apiUrl: string;
  model?: string;
  apiKey?: string;
  headers?: Record<string, string>;
}

/**
 * What a run needs from the workload side, whether a spec generates it or a trace replays it:
 * sessions on demand, their scaffolds, how to release them and how to send requests.
 */
export interface RunPlan {
  name: string;
  seed: string;
  request: ResolvedRequestOptionsSpec;
  /** concurrent and rate as in a spec; timed releases each session at its arrivalMs / speed. */
  traffic: ResolvedTrafficSpec | ResolvedTimedTraffic;
  slo?: ResolvedSloSpec;
  scaffolds: Scaffold[];
  /** How many sessions the run releases at most. */
  sessions: number;
  /** Session i (0-based, i < sessions), built when it is released. */
  sessionAt(i: number): SessionGraph;
  /** Written to spec.resolved.json. */
  resolved: unknown;
}

export interface ResolvedTimedTraffic {
  mode: "timed";
  /** Arrivals and waits run this many times faster than recorded. */
  speed: number;
  maxSessions?: number;
  durationSeconds?: number;
  warmupSessions?: number;
  onError: "continue" | "cancel-session";
}

/** The plan of a workload spec: sessions generated lazily from its seed. */
export function planFromSpec(spec: ResolvedWorkloadSpec): RunPlan {
  const plan: RunPlan = {
    name: spec.name,
    seed: spec.seed,
    request: spec.request,
    traffic: spec.traffic,
    scaffolds: scaffoldsOf(spec),
    sessions: Math.min(spec.traffic.maxSessions ?? spec.sessions, spec.sessions),
    sessionAt: (i) => generateSessionAt(spec, i),
    resolved: spec,
  };
  if (spec.slo && Object.keys(spec.slo).length > 0) plan.slo = spec.slo;
  return plan;
}

export interface RunOptions {
  /** A workload spec, or a plan (trace replays build one with planFromTrace). */
  spec?: ResolvedWorkloadSpec;
  plan?: RunPlan;
  target: RunTarget;
  /** Parent folder for the run folder (default ./runs). */
  outDir?: string;
  /** Stop dispatching when aborted (Ctrl-C); in-flight requests get graceMs to finish. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Called after every request with the record, for live progress. */
  onRecord?: (record: RequestRecord, progress: RunProgress) => void;
  /** One-line notes about set-up (tokenizer picked, overhead measured). */
  onNote?: (line: string) => void;
}

export interface RunProgress {
  sessionsStarted: number;
  sessionsDone: number;
  requestsDone: number;
  errors: number;
  elapsedMs: number;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
  verdicts: SloVerdict[];
  passed: boolean;
  /** True when the run was stopped early (signal or duration). */
  interrupted: boolean;
}

interface ContentSetup {
  renderer: ContentRenderer;
  /** An assistant reply's tokens as they stand inside a later prompt. */
  countReply: (reply: string) => Promise<number>;
  overhead: TemplateOverhead;
  notes: string[];
}

async function setUpContent(seed: string, target: RunTarget, scaffolds: Scaffold[], salt: string): Promise<ContentSetup> {
  const { tokenizer, reason } = await resolveTokenizer(target.apiUrl, target.model ? { model: target.model } : {});
  const notes = [`tokenizer: ${reason}`];
  const vocabulary = await calibrateVocabulary(tokenizer);
  let overhead = NO_OVERHEAD;
  if (tokenizer.tokenizeChat) {
    const m = await measureTemplateOverhead(tokenizer, vocabulary);
    overhead = m.overhead;
    notes.push(`chat template overhead: scaffold ${m.overhead.scaffold}, per turn ${m.overhead.fresh} tokens`);
  } else {
    notes.push("chat template overhead: not measurable with this tokenizer; expected prompt tokens count content only");
  }
  const renderer = createContentRenderer({ seed, scaffolds, vocabulary, salt });
  return { renderer, countReply: createReplyCounter(tokenizer), overhead, notes };
}

function trafficPlan(plan: RunPlan): TrafficPlan {
  const t = plan.traffic;
  if (t.mode === "rate") return { mode: "rate", arrivals: createArrivals(t.arrivals, rngFor(plan.seed, "traffic/arrivals")) };
  if (t.mode === "timed") return { mode: "timed", speed: t.speed };
  return { mode: "concurrent", concurrency: t.concurrency, rampUpMs: t.rampUpSeconds * 1000 };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Renders every scaffold and the first session's first prompt once before the clock starts, so
 * the first dispatches are not late for reasons of lazy rendering and cold code (measured: 7 to
 * 10 ms late without it). Rendering is a pure function of the seed: nothing changes.
 */
function warmUp(plan: RunPlan, renderer: ContentRenderer): void {
  for (const s of plan.scaffolds) renderer.scaffoldMessages(s.id);
  if (plan.sessions === 0) return;
  const session = plan.sessionAt(0);
  const first = session.nodes[0];
  if (first && first.historyParent === null) JSON.stringify(renderer.promptFor(session, first, null));
}

export async function runWorkload(opts: RunOptions): Promise<RunResult> {
  const { target } = opts;
  const plan = opts.plan ?? (opts.spec ? planFromSpec(opts.spec) : undefined);
  if (!plan) throw new Error("runWorkload needs a spec or a plan");
  const now = () => performance.now();
  const folder = RunFolder.create(opts.outDir ?? "runs", plan.name);
  folder.writeJson("spec.resolved.json", plan.resolved);
  // Created first: its transport loads while the content is set up, not on the first dispatch.
  const client: Client = createClient({
    baseUrl: target.apiUrl,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.headers ? { headers: target.headers } : {}),
    timeouts: plan.request.timeouts,
  });
  const scaffolds = plan.scaffolds;
  // A per-run salt keeps a server's prefix cache from serving this run's prompts from an
  // earlier run's identical ones, while scaffolds stay shared within the run.
  const content = await setUpContent(plan.seed, target, scaffolds, folder.id);
  for (const n of content.notes) opts.onNote?.(n);
  warmUp(plan, content.renderer);

  // One 1-token request first, not recorded: connection set-up and cold client code would
  // otherwise land in the first dispatches (4 to 10 ms late here). Before the counter scrape,
  // so it stays out of the server-side figures too.
  await client.send({
    api: plan.request.api,
    ...(plan.request.api === "chat" ? { messages: [{ role: "user", content: "warm up" }] } : { prompt: "warm up" }),
    ...(target.model ?? plan.request.model ? { model: (target.model ?? plan.request.model)! } : {}),
    maxTokens: 1,
    ...(plan.request.extraBody ? { extraBody: plan.request.extraBody } : {}),
  });
  const serverRoot = target.apiUrl.replace(/\/v1\/?$/, "");
  const before: ServerMetricsSnapshot | null = await scrapeServerMetrics(serverRoot);
  if (before) folder.writeText("server-metrics-before.txt", before.text);

  const writer = new RecordWriter(folder.path("records.jsonl"));
  const aggregator = createAggregator(plan.slo ? { slo: plan.slo } : {});
  const timers = new TimerQueue(now);
  const inflight = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(Infinity, inflight.signal);
  const traffic = plan.traffic;
  const maxSessions = plan.sessions;
  let stopped = false;
  let interrupted = false;
  const progress: RunProgress = { sessionsStarted: 0, sessionsDone: 0, requestsDone: 0, errors: 0, elapsedMs: 0 };

  const t0 = now();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    interrupted = true;
    timers.flush(); // planned dispatches see `stopped` and bail out
    const grace = setTimeout(() => inflight.abort(), opts.graceMs ?? 10_000);
    grace.unref?.();
  };
  const onAbort = () => stop();
  opts.signal?.addEventListener("abort", onAbort);
  const durationTimer =
    traffic.durationSeconds !== undefined ? setTimeout(stop, traffic.durationSeconds * 1000) : undefined;

  let nextIndex = 0;
  const nextSession = (): SessionGraph | undefined => {
    if (stopped || nextIndex >= maxSessions) return undefined;
    return plan.sessionAt(nextIndex++);
  };
  const warmupIds = new Set<string>();

  const runOne = async (session: SessionGraph, startAt: number) => {
    const index = progress.sessionsStarted++;
    if (index < (traffic.warmupSessions ?? 0)) warmupIds.add(session.id);
    // What each node's prompt holds, with the history parent's reply counted as the server will
    // see it: a reply re-tokenized in the child's prompt need not have as many tokens as were
    // generated. Counted off the dispatch path, while the child waits or runs.
    const expected = new Map<string, { tokens: Promise<NodeTokens>; replyTokens?: Promise<number> }>();
    const conversations = new Map<string, ChatMessage[]>();
    const isHistoryParent = new Set(session.nodes.map((n) => n.historyParent).filter((p): p is string => p !== null));
    const execute = async ({ node, readyAt, plannedAt }: NodeStart): Promise<boolean> => {
      const history = node.historyParent === null ? null : (conversations.get(node.historyParent) ?? null);
      const messages = content.renderer.promptFor(session, node, history);
      const parent = node.historyParent === null ? undefined : expected.get(node.historyParent);
      const tokens: Promise<NodeTokens> = parent
        ? Promise.all([parent.tokens, parent.replyTokens!]).then(([p, reply]) => inheritedPrompt(p, reply, node.freshInputTokens, content.overhead))
        : Promise.resolve(rootPrompt(scaffoldSize(nodeScaffold(session, node, scaffolds)), node.freshInputTokens, content.overhead));
      const obs = await client.send(
        {
          api: plan.request.api,
          // /v1/completions has no chat template: the messages' texts, blank-line separated (its
          // expected prompt tokens then count content only, so they are not exact there).
          ...(plan.request.api === "chat" ? { messages } : { prompt: messages.map((m) => m.content ?? "").join("\n\n") }),
          ...(target.model ?? plan.request.model ? { model: (target.model ?? plan.request.model)! } : {}),
          maxTokens: node.outputTokens,
          ignoreEos: plan.request.ignoreEos,
          ...(plan.request.extraBody ? { extraBody: plan.request.extraBody } : {}),
        },
        inflight.signal,
      );
      const entry: { tokens: Promise<NodeTokens>; replyTokens?: Promise<number> } = { tokens };
      if (isHistoryParent.has(node.id)) {
        conversations.set(node.id, conversationOf(messages, obs.text));
        const fallback = obs.completionTokens ?? obs.chunkAt.length;
        entry.replyTokens = obs.text ? content.countReply(obs.text).catch(() => fallback) : Promise.resolve(0);
      }
      expected.set(node.id, entry);
      const planned = await tokens;
      const record: RequestRecord = {
        sessionId: session.id,
        nodeId: node.id,
        readyAt: round3(readyAt - t0),
        plannedAt: round3(plannedAt - t0),
        dispatchedAt: round3(obs.dispatchedAt - t0),
        chunkAt: obs.chunkAt.map((c) => round3(c - t0)),
        expectedPromptTokens: planned.promptTokens,
        sharedPrefixTokens: planned.sharedPrefixTokens,
        freshInputTokens: node.freshInputTokens,
        requestedOutputTokens: node.outputTokens,
      };
      if (obs.firstTokenAt !== undefined) record.firstTokenAt = round3(obs.firstTokenAt - t0);
      if (obs.firstContentAt !== undefined) record.firstContentAt = round3(obs.firstContentAt - t0);
      if (obs.doneAt !== undefined) record.doneAt = round3(obs.doneAt - t0);
      if (obs.promptTokens !== undefined) record.promptTokens = obs.promptTokens;
      if (obs.cachedTokens !== undefined) record.cachedTokens = obs.cachedTokens;
      if (obs.completionTokens !== undefined) record.completionTokens = obs.completionTokens;
      if (node.kind) record.kind = node.kind;
      if (warmupIds.has(session.id)) record.warmup = true;
      if (obs.error) record.error = obs.error;
      writer.append(record);
      aggregator.add(record);
      progress.requestsDone++;
      if (obs.error) progress.errors++;
      progress.elapsedMs = now() - t0;
      opts.onRecord?.(record, progress);
      return !obs.error;
    };
    await runSession(session, { timers, now, execute, onError: traffic.onError, stopped: () => stopped }, startAt);
    progress.sessionsDone++;
  };

  try {
    await runTraffic(trafficPlan(plan), { timers, now, nextSession, runSession: runOne, stopped: () => stopped });
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    opts.signal?.removeEventListener("abort", onAbort);
    writer.close();
    await client.close();
  }
  const wallMs = now() - t0;

  const after = await scrapeServerMetrics(serverRoot);
  if (after) folder.writeText("server-metrics-after.txt", after.text);
  const summary = aggregator.summarize({
    wallMs,
    ...(before ? { serverBefore: before.values } : {}),
    ...(after ? { serverAfter: after.values } : {}),
  });
  const verdicts = plan.slo ? evaluateSlos(plan.slo, summary) : [];
  const passed = verdicts.every((v) => v.pass);
  folder.writeJson("summary.json", { name: plan.name, interrupted, passed, summary, verdicts });
  return { dir: folder.dir, summary, verdicts, passed, interrupted };
}
