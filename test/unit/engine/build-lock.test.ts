// The engine build lock: concurrent callers build once and all get the result; a lock left by a
// process that is gone is taken over.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withLock } from "../../../src/engine/build-lock.js";

describe("withLock", () => {
  it("builds once while concurrent callers wait for the result", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-lock-"));
    let result: string | null = null;
    let builds = 0;
    const waited: number[] = [];
    const build = async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 80));
      result = "built";
      return result;
    };
    const opts = { done: () => result, pollMs: 10, onWait: (pid: number) => waited.push(pid) };
    const out = await Promise.all([withLock(join(dir, "x.lock"), opts, build), withLock(join(dir, "x.lock"), opts, build), withLock(join(dir, "x.lock"), opts, build)]);
    expect(out).toEqual(["built", "built", "built"]);
    expect(builds).toBe(1);
    expect(waited).toEqual([process.pid, process.pid]);
  });

  it("takes over a lock whose owner has exited", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-lock-"));
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    mkdirSync(join(dir, "x.lock"));
    writeFileSync(join(dir, "x.lock", "pid"), gone.stdout);
    let builds = 0;
    const r = await withLock(join(dir, "x.lock"), { done: () => null, pollMs: 10 }, async () => `built ${++builds}`);
    expect(r).toBe("built 1");
  });
});
