// Verdicts a CI can trust, as `agentload run` gives them (exit codes in its --help and the README):
// a server that is down, a wrong URL, a refused key, an unknown model or a context too small for
// the workload's largest request fail the preflight (3) before the clock; a built-in engine killed
// mid-run stops the run at once and makes it not valid (4); a run whose requests mostly fail is
// not valid (4) even without an errorRate SLO; a client too busy to keep its schedule (a CPU hog
// in its own process) is not valid (4): the run measured the client.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { startLlamaServer } from "../../src/engine/llama-server.js";
import { startFaultServer } from "../support/fault-server.js";

const engine = inject("engine");
const built = existsSync("dist/cli/main.js");
const pexec = promisify(execFile);

function runCli(args: string[], onStderr?: (text: string, pid: number) => void, nodeArgs: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, "dist/cli/main.js", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, child.pid!);
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function tinySpec(dir: string, extra = ""): string {
  const spec = join(dir, "tiny.yaml");
  writeFileSync(spec, `name: tiny\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 2, freshInput: 8, output: 2 }]\n${extra}`);
  return spec;
}

describe.skipIf(!built)(built ? "agentload run verdicts and exit codes" : "agentload run verdicts (skipped: dist/ not built; run npm run build)", () => {
  it("a server that is not there fails the preflight (exit 3) naming the URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runCli(["run", tinySpec(dir), "--url", `http://127.0.0.1:${port}/v1`, "--out", join(dir, "runs")]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`cannot reach the server at http://127.0.0.1:${port}/v1: ECONNREFUSED`);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  }, 60_000);

  it("a workload whose largest request does not fit the server's context fails the preflight (exit 3) naming both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    // A real llama-server with 512 tokens per slot; the spec's third turn needs 400 + 3 x 100 + 2 x 16 prompt + 16 output.
    const small = await startLlamaServer({ slots: 1, contextPerSlot: 512 });
    try {
      const spec = join(dir, "big.yaml");
      writeFileSync(spec, "name: big\nseed: 1\nsessions: 2\nagents: [{ name: a, scaffold: { systemTokens: 300, toolTokens: 100 }, turns: 3, freshInput: 100, output: 16 }]\n");
      const r = await runCli(["run", spec, "--url", small.apiUrl, "--out", join(dir, "runs")]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(
        "the workload's largest request does not fit the server's context: session 0 request 2: 732 prompt + 16 output = 748 tokens; the server allows 512 per request (llama.cpp /props n_ctx per slot (1 slot)). Give the server more context (llama-server -c",
      );
      expect(existsSync(join(dir, "runs"))).toBe(false);
    } finally {
      await small.stop();
    }
  }, 120_000);

  it("a URL without /v1, an unknown model: exit 3 with what to fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    const root = engine.apiUrl.replace(/\/v1$/, "");
    const noV1 = await runCli(["run", tinySpec(dir), "--url", `${root}/api`, "--out", join(dir, "runs")]);
    expect(noV1.code, noV1.stderr).toBe(3);
    expect(noV1.stderr).toMatch(/answered HTTP 404: an OpenAI-compatible base URL usually ends in \/v1/);
    const model = await runCli(["run", tinySpec(dir), "--url", engine.apiUrl, "--model", "no-such-model", "--out", join(dir, "runs")]);
    expect(model.code, model.stderr).toBe(3);
    expect(model.stderr).toMatch(/model "no-such-model" is not served at .*; it serves "agentload-tiny"/);
  }, 60_000);

  it("a server that refuses the key fails the preflight (exit 3); the key never reaches the output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    // A gate in front of the engine: 401 unless the right key is sent (a scripted fault, the engine behind it is real).
    const gate = createServer((req, res) => {
      if (req.headers.authorization !== "Bearer right-key") {
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
        return;
      }
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => gate.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/v1`;
    try {
      const r = await runCli(["run", tinySpec(dir), "--url", url, "--api-key", "wrong-key-sk-123", "--out", join(dir, "runs")]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`${url}/models answered HTTP 401: the API key given was refused`);
      expect(r.stdout + r.stderr).not.toContain("wrong-key-sk-123");
    } finally {
      await new Promise<void>((r) => gate.close(() => r()));
    }
  }, 60_000);

  it("the built-in engine killed mid-run stops the run at once: not valid, exit 4, with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    const spec = join(dir, "long.yaml");
    writeFileSync(spec, "name: long\nseed: 2\nsessions: 40\nagents: [{ name: a, turns: 6, freshInput: 40, output: 16 }]\ntraffic: { mode: concurrent, concurrency: 2 }\n");
    let killed = false;
    const started = performance.now();
    const r = await runCli(["run", spec, "--out", join(dir, "runs"), "--slots", "2"], (text, pid) => {
      if (killed || !/requests [1-9]/.test(text)) return;
      killed = true;
      // The CLI's child llama-server, killed as an OOM killer would.
      void pexec("pkill", ["-KILL", "-P", String(pid), "-f", "llama-server"]).catch(() => {});
    });
    expect(killed).toBe(true);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/the built-in engine killed by SIGKILL during the run; stopping the run/);
    expect(r.stdout).toMatch(/validity +NOT VALID: the built-in engine killed by SIGKILL during the run/);
    const [run] = readdirSync(join(dir, "runs"));
    const summary = JSON.parse(readFileSync(join(dir, "runs", run!, "summary.json"), "utf8")) as { validity: { valid: boolean; problems: string[] } };
    expect(summary.validity.valid).toBe(false);
    // 240 requests were planned: it stopped long before (the grace period ends the in-flight ones).
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 300_000);

  it("a run whose requests mostly fail is not valid (exit 4), with no errorRate SLO in the spec", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    // A scripted server (fault injection): it lists a model and answers the first, 1-token request
    // with a stream, then 503 to every request of the run.
    let chats = 0;
    const server = await startFaultServer({
      fallback: (req) => {
        if (req.url.endsWith("/models")) return { headers: { "content-type": "application/json" }, steps: [{ raw: '{"data":[{"id":"fake"}]}' }] };
        if (!req.url.endsWith("/chat/completions")) return { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };
        chats++;
        if (chats === 1) return { steps: [{ event: { choices: [{ delta: { content: "hi" } }] } }, { event: "[DONE]" }] };
        return { status: 503, headers: { "content-type": "text/plain" }, steps: [{ raw: "overloaded" }] };
      },
    });
    try {
      const r = await runCli(["run", tinySpec(dir), "--url", server.baseUrl, "--out", join(dir, "runs")]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toMatch(/validity +NOT VALID: no request succeeded \(4 failed\)/);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a client kept busy by a CPU hog in its own process: client lag and client saturated, not valid (exit 4)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-verdict-"));
    // The hog holds the event loop 95 ms of every 100 ms; a 30 ms wait before each dependent
    // request puts a timer under it, so dispatches come late as well as stamps.
    const hog = join(dir, "hog.mjs");
    writeFileSync(hog, "setInterval(() => { const end = performance.now() + 95; while (performance.now() < end); }, 100).unref();\n");
    const spec = join(dir, "hogged.yaml");
    writeFileSync(spec, "name: hogged\nseed: 4\nsessions: 4\nagents: [{ name: a, turns: 5, freshInput: 40, output: 16, waitMs: 30 }]\ntraffic: { mode: concurrent, concurrency: 2 }\n");
    const r = await runCli(["run", spec, "--url", engine.apiUrl, "--out", join(dir, "runs")], undefined, ["--import", pathToFileURL(hog).href]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/validity +NOT VALID: client lag: at least 3 of 20 requests were sent more than [\d.]+ms late \(limit max\(25ms, 10% of TTFC p50 [\d.]+ms\); the 3rd latest [\d.]+ms\)/);
    expect(r.stdout).toMatch(/client saturated: event loop busy over 90% of a core in 100% of the run's \d+ windows? of 1000ms/);
    const [run] = readdirSync(join(dir, "runs"));
    const summary = JSON.parse(readFileSync(join(dir, "runs", run!, "summary.json"), "utf8")) as {
      validity: { valid: boolean; client: { lag: { ok: boolean }; cpu: { ok: boolean; source: string }; load: { load: { mode: string; target: number } } } };
      summary: { latency: Record<string, { p50: number } | null> };
    };
    expect(summary.validity.valid).toBe(false);
    expect(summary.validity.client.lag.ok).toBe(false);
    expect(summary.validity.client.cpu).toMatchObject({ ok: false, source: "eventLoopUtilization" });
    expect(summary.validity.client.load.load).toMatchObject({ mode: "concurrency", target: 2 });
    // The lateness stays in the latencies from the plan.
    expect(summary.summary.latency.ttfcScheduled!.p50).toBeGreaterThan(summary.summary.latency.ttfc!.p50);
  }, 120_000);
});
