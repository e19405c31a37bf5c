// The built-in engine's idle CPU class (engine/llama-server.ts): the command put in front of the
// binary, the errors where the class cannot be had, and, with a small Node server standing in for
// the binary (a process-lifecycle test: nothing is measured), that the process really runs under
// SCHED_IDLE with its own pid. The real llama-server under it: test/integration/engine.test.ts.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineClass, engineCommand, idleClassRunner } from "../../../src/engine/llama-server.js";
import { startManagedServer } from "../../../src/engine/managed-server.js";
import { freePort } from "../../../src/engine/free-port.js";
import { engineServerOptions } from "../../../src/vitest/server.js";
import { CliError, idleClassFlag } from "../../../src/cli/args.js";
import { SCHED_IDLE, schedulingPolicy } from "../../support/sched.js";

describe("engineCommand", () => {
  it("runs the binary itself without the idle class", () => {
    expect(engineCommand("/opt/llama-server", ["-m", "x.gguf"], null)).toEqual({ command: "/opt/llama-server", args: ["-m", "x.gguf"] });
  });

  it("puts chrt --idle 0 in front of the binary with it", () => {
    expect(engineCommand("/opt/llama-server", ["-m", "x.gguf"], "/usr/bin/chrt")).toEqual({
      command: "/usr/bin/chrt",
      args: ["--idle", "0", "/opt/llama-server", "-m", "x.gguf"],
    });
  });
});

describe("engineClass: the engine never inherits agentload's real-time class", () => {
  const withChrt = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-chrt-"));
    writeFileSync(join(dir, "chrt"), "#!/bin/sh\n");
    chmodSync(join(dir, "chrt"), 0o755);
    return dir;
  };

  it("starts the binary itself from the default class, and through chrt --other 0 from a real-time one", () => {
    const dir = withChrt();
    expect(engineClass(false, { policy: "other", priority: 0 }, dir)).toEqual({ chrt: null, cpuClass: "other" });
    expect(engineClass(false, null, dir)).toEqual({ chrt: null, cpuClass: "other" });
    for (const policy of ["fifo", "rr"] as const) expect(engineClass(false, { policy, priority: 10 }, dir)).toEqual({ chrt: join(dir, "chrt"), cpuClass: "other" });
    expect(engineCommand("/opt/llama-server", ["-m", "x.gguf"], join(dir, "chrt"), "other")).toEqual({
      command: join(dir, "chrt"),
      args: ["--other", "0", "/opt/llama-server", "-m", "x.gguf"],
    });
  });

  const idleTitle = "keeps the idle class when asked for, whatever agentload's own class";
  it.skipIf(process.platform !== "linux")(process.platform === "linux" ? idleTitle : `${idleTitle} (skipped: the idle class is Linux's)`, () => {
    const dir = withChrt();
    expect(engineClass(true, { policy: "fifo", priority: 10 }, dir)).toEqual({ chrt: join(dir, "chrt"), cpuClass: "idle" });
  });

  it("says so when it would inherit a real-time class and no chrt can start it in the default one", () => {
    const empty = mkdtempSync(join(tmpdir(), "agentload-no-chrt-"));
    expect(() => engineClass(false, { policy: "fifo", priority: 10 }, empty)).toThrow(
      "agentload runs in the real-time class (fifo 10), which the engine would inherit, and no chrt is on the PATH to start it in the default class",
    );
  });
});

describe("the vitest plugin's engine options", () => {
  it("pass idleClass on to the engine, and leave it out when not set", () => {
    expect(engineServerOptions({ idleClass: true, slots: 2 })).toEqual({ idleClass: true, slots: 2 });
    expect(engineServerOptions({ slots: 2 })).not.toHaveProperty("idleClass");
  });
});

describe("idleClassFlag (the CLI's --engine-idle, engine start --idle)", () => {
  it("is false when not given, and a usage error naming the flag where the class cannot be had", () => {
    expect(idleClassFlag("engine-idle", undefined)).toBe(false);
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), "agentload-no-chrt-"));
    try {
      expect(() => idleClassFlag("engine-idle", true)).toThrow(CliError);
      expect(() => idleClassFlag("engine-idle", true)).toThrow(/^--engine-idle: the engine's idle CPU class (needs chrt|is Linux's SCHED_IDLE)/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("idleClassRunner", () => {
  it("refuses a platform without SCHED_IDLE, naming it", () => {
    expect(() => idleClassRunner({ platform: "darwin", path: "/usr/bin" })).toThrow(/Linux's SCHED_IDLE, which darwin does not have/);
  });

  it("says chrt is missing when no PATH folder has it", () => {
    const empty = mkdtempSync(join(tmpdir(), "agentload-no-chrt-"));
    expect(() => idleClassRunner({ platform: "linux", path: empty })).toThrow(/needs chrt \(util-linux\) on the PATH/);
    expect(() => idleClassRunner({ platform: "linux", path: undefined })).toThrow(/needs chrt/);
  });

  it("finds chrt in the first PATH folder that has it", () => {
    const a = mkdtempSync(join(tmpdir(), "agentload-path-a-"));
    const b = mkdtempSync(join(tmpdir(), "agentload-path-b-"));
    writeFileSync(join(b, "chrt"), "#!/bin/sh\n");
    chmodSync(join(b, "chrt"), 0o755);
    expect(idleClassRunner({ platform: "linux", path: `${a}:${b}` })).toBe(join(b, "chrt"));
  });
});

const chrt = process.platform === "linux" && existsSync("/proc/self/stat") ? (() => {
  try {
    return idleClassRunner({ platform: process.platform, path: process.env.PATH });
  } catch {
    return null;
  }
})() : null;

const idleTitle = "a server started through the idle-class command";
describe.skipIf(chrt === null)(chrt === null ? `${idleTitle} (skipped: needs Linux with chrt on the PATH)` : idleTitle, () => {
  it("runs under SCHED_IDLE, with the server's own pid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-idle-"));
    writeFileSync(
      join(dir, "server.mjs"),
      `import { createServer } from "node:http";
createServer((req, res) => res.end("ok")).listen(Number(process.argv[2]), "127.0.0.1");
`,
    );
    const port = await freePort("127.0.0.1");
    const command = engineCommand(process.execPath, [join(dir, "server.mjs"), String(port)], chrt);
    const server = await startManagedServer({ name: "idle", ...command, baseUrl: `http://127.0.0.1:${port}`, readyUrl: `http://127.0.0.1:${port}/health`, readyTimeoutMs: 20_000 });
    try {
      // chrt execs the command: the pid agentload holds is the server's, not chrt's.
      expect(readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0")).toContain(join(dir, "server.mjs"));
      expect(schedulingPolicy(server.pid)).toBe(SCHED_IDLE);
      expect(schedulingPolicy(process.pid)).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
