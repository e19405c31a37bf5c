// Node transport: an undici Pool (keep-alive connections, one request in flight per connection)
// and request(), reading the body through 'data' events. Node-only.
import { Pool } from "undici";
import type { Transport, TransportRequest } from "./transport-types.js";
import type { StreamRecorder } from "./stream-recorder.js";

export interface UndiciTransportOptions {
  origin: string;
  connections: number;
  connectMs: number;
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

  async function stream(req: TransportRequest, rec: StreamRecorder, signal: AbortSignal): Promise<void> {
    let res: Awaited<ReturnType<Pool["request"]>>;
    try {
      res = await pool.request({ path: req.path, method: "POST", headers: req.headers, body: req.body, signal });
    } catch (err) {
      rec.fail(err);
      return;
    }
    rec.headers(res.statusCode);
    const body = res.body;
    await new Promise<void>((resolve) => {
      // undici hands every HTTP chunk of one socket read to 'data' in a row, without a
      // microtask checkpoint between them: stamp the first, share it with the rest, and let a
      // microtask mark the end of the read. Parsing one chunk thus never delays the next stamp.
      let stamp = -1;
      const readOver = (): void => {
        stamp = -1;
      };
      body.on("data", (chunk: Buffer) => {
        if (stamp < 0) {
          stamp = performance.now();
          queueMicrotask(readOver);
        }
        rec.read(chunk, stamp);
      });
      body.on("end", () => {
        rec.end(performance.now());
        resolve();
      });
      body.on("error", (err: Error) => {
        rec.fail(err);
        resolve();
      });
      body.on("close", () => resolve());
    });
  }

  return {
    stream,
    close: () => pool.close(),
  };
}
