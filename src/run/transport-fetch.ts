// Transport for Bun and Deno (and Node when asked): the runtime's fetch, reading the body with
// a stream reader. Each read() that resolves is one read; it is stamped as soon as it resolves.
// Web-standard APIs only. There is no separate connect timeout here: fetch does not expose one.
import type { Transport, TransportRequest } from "./transport-types.js";
import type { StreamRecorder } from "./stream-recorder.js";

export function createFetchTransport(): Transport {
  async function stream(req: TransportRequest, rec: StreamRecorder): Promise<void> {
    const ctl = new AbortController();
    rec.onStop = () => ctl.abort();
    let res: Response;
    try {
      res = await fetch(req.url, { method: "POST", headers: req.headers, body: req.body, signal: ctl.signal });
    } catch (err) {
      rec.fail(err);
      return;
    }
    const status = res.status;
    rec.headers(status, res.headers.get("content-type") ?? undefined, status > 299 ? (res.headers.get("retry-after") ?? undefined) : undefined);
    const body = res.body;
    if (body === null) {
      rec.end(performance.now());
      return;
    }
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const at = performance.now();
        if (done) {
          rec.end(at);
          return;
        }
        rec.read(value, at);
        if (rec.closed) {
          await reader.cancel().catch(() => undefined);
          return;
        }
      }
    } catch (err) {
      rec.fail(err);
    }
  }

  return { stream, close: async () => undefined };
}
