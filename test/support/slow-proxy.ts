// A known slowdown in front of a real server: an HTTP proxy that forwards everything, and holds a
// streamed chat reply until `factor` times the time its first generated token took to come back
// (from the proxy receiving the request), then lets the whole stream through. It logs each hold,
// in the order the requests came, so a test knows every request's slowdown exactly: a client's
// TTFC less its hold is what it would have measured without the proxy's hold (the few ms the
// client and the proxy spend outside the proxy's clock are in both). The server is not slowed,
// only the reply held: with one session at a time it sees the same requests, only later. Fault
// injection on top of the real engine, not a stand-in for it.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SlowProxy {
  /** Base URL, e.g. http://127.0.0.1:PORT (add /v1). */
  baseUrl: string;
  /** 1 passes replies through at once; 1.5 holds each first token until 1.5x its time. */
  factor: number;
  /** Each held chat request's hold, ms, in the order the requests arrived (agentload's unrecorded warm-up request left out). */
  holds: number[];
  close(): Promise<void>;
}

/** A generated token in an SSE chunk: a content or reasoning delta that is not empty. */
const TOKEN = /"(?:content|reasoning_content)":"[^"]/;

export async function startSlowProxy(target: string): Promise<SlowProxy> {
  const upstream = new URL(target);
  const proxy: SlowProxy = { baseUrl: "", factor: 1, holds: [], close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    const arrived = performance.now();
    const factor = proxy.factor;
    /** Where this request's hold goes in the log (a slot taken on arrival keeps the order). */
    let slot = -1;
    // A fresh connection per request: a kept-alive one llama-server had closed failed the next request.
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent: false },
      (reply) => {
        const streamed = /text\/event-stream/.test(String(reply.headers["content-type"] ?? ""));
        if (factor === 1 || !streamed) {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
          return;
        }
        const held: Buffer[] = [];
        let seen = "";
        let released = false;
        const release = () => {
          released = true;
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          for (const b of held) res.write(b);
          held.length = 0;
          reply.resume();
          reply.pipe(res);
        };
        reply.on("data", (b: Buffer) => {
          if (released) return;
          held.push(b);
          seen += b.toString("utf8");
          if (!TOKEN.test(seen)) return;
          // Hold from here on: the rest of the stream waits in the reply's buffer.
          reply.pause();
          reply.removeAllListeners("data");
          const hold = Math.max(0, (factor - 1) * (performance.now() - arrived));
          if (slot >= 0) proxy.holds[slot] = hold;
          setTimeout(release, hold);
        });
        // A stream that ended without a token (an error event) goes through as it came.
        reply.on("end", () => {
          if (released) return;
          released = true;
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          res.end(Buffer.concat(held));
        });
      },
    );
    forward.on("error", () => res.destroy());
    // The body is read here to tell the warm-up request (one "warm up" message) from measured ones.
    const body: Buffer[] = [];
    req.on("data", (b: Buffer) => body.push(b));
    req.on("end", () => {
      const text = Buffer.concat(body);
      if (/\/chat\/completions$/.test(req.url ?? "") && factor !== 1 && !text.includes('"warm up"')) slot = proxy.holds.push(NaN) - 1;
      forward.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
