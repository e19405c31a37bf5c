// The streaming client: sends one OpenAI-compatible request and observes its stream (when each
// token-carrying event arrived, the reply text, usage, and the first failure). A failed request
// is an observation with `error`, never an exception. The transport is chosen per runtime:
// undici on Node (loaded lazily, so Bun and Deno never import it), fetch on Bun and Deno.
import { shownUrl } from "./response-head.js";
import { StreamRecorder } from "./stream-recorder.js";
import type { Transport } from "./transport-types.js";
import type { ClientRequest, StreamObservation } from "./types.js";

export interface ClientOptions {
  /** OpenAI-compatible base, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; never logged nor put in errors or records. */
  apiKey?: string;
  headers?: Record<string, string>;
  /**
   * No first-token, idle or total limit unless given; connect defaults to 10 s. `idleMs`: the
   * longest wait for the next token once one has come (a spec's default is 30 s).
   */
  timeouts?: { connectMs?: number; firstTokenMs?: number; idleMs?: number; totalMs?: number };
  /** auto: undici on Node, fetch on Bun and Deno. */
  transport?: "auto" | "undici" | "fetch";
  /** Connections per origin (undici); default 1024. */
  maxConnections?: number;
}

export interface Client {
  /** Never throws for a failed request: the failure is in the observation's `error`. */
  send(req: ClientRequest, signal?: AbortSignal): Promise<StreamObservation>;
  close(): Promise<void>;
}

const DEFAULT_CONNECT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 1024;
/** Header names whose values are secrets, besides the API key. */
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "api-key", "proxy-authorization"]);

/** The JSON body of one request: streamed, with usage in the last chunk; `extraBody` wins. */
export function buildRequestBody(req: ClientRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (req.model !== undefined) body.model = req.model;
  if (req.api === "chat") {
    if (!Array.isArray(req.messages)) throw new TypeError("ClientRequest: api \"chat\" needs `messages` (an array)");
    body.messages = req.messages;
  } else if (req.api === "completions") {
    if (typeof req.prompt !== "string") throw new TypeError("ClientRequest: api \"completions\" needs `prompt` (a string)");
    body.prompt = req.prompt;
  } else {
    throw new TypeError(`ClientRequest: api must be "chat" or "completions", got ${JSON.stringify(req.api)}`);
  }
  if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1) {
    throw new TypeError(`ClientRequest: maxTokens must be a positive integer, got ${String(req.maxTokens)}`);
  }
  body.max_tokens = req.maxTokens;
  if (req.ignoreEos) body.ignore_eos = true;
  body.stream = true;
  body.stream_options = { include_usage: true };
  const extra = req.extraBody;
  if (extra !== undefined) {
    const streamOptions = extra.stream_options;
    Object.assign(body, extra);
    // Keep include_usage when extraBody adds other stream options (e.g. continuous_usage_stats).
    if (typeof streamOptions === "object" && streamOptions !== null && !Array.isArray(streamOptions)) {
      body.stream_options = { include_usage: true, ...streamOptions };
    }
  }
  return body;
}

export function createClient(opts: ClientOptions): Client {
  const base = parseBaseUrl(opts.baseUrl);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...opts.headers,
  };
  if (opts.apiKey !== undefined && opts.apiKey !== "") headers.authorization = `Bearer ${opts.apiKey}`;
  const secrets: string[] = [];
  if (opts.apiKey) secrets.push(opts.apiKey);
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (SECRET_HEADERS.has(name.toLowerCase()) && value) secrets.push(value);
  }
  const connectMs = opts.timeouts?.connectMs ?? DEFAULT_CONNECT_MS;
  const firstTokenMs = opts.timeouts?.firstTokenMs;
  const totalMs = opts.timeouts?.totalMs;
  const idleMs = opts.timeouts?.idleMs;
  const kind = pickTransport(opts.transport ?? "auto");
  const connections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  let transport: Transport | undefined;
  const loading: Promise<Transport> = loadTransport(kind, base.origin, connections, connectMs).then((t) => (transport = t));
  loading.catch(() => undefined); // reported by send() and close()

  async function send(req: ClientRequest, signal?: AbortSignal): Promise<StreamObservation> {
    const body = JSON.stringify(buildRequestBody(req));
    const t = transport ?? (await loading);
    const target = req.api === "chat" ? base.chat : base.completions;
    const dispatchedAt = performance.now();
    let rec = await attempt(t, req, target, body, dispatchedAt, signal);
    // A keep-alive connection the server has just closed fails before any answer; the server
    // most likely never saw the request, so one retry on a fresh connection is safe. The time
    // lost stays in the request's latency (dispatchedAt is kept), and the record says it was
    // sent twice (attempts), so a server that did see both is not left with a request unaccounted.
    if (rec.obs.error?.kind === "reset" && !rec.answered && !signal?.aborted) {
      rec = await attempt(t, req, target, body, dispatchedAt, signal);
      rec.obs.attempts = 2;
    }
    return rec.result();
  }

  async function attempt(
    t: Transport,
    req: ClientRequest,
    target: Target,
    body: string,
    dispatchedAt: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamRecorder> {
    const rec = new StreamRecorder(secrets, target.shown, req.allowEmpty === true);
    rec.obs.dispatchedAt = dispatchedAt;
    if (signal?.aborted) {
      rec.stop("aborted", "aborted before it was sent");
      return rec;
    }
    if (signal) watchAbort(signal, rec);
    const elapsed = performance.now() - dispatchedAt;
    const firstTimer =
      firstTokenMs === undefined
        ? undefined
        : setTimeout(() => {
            if (rec.obs.firstTokenAt === undefined) rec.stop("first-token-timeout", `no token within ${firstTokenMs} ms`);
          }, firstTokenMs - elapsed);
    const totalTimer =
      totalMs === undefined ? undefined : setTimeout(() => rec.stop("total-timeout", `not finished within ${totalMs} ms`), totalMs - elapsed);
    const idle = idleMs === undefined ? undefined : new IdleWatch(rec, idleMs);
    try {
      await t.stream({ url: target.url, path: target.path, headers, body }, rec);
    } catch (err) {
      rec.fail(err); // transports do not reject; this keeps the promise of send() all the same
    } finally {
      clearTimeout(firstTimer);
      clearTimeout(totalTimer);
      idle?.clear();
      if (signal) unwatchAbort(signal, rec);
    }
    return rec;
  }

  return {
    send,
    close: async () => {
      const t = transport ?? (await loading);
      await t.close();
    },
  };
}

interface Target {
  url: string;
  path: string;
  /** For messages: method and URL without query values. */
  shown: string;
}

/**
 * How long the idle timeout waits, once its limit has passed, before it decides. Node stamps the
 * waiting reads within a 0 ms timer; Bun needed 5 ms (client.test "busy" test: failed at 0 and
 * 1 ms, passed at 5 and 20). 20 ms is 0.07% of the default 30 s limit.
 */
const CONFIRM_MS = 20;

/**
 * The inter-chunk idle timeout: fails the request when a token came and then none for `idleMs`.
 * One timer per request that re-arms itself lazily from the last token's stamp, instead of a
 * timer reset per token: the per-token path only stamps, as it did (a clearTimeout/setTimeout
 * pair per token would allocate on the hot path, which reads 230k to 670k chunks/s of one stream
 * in benchmarks/client-speed.ts). Before the first token it only re-arms: the first-token
 * timeout governs prefill.
 */
class IdleWatch {
  private timer: ReturnType<typeof setTimeout>;
  /** The limit has passed once; CONFIRM_MS more before the verdict (see check). */
  private confirming = false;

  constructor(
    private readonly rec: StreamRecorder,
    private readonly idleMs: number,
  ) {
    this.timer = setTimeout(this.check, idleMs);
  }

  private readonly check = (): void => {
    const rec = this.rec;
    if (rec.closed) return;
    const last = rec.lastTokenAt;
    const quiet = last === undefined ? 0 : performance.now() - last;
    if (last !== undefined && quiet >= this.idleMs) {
      // A timer that came due while the event loop was busy runs before the reads that arrived
      // meanwhile (timers come first in a loop turn): give those reads a few turns to be
      // stamped, so a client that was busy does not record a stall the server never had.
      if (!this.confirming) {
        this.confirming = true;
        this.timer = setTimeout(this.check, CONFIRM_MS);
        return;
      }
      const n = rec.obs.chunkAt.length;
      rec.stop("idle-timeout", `stalled: no token within ${this.idleMs} ms of the previous one (${n} token chunk${n === 1 ? "" : "s"} so far)`);
      return;
    }
    this.confirming = false;
    // A timer may fire a little early against performance.now(); at least 1 ms keeps it from spinning.
    this.timer = setTimeout(this.check, Math.max(1, this.idleMs - quiet));
  };

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Requests in flight per abort signal. A run passes one signal to every request; one listener
 * per signal (rather than one per request) keeps Node from warning about hundreds of listeners.
 * An array with each recorder's slot in it, not a Set: a Set that grows and shrinks with the
 * requests in flight is copied to a new table each time, and the old table, dead but promoted,
 * kept the recorders it held (with their replies and buffers) alive through young collections
 * (see ResponseFeed in transport-undici.ts).
 */
const inFlight = new WeakMap<AbortSignal, StreamRecorder[]>();

function watchAbort(signal: AbortSignal, rec: StreamRecorder): void {
  let recs = inFlight.get(signal);
  if (recs === undefined) {
    const list: StreamRecorder[] = [];
    inFlight.set(signal, list);
    signal.addEventListener(
      "abort",
      () => {
        const stopping = list.splice(0);
        for (const r of stopping) {
          r.inFlightSlot = -1;
          r.stop("aborted", "aborted while streaming");
        }
      },
      { once: true },
    );
    recs = list;
  }
  rec.inFlightSlot = recs.length;
  recs.push(rec);
}

function unwatchAbort(signal: AbortSignal, rec: StreamRecorder): void {
  const recs = inFlight.get(signal);
  const at = rec.inFlightSlot;
  if (recs === undefined || at < 0 || recs[at] !== rec) return;
  const last = recs.pop()!;
  if (last !== rec) {
    recs[at] = last;
    last.inFlightSlot = at;
  }
  rec.inFlightSlot = -1;
}

interface BaseUrl {
  origin: string;
  chat: Target;
  completions: Target;
}

function parseBaseUrl(baseUrl: string): BaseUrl {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`ClientOptions.baseUrl: expected an http(s) URL such as http://127.0.0.1:8080/v1, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`ClientOptions.baseUrl: expected http: or https:, got ${JSON.stringify(url.protocol)}`);
  }
  const prefix = url.pathname.replace(/\/+$/, "");
  const target = (path: string): Target => {
    const full = url.origin + path;
    return { url: full, path, shown: `POST ${shownUrl(new URL(full))}` };
  };
  return { origin: url.origin, chat: target(`${prefix}/chat/completions${url.search}`), completions: target(`${prefix}/completions${url.search}`) };
}

function pickTransport(choice: "auto" | "undici" | "fetch"): "undici" | "fetch" {
  if (choice !== "auto") return choice;
  const g = globalThis as { Bun?: unknown; Deno?: unknown; process?: { versions?: { node?: string } } };
  // Bun replaces npm undici with a partial built-in; Deno's fetch is its native path.
  if (g.Bun !== undefined || g.Deno !== undefined) return "fetch";
  return g.process?.versions?.node ? "undici" : "fetch";
}

async function loadTransport(kind: "undici" | "fetch", origin: string, connections: number, connectMs: number): Promise<Transport> {
  if (kind === "undici") {
    const m = await import("./transport-undici.js");
    return m.createUndiciTransport({ origin, connections, connectMs });
  }
  const m = await import("./transport-fetch.js");
  return m.createFetchTransport();
}
