// Stopping a run: the caller's signal (Ctrl-C, SIGTERM) stops dispatching at once; requests in
// flight then get graceMs to finish before they are aborted. (The traffic's duration is not a
// stop: it ends the release of sessions, and the sessions released finish: run.ts.)
// Before the clock starts, set-up steps end at once on the signal (setUpSteps): a run interrupted
// there measured nothing and throws RunInterrupted.
import { setMaxListeners } from "node:events";
import type { TimerQueue } from "./timer-queue.js";

export interface RunControlOptions {
  timers: TimerQueue;
  /** Stops the run when aborted (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** How long in-flight requests may take to finish once the run stops (default 10 s). */
  graceMs?: number | undefined;
  /** Called once when the run stops dispatching (the achieved load's steady part ends there). */
  onStop?: (() => void) | undefined;
}

export interface RunControl {
  /** Aborted graceMs after the run stops: every in-flight request listens on it. */
  readonly inflight: AbortSignal;
  /** True once the run stops dispatching (it was then interrupted). */
  stopped(): boolean;
  /** Stops listening to the caller's signal. */
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
    opts.onStop?.();
    opts.timers.flush(); // planned dispatches see `stopped` and bail out
    const grace = setTimeout(() => inflight.abort(), opts.graceMs ?? 10_000);
    grace.unref?.();
  };
  const onAbort = () => stop();
  opts.signal?.addEventListener("abort", onAbort);
  // A signal that fired between the set-up's last step and here dispatches no event any more.
  if (opts.signal?.aborted) stop();
  return {
    inflight: inflight.signal,
    stopped: () => stopped,
    dispose() {
      opts.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** The run's signal fired before the clock started (code "interrupted"): nothing was measured. */
export class RunInterrupted extends Error {
  readonly code = "interrupted";
  constructor(readonly step: string) {
    super(`interrupted during set-up (${step}), before the first measured request: nothing was measured`);
    this.name = "RunInterrupted";
  }
}

export interface SetUpSteps {
  /**
   * Runs one set-up step and gives its result; when the signal fires, before or during the step,
   * rejects with RunInterrupted at once (an abandoned step ends on its own, unawaited).
   */
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** What an interrupted set-up undoes (the run folder, the client), last registered first. */
  onInterrupt(undo: () => void | Promise<void>): void;
}

/**
 * The steps before the clock (preflight, content set-up, warm-up request) take from 0.1 s to
 * the server's timeouts; each one listens to the signal so an interrupt there ends the run now
 * instead of after the whole set-up (and a run that then started anyway).
 */
export function setUpSteps(signal: AbortSignal | undefined): SetUpSteps {
  const undo: (() => void | Promise<void>)[] = [];
  const interrupted = async (name: string): Promise<RunInterrupted> => {
    for (const u of undo.splice(0).reverse()) {
      try {
        await u();
      } catch {
        // undoing is best effort: the interrupt is what the caller must hear about
      }
    }
    return new RunInterrupted(name);
  };
  return {
    onInterrupt: (u) => void undo.push(u),
    async step(name, work) {
      if (signal?.aborted) throw await interrupted(name);
      if (!signal) return work();
      let onAbort = (): void => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error("aborted"));
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([work(), aborted]);
      } catch (err) {
        // An error the abort itself caused (a warm-up request stopped) is the interrupt too.
        if (signal.aborted) throw await interrupted(name);
        throw err;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
