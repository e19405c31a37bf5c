// Runs one session graph: a node is ready when all its parents have finished, and is dispatched
// wait_after_ready later. Nodes of one session run concurrently wherever the DAG allows.
import type { RequestNode, SessionGraph } from "../workload/types.js";
import type { TimerQueue } from "./timer-queue.js";

export interface NodeStart {
  session: SessionGraph;
  node: RequestNode;
  /** All parents done (session start for roots). */
  readyAt: number;
  /** readyAt + waitAfterReadyMs: when the node should be dispatched. */
  plannedAt: number;
}

export interface SessionRunnerDeps {
  timers: TimerQueue;
  now: () => number;
  /** Sends the node's request and resolves when it has ended; false when it failed. */
  execute(start: NodeStart): Promise<boolean>;
  /** After a failed request: go on with the session, or cancel what has not started. */
  onError: "continue" | "cancel-session";
  /** True once the run stops dispatching (Ctrl-C, duration reached). */
  stopped(): boolean;
}

export interface SessionOutcome {
  sessionId: string;
  dispatched: number;
  failed: number;
  /** Nodes never dispatched (cancelled session or stopped run). */
  skipped: number;
}

export function runSession(session: SessionGraph, deps: SessionRunnerDeps, startAt = deps.now()): Promise<SessionOutcome> {
  const nodes = session.nodes;
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const waiting = nodes.map((n) => n.parents.length);
  const children: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const p of n.parents) children[index.get(p)!]!.push(i);
  });

  const outcome: SessionOutcome = { sessionId: session.id, dispatched: 0, failed: 0, skipped: 0 };
  let cancelled = false;
  let inFlight = 0;
  let settled = 0;

  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (inFlight === 0 && (settled === nodes.length || cancelled || deps.stopped())) {
        outcome.skipped = nodes.length - outcome.dispatched;
        resolve(outcome);
      }
    };
    const schedule = (i: number, readyAt: number) => {
      const node = nodes[i]!;
      const plannedAt = readyAt + node.waitAfterReadyMs;
      inFlight++; // counts the planned dispatch too, so the session cannot end while it waits
      deps.timers.at(plannedAt, () => {
        if (cancelled || deps.stopped()) {
          inFlight--;
          finishIfDone();
          return;
        }
        outcome.dispatched++;
        deps.execute({ session, node, readyAt, plannedAt }).then(
          (ok) => done(i, ok),
          () => done(i, false),
        );
      });
    };
    const done = (i: number, ok: boolean) => {
      inFlight--;
      settled++;
      if (!ok) {
        outcome.failed++;
        if (deps.onError === "cancel-session") cancelled = true;
      }
      if (!cancelled && !deps.stopped()) {
        const now = deps.now();
        for (const c of children[i]!) {
          if (--waiting[c]! === 0) schedule(c, now);
        }
      }
      finishIfDone();
    };
    nodes.forEach((n, i) => {
      if (n.parents.length === 0) schedule(i, startAt);
    });
    if (nodes.length === 0) resolve(outcome);
  });
}
