// A scripted OpenAI-compatible streaming server on loopback, for testing the client. Each
// request takes the next script from a queue (or the fallback): a status, headers, and steps
// (events, raw bytes, pauses, a socket reset, a hang), or bytes written on the socket as they are. Every request is recorded so tests can
// look at what the client sent.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type FaultStep =
  /** `data: <JSON>\n\n`; a string is sent as it is (e.g. "[DONE]"). */
  | { event: unknown }
  /** Several events, each its own HTTP chunk, written at once (they usually arrive in one read). */
  | { events: unknown[] }
  /** These bytes exactly. */
  | { raw: string }
  /** Resolve `reached(name)` (everything before it has been written). */
  | { mark: string }
  | { sleepMs: number }
  /** Destroy the socket: the client sees a reset. */
  | { reset: true }
  /** Send nothing more and never end (until the server closes). */
  | { hang: true };

export interface FaultScript {
  /** Default 200. */
  status?: number;
  /** Default: text/event-stream. */
  headers?: Record<string, string>;
  /** Never send even the headers (the first byte never comes). */
  silent?: boolean;
  /** Close the connection without answering, as a server does to an idle keep-alive socket. */
  drop?: boolean;
  /**
   * Answer with these bytes on the socket as they are, bypassing Node's HTTP writer (which
   * refuses a bad header or status line), then close it; `status`, `headers` and `steps` are
   * not used.
   */
  wire?: string;
  steps: FaultStep[];
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ScriptSource = FaultScript | ((req: ReceivedRequest) => FaultScript);

export interface FaultServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  port: number;
  /** Scripts for the next requests, in order. */
  enqueue(...scripts: ScriptSource[]): void;
  readonly requests: ReceivedRequest[];
  /** Resolves when a script has run its `{ mark: name }` step. */
  reached(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface FaultServerOptions {
  /** Used when the queue is empty; default: a normal stream of three tokens. */
  fallback?: ScriptSource;
}

export async function startFaultServer(opts: FaultServerOptions = {}): Promise<FaultServer> {
  const queue: ScriptSource[] = [];
  const requests: ReceivedRequest[] = [];
  const fallback = opts.fallback ?? normalStream({ tokens: ["one", " two", " three"] });
  const closing = new Closing();
  const sockets = new Set<Socket>();
  const marks = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const mark = (name: string) => {
    let m = marks.get(name);
    if (!m) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      m = { promise, resolve };
      marks.set(name, m);
    }
    return m;
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    const received: ReceivedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(parts).toString("utf8"),
    };
    requests.push(received);
    const source = queue.shift() ?? fallback;
    const script = typeof source === "function" ? source(received) : source;
    await run(script, req, res);
  }

  async function run(script: FaultScript, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (script.silent) {
      await closing.untilClosed();
      return;
    }
    if (script.drop) {
      req.socket.destroy();
      return;
    }
    if (script.wire !== undefined) {
      req.socket.end(script.wire);
      return;
    }
    res.writeHead(script.status ?? 200, script.headers ?? { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    for (const step of script.steps) {
      if (closing.aborted || res.destroyed) return;
      if ("event" in step) {
        res.write(sseEvent(step.event));
      } else if ("events" in step) {
        res.cork();
        for (const e of step.events) res.write(sseEvent(e));
        res.uncork();
      } else if ("mark" in step) {
        mark(step.mark).resolve();
      } else if ("raw" in step) {
        res.write(step.raw);
      } else if ("sleepMs" in step) {
        await closing.sleep(step.sleepMs);
      } else if ("reset" in step) {
        // Let what was written so far leave first, so the client sees it before the reset.
        await closing.sleep(5);
        req.socket.resetAndDestroy();
        return;
      } else {
        await closing.untilClosed();
        return;
      }
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    enqueue: (...scripts) => void queue.push(...scripts),
    requests,
    reached: (name) => mark(name).promise,
    close: async () => {
      closing.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sseEvent(e: unknown): string {
  return `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`;
}

/**
 * Ends pauses and hangs when the server closes. A set of waiters rather than an AbortSignal:
 * many hanging requests would otherwise trip Node's too-many-listeners warning.
 */
class Closing {
  aborted = false;
  private readonly waiters = new Set<() => void>();

  close(): void {
    this.aborted = true;
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.aborted) return resolve();
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  untilClosed(): Promise<void> {
    return this.sleep(2 ** 31 - 1);
  }
}

// ---- Builders for the usual shapes of an OpenAI-compatible stream ----

export interface UsageSpec {
  prompt: number;
  completion: number;
  cached?: number;
}

/** One chat.completion.chunk with this delta. */
export function chatChunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return {
    id: "chatcmpl-fault",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "fault",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** One text_completion chunk (the /completions API). */
export function completionChunk(text: string, finishReason: string | null = null): Record<string, unknown> {
  return { id: "cmpl-fault", object: "text_completion", created: 1700000000, model: "fault", choices: [{ index: 0, text, finish_reason: finishReason }] };
}

/** The OpenAI usage chunk (empty choices), cached tokens in prompt_tokens_details. */
export function usageChunk(u: UsageSpec): Record<string, unknown> {
  const usage: Record<string, unknown> = { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion };
  if (u.cached !== undefined) usage.prompt_tokens_details = { cached_tokens: u.cached };
  return { id: "chatcmpl-fault", object: "chat.completion.chunk", created: 1700000000, model: "fault", choices: [], usage };
}

export interface NormalStreamSpec {
  /** Visible content, one chunk each. */
  tokens: string[];
  /** Pause before each token chunk. */
  gapMs?: number;
  /** Pause before the first chunk (after the headers). */
  firstDelayMs?: number;
  finishReason?: string;
  usage?: UsageSpec;
  /** Send the role chunk first, as vLLM and llama.cpp do (default true). */
  roleChunk?: boolean;
  /** End with `data: [DONE]` (default true). */
  done?: boolean;
}

/** role chunk, one chunk per token, a finish chunk, a usage chunk, [DONE]. */
export function normalStream(s: NormalStreamSpec): FaultScript {
  const steps: FaultStep[] = [];
  if (s.firstDelayMs) steps.push({ sleepMs: s.firstDelayMs });
  if (s.roleChunk ?? true) steps.push({ event: chatChunk({ role: "assistant", content: "" }) });
  for (const t of s.tokens) {
    if (s.gapMs) steps.push({ sleepMs: s.gapMs });
    steps.push({ event: chatChunk({ content: t }) });
  }
  steps.push({ event: chatChunk({}, s.finishReason ?? "stop") });
  if (s.usage) steps.push({ event: usageChunk(s.usage) });
  if (s.done ?? true) steps.push({ event: "[DONE]" });
  return { steps };
}
