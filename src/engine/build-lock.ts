// One build at a time per cache entry, across processes: vitest's global setups of two projects,
// or a CLI started beside the tests, would otherwise compile llama.cpp twice at once on 2 cores.
// The lock is a folder (mkdir is atomic) holding the owner's pid; a lock whose owner is gone is
// taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LockOptions<T> {
  /** The finished result when it is already there (checked before and after taking the lock). */
  done(): T | null;
  pollMs?: number;
  /** Called once when another process holds the lock. */
  onWait?(ownerPid: number): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withLock<T>(lockDir: string, opts: LockOptions<T>, build: () => Promise<T>): Promise<T> {
  let told = false;
  for (;;) {
    const ready = opts.done();
    if (ready) return ready;
    try {
      mkdirSync(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, "pid"), "utf8"));
      } catch {
        // being created right now: wait a round
      }
      if (Number.isInteger(owner) && !alive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!told && Number.isInteger(owner)) {
        told = true;
        opts.onWait?.(owner);
      }
      await sleep(opts.pollMs ?? 2000);
      continue;
    }
    try {
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      return opts.done() ?? (await build());
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}
