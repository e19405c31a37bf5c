// Calibration server for the client-speed benchmark, run in its own process so it never shares
// the client's event loop. It streams pre-built chat.completion chunks, either as fast as the
// socket takes them or paced, and writes its send time into each chunk's content as
// "@<ms>", in the clock both processes share on one machine:
// performance.timeOrigin + performance.now().
//
// Run it with startCalibrationServer() (forks this file); as a child it reports its port over IPC.
// Per request, the JSON body's `calibration` object says what to send (see CalibrationParams).
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { idleClassRunner } from "../../src/engine/llama-server.js";

export interface CalibrationParams {
  /** Content chunks to send. */
  chunks: number;
  /** 0: as fast as the socket takes them; otherwise one chunk every gapMs. */
  gapMs?: number;
  /** Chunks per write when unpaced (each is still its own SSE event). Default 1. */
  batch?: number;
  /** Pause before the first chunk. */
  firstDelayMs?: number;
}

export interface CalibrationServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** The server's (timeOrigin + now) minus its hrtime in ms: compare with the client's to see clock agreement. */
  wallMinusMonotonicMs: number;
  stop(): Promise<void>;
}

/** Width of the stamp field: 13 integer digits, a point, 4 decimals. */
export const STAMP_WIDTH = 18;
const STAMP_SLOT = "@".padEnd(STAMP_WIDTH + 1, "0");

const head = '{"id":"chatcmpl-calib","object":"chat.completion.chunk","created":1700000000,"model":"calib","choices":[{"index":0,"delta":{"content":"';
const CHUNK = Buffer.from(`data: ${head}${STAMP_SLOT}"},"finish_reason":null}]}\n\n`, "latin1");
const STAMP_AT = Buffer.byteLength(`data: ${head}@`, "latin1");
const ROLE = Buffer.from(`data: ${head}"},"finish_reason":null}]}\n\n`.replace('"content":""', '"role":"assistant","content":""'));

function tail(chunks: number): Buffer {
  const finish = `data: ${head}"},"finish_reason":"length"}]}\n\n`;
  const usage = `data: {"id":"chatcmpl-calib","object":"chat.completion.chunk","created":1700000000,"model":"calib","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":${chunks},"total_tokens":${chunks + 8},"prompt_tokens_details":{"cached_tokens":0}}}\n\n`;
  return Buffer.from(`${finish}${usage}data: [DONE]\n\n`);
}

export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** `count` chunks in one buffer, all stamped now. */
function stampedChunks(count: number): Buffer {
  const buf = Buffer.allocUnsafe(CHUNK.length * count);
  const stamp = wallNow().toFixed(4).padStart(STAMP_WIDTH, "0");
  for (let i = 0; i < count; i++) {
    const off = i * CHUNK.length;
    CHUNK.copy(buf, off);
    buf.write(stamp, off + STAMP_AT, "latin1");
  }
  return buf;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function stream(res: ServerResponse, p: CalibrationParams): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(ROLE);
  if (p.firstDelayMs) await sleep(p.firstDelayMs);
  const gap = p.gapMs ?? 0;
  const batch = Math.max(1, p.batch ?? 1);
  let sent = 0;
  if (gap > 0) {
    // Paced: aim at fixed times from the start, so timer lateness does not add up.
    const start = performance.now();
    while (sent < p.chunks && !res.destroyed) {
      const due = start + sent * gap - performance.now();
      if (due > 0) await sleep(due);
      res.write(stampedChunks(1));
      sent++;
    }
  } else {
    while (sent < p.chunks && !res.destroyed) {
      const n = Math.min(batch, p.chunks - sent);
      sent += n;
      if (!res.write(stampedChunks(n))) await drained(res);
    }
  }
  res.end(tail(p.chunks));
}

function serve(): void {
  const server = createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (p: Buffer) => parts.push(p));
    req.on("end", () => {
      let params: CalibrationParams = { chunks: 16 };
      try {
        const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as { calibration?: CalibrationParams };
        if (body.calibration) params = body.calibration;
      } catch {
        res.writeHead(400).end("body is not JSON");
        return;
      }
      void stream(res, params);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    process.send?.({ port, wallMinusMonotonicMs: wallNow() - Number(process.hrtime.bigint()) / 1e6 });
  });
  // The parent owns this process: go when it goes or says so.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m) => {
    if (m === "stop") server.close(() => process.exit(0));
  });
}

/**
 * Fork this file as a child process running the server. With `idleClass` its every thread is put
 * in Linux's idle CPU class (`chrt --all-tasks --idle --pid 0`, as `--engine-idle` does for the
 * built-in engine), so that it never holds a core the client has just woken up for: what is left
 * of a dispatch's lateness is then the client's own. Throws where the class cannot be had.
 */
export function startCalibrationServer(options: { idleClass?: boolean } = {}): Promise<CalibrationServer> {
  const chrt = options.idleClass === true ? idleClassRunner({ platform: process.platform, path: process.env.PATH }) : null;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--serve"], {
    // Resolved here, so the child finds tsx whatever its working directory.
    execArgv: ["--import", import.meta.resolve("tsx")],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`calibration server exited early (code ${code})`)));
    child.once("message", (m) => {
      const { port, wallMinusMonotonicMs } = m as { port: number; wallMinusMonotonicMs: number };
      if (chrt !== null) execFileSync(chrt, ["--all-tasks", "--idle", "--pid", "0", String(child.pid)]);
      resolve({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        wallMinusMonotonicMs,
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.send("stop");
          }),
      });
    });
  });
}

if (process.argv.includes("--serve") && process.send) serve();
