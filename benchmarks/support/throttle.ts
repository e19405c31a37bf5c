// Slows a server process down by a known factor without touching its code: a child process
// stops it (SIGSTOP) for part of every period and lets it run (SIGCONT) for the rest, so it gets
// 1/factor of the wall time. Used to inject a "1.5x regression" into the real engine.
import { spawn, type ChildProcess } from "node:child_process";

export interface Throttle {
  stop(): Promise<void>;
}

// The child's program, plain JavaScript run with `node -e` so it starts the same from tsx, from a
// vitest worker (whose execArgv cannot load a .ts file) or from built code: alternate SIGCONT /
// SIGSTOP in a loop that sleeps on a futex (Atomics.wait takes fractions of a millisecond; timers
// round to whole ones, and a 1 ms stop in 30 ms made a "1.2x" that slowed the workload 1.02-1.04x).
// stop() kills it and sends SIGCONT itself. It ignores SIGTERM: started beside an engine
// (support/engine-builds.ts) it shares the engine's process group, and dying on the group's
// SIGTERM could leave the engine stopped; instead it runs on until the engine has exited.
// The last three arguments count, so it runs the same from `node -e` and from a file.
export const THROTTLE_PROGRAM = `
const [pid, runMs, stopMs] = process.argv.slice(-3).map(Number);
process.on("SIGTERM", () => {});
const cell = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  Atomics.wait(cell, 0, 0, runMs);
  try { process.kill(pid, "SIGSTOP"); } catch { process.exit(0); }
  Atomics.wait(cell, 0, 0, stopMs);
  try { process.kill(pid, "SIGCONT"); } catch { process.exit(0); }
}
`;

export const THROTTLE_PERIOD_MS = 10;

/** Run `pid` for periodMs/factor out of every periodMs. */
export function throttle(pid: number, factor: number, periodMs = THROTTLE_PERIOD_MS): Throttle {
  const runMs = periodMs / factor;
  const child: ChildProcess = spawn(process.execPath, ["-e", THROTTLE_PROGRAM, String(pid), String(runMs), String(periodMs - runMs)], { stdio: "inherit" });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          try {
            process.kill(pid, "SIGCONT");
          } catch {
            // already gone
          }
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGKILL");
      }),
  };
}
