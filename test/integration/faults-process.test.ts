// Signals and process lifetime (docs/reliability.md): nothing hangs, nothing is left running.
// SIGKILL of agentload (the CLI or a library user such as the vitest plugin's global setup) takes
// the built-in engine down within seconds; SIGTERM stops a run as Ctrl-C does (in-flight requests
// recorded as aborted, the summary written, exit 130) and a second signal quits at once; a signal
// during set-up (preflight, tokenizer, warm-up request) or while the engine starts ends the run
// at once with exit 130 and a line saying so. Each spawns the built CLI (`npm run build` first)
// against the real engine or the scripted fault server.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalStream, startFaultServer, type FaultScript, type ReceivedRequest } from "../support/fault-server.js";
import type { RequestRecord } from "../../src/records/types.js";

const built = existsSync("dist/cli/main.js");

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) and when it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const child = spawn(process.execPath, ["dist/cli/main.js", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Polls until `check` holds; throws naming `what` after timeoutMs. */
async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Gone: no such process, or a zombie nobody has reaped yet (it runs nothing and holds no port). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** The pids of a process's children running `name` (pgrep: Linux and macOS). */
function childrenNamed(parent: number, name: string): Promise<number[]> {
  return new Promise((resolve) => {
    const p = spawn("pgrep", ["-P", String(parent), "-f", name], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.on("close", () => resolve(out.split("\n").filter(Boolean).map(Number)));
  });
}

function readRecords(out: string): RequestRecord[] {
  const [run] = readdirSync(out);
  const text = readFileSync(join(out, run!, "records.jsonl"), "utf8").trim();
  return text ? text.split("\n").map((l) => JSON.parse(l) as RequestRecord) : [];
}

const tinySpec = (dir: string, yaml: string): string => {
  const path = join(dir, "spec.yaml");
  writeFileSync(path, yaml);
  return path;
};

const json = (body: string): FaultScript => ({ headers: { "content-type": "application/json" }, steps: [{ raw: body }] });
const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };
const models = json('{"data":[{"id":"fake"}]}');
const isWarmUp = (req: ReceivedRequest) => req.body.includes('"warm up"');
const isChat = (req: ReceivedRequest) => req.url.endsWith("/chat/completions");
const measured = (requests: ReceivedRequest[]) => requests.filter((r) => isChat(r) && !isWarmUp(r));

describe.skipIf(!built)(built ? "signals and process lifetime" : "signals and process lifetime (skipped: dist/ not built; run npm run build)", () => {
  it("SIGKILL of `agentload engine start`: the engine stops within seconds and its port closes", async () => {
    const cli = startCli(["engine", "start"]);
    try {
      const line = await until("the engine's pid", () => /pid: (\d+)/.exec(cli.stdout()), 60_000);
      const pid = Number(line[1]);
      const port = Number(/127\.0\.0\.1:(\d+)\/v1/.exec(cli.stdout())![1]);
      expect(await listening(port)).toBe(true);
      cli.child.kill("SIGKILL");
      await until(`llama-server ${pid} to end`, () => gone(pid), 10_000);
      await until(`port ${port} to close`, async () => !(await listening(port)), 10_000);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 90_000);

  it("SIGKILL of a library user (the vitest plugin's global setup starts the same engine): the engine stops", async () => {
    const script = "import { startLlamaServer } from './dist/engine/llama-server.js'; const s = await startLlamaServer(); console.log('engine pid', s.pid); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    try {
      const pid = Number((await until("the engine's pid", () => /engine pid (\d+)/.exec(out), 60_000))[1]);
      child.kill("SIGKILL");
      await until(`llama-server ${pid} to end`, () => gone(pid), 10_000);
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);

  it("SIGKILL of `agentload run` mid-run with the built-in engine: the engine stops; the records written stay whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sigkill-"));
    const out = join(dir, "runs");
    const spec = tinySpec(dir, "name: long\nseed: 4\nsessions: 50\nagents: [{ name: a, turns: 4, freshInput: 16, output: 8 }]\ntraffic: { mode: concurrent, concurrency: 2 }\n");
    const cli = startCli(["run", spec, "--out", out, "--slots", "2"]);
    try {
      await until("the first record", () => existsSync(out) && readdirSync(out).length === 1 && existsSync(join(out, readdirSync(out)[0]!, "records.jsonl")) && readRecords(out).length > 0, 60_000);
      const [pid] = await childrenNamed(cli.child.pid!, "llama-server");
      expect(pid).toBeGreaterThan(0);
      cli.child.kill("SIGKILL");
      await until(`llama-server ${pid} to end`, () => gone(pid!), 10_000);
      // Records are appended whole and synchronously: every line written parses.
      expect(readRecords(out).length).toBeGreaterThan(0);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 90_000);

  // SIGHUP: the terminal or SSH session running it closed.
  it.each(["SIGTERM", "SIGHUP"] as const)("%s stops a run as Ctrl-C does: in-flight requests recorded as aborted, summary written, exit 130", async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sigterm-"));
    const out = join(dir, "runs");
    // The first two measured requests stream normally; every later one sends a chunk and hangs.
    let chats = 0;
    const server = await startFaultServer({
      fallback: (req) => {
        if (req.url.endsWith("/models")) return models;
        if (!isChat(req)) return notFound;
        if (isWarmUp(req) || ++chats <= 2) return normalStream({ tokens: ["a", " b"] });
        return { steps: [{ event: { choices: [{ delta: { content: "x" } }] } }, { hang: true }] };
      },
    });
    try {
      const spec = tinySpec(dir, "name: term\nseed: 1\nsessions: 4\nagents: [{ name: a, turns: 3, freshInput: 8, output: 4 }]\ntraffic: { mode: concurrent, concurrency: 2 }\n");
      const cli = startCli(["run", spec, "--url", server.baseUrl, "--out", out, "--grace-ms", "300"]);
      await until("two requests hanging", () => measured(server.requests).length >= 4);
      await new Promise((r) => setTimeout(r, 500)); // their first chunk reaches the client (wide: a loaded CI machine)
      cli.child.kill(signal);
      const { code } = await cli.exited;
      expect(code, cli.stderr()).toBe(130);
      expect(cli.stderr()).toContain(`agentload: ${signal}: stopping: no new requests; requests in flight get up to 300 ms (--grace-ms), then are recorded as aborted`);
      expect(cli.stdout()).toContain("agentload run summary");
      const [run] = readdirSync(out);
      const summary = JSON.parse(readFileSync(join(out, run!, "summary.json"), "utf8")) as { interrupted: boolean; summary: { counts: { requests: number } } };
      expect(summary.interrupted).toBe(true);
      // Every request the server received has exactly one record: two whole, two aborted.
      const records = readRecords(out);
      expect(records).toHaveLength(measured(server.requests).length);
      expect(new Set(records.map((r) => `${r.sessionId}/${r.nodeId}`)).size).toBe(records.length);
      expect(records.map((r) => r.error?.kind ?? "ok").sort()).toEqual(["aborted", "aborted", "ok", "ok"]);
      for (const r of records.filter((r) => r.error)) expect(r.chunkAt.length).toBe(1);
      expect(summary.summary.counts.requests).toBe(records.length);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a second signal quits at once (exit 130) without waiting for the grace period", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sigterm-"));
    const out = join(dir, "runs");
    const server = await startFaultServer({
      fallback: (req) => {
        if (req.url.endsWith("/models")) return models;
        if (!isChat(req)) return notFound;
        if (isWarmUp(req)) return normalStream({ tokens: ["a"] });
        return { steps: [{ event: { choices: [{ delta: { content: "x" } }] } }, { hang: true }] };
      },
    });
    try {
      const spec = tinySpec(dir, "name: twice\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 2, freshInput: 8, output: 4 }]\ntraffic: { mode: concurrent, concurrency: 2 }\n");
      const cli = startCli(["run", spec, "--url", server.baseUrl, "--out", out, "--grace-ms", "60000"]);
      await until("two requests hanging", () => measured(server.requests).length >= 2);
      cli.child.kill("SIGTERM");
      await until("the stopping line", () => cli.stderr().includes("SIGTERM: stopping"));
      const sent = performance.now();
      cli.child.kill("SIGINT");
      const { code, at } = await cli.exited;
      expect(code, cli.stderr()).toBe(130);
      expect(cli.stderr()).toContain("agentload: second Ctrl-C: quitting now without the summary (records.jsonl keeps every request that ended)");
      expect(at - sent).toBeLessThan(5_000);
    } finally {
      await server.close();
    }
  }, 60_000);

  // Each set-up step hangs in turn (the server never answers it); Ctrl-C there ends the run at once.
  const steps: { step: string; hangs: (req: ReceivedRequest) => boolean }[] = [
    { step: "preflight", hangs: (req) => req.url.endsWith("/models") },
    { step: "tokenizer and calibration", hangs: (req) => req.url.endsWith("/tokenize") },
    { step: "warm-up request", hangs: (req) => isChat(req) && isWarmUp(req) },
  ];
  it.each(steps)("Ctrl-C during set-up ($step) ends the run at once: exit 130, a line naming the step, no run folder", async ({ step, hangs }) => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-setup-"));
    const out = join(dir, "runs");
    const server = await startFaultServer({
      fallback: (req) => {
        if (hangs(req)) return { silent: true, steps: [] };
        if (req.url.endsWith("/models")) return models;
        if (!isChat(req)) return notFound;
        return normalStream({ tokens: ["a"] });
      },
    });
    try {
      const spec = tinySpec(dir, "name: setup\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 2, freshInput: 8, output: 4 }]\n");
      const cli = startCli(["run", spec, "--url", server.baseUrl, "--out", out]);
      await until(`the ${step} request`, () => server.requests.some(hangs));
      const sent = performance.now();
      cli.child.kill("SIGINT");
      const { code, at } = await cli.exited;
      expect(code, cli.stderr()).toBe(130);
      expect(cli.stderr()).toContain(`agentload: interrupted during set-up (${step}), before the first measured request: nothing was measured; no run folder kept`);
      expect(at - sent).toBeLessThan(4_000);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
      expect(measured(server.requests)).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("SIGTERM while the built-in engine starts quits at once (exit 130) and the engine process goes too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-starting-"));
    // A stand-in engine that never becomes ready: it notes its pid and sleeps.
    const fake = join(dir, "fake-llama-server");
    const pidFile = join(dir, "pid");
    writeFileSync(fake, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 120\n`);
    chmodSync(fake, 0o755);
    const spec = tinySpec(dir, "name: starting\nseed: 1\nsessions: 1\nagents: [{ name: a, turns: 1, freshInput: 8, output: 4 }]\n");
    const cli = startCli(["run", spec, "--out", join(dir, "runs")], { AGENTLOAD_LLAMA_SERVER: fake });
    try {
      const pid = Number(await until("the stand-in engine", () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim()));
      const sent = performance.now();
      cli.child.kill("SIGTERM");
      const { code, at } = await cli.exited;
      expect(code, cli.stderr()).toBe(130);
      expect(cli.stderr()).toContain("agentload: SIGTERM while the built-in engine was starting: quitting before the run (nothing was measured)");
      expect(at - sent).toBeLessThan(4_000);
      await until(`the stand-in engine ${pid} to end`, () => gone(pid), 5_000);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 60_000);
});
