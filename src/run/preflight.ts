// Preflight: before the clock, in a few seconds, the checks that would otherwise turn a whole run
// into a column of failed requests: the server answers, the key is accepted, the model is served,
// the workload's largest request fits the server's context (context-fit.ts), and (after content
// set-up) the first 1-token request succeeds. Each failure is one line naming
// the URL and what to fix; the run then ends with the preflight exit code instead of measuring
// nothing.
import { serverRoot } from "../content/tokenizer.js";
import type { RunTarget } from "./run.js";
import { contextFromLlamaCpp, contextFromModels, type ContextLimit } from "./server-context.js";
import type { StreamObservation } from "./types.js";

export class PreflightError extends Error {
  override name = "PreflightError";
  constructor(readonly problems: string[]) {
    super(`preflight failed:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

export interface PreflightResult {
  /** Model ids the server lists (empty when it lists none or has no /models). */
  models: string[];
  /** Said, not fatal (a server without /models, an unexpected answer). */
  warnings: string[];
  /** Tokens one request may hold (prompt + output), when the server says (server-context.ts). */
  context: ContextLimit | null;
}

/** The headers every request to the server carries: its key and the extra ones. */
export function authHeaders(target: Pick<RunTarget, "apiKey" | "headers">): Record<string, string> {
  return { ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}), ...target.headers };
}

/** Why a fetch failed, in the same words on Node, Bun and Deno (their errors differ). */
export function fetchFailure(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const text = [cause?.code, cause?.message, (e as Error).message, (e as Error).name].filter(Boolean).join(" ");
  if (/ECONNREFUSED|connection refused|unable to connect/i.test(text)) return "ECONNREFUSED";
  if (/ENOTFOUND|EAI_AGAIN|failed to lookup|dns error|name resolution/i.test(text)) return "ENOTFOUND (the host name does not resolve)";
  if (/TimeoutError|timed out|aborted/i.test(text)) return "no answer in time";
  if (/bad port|port \d+ (are|is) blocked/i.test(text)) return "the port is one fetch refuses to use (blocked ports such as 9, 25 or 6000)";
  if (/certificate|CERT_|TLS|SSL/i.test(text)) return `TLS: ${cause?.message ?? (e as Error).message}`;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

/** GET <apiUrl>/models with the key: reachable, authorized, serving the model. Throws PreflightError. */
export async function preflightServer(target: RunTarget, options: { timeoutMs?: number } = {}): Promise<PreflightResult> {
  const url = `${target.apiUrl.replace(/\/+$/, "")}/models`;
  const warnings: string[] = [];
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders(target), signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (e) {
    throw new PreflightError([`cannot reach the server at ${target.apiUrl}: ${fetchFailure(e)} (is it running? check the host, port and scheme)`]);
  }
  const text = await res.text().catch(() => "");
  if (res.status === 401 || res.status === 403) {
    const given = target.apiKey ? "the API key given was refused" : "no API key was given";
    throw new PreflightError([`${url} answered HTTP ${res.status}: ${given}; set AGENTLOAD_API_KEY or OPENAI_API_KEY, or pass --api-key`]);
  }
  if (res.status === 404) {
    if (!/\/v1\/?$/.test(target.apiUrl)) {
      throw new PreflightError([`${url} answered HTTP 404: an OpenAI-compatible base URL usually ends in /v1 (e.g. ${target.apiUrl.replace(/\/+$/, "")}/v1)`]);
    }
    warnings.push(`${url} answered HTTP 404: the server lists no models; the model is not checked`);
    return { models: [], warnings, context: null };
  }
  if (!res.ok) {
    warnings.push(`${url} answered HTTP ${res.status}; the model is not checked`);
    return { models: [], warnings, context: null };
  }
  let models: string[] = [];
  let entries: { id?: unknown }[] = [];
  try {
    const data = (JSON.parse(text) as { data?: { id?: unknown }[] }).data;
    entries = Array.isArray(data) ? data.filter((m) => typeof m === "object" && m !== null) : [];
    models = entries.map((m) => m.id).filter((id): id is string => typeof id === "string");
  } catch {
    warnings.push(`${url} did not answer JSON; the model is not checked`);
  }
  if (target.model && models.length > 0 && !models.includes(target.model)) {
    throw new PreflightError([`model ${JSON.stringify(target.model)} is not served at ${target.apiUrl}; it serves ${models.map((m) => JSON.stringify(m)).join(", ")} (pass --model or set request.model)`]);
  }
  const root = serverRoot(target.apiUrl);
  const context = contextFromModels(entries, target.model) ?? (await contextFromLlamaCpp(root, authHeaders(target), entries, target.model));
  return { models, warnings, context };
}

/** The first request (1 token, not recorded) must succeed: what it failed with, as a preflight problem. */
export function checkFirstRequest(target: RunTarget, obs: StreamObservation): void {
  if (!obs.error) return;
  const e = obs.error;
  const status = e.status !== undefined ? ` HTTP ${e.status}` : "";
  throw new PreflightError([`the first request (1 token) to ${target.apiUrl} failed: ${e.kind}${status}: ${e.message}`]);
}
