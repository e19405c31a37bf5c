// Emptying a server's prefix cache before a run (`--reset-cache` on run, search and sweep), so
// that no point of a search starts on the cache the previous point left: a capacity frontier
// measured on a warm cache holds only for a server that never forgets. agentload can restart the
// engines it starts itself (--restart); a server it was given by URL can only be asked:
//   vLLM       POST /reset_prefix_cache (served only with VLLM_SERVER_DEV_MODE=1)
//   SGLang     POST /flush_cache (refused while requests are running)
//   llama.cpp  GET /slots, then POST /slots/<id>?action=erase for each slot (served only when
//              llama-server was started with --slot-save-path)
// tried in that order at the server's root (the API URL without /v1); a 404 or 405 means "not
// this engine", any other refusal is the answer. Failures are PreflightErrors: one line naming
// the URL and what to do, and the preflight exit code. Every run's prompts are salted with its
// run id (run.ts), so a later point never finds an earlier point's prompts: what a reset removes
// is the earlier point's state (blocks to evict, a slot's leftover sequence, cache counters).
// A server agentload starts itself is restarted instead (point-runner.ts), which always works.
import { serverRoot } from "../content/tokenizer.js";
import { authHeaders, fetchFailure, PreflightError } from "./preflight.js";
import type { RunTarget } from "./run.js";

/** The engine whose endpoint emptied the cache, or "restart" for a server agentload restarted. */
export type CacheResetEngine = "vllm" | "sglang" | "llama.cpp" | "restart";

export interface CacheReset {
  engine: CacheResetEngine;
  /** What was called, e.g. "POST /reset_prefix_cache", "POST /slots/{0..3}?action=erase". */
  endpoint: string;
  /** What the reset does not cover, when known (llama.cpp's host-memory prompt cache). */
  caveat?: string;
}

/** The server's root (the API URL without a trailing /v1), as the tokenizer finds it. */
export { serverRoot };

/** llama.cpp's prompt cache in host memory (--cache-ram, on by default) has no endpoint that clears it. */
export const LLAMA_CPP_RAM_CACHE_CAVEAT =
  "llama-server's host-memory prompt cache (--cache-ram, on by default) has no endpoint that clears it and can restore an erased prompt: start llama-server with --cache-ram 0, or let agentload start it (a server: block) with --restart";

interface Answer {
  status: number;
  text: string;
}

const snippet = (text: string) => {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 160 ? `${t.slice(0, 160)}...` : t;
};

export async function resetPrefixCache(target: Pick<RunTarget, "apiUrl" | "apiKey" | "headers">, options: { timeoutMs?: number } = {}): Promise<CacheReset> {
  const root = serverRoot(target.apiUrl);
  const headers = authHeaders(target);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const call = async (method: "GET" | "POST", path: string): Promise<Answer> => {
    let res: Response;
    try {
      res = await fetch(`${root}${path}`, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new PreflightError([`cannot reset the prefix cache: ${method} ${root}${path}: ${fetchFailure(e)}`]);
    }
    return { status: res.status, text: await res.text().catch(() => "") };
  };
  const refused = (method: string, path: string, a: Answer, hint: string) =>
    new PreflightError([`cannot reset the prefix cache: ${method} ${root}${path} answered HTTP ${a.status}${a.text ? ` (${snippet(a.text)})` : ""}; ${hint}`]);
  const absent = (a: Answer) => a.status === 404 || a.status === 405;
  const keyHint = "check the API key (AGENTLOAD_API_KEY, OPENAI_API_KEY or --api-key)";

  const vllm = await call("POST", "/reset_prefix_cache");
  if (vllm.status >= 200 && vllm.status < 300) return { engine: "vllm", endpoint: "POST /reset_prefix_cache" };
  if (vllm.status === 401 || vllm.status === 403) throw refused("POST", "/reset_prefix_cache", vllm, keyHint);
  if (!absent(vllm)) throw refused("POST", "/reset_prefix_cache", vllm, "vLLM could not reset its prefix cache");

  const sglang = await call("POST", "/flush_cache");
  if (sglang.status >= 200 && sglang.status < 300) return { engine: "sglang", endpoint: "POST /flush_cache" };
  if (sglang.status === 401 || sglang.status === 403) throw refused("POST", "/flush_cache", sglang, keyHint);
  if (!absent(sglang)) throw refused("POST", "/flush_cache", sglang, "SGLang flushes only when no request is running; let the server go idle first");

  const slots = await call("GET", "/slots");
  if (slots.status === 501) throw refused("GET", "/slots", slots, "llama-server serves /slots only when started with --slots");
  if (slots.status === 401 || slots.status === 403) throw refused("GET", "/slots", slots, keyHint);
  if (slots.status === 200) {
    let ids: number[];
    try {
      const list = JSON.parse(slots.text) as unknown;
      ids = Array.isArray(list) ? list.map((s) => (s as { id?: unknown }).id).filter((id): id is number => typeof id === "number") : [];
    } catch {
      ids = [];
    }
    if (ids.length === 0) throw refused("GET", "/slots", slots, "expected llama-server's list of slots (objects with an id)");
    for (const id of ids) {
      const path = `/slots/${id}?action=erase`;
      const erased = await call("POST", path);
      if (erased.status === 501) throw refused("POST", path, erased, "llama-server erases slots only when started with --slot-save-path DIR; or let agentload start it (a server: block in the spec) and pass --restart");
      if (erased.status < 200 || erased.status >= 300) throw refused("POST", path, erased, "llama-server could not erase the slot (is a request still running on it?)");
    }
    const range = ids.length === 1 ? `${ids[0]}` : `{${Math.min(...ids)}..${Math.max(...ids)}}`;
    return { engine: "llama.cpp", endpoint: `POST /slots/${range}?action=erase`, caveat: LLAMA_CPP_RAM_CACHE_CAVEAT };
  }
  throw new PreflightError([
    `cannot reset the prefix cache: ${root} has no reset endpoint agentload knows (POST /reset_prefix_cache: HTTP ${vllm.status}, vLLM serves it with VLLM_SERVER_DEV_MODE=1; POST /flush_cache: HTTP ${sglang.status}, SGLang; GET /slots: HTTP ${slots.status}, llama.cpp); or let agentload start the server (a server: block in the spec) and pass --restart`,
  ]);
}
