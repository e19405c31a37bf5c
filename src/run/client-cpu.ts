// How busy the client itself was during the run, in one-second windows: the share of each window
// its event loop spent working (performance.eventLoopUtilization, Node), else the process's CPU
// time over the window's wall time (process.cpuUsage: Bun and Deno have no event-loop
// utilization), else nothing, with a note. And when its event loop stalled: a timer every
// STALL_TICK_MS that does not fire for STALL_MIN_MS or more marks a stretch in which no chunk
// could be stamped and no timeout fire (plain timers: every runtime). metrics/client-checks.ts
// judges both.
import { STALL_MIN_MS, type ClientCpuSamples, type EventLoopStall } from "../metrics/client-checks.js";
import type { StallWatcher } from "./stall-marks.js";

interface EventLoopUtilization {
  idle: number;
  active: number;
  utilization: number;
}
type EluFn = (prev?: EventLoopUtilization) => EventLoopUtilization;
type CpuFn = (prev?: { user: number; system: number }) => { user: number; system: number };

export interface CpuSampler {
  /** Stops sampling; the last partial window counts when it is at least half a window long. */
  stop(): ClientCpuSamples;
}

export interface CpuSamplerOptions {
  windowMs?: number;
  /** The stall detector's timer period (default STALL_TICK_MS). */
  tickMs?: number;
  /** Told every tick and every stall as they happen (the recorder marks stalls with the requests in flight: stall-marks.ts). */
  watcher?: StallWatcher;
  now?: () => number;
  /** For tests: the runtime's APIs (default: those of globalThis). */
  eventLoopUtilization?: EluFn | undefined;
  cpuUsage?: CpuFn | undefined;
}

/** A reading of "busy" since the previous one, over `wallMs`; null when the API said nothing. */
type Reader = (wallMs: number) => number | null;

function eluReader(elu: EluFn): Reader {
  let prev = elu();
  return () => {
    const d = elu(prev);
    prev = elu();
    return d.idle + d.active > 0 ? d.utilization : null;
  };
}

/** A runtime may stub the API with zeros: counted only when it has seen time pass since start. */
function working(elu: EluFn | undefined): EluFn | undefined {
  if (!elu) return undefined;
  try {
    const e = elu();
    return e && e.idle + e.active > 0 ? elu : undefined;
  } catch {
    return undefined;
  }
}

function cpuReader(cpu: CpuFn): Reader {
  let prev = cpu();
  return (wallMs) => {
    const d = cpu(prev);
    prev = cpu();
    return wallMs > 0 ? (d.user + d.system) / 1000 / wallMs : null;
  };
}

/**
 * The stall detector's period: a stall is seen to within it, and STALL_MIN_MS is 4 periods. An
 * idle process ticking every 50 ms used 4 ms of CPU a second (event-loop utilization 0.25%; every
 * 20 ms: 8 ms and up to 1.7%).
 */
export const STALL_TICK_MS = 50;
/** Stalls kept (the earliest); the count and the longest are kept beyond it. */
export const MAX_STALLS = 100;

/** Stalls of the event loop: gaps of STALL_MIN_MS or more between two ticks of a STALL_TICK_MS timer. */
function stallDetector(now: () => number, tickMs: number, watcher: StallWatcher | undefined) {
  const start = now();
  let last = start;
  const stalls: EventLoopStall[] = [];
  let count = 0;
  let longest: EventLoopStall | undefined;
  const check = () => {
    const at = now();
    // No timer fired for the whole gap (it should have after tickMs): the loop was busy.
    if (at - last >= STALL_MIN_MS) {
      const stall = { atMs: last - start, ms: at - last };
      count++;
      if (stalls.length < MAX_STALLS) stalls.push(stall);
      if (!longest || stall.ms > longest.ms) longest = stall;
      watcher?.stall(stall);
    }
    last = at;
    watcher?.tick(last - start);
  };
  const timer = setInterval(check, tickMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    stop(): Pick<ClientCpuSamples, "stalls" | "stallCount"> {
      clearInterval(timer);
      check(); // a stall running until now
      if (longest && !stalls.includes(longest)) stalls.push(longest);
      return { stalls, stallCount: count };
    },
  };
}

export function startCpuSampler(options: CpuSamplerOptions = {}): CpuSampler {
  const windowMs = options.windowMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const stalls = stallDetector(now, options.tickMs ?? STALL_TICK_MS, options.watcher);
  const g = globalThis as { performance?: { eventLoopUtilization?: EluFn }; process?: { cpuUsage?: CpuFn } };
  const elu = working("eventLoopUtilization" in options ? options.eventLoopUtilization : g.performance?.eventLoopUtilization?.bind(g.performance));
  const cpu = "cpuUsage" in options ? options.cpuUsage : g.process?.cpuUsage?.bind(g.process);
  const source: ClientCpuSamples["source"] = elu ? "eventLoopUtilization" : cpu ? "cpuUsage" : null;
  if (source === null) {
    const note = "client CPU not sampled: this runtime has neither performance.eventLoopUtilization nor process.cpuUsage";
    return { stop: () => ({ source, windowMs, busy: [], note, ...stalls.stop() }) };
  }
  const read = elu ? eluReader(elu) : cpuReader(cpu!);
  const busy: number[] = [];
  let since = now();
  const sample = () => {
    const at = now();
    const b = read(at - since);
    since = at;
    if (b !== null) busy.push(b);
  };
  // A blocked event loop fires the interval late: each window is read over its real length.
  const timer = setInterval(sample, windowMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    stop() {
      clearInterval(timer);
      if (now() - since >= windowMs / 2) sample();
      return { source, windowMs, busy, ...stalls.stop() };
    },
  };
}
