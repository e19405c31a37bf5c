// Minimal streamed chat call for engine tests (the runner has its own client): collects each
// SSE data event so tests can count content chunks and read the final usage.
export interface StreamedChat {
  contentChunks: string[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } | undefined;
  events: number;
}

export async function streamChat(apiUrl: string, body: Record<string, unknown>): Promise<StreamedChat> {
  const res = await fetch(`${apiUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const out: StreamedChat = { contentChunks: [], usage: undefined, events: 0 };
  const decoder = new TextDecoder();
  let buf = "";
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") continue;
      out.events++;
      const msg = JSON.parse(data);
      const content = msg.choices?.[0]?.delta?.content;
      if (typeof content === "string" && content.length > 0) out.contentChunks.push(content);
      if (msg.usage) out.usage = msg.usage;
    }
  }
  return out;
}

export async function tokenize(baseUrl: string, content: string): Promise<number[]> {
  const res = await fetch(`${baseUrl}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content }),
  });
  const json = (await res.json()) as { tokens: number[] };
  return json.tokens;
}

/** Prometheus text -> name -> value (labels ignored; first sample wins). */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, Number(m[3]));
  }
  return out;
}

/** A prompt of roughly `words` distinct words; `salt` keeps prompts of different tests apart. */
export function wordsPrompt(words: number, salt: string): string {
  const vocab = ["alpha", "river", "stone", "cloud", "maple", "engine", "signal", "harbor", "copper", "lantern", "orbit", "meadow"];
  let s = `${salt}:`;
  let x = 0;
  for (const c of salt) x = (x * 31 + c.charCodeAt(0)) >>> 0;
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += " " + vocab[x % vocab.length] + (i % 17 === 0 ? "." : "");
  }
  return s;
}
