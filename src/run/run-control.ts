// Stopping a run: the caller's signal (Ctrl-C) or the traffic's duration stops dispatching at
// once; requests in flight then get graceMs to finish before they are aborted.
import { setMaxListeners } from "node:events";
import type { TimerQueue } from "./timer-queue.js";

export interface RunControlOptions {
  timers: TimerQueue;
  /** Stops the run when aborted (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** How long in-flight requests may take to finish once the run stops (default 10 s). */
  graceMs?: number | undefined;
  /** Stops the run this long after it started. */
  durationSeconds?: number | undefined;
}

export interface RunControl {
  /** Aborted graceMs after the run stops: every in-flight request listens on it. */
  readonly inflight: AbortSignal;
  /** True once the run stops dispatching (it was then interrupted). */
  stopped(): boolean;
  /** Stops listening to the caller's signal and the duration. */
  dispose(): void;
}

export function startRunControl(opts: RunControlOptions): RunControl {
  const inflight = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(Infinity, inflight.signal);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    opts.timers.flush(); // planned dispatches see `stopped` and bail out
    const grace = setTimeout(() => inflight.abort(), opts.graceMs ?? 10_000);
    grace.unref?.();
  };
  const onAbort = () => stop();
  opts.signal?.addEventListener("abort", onAbort);
  const durationTimer = opts.durationSeconds !== undefined ? setTimeout(stop, opts.durationSeconds * 1000) : undefined;
  return {
    inflight: inflight.signal,
    stopped: () => stopped,
    dispose() {
      if (durationTimer) clearTimeout(durationTimer);
      opts.signal?.removeEventListener("abort", onAbort);
    },
  };
}
