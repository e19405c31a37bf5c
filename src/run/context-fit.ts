// Does the workload's largest request fit the server's context? Checked before the clock from the
// generated sessions (prompt tokens as the workload intends them, plus the output asked for). On
// the built-in llama-server with 512 tokens per slot, a 621-token prompt fails with HTTP 400
// (exceed_context_size_error), and a 471-token prompt asking for 100 tokens with ignore_eos gets
// 41 and finish_reason "length": silently less than asked. Either way the run would measure
// something else, so a misfit is a preflight failure naming what to change.
import { sessionTokens } from "../workload/tokens.js";
import { PreflightError } from "./preflight.js";
import type { RunPlan } from "./run.js";
import type { ContextLimit } from "./server-context.js";

/**
 * At most this many sessions are generated to find the largest request: 2,000 sessions of the
 * coding-agent workload take 0.5 to 1.2 s here (10,000: 2.3 s), and sessions are drawn
 * independently, so the largest of more moves little (5,356 tokens of 2,000 against 5,395 of
 * 10,000). A wrapped trace replay repeats its sessions; a duration-bound spec may declare more
 * sessions than it ever releases.
 */
export const MAX_SCANNED_SESSIONS = 2_000;
/**
 * Within this share of the limit the fit is only a warning: counts are of content tokens, and
 * the chat template adds a few tokens per message (measured at set-up, after this check).
 */
export const NEAR_LIMIT_SHARE = 0.9;

export interface LargestRequest {
  sessionId: string;
  nodeId: string;
  promptTokens: number;
  outputTokens: number;
  /** Sessions looked at, of `of`. */
  scanned: number;
  of: number;
}

/** The request with the most prompt plus output tokens among the plan's first sessions; null when there is none. */
export function largestRequest(plan: Pick<RunPlan, "sessions" | "sessionAt" | "scaffolds">, maxSessions = MAX_SCANNED_SESSIONS): LargestRequest | null {
  const scanned = Math.min(plan.sessions, maxSessions);
  let best: LargestRequest | null = null;
  for (let i = 0; i < scanned; i++) {
    const graph = plan.sessionAt(i);
    const tokens = sessionTokens(graph, plan.scaffolds);
    for (const node of graph.nodes) {
      const prompt = tokens.get(node.id)!.promptTokens;
      if (!best || prompt + node.outputTokens > best.promptTokens + best.outputTokens) {
        best = { sessionId: graph.id, nodeId: node.id, promptTokens: prompt, outputTokens: node.outputTokens, scanned, of: plan.sessions };
      }
    }
  }
  return best;
}

const n = (x: number) => x.toLocaleString("en-US");

/**
 * Throws a PreflightError when the largest request cannot fit; otherwise the notes to show (the
 * limit is unknown, the fit is tight, or not every session was looked at).
 */
export function checkContextFit(largest: LargestRequest | null, limit: ContextLimit | null): string[] {
  if (!largest) return [];
  const need = largest.promptTokens + largest.outputTokens;
  const what = `session ${largest.sessionId} request ${largest.nodeId}: ${n(largest.promptTokens)} prompt + ${n(largest.outputTokens)} output = ${n(need)} tokens`;
  const partial = largest.scanned < largest.of ? [`context fit: checked the first ${n(largest.scanned)} of ${n(largest.of)} sessions`] : [];
  if (!limit) return [`the server does not say its context size (no max_model_len in /v1/models, no llama.cpp /props): the largest request (${what}) is not checked against it`, ...partial];
  if (need > limit.tokens) {
    throw new PreflightError([
      `the workload's largest request does not fit the server's context: ${what}; the server allows ${n(limit.tokens)} per request (${limit.source}). ` +
        `Give the server more context (llama-server -c, which is shared by its -np slots; vLLM --max-model-len) or make the workload's prompts smaller (compaction.contextLimit, fewer turns, smaller freshInput or output)`,
    ]);
  }
  if (need > NEAR_LIMIT_SHARE * limit.tokens) {
    return [`the largest request (${what}) is within ${Math.round((1 - NEAR_LIMIT_SHARE) * 100)}% of the server's ${n(limit.tokens)}-token context (${limit.source}); the chat template's own tokens may push it over`, ...partial];
  }
  return partial;
}
