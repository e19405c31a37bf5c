// How many tokens (prompt plus output) one request may hold on the server, from what servers say
// about themselves: vLLM lists `max_model_len` with each model in /v1/models (as do servers that
// copy its model card); llama.cpp's /props has `default_generation_settings.n_ctx`, the context
// of one slot (the server's -c divided by its -np slots: 512 for `-c 1024 -np 2` on the built-in
// build, which also lists that number as `meta.n_ctx` in /v1/models). Null when the server says
// neither.

export interface ContextLimit {
  /** Prompt plus output tokens one request may hold. */
  tokens: number;
  /** Where it was read, for messages: "llama.cpp /props n_ctx per slot (4 slots)". */
  source: string;
}

type ModelEntry = { id?: unknown; max_model_len?: unknown; meta?: { n_ctx?: unknown } };

const positive = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x > 0;

/** The model's entry of a /v1/models answer: the one named, else the only one. */
function entryOf(entries: readonly ModelEntry[], model: string | undefined): ModelEntry | undefined {
  return entries.find((e) => e?.id === model) ?? (entries.length === 1 ? entries[0] : undefined);
}

/** max_model_len (vLLM) of the model's /v1/models entry. */
export function contextFromModels(entries: readonly ModelEntry[], model: string | undefined): ContextLimit | null {
  const e = entryOf(entries, model);
  if (positive(e?.max_model_len)) return { tokens: e.max_model_len, source: "max_model_len in /v1/models" };
  return null;
}

/** llama.cpp: /props, else meta.n_ctx of the model's /v1/models entry. */
export async function contextFromLlamaCpp(
  root: string,
  headers: Record<string, string>,
  entries: readonly ModelEntry[],
  model: string | undefined,
  timeoutMs = 5000,
): Promise<ContextLimit | null> {
  try {
    const res = await fetch(`${root}/props`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (res.ok) {
      const props = (await res.json()) as { default_generation_settings?: { n_ctx?: unknown }; total_slots?: unknown };
      const nCtx = props?.default_generation_settings?.n_ctx;
      if (positive(nCtx)) {
        const slots = positive(props.total_slots) ? ` (${props.total_slots} slot${props.total_slots === 1 ? "" : "s"})` : "";
        return { tokens: nCtx, source: `llama.cpp /props n_ctx per slot${slots}` };
      }
    } else await res.body?.cancel();
  } catch {
    // not llama.cpp, or it does not answer: fall through
  }
  const meta = entryOf(entries, model)?.meta?.n_ctx;
  return positive(meta) ? { tokens: meta, source: "meta.n_ctx in /v1/models (llama.cpp)" } : null;
}
