// Turns one streamed response (bytes as they arrive, each read with its arrival stamp) into a
// StreamObservation: which events carried generated tokens and when, the visible text, usage,
// finish reason, and the first thing that went wrong. Transports feed it; it never throws.
// Web-standard APIs only.
import { isEventStream, retryAfterMs } from "./response-head.js";
import { SseDecoder, type SseHandlers } from "./sse.js";
import { classifyTransportError } from "./transport-errors.js";
import type { ErrorKind, RequestError, StreamObservation } from "./types.js";

/** Longest excerpt of a body or event kept in an error message. */
const EXCERPT_CHARS = 300;
/** Bytes of a non-2xx (or non-SSE) body kept for the excerpt. */
const ERROR_BODY_BYTES = 2048;
/**
 * Join the reply's pieces every so many: a long reply then holds a few long strings instead of
 * one small string per chunk, which the garbage collector would copy and trace again and again.
 */
const JOIN_EVERY = 256;

interface Delta {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: unknown;
}
interface Choice {
  delta?: Delta | null;
  text?: unknown;
  finish_reason?: unknown;
}
interface Usage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  /** DeepSeek-style servers. */
  prompt_cache_hit_tokens?: unknown;
  /** Some servers put it at the top of usage. */
  cached_tokens?: unknown;
}
interface Chunk {
  choices?: Choice[] | null;
  usage?: Usage | null;
  error?: unknown;
  object?: unknown;
  message?: unknown;
  /** llama.cpp adds its own timings; cache_n is the prompt tokens taken from its cache. */
  timings?: { cache_n?: unknown } | null;
}

export class StreamRecorder implements SseHandlers {
  readonly obs: StreamObservation = { dispatchedAt: 0, chunkAt: [], text: "", countedChunks: 0 };
  /** Called once when the recorder gives up on the stream (the transport should stop reading). */
  onStop: (() => void) | undefined;
  /** Its place in the client's list of requests in flight under one abort signal (client.ts); -1 in none. */
  inFlightSlot = -1;

  // The recorder is its decoder's handler: no closures per request (they would be traced by the
  // garbage collector for as long as the stream is open).
  private readonly decoder = new SseDecoder(this);
  /** Content pieces not yet joined; joined every JOIN_EVERY pieces into `joined`. */
  private parts: string[] = [];
  private joined: string[] = [];
  /** Stamp of the read being decoded: every event in one read shares it. */
  private at = 0;
  private status = 0;
  /** Bytes of a body that is not a stream (an HTTP error, a JSON or HTML 200), kept for the message. */
  private errorBody: Uint8Array[] | null = null;
  private errorBodyBytes = 0;
  /** The Content-Type of a 2xx that is not text/event-stream. */
  private notStream: string | undefined;
  private retryAfter: string | undefined;
  private sawDone = false;
  private ended = false;
  private finished = false;
  private usageCached: number | undefined;
  private timingsCached: number | undefined;

  /**
   * @param secrets strings that must never appear in a message (API key, auth headers).
   * @param target the request as messages name it, e.g. "POST http://h:8080/v1/chat/completions"
   *   (shownUrl: no query values, no user info).
   * @param allowEmpty a reply without any token is no error (ClientRequest.allowEmpty).
   */
  constructor(
    private readonly secrets: readonly string[] = [],
    private readonly target = "",
    private readonly allowEmpty = false,
  ) {}

  /** True once the stream ended well, an error is recorded, or the result was taken: later input is ignored. */
  get closed(): boolean {
    return this.finished || this.ended || this.obs.error !== undefined;
  }

  /** Whether the response's status line arrived (a reset before it means the server never answered). */
  get answered(): boolean {
    return this.status !== 0;
  }

  /** Arrival stamp of the last token-carrying event, if any (the idle timer reads it). */
  get lastTokenAt(): number | undefined {
    const c = this.obs.chunkAt;
    return c.length === 0 ? undefined : c[c.length - 1];
  }

  /**
   * Response headers arrived: the status, and the two headers the client reads (the transport
   * looks them up once; Retry-After only matters on an error).
   */
  headers(status: number, contentType?: string, retryAfter?: string): void {
    this.status = status;
    if (status < 200 || status > 299) {
      this.errorBody = [];
      this.retryAfter = retryAfter;
    } else if (!isEventStream(contentType)) {
      this.errorBody = [];
      this.notStream = contentType;
    }
  }

  /** One network read of the body, stamped when it arrived (before any parsing). */
  read(chunk: Uint8Array, at: number): void {
    if (this.closed) return;
    if (this.errorBody !== null) {
      if (this.errorBodyBytes < ERROR_BODY_BYTES) {
        const keep = new Uint8Array(chunk.subarray(0, ERROR_BODY_BYTES - this.errorBodyBytes));
        this.errorBody.push(keep);
        this.errorBodyBytes += keep.length;
      }
      // Its first bytes say enough; the rest of a page or a whole JSON reply need not be waited for.
      if (this.notStream !== undefined) this.bodyError();
      return;
    }
    this.at = at;
    this.decoder.push(chunk);
  }

  /** The body ended normally. */
  end(at: number): void {
    if (this.closed) return;
    if (this.errorBody !== null) {
      this.bodyError();
      return;
    }
    this.at = at;
    const cut = this.decoder.end();
    if (this.closed) return;
    if (!this.sawDone && this.obs.finishReason === undefined) {
      this.stop("reset", cut ? "stream cut off in the middle of an event" : "stream ended without [DONE] or a finish_reason");
      return;
    }
    if (this.obs.doneAt === undefined) this.obs.doneAt = at;
    this.ended = true;
  }

  /** The transport failed (connect, socket reset, abort...). */
  fail(err: unknown): void {
    if (this.closed) return;
    if (this.errorBody !== null) {
      this.bodyError();
      return;
    }
    // The stream was complete; what broke afterwards does not matter.
    if (this.sawDone) return;
    const { kind, message } = classifyTransportError(err);
    this.stop(kind, message);
  }

  /** Record an error (the first one wins) and ask the transport to stop. */
  stop(kind: ErrorKind, message: string, status?: number): void {
    if (this.closed) return;
    if (this.sawDone) {
      // Complete already: a timer that fires while the server lingers is no error, but the
      // transport should still let go.
      this.onStop?.();
      return;
    }
    this.setError(kind, message, status);
    this.onStop?.();
  }

  private setError(kind: ErrorKind, message: string, status?: number): void {
    const error: RequestError = { kind, message: this.redact(message) };
    if (status !== undefined) error.status = status;
    this.obs.error = error;
  }

  /** The observation, complete. Call once, after the transport is done. */
  result(): StreamObservation {
    if (!this.finished) {
      // A transport that stopped without an end or an error: treat it as a cut connection.
      if (!this.sawDone) this.stop("reset", "the response stopped before its end");
      const obs = this.obs;
      // A stream that ended well without a token measured nothing (no TTFC, no TBC): it must
      // not count as a success.
      if (obs.error === undefined && obs.chunkAt.length === 0 && !this.allowEmpty) this.setError("empty", this.emptyMessage());
      this.finished = true;
      this.joined.push(this.parts.join(""));
      obs.text = this.joined.join("");
      obs.countedChunks = obs.chunkAt.length;
      const cached = this.usageCached ?? this.timingsCached;
      if (cached !== undefined) obs.cachedTokens = cached;
    }
    return this.obs;
  }

  /** SseHandlers: a line that is not SSE. */
  onBadLine(line: string): void {
    this.stop("malformed", `not a server-sent event line: ${excerpt(line)}`);
  }

  /** SseHandlers: one event, stamped with the read it completed in. */
  onEvent(data: string, event: string | undefined): void {
    if (this.closed) return;
    if (data === "[DONE]") {
      this.sawDone = true;
      this.obs.doneAt = this.at;
      return;
    }
    if (data === "") return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      this.stop("malformed", `event data is not JSON: ${excerpt(data)}`);
      return;
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      this.stop("malformed", `event data is not a JSON object: ${excerpt(data)}`);
      return;
    }
    const chunk = msg as Chunk;
    if ((chunk.error !== undefined && chunk.error !== null) || chunk.object === "error" || event === "error") {
      this.stop("server", `error in stream: ${errorText(chunk) ?? excerpt(data)}`);
      return;
    }
    const choices = chunk.choices;
    if (Array.isArray(choices) && choices.length > 0) this.choice(choices[0]!);
    const usage = chunk.usage;
    if (usage !== undefined && usage !== null) this.usage(usage);
    const cacheN = chunk.timings?.cache_n;
    if (typeof cacheN === "number") this.timingsCached = cacheN;
  }

  private choice(c: Choice): void {
    let visible = false;
    let tokens = false;
    const delta = c.delta;
    if (delta !== undefined && delta !== null) {
      const content = delta.content;
      if (typeof content === "string" && content.length > 0) {
        this.addText(content);
        visible = true;
      }
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === "string" && reasoning.length > 0) tokens = true;
      const calls = delta.tool_calls;
      if (Array.isArray(calls) && calls.length > 0) tokens = true;
    } else if (typeof c.text === "string" && c.text.length > 0) {
      this.addText(c.text);
      visible = true;
    }
    if (visible || tokens) {
      const obs = this.obs;
      const at = this.at;
      obs.chunkAt.push(at);
      if (obs.firstTokenAt === undefined) obs.firstTokenAt = at;
      if (visible && obs.firstContentAt === undefined) obs.firstContentAt = at;
    }
    if (typeof c.finish_reason === "string") this.obs.finishReason = c.finish_reason;
  }

  private addText(piece: string): void {
    const parts = this.parts;
    parts.push(piece);
    if (parts.length === JOIN_EVERY) {
      this.joined.push(parts.join(""));
      this.parts = [];
    }
  }

  private usage(u: Usage): void {
    if (typeof u.prompt_tokens === "number") this.obs.promptTokens = u.prompt_tokens;
    if (typeof u.completion_tokens === "number") this.obs.completionTokens = u.completion_tokens;
    const cached = u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? u.cached_tokens;
    if (typeof cached === "number") this.usageCached = cached;
  }

  /** The error of a body that is not a stream: a non-2xx status, or a 2xx of another Content-Type. */
  private bodyError(): void {
    const parts = this.errorBody ?? [];
    const bytes = new Uint8Array(this.errorBodyBytes);
    let off = 0;
    for (const p of parts) {
      bytes.set(p, off);
      off += p.length;
    }
    const body = excerpt(new TextDecoder().decode(bytes));
    this.errorBody = null;
    const from = this.target ? ` from ${this.target}` : "";
    if (this.notStream !== undefined) {
      this.stop("not-stream", `not an event stream: ${this.notStream}${from}: ${body || "(empty body)"}`);
      return;
    }
    const wait = retryAfterMs(this.retryAfter);
    const after = this.retryAfter === undefined ? "" : ` (Retry-After: ${excerpt(this.retryAfter)})`;
    this.stop("http", `HTTP ${this.status}${from}${after}${body ? `: ${body}` : ""}`, this.status);
    const error = this.obs.error;
    if (wait !== undefined && error !== undefined) error.retryAfterMs = wait;
  }

  private emptyMessage(): string {
    const obs = this.obs;
    const finish = obs.finishReason === undefined ? "" : `, finish_reason ${JSON.stringify(obs.finishReason)}`;
    if (obs.completionTokens !== undefined && obs.completionTokens > 0) {
      return `no event carried a token the client reads (content, reasoning or tool call), yet usage reports ${obs.completionTokens} completion tokens${finish}`;
    }
    const usage = obs.completionTokens === undefined ? "" : `, usage: ${obs.completionTokens} completion tokens`;
    return `the stream ended without any generated token${finish}${usage}`;
  }

  private redact(message: string): string {
    let out = message;
    for (const s of this.secrets) if (s.length > 0) out = out.split(s).join("[redacted]");
    return out;
  }
}

/** A short one-line excerpt for error messages. */
function excerpt(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}...` : flat;
}

/** The message of an error object as OpenAI-compatible servers send it (vLLM, SGLang, llama.cpp, TGI). */
function errorText(chunk: Chunk): string | undefined {
  const e = chunk.error;
  if (typeof e === "string") return excerpt(e);
  if (typeof e === "object" && e !== null) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === "string") return excerpt(m);
    return excerpt(JSON.stringify(e));
  }
  if (typeof chunk.message === "string") return excerpt(chunk.message);
  return undefined;
}
