// Client-speed benchmark: is the load generator ever the bottleneck, and how exact are its stamps?
// In one run, against the calibration server in its own process:
//  1. chunks/s and client CPU per chunk, with 1 and 256 concurrent streams, for agentload's
//     client and for a bare undici + JSON.parse loop doing the same requests;
//  2. TTFC measurement error at 256 paced streams: client stamp minus the server's send stamp.
// Prints one table. Targets: client >= 80% of the bare loop's rate; TTFC error p99 < 1 ms.
//
// Run: npx tsx benchmarks/client-speed.ts   (or: node --import tsx benchmarks/client-speed.ts)
import { availableParallelism, loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { Pool } from "undici";
import { buildRequestBody, createClient } from "../src/run/client.js";
import type { ClientRequest } from "../src/run/types.js";
import { startCalibrationServer, wallNow, type CalibrationParams } from "./support/calibration-server.js";

interface Config {
  streams: number;
  chunksPerStream: number;
  /** SSE events per server write. */
  batch: number;
}

interface Sample {
  chunks: number;
  wallMs: number;
  cpuUs: number;
}

const THROUGHPUT: Config[] = [
  { streams: 1, chunksPerStream: 40_000, batch: 1 },
  { streams: 1, chunksPerStream: 150_000, batch: 16 },
  { streams: 256, chunksPerStream: 200, batch: 1 },
  { streams: 256, chunksPerStream: 600, batch: 16 },
];
const REPEATS = 5;
const PACED_ROUNDS = 3;
/** Closed loop: each worker sends `requests` streams in a row; workers start `staggerMs` apart. */
const PACED = { workers: 256, requests: 6, chunks: 25, gapMs: 20, firstDelayMs: 5, staggerMs: 2 };

interface PacedResult {
  /** Sorted. */
  ttfc: number[];
  chunks: number[];
  /** Garbage-collection pauses in this process while the streams ran, ms. */
  gcPauses: number[];
  /** TTFC error p99 of each round: one disturbed round (a neighbour's burst of CPU) shows as one outlier. */
  roundP99: number[];
}

/** Runs the closed loop; keeps streams dispatched once every worker had started (steady state). */
/** One paced stream: resolves when it is over, to a function that works out its stamp errors afterwards. */
type PacedSend = (p: CalibrationParams) => Promise<() => StreamErrors>;

async function paced(send: PacedSend): Promise<PacedResult> {
  const done: (() => StreamErrors)[] = [];
  const gcPauses: number[] = [];
  const gcWatch = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcWatch.observe({ entryTypes: ["gc"] });
  const t0 = performance.now();
  const steadyFrom = t0 + PACED.workers * PACED.staggerMs;
  const p: CalibrationParams = { chunks: PACED.chunks, gapMs: PACED.gapMs, firstDelayMs: PACED.firstDelayMs };
  await Promise.all(
    Array.from({ length: PACED.workers }, async (_, w) => {
      await new Promise((r) => setTimeout(r, w * PACED.staggerMs));
      for (let i = 0; i < PACED.requests; i++) done.push(await send(p));
    }),
  );
  gcWatch.disconnect();
  // Worked out after the streams, so the benchmark's own bookkeeping does not land on them.
  const out = done.map((f) => f());
  const steady = out.filter((s) => s.dispatchedAt >= steadyFrom);
  const ttfc = steady.map((s) => s.errors[0]!).sort((a, b) => a - b);
  return {
    gcPauses,
    roundP99: [quantile(ttfc, 0.99)],
    ttfc,
    chunks: steady.flatMap((s) => s.errors).sort((a, b) => a - b),
  };
}

function request(p: CalibrationParams): ClientRequest {
  return { api: "chat", model: "calib", messages: [{ role: "user", content: "go" }], maxTokens: p.chunks, extraBody: { calibration: p } };
}

async function measure(run: () => Promise<number>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const chunks = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { chunks, wallMs, cpuUs: cpu.user + cpu.system };
}

/** Stamp errors of one stream: client stamp minus server send stamp, in ms. */
interface StreamErrors {
  dispatchedAt: number;
  errors: number[];
}

/**
 * The baseline: what a minimal hand-written undici SSE loop costs. With `errors`, it also stamps
 * each read and compares it with the send stamps in the chunks (the floor for stamp error).
 */
function bareLoop(baseUrl: string) {
  const url = new URL(baseUrl);
  const pool = new Pool(url.origin, { connections: 1024, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const path = `${url.pathname}/chat/completions`;
  const headers = { "content-type": "application/json", accept: "text/event-stream" };
  async function one(p: CalibrationParams, errors?: StreamErrors[]): Promise<number> {
    const mine: StreamErrors = { dispatchedAt: performance.now(), errors: [] };
    const { statusCode, body } = await pool.request({ path, method: "POST", headers, body: JSON.stringify(buildRequestBody(request(p))) });
    if (statusCode !== 200) throw new Error(`bare loop: HTTP ${statusCode}`);
    let tail = "";
    let events = 0;
    await new Promise<void>((resolve, reject) => {
      body.on("data", (chunk: Buffer) => {
        const at = errors ? performance.now() : 0;
        const s = tail + chunk.toString("utf8");
        let pos = 0;
        let i: number;
        while ((i = s.indexOf("\n\n", pos)) !== -1) {
          const line = s.slice(pos, i);
          pos = i + 2;
          if (line.startsWith("data: ") && line !== "data: [DONE]") {
            const m = JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string } }[] };
            const content = m.choices[0]?.delta?.content;
            if (content) {
              events++;
              if (errors) mine.errors.push(performance.timeOrigin + at - Number(content.slice(1)));
            }
          }
        }
        tail = s.slice(pos);
      });
      body.on("end", resolve);
      body.on("error", reject);
    });
    errors?.push(mine);
    return events;
  }
  return { one, close: () => pool.close() };
}

function merge(into: PacedResult, more: PacedResult): void {
  into.ttfc = [...into.ttfc, ...more.ttfc].sort((a, b) => a - b);
  into.chunks = [...into.chunks, ...more.chunks].sort((a, b) => a - b);
  into.gcPauses = [...into.gcPauses, ...more.gcPauses];
  into.roundP99 = [...into.roundP99, ...more.roundP99];
}

/** A full collection between phases (gc is exposed at run time, so no node flag is needed). */
function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  // Other work on the machine shows up as stamp error: say how busy it was.
  const loadBefore = loadavg()[0]!;
  const server = await startCalibrationServer();
  const client = createClient({ baseUrl: server.baseUrl, transport: "undici" });
  const bare = bareLoop(server.baseUrl);
  const clockSkewMs = wallNow() - Number(process.hrtime.bigint()) / 1e6 - server.wallMinusMonotonicMs;

  const runClient = (c: Config) => async () => {
    const p: CalibrationParams = { chunks: c.chunksPerStream, batch: c.batch };
    const obs = await Promise.all(Array.from({ length: c.streams }, () => client.send(request(p))));
    const failed = obs.find((o) => o.error);
    if (failed) throw new Error(`client: ${failed.error!.kind}: ${failed.error!.message}`);
    return obs.reduce((n, o) => n + o.chunkAt.length, 0);
  };
  const runBare = (c: Config) => async () => {
    const p: CalibrationParams = { chunks: c.chunksPerStream, batch: c.batch };
    const counts = await Promise.all(Array.from({ length: c.streams }, () => bare.one(p)));
    return counts.reduce((a, b) => a + b, 0);
  };

  // Warm up both paths (JIT, connections).
  for (const c of THROUGHPUT) {
    const small = { ...c, chunksPerStream: Math.ceil(c.chunksPerStream / 4) };
    await runBare(small)();
    await runClient(small)();
  }

  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const c of THROUGHPUT) {
    collectGarbage();
    const b: Sample[] = [];
    const k: Sample[] = [];
    for (let r = 0; r < REPEATS; r++) {
      b.push(await measure(runBare(c)));
      k.push(await measure(runClient(c)));
    }
    const rate = (s: Sample[]) => median(s.map((x) => (x.chunks / x.wallMs) * 1000));
    const cpu = (s: Sample[]) => median(s.map((x) => x.cpuUs / x.chunks));
    const ratio = rate(k) / rate(b);
    rows.push([
      String(c.streams),
      String(c.batch),
      fmt(rate(b), 0),
      fmt(rate(k), 0),
      `${fmt(ratio * 100, 0)}%`,
      fmt(cpu(b), 2),
      fmt(cpu(k), 2),
    ]);
    verdicts.push(`${ratio >= 0.8 ? "PASS" : "MISS"}  client >= 80% of bare loop, ${c.streams} stream(s), ${c.batch} event(s)/write: ${fmt(ratio * 100, 0)}%`);
  }

  // Stamp error at steady concurrency: closed-loop workers, each sending paced streams one after
  // another; the workers start a little apart, as a run's sessions would.
  const sendClient: PacedSend = async (p) => {
    const o = await client.send(request(p));
    return () => {
      if (o.error) throw new Error(`paced: ${o.error.kind}: ${o.error.message}`);
      const sent = o.text.split("@").slice(1).map(Number);
      if (sent.length !== o.chunkAt.length) throw new Error(`paced: ${sent.length} stamps for ${o.chunkAt.length} chunks`);
      return { dispatchedAt: o.dispatchedAt, errors: o.chunkAt.map((at, i) => performance.timeOrigin + at - sent[i]!) };
    };
  };
  const sendBare: PacedSend = async (p) => {
    const out: StreamErrors[] = [];
    await bare.one(p, out);
    return () => out[0]!;
  };
  // Alternate, each from a collected heap, so neither inherits the other's garbage.
  const pacedClient: PacedResult = { ttfc: [], chunks: [], gcPauses: [], roundP99: [] };
  const pacedBare: PacedResult = { ttfc: [], chunks: [], gcPauses: [], roundP99: [] };
  for (let r = 0; r < PACED_ROUNDS; r++) {
    collectGarbage();
    merge(pacedClient, await paced(sendClient));
    collectGarbage();
    merge(pacedBare, await paced(sendBare));
  }

  await client.close();
  await bare.close();
  await server.stop();

  const header = ["streams", "events/write", "bare chunks/s", "client chunks/s", "client/bare", "bare CPU us/chunk", "client CPU us/chunk"];
  console.log(`\nClient throughput (median of ${REPEATS}; server in its own process)\n`);
  console.log(table([header, ...rows]));
  const rateTotal = (PACED.workers * 1000) / PACED.gapMs;
  console.log(
    `\nStamp error, client stamp minus server send stamp (ms): ${PACED.workers} streams in flight, ` +
      `${PACED.chunks} chunks each, one every ${PACED.gapMs} ms (${fmt(rateTotal, 0)} chunks/s)\n`,
  );
  const line = (name: string, xs: number[]) => [name, String(xs.length), fmt(quantile(xs, 0.5), 3), fmt(quantile(xs, 0.9), 3), fmt(quantile(xs, 0.99), 3), fmt(xs.at(-1)!, 3)];
  console.log(
    table([
      ["", "n", "p50", "p90", "p99", "max"],
      line("TTFC, agentload client", pacedClient.ttfc),
      line("TTFC, bare undici loop", pacedBare.ttfc),
      line("every chunk, agentload client", pacedClient.chunks),
      line("every chunk, bare undici loop", pacedBare.chunks),
    ]),
  );
  const rounds = (r: PacedResult) => r.roundP99.map((x) => fmt(x, 3)).join(" / ");
  console.log(`\nTTFC error p99 by round (ms): agentload client ${rounds(pacedClient)}; bare undici loop ${rounds(pacedBare)}`);
  const gcLine = (name: string, r: PacedResult) =>
    `${name}: ${r.gcPauses.length} pauses, ${fmt(r.gcPauses.reduce((a, b) => a + b, 0), 1)} ms in all, longest ${fmt(Math.max(0, ...r.gcPauses), 1)} ms`;
  console.log(`\nGarbage collection in the client process during those streams (all rounds):`);
  console.log(`  ${gcLine("agentload client", pacedClient)}\n  ${gcLine("bare undici loop", pacedBare)}`);
  console.log(`\nClock agreement between the two processes (timeOrigin + now vs. monotonic): ${fmt(clockSkewMs * 1000, 1)} us`);
  console.log(`Machine load (1-min average) before and after: ${fmt(loadBefore, 2)}, ${fmt(loadavg()[0]!, 2)} on ${availableParallelism()} cores\n`);
  const p99 = median(pacedClient.roundP99);
  verdicts.push(
    `${p99 < 1 ? "PASS" : "MISS"}  TTFC error p99 < 1 ms at ${PACED.workers} streams (median of ${PACED_ROUNDS} rounds): ${fmt(p99, 3)} ms ` +
      `(bare undici loop on the same machine: ${fmt(median(pacedBare.roundP99), 3)} ms)`,
  );
  console.log(verdicts.join("\n"));
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
}

await main();
