// Bad input (docs/reliability.md): every case exits 2 with one clear line naming the file (or
// flag), the path in it and what was expected; never a stack trace, an out-of-memory crash, a busy
// loop or a stray run folder. Each spawns the built CLI (`npm run build` first); the few that get
// as far as a run use the scripted fault server, so no engine is needed and the file takes seconds.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultServer, type FaultServer } from "../support/fault-server.js";

const built = existsSync("dist/cli/main.js");

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/cli/main.js", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "agentload-faults-input-"));
const out = join(dir, "runs");

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A spec with one agent of these fields (YAML flow text) on line 5, and `rest` from line 6. */
function spec(name: string, fields = "turns: 2, freshInput: 8, output: 2", rest = ""): string {
  return file(`${name}.yaml`, `name: ${name}\nseed: 1\nsessions: 2\nagents:\n  - { name: a, ${fields} }\n${rest}`);
}

/** Exit 2 with `message` on stderr, no stack trace, and nothing written to --out. */
function expectUsageError(r: Exit, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
}

describe.skipIf(!built)(built ? "bad input to agentload run" : "bad input (skipped: dist/ not built; run npm run build)", () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const run = (...args: string[]) => runCli(["run", ...args, "--url", server.baseUrl, "--out", out]);

  describe("absurd but valid values", () => {
    it("concurrency: 1e9 (lanes ran out of memory)", async () => {
      const path = spec("lanes", undefined, "traffic: { mode: concurrent, concurrency: 1000000000 }\n");
      expectUsageError(await run(path), `${path}:6:43: traffic.concurrency: expected an integer <= 100000 (more sessions at once than one client can keep active), got 1000000000`);
    });

    it("freshInput: 1e9 (content ran out of memory)", async () => {
      const path = spec("fresh", "turns: 2, freshInput: 1000000000, output: 2");
      expectUsageError(await run(path), `${path}:5:38: agents[0].freshInput: expected at most 10,000,000 tokens, got 1000000000`);
    });

    it("turns: 1e9 (a stack trace blaming subagents)", async () => {
      const path = file("turns.yaml", "name: turns\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 1000000000, freshInput: 8, output: 2 }]\n");
      expectUsageError(await run(path), `${path}:4:28: agents[0].turns: expected at most 100,000 requests, got 1000000000`);
    });

    it("a distribution that draws Infinity", async () => {
      const path = spec("infinite", "turns: 2, freshInput: 8, output: 2, waitMs: { type: lognormal, mu: 1000, sigma: 1 }");
      expectUsageError(await run(path), `${path}:5:60: agents[0].waitMs: lognormal(mu=1000, sigma=1) draws more than 2,147,483,647 milliseconds (the limit) every time`);
    });

    it("a timeout or a wait past 2^31 ms (every request timed out at once)", async () => {
      const timeout = spec("timeout", undefined, "request: { timeouts: { totalMs: 3000000000 } }\n");
      expectUsageError(await run(timeout), `${timeout}:6:33: request.timeouts.totalMs: expected an integer <= 2147483647 (24.8 days, the longest a timer can wait), got 3000000000`);
      const wait = spec("wait", "turns: 2, freshInput: 8, output: 2, waitMs: 3000000000");
      expectUsageError(await run(wait), `${wait}:5:60: agents[0].waitMs: expected at most 2,147,483,647 milliseconds, got 3000000000`);
    });

    it("--duration past 2^31 ms (the run stopped at once), on a spec and on a trace", async () => {
      const message = "agentload: --duration: expected a number <= 2147483 (24.8 days, the longest a timer can wait), got 3000000";
      expectUsageError(await run(spec("duration"), "--duration", "3000000"), message);
      expectUsageError(await run("fixtures/traces/mooncake.jsonl", "--duration", "3000000"), message);
    });

    it("--grace-ms past 2^31 ms", async () => {
      expectUsageError(await run(spec("grace"), "--grace-ms", "3000000000"), "--grace-ms expects a whole number of at most 2147483647 (the longest a timer can wait), got '3000000000'");
    });

    it("a prompt that grows past 10M tokens stops before the run, naming the spec and agent", async () => {
      const path = file("growing.yaml", "name: growing\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 3000, freshInput: 5000, output: 2 }]\n");
      expectUsageError(await run(path), new RegExp(`agentload: ${path}: agents\\[0\\]: session 0: request \\d+'s prompt grows to [\\d,]+ tokens; expected at most 10,000,000: add compaction`));
      // inspect generates the sessions too: the same error, not a stack trace.
      expectUsageError(await runCli(["inspect", path]), /^agentload: agents\[0\]: session 0: request \d+'s prompt grows to/);
    });
  });

  it("a trace of 130,000 sessions replays (a spread into Math.max overflowed the stack)", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 130_000; i++) lines.push(`{"timestamp": ${i}, "input_length": 4, "output_length": 2, "hash_ids": [${i}]}`);
    const trace = file("big.jsonl", `${lines.join("\n")}\n`);
    const bigOut = join(dir, "big-runs");
    const r = await runCli(["run", trace, "--url", server.baseUrl, "--out", bigOut, "--sessions", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const [folder] = readdirSync(bigOut);
    expect(readFileSync(join(bigOut, folder!, "records.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
  }, 120_000);

  describe("stack traces became clear errors", () => {
    it("--url that is not an http(s) URL, before anything is created", async () => {
      for (const url of ["notaurl", "ftp://127.0.0.1/v1"]) {
        const r = await runCli(["run", spec("url"), "--url", url, "--out", out]);
        expectUsageError(r, `agentload: --url expects an http:// or https:// URL including /v1, such as http://127.0.0.1:8080/v1, got "${url}"`);
        expect(existsSync(out)).toBe(false);
      }
    });

    it("an --out that cannot hold a run folder", async () => {
      const blocker = file("not-a-folder", "");
      const r = await runCli(["run", spec("out"), "--url", server.baseUrl, "--out", join(blocker, "runs")]);
      expectUsageError(r, `agentload: --out ${join(blocker, "runs")}: ${blocker} is a file, not a folder; expected a folder to write run folders in`);
    });

    it("a YAML alias bomb", async () => {
      const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
      const path = file("bomb.yaml", `${lines.join("\n")}\nname: bomb\nseed: 1\nsessions: 1\nagents: [{ name: a, turns: 1, freshInput: 1, output: 1 }]\n`);
      expectUsageError(await run(path), `agentload: ${path}: the YAML expands its aliases (*name) too often (more than 100 copies, an "alias bomb"?)`);
    });

    it("a deeply nested JSON trace", async () => {
      const path = file("deep.jsonl", `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": ${"[".repeat(200_000)}${"]".repeat(200_000)}}\n`);
      expectUsageError(await run(path), `agentload: ${path}:1:1068: JSON nested more than 1000 levels deep; expected trace records, which are a few levels deep`);
    });

    it("an API key with a line break, named by its variable and never printed", async () => {
      const before = server.requests.length;
      const key = "sk-faults-input-5150";
      const r = await runCli(["run", spec("key"), "--url", server.baseUrl, "--out", out], { OPENAI_API_KEY: `${key}\n` });
      expectUsageError(r, "agentload: the API key in OPENAI_API_KEY contains a line break, which an HTTP header cannot carry (the key is not shown)");
      expect(r.stderr).not.toContain(key);
      expect(server.requests.length).toBe(before);
    });
  });

  it("--sessions 0 and --concurrency 0 on a trace say what they say on a spec", async () => {
    for (const flag of ["--sessions", "--concurrency"]) {
      const onSpec = await run(spec("zero"), flag, "0");
      const onTrace = await run("fixtures/traces/mooncake.jsonl", flag, "0");
      expectUsageError(onSpec, `agentload: ${flag}: expected an integer >= 1, got 0`);
      expectUsageError(onTrace, `agentload: ${flag}: expected an integer >= 1, got 0`);
      expect(onTrace.stderr).toBe(onSpec.stderr);
    }
  });
});
