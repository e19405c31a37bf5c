// What the client reads from a response's head besides the status (Content-Type, Retry-After),
// and the request URL as error messages show it. Once per request, off the per-token path.
// Web-standard only.

/**
 * Whether a Content-Type announces server-sent events. Every OpenAI-compatible server we know
 * (vLLM, SGLang, llama.cpp, TGI, OpenAI) sends `text/event-stream`; a missing header is given
 * the benefit of the doubt (the body is parsed as SSE), any other type is not a stream.
 */
export function isEventStream(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === "") return true;
  return /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
}

/**
 * Retry-After in milliseconds from `now` (ms since the epoch): delay-seconds ("120") or an
 * HTTP date, never below 0. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date names its month; Date.parse alone would read "-5" as the year 5 BC.
  const at = /[A-Za-z]{3}/.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A request URL for messages: no user info (URL.origin drops it) and no query values, which
 * can hold keys (`?api-key=...`); the query's names stay, as a 404 may come from one.
 */
export function shownUrl(url: URL): string {
  const names = [...new Set(url.searchParams.keys())];
  const query = names.length === 0 ? "" : `?${names.map((n) => `${n}=...`).join("&")}`;
  return `${url.origin}${url.pathname}${query}`;
}
