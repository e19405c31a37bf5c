// Node transport: an undici Pool (keep-alive connections, one request in flight per connection)
// driven through dispatch() with a handler object, so each response is a few method calls: no
// body stream and no AbortSignal per request, which keeps the per-chunk and per-request cost (and
// the garbage the collector must trace while streams are open) low. Node-only.
import { Pool, type Dispatcher } from "undici";
import type { Transport, TransportRequest } from "./transport-types.js";
import type { StreamRecorder } from "./stream-recorder.js";

export interface UndiciTransportOptions {
  origin: string;
  connections: number;
  connectMs: number;
}

// One stamp per socket read. undici hands every HTTP chunk of one socket read to
// onResponseData in a row, within one callback from the event loop; a microtask checkpoint comes
// only after it. So the first chunk of a read takes the stamp, the rest share it, and a microtask
// clears it: parsing one chunk never delays the next chunk's stamp. Reads of different sockets
// are separate callbacks, so one module-wide stamp serves every stream.
let readStamp = -1;
const readOver = (): void => {
  readStamp = -1;
};
/** Promise.then is a cheaper way to queue a microtask than Node's queueMicrotask (no async context). */
const settled = Promise.resolve();

function stampRead(): number {
  if (readStamp < 0) {
    readStamp = performance.now();
    void settled.then(readOver);
  }
  return readStamp;
}

const STOPPED = "stopped by the client";

/** A header's value (undici gives an array for a repeated header: the first one counts). */
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Feeds one response to its recorder. When the response is over it lets go of everything (the
 * recorder, the caller's callback, undici's controller with the raw headers and the request), and
 * the recorder lets go of it. Garbage the collector has already moved to the old generation keeps
 * what it points to alive through every young collection until the next full one; with these
 * links in place a dead feed, request or recorder kept the whole request alive (reply text, raw
 * headers, body, socket reads), and with it the next one it pointed to. At 500 requests/s against
 * the calibration server (benchmarks/dispatch-lateness.ts, node --trace-gc-nvp) 0.76-0.78 MB was
 * promoted per young collection, which took 6.0 ms; with this and client.ts's array of requests
 * in flight, 0.03-0.04 MB and 1.5-1.6 ms.
 */
class ResponseFeed implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private stopped = false;
  private rec: StreamRecorder | null;
  private done: (() => void) | null;

  constructor(rec: StreamRecorder, done: () => void) {
    this.rec = rec;
    this.done = done;
    rec.onStop = () => this.stop();
  }

  private stop(): void {
    this.stopped = true;
    // Not started yet (queued, or still connecting): the recorder already holds the error, so
    // the caller need not wait; the request is aborted as soon as undici starts it.
    if (this.controller === null) this.done?.();
    else this.controller.abort(new Error(STOPPED));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.stopped) controller.abort(new Error(STOPPED));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode >= 200) this.rec?.headers(statusCode, one(headers["content-type"]), statusCode > 299 ? one(headers["retry-after"]) : undefined);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.rec?.read(chunk, stampRead());
  }

  onResponseEnd(): void {
    this.rec?.end(performance.now());
    this.release();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.rec?.fail(err);
    this.release();
  }

  /** The response is over: drop every link (see the class comment), then tell the caller. */
  private release(): void {
    const done = this.done;
    if (this.rec !== null) this.rec.onStop = undefined;
    this.rec = null;
    this.done = null;
    this.controller = null;
    done?.();
  }
}

export function createUndiciTransport(o: UndiciTransportOptions): Transport {
  const pool = new Pool(o.origin, {
    connections: o.connections,
    pipelining: 1,
    connect: { timeout: o.connectMs },
    // The client keeps its own first-token and total timers; undici's would fire with their own
    // meaning (and a 300 s default) and blur the error kinds.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  function stream(req: TransportRequest, rec: StreamRecorder): Promise<void> {
    return new Promise<void>((resolve) => {
      const feed = new ResponseFeed(rec, resolve);
      try {
        pool.dispatch({ origin: o.origin, path: req.path, method: "POST", headers: req.headers, body: req.body }, feed);
      } catch (err) {
        rec.fail(err);
        resolve();
      }
    });
  }

  return {
    stream,
    close: () => pool.close(),
  };
}
