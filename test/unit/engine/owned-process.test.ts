// Owned child processes (engine/owned-process.ts): the child's pid is the command's own (the
// shell in front execs it), its exit status passes through, and when it ends first its watchdog
// goes too, leaving nothing of its process group. (SIGKILL of agentload itself:
// test/integration/faults-process.test.ts.)
import { describe, expect, it } from "vitest";
import { spawnOwned, type OwnedChild } from "../../../src/engine/owned-process.js";

const exitOf = (child: OwnedChild) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

/** True while any process of the group lives. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// An ended watchdog is reparented and counts until its new parent reaps it: init does at once,
// some container inits only every 2 s (measured here), hence the generous limit.
async function untilGroupGone(pgid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (performance.now() > deadline) throw new Error(`process group ${pgid} still alive after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(process.platform === "win32")("spawnOwned", () => {
  it("runs the command under its own pid, passes its output and exit code through, and leaves no watchdog", async () => {
    const child = spawnOwned("sh", ["-c", 'echo "pid $$"; echo oops >&2; exit 3']);
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    expect(await exitOf(child)).toEqual({ code: 3, signal: null });
    expect(out.trim()).toBe(`pid ${child.pid}`);
    expect(err.trim()).toBe("oops");
    await untilGroupGone(child.pid!);
  });

  it("reports a signal that killed the command, and the watchdog goes with it", async () => {
    const child = spawnOwned("sleep", ["30"]);
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
    expect(await exitOf(child)).toEqual({ code: null, signal: "SIGKILL" });
    await untilGroupGone(child.pid!);
  });

  it("names a command that cannot be run (exit 127 from the shell in front)", async () => {
    const child = spawnOwned("/nonexistent/agentload-no-such-binary", []);
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    expect((await exitOf(child)).code).toBe(127);
    expect(err).toContain("/nonexistent/agentload-no-such-binary");
  });
});
