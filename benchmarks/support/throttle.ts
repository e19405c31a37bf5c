// Slows a server process down by a known factor without touching its code: a child process
// stops it (SIGSTOP) for part of every period and lets it run (SIGCONT) for the rest, so it gets
// 1/factor of the wall time. Used to inject a "1.5x regression" into the real engine.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface Throttle {
  stop(): Promise<void>;
}

/** Run `pid` for periodMs/factor out of every periodMs. */
export function throttle(pid: number, factor: number, periodMs = 30): Throttle {
  const runMs = periodMs / factor;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [String(pid), String(runMs), String(periodMs - runMs)], {
    execArgv: process.execArgv,
    stdio: "inherit",
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => {
          try {
            process.kill(pid, "SIGCONT");
          } catch {
            // already gone
          }
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

// As the child: alternate SIGCONT / SIGSTOP until told to stop, and always leave it running.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.length === 5) {
  const [pid, runMs, stopMs] = process.argv.slice(2).map(Number) as [number, number, number];
  let running = true;
  const tick = () => {
    try {
      process.kill(pid, running ? "SIGSTOP" : "SIGCONT");
    } catch {
      process.exit(0);
    }
    running = !running;
    setTimeout(tick, running ? runMs : stopMs);
  };
  setTimeout(tick, runMs);
  process.on("SIGTERM", () => {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone
    }
    process.exit(0);
  });
}
