// `agentload search` against a scripted server whose latency follows a known queueing model (fault
// injection, not an engine stand-in: the frontier is known in closed form), and against the real
// built-in engine with a small budget. The scripted server serves one request at a time, first
// come first served, each taking SERVICE_MS: with c sessions at once and no waits between a
// session's requests, a request waits for the c - 1 ahead of it, so E2E is about c x SERVICE_MS
// and an SLO of E2E p95 <= 5.5 x SERVICE_MS holds up to c = 5 and fails from c = 6.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startFaultServer, type FaultServer } from "../support/fault-server.js";

const built = existsSync("dist/cli/main.js");
const engine = inject("engine");
const SERVICE_MS = 30;

/** One request at a time, first come first served, SERVICE_MS each; /v1/models lists one model. */
async function fifoServer(): Promise<FaultServer> {
  let busyUntil = 0;
  return startFaultServer({
    fallback: (req) => {
      if (req.url.endsWith("/models")) return { headers: { "content-type": "application/json" }, steps: [{ raw: '{"data":[{"id":"queue"}]}' }] };
      if (!req.url.endsWith("/chat/completions")) return { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };
      const now = performance.now();
      busyUntil = Math.max(now, busyUntil) + SERVICE_MS;
      return {
        steps: [
          { sleepMs: busyUntil - now },
          { event: { choices: [{ delta: { content: "a" } }] } },
          { event: { choices: [{ delta: { content: " b" }, finish_reason: "stop" }] } },
          { event: "[DONE]" },
        ],
      };
    },
  });
}

interface SearchJson {
  over: string;
  frontier: number | null;
  firstFailing: number | null;
  binding: string | null;
  stopped: string;
  points: { load: number; attempt: number; healthy: boolean; reasons: string[]; detail: { runDir: string; e2eP95: number } }[];
}

function searchJson(out: string): SearchJson {
  const [folder] = readdirSync(out).filter((d) => d.startsWith("search-"));
  return JSON.parse(readFileSync(join(out, folder!, "search.json"), "utf8")) as SearchJson;
}

describe.skipIf(!built)(built ? "agentload search" : "agentload search (skipped: dist/ not built; run npm run build)", () => {
  it("finds a FIFO queue's concurrency frontier (5) with its binding SLO, and gates on --expect-at-least", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-search-"));
    const spec = join(dir, "queue.yaml");
    writeFileSync(
      spec,
      `name: queue\nseed: 3\nsessions: 16\nagents: [{ name: a, turns: 4, freshInput: 8, output: 2 }]\ntraffic: { mode: concurrent, concurrency: 1 }\nslo: { e2e: { p95: ${5.5 * SERVICE_MS} } }\n`,
    );
    const server = await fifoServer();
    try {
      const out = join(dir, "runs");
      const r = await runCli(["search", spec, "--over", "concurrency", "--url", server.baseUrl, "--out", out, "--expect-at-least", "4"]);
      expect(r.code, r.stderr).toBe(0);
      const s = searchJson(out);
      expect([s.over, s.frontier, s.firstFailing, s.binding, s.stopped]).toEqual(["concurrency", 5, 6, "e2e p95", "precision"]);
      // Probed up from the spec's own concurrency (1), then bisected, then the frontier confirmed.
      expect(s.points.map((p) => p.load)).toEqual([1, 2, 4, 8, 6, 5, 5]);
      expect(s.points.find((p) => p.load === 6)!.reasons[0]).toMatch(/^e2e p95/);
      for (const p of s.points) expect(existsSync(join(p.detail.runDir, "summary.json"))).toBe(true);
      expect(r.stdout).toMatch(/frontier: concurrency 5 sessions at once/);
      expect(r.stdout).toMatch(/first failing: concurrency 6 sessions at once, binding SLO e2e p95/);
      // The same search as a gate the frontier does not meet: exit 1, saying so.
      const gate = await runCli(["search", spec, "--over", "concurrency", "--url", server.baseUrl, "--out", join(dir, "gate"), "--start", "4", "--expect-at-least", "6"]);
      expect(gate.code, gate.stderr).toBe(1);
      expect(gate.stderr).toContain("the frontier concurrency 5 is below --expect-at-least 6");
    } finally {
      await server.close();
    }
  }, 180_000);

  it("refuses a spec without SLOs, an unknown dimension and a missing --over (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-search-"));
    const spec = join(dir, "plain.yaml");
    writeFileSync(spec, "name: plain\nseed: 1\nsessions: 2\nagents: [{ name: a, turns: 2, freshInput: 8, output: 2 }]\n");
    const none = await runCli(["search", spec, "--over", "concurrency", "--url", "http://127.0.0.1:9/v1"]);
    expect([none.code, none.stderr.trim()]).toEqual([2, `agentload: ${spec}: slo: a capacity search needs SLOs to judge each load by; the spec has none`]);
    const bad = await runCli(["search", spec, "--over", "users"]);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, "agentload: --over expects one of concurrency, session-rate, request-rate, rho, got 'users'"]);
    const missing = await runCli(["search", spec]);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, "agentload: search needs --over: one of concurrency, session-rate, request-rate, rho"]);
  }, 60_000);

  it("searches the real engine's request rate (rho) to its TTFC frontier, confirming the frontier", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-search-"));
    const spec = join(dir, "agent.yaml");
    // 24 sessions of 4 requests; measured here: healthy up to rho 45-59 requests/s, TTFC p95 past 200 ms at 64
    // (nominal: the seed's arrival draw of 24 sessions offers 0.64x that, which the offered column shows).
    writeFileSync(spec, "name: agent\nseed: 5\nsessions: 24\nagents: [{ name: coder, scaffold: { systemTokens: 200 }, turns: 4, freshInput: 40, output: 8 }]\nslo: { ttfc: { p95: 200ms } }\n");
    const out = join(dir, "runs");
    const r = await runCli(["search", spec, "--over", "rho", "--url", engine.apiUrl, "--out", out, "--start", "16", "--precision", "0.25", "--max-points", "12"]);
    expect(r.code, r.stderr).toBe(0);
    const s = searchJson(out);
    expect([s.over, s.stopped, s.binding]).toEqual(["rho", "precision", "ttfc p95"]);
    expect(s.points[0]!.load).toBe(16);
    expect(s.firstFailing! / s.frontier! - 1).toBeLessThanOrEqual(0.25);
    // The frontier ran twice (--confirm 1), healthy both times; every point is a real run judged by its SLO and validity.
    expect(s.points.filter((p) => p.load === s.frontier).map((p) => p.healthy)).toEqual([true, true]);
    for (const p of s.points) {
      expect(existsSync(join(p.detail.runDir, "records.jsonl"))).toBe(true);
      expect(p.healthy).toBe(p.reasons.length === 0);
    }
    expect(r.stdout).toMatch(/^rho +run +offered +verdict +req\/s +ttfc p95/m);
  }, 600_000);
});
