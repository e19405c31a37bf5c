// The client's real-time CPU class (engine/cpu-class.ts, `agentload run --realtime`): the class
// read from /proc/PID/stat, the errors where it cannot be had, chrt's failures said plainly, and
// with the machine's own chrt, a child process really put in SCHED_FIFO (or, where that is not
// permitted, the error saying what it needs). The CLI's flag on a real run: test/integration/cli-run.test.ts.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chrtOnPath, cpuClassOfStat, enterRealtime, ownCpuClass, realtimeArgs, realtimeRunner, REALTIME_PRIORITY } from "../../../src/engine/cpu-class.js";
import { CliError, realtimeFlag } from "../../../src/cli/args.js";

// Two lines of this machine's /proc/PID/stat: `cat` at the default class, and under `chrt -f 10`.
const OTHER = "13962 (cat) R 13960 13960 5461 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 5960684 3133440 382 18446744073709551615 94923569741824 94923569761705 140732015083424 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94923569777712 94923569779328 94924413587456 140732015086101 140732015086121 140732015086121 140732015087595 0";
const FIFO = "13963 (cat) R 13960 13960 5461 0 -1 4194560 173 0 0 0 0 0 0 0 -11 0 1 0 5960684 3133440 380 18446744073709551615 94545648345088 94545648364969 140729410298256 0 0 0 0 0 0 0 0 0 17 0 10 1 0 0 0 94545648380976 94545648382592 94546325032960 140729410300436 140729410300456 140729410300456 140729410301931 0";

function fakeChrt(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "agentload-chrt-"));
  writeFileSync(join(dir, "chrt"), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, "chrt"), 0o755);
  return join(dir, "chrt");
}

describe("cpuClassOfStat", () => {
  it("reads the policy and real-time priority (fields 41 and 40)", () => {
    expect(cpuClassOfStat(OTHER)).toEqual({ policy: "other", priority: 0 });
    expect(cpuClassOfStat(FIFO)).toEqual({ policy: "fifo", priority: 10 });
  });

  it("counts fields after the last parenthesis: a command name may hold spaces and parentheses", () => {
    expect(cpuClassOfStat(FIFO.replace("(cat)", "(a) (b c)"))).toEqual({ policy: "fifo", priority: 10 });
    expect(cpuClassOfStat(OTHER.replace(/ 0 0 0 0 0 0 0 0 0 17 0 0 0 /, " 0 0 0 0 0 0 0 0 0 17 0 0 5 "))).toEqual({ policy: "idle", priority: 0 });
  });

  it("is null for a line it cannot read", () => {
    expect(cpuClassOfStat("1 (x) R 1 2")).toBeNull();
  });
});

describe("realtimeRunner and the CLI's --realtime", () => {
  it("refuses a platform without SCHED_FIFO and a PATH without chrt, saying so", () => {
    expect(() => realtimeRunner({ platform: "darwin", path: "/usr/bin" })).toThrow(/Linux's SCHED_FIFO, which darwin does not have/);
    expect(() => realtimeRunner({ platform: "linux", path: mkdtempSync(join(tmpdir(), "agentload-no-chrt-")) })).toThrow(/needs chrt \(util-linux\) on the PATH/);
    const chrt = fakeChrt("exit 0");
    expect(realtimeRunner({ platform: "linux", path: join(chrt, "..") })).toBe(chrt);
    expect(chrtOnPath(undefined)).toBeNull();
  });

  it("is null when not given, and a usage error naming the flag where the class cannot be had", () => {
    expect(realtimeFlag(undefined)).toBeNull();
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), "agentload-no-chrt-"));
    try {
      expect(() => realtimeFlag(true)).toThrow(CliError);
      expect(() => realtimeFlag(true)).toThrow(/^--realtime: the client's real-time class (needs chrt|is Linux's SCHED_FIFO)/);
    } finally {
      process.env.PATH = path;
    }
  });

  it("asks chrt for every thread of the process", () => {
    expect(realtimeArgs(4242, 10)).toEqual(["--fifo", "--all-tasks", "--pid", "10", "4242"]);
    expect(REALTIME_PRIORITY).toBe(10);
  });
});

describe("enterRealtime", () => {
  it("says why when chrt refuses, with chrt's own last line", () => {
    const chrt = fakeChrt(`echo "chrt: failed to set pid $5's policy: Operation not permitted" >&2\nexit 1`);
    expect(() => enterRealtime(chrt, 10, 4242)).toThrow("chrt could not put the client in SCHED_FIFO 10 (chrt: failed to set pid 4242's policy: Operation not permitted): it needs root or CAP_SYS_NICE");
  });

  it("does not take chrt's word for it: the class must have changed", () => {
    // A chrt that does nothing: this process stays in its class.
    const before = ownCpuClass();
    expect(before).not.toBeNull();
    expect(() => enterRealtime(fakeChrt("exit 0"), 10)).toThrow(`chrt ran, but the client's class is ${before!.policy} ${before!.priority}, not fifo 10`);
  });

  const real = process.platform === "linux" && existsSync("/proc/self/stat") ? chrtOnPath(process.env.PATH) : null;
  const title = "with the machine's chrt, a process in SCHED_FIFO 10, every thread of it";
  it.skipIf(real === null)(real === null ? `${title} (skipped: needs Linux with chrt on the PATH)` : title, async () => {
    // A child stands in for the client: the test's own process keeps its class.
    // Node runs several threads of its own (V8's helpers, libuv's): each must change.
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 300));
      let entered: unknown;
      try {
        entered = enterRealtime(real!, 10, child.pid!);
      } catch (e) {
        // Not root and no CAP_SYS_NICE (a CI runner): the error says what it needs.
        expect((e as Error).message).toMatch(/^chrt could not put the client in SCHED_FIFO 10 \(.*\): it needs root or CAP_SYS_NICE$/);
        return;
      }
      expect(entered).toEqual({ policy: "fifo", priority: 10 });
      const tasks = readdirSync(`/proc/${child.pid}/task`);
      expect(tasks.length).toBeGreaterThan(1);
      for (const t of tasks) expect(cpuClassOfStat(readFileSync(`/proc/${child.pid}/task/${t}/stat`, "utf8"))).toEqual({ policy: "fifo", priority: 10 });
    } finally {
      child.kill();
    }
  });
});
