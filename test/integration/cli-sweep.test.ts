// `agentload sweep` against the real engine: a Cartesian sweep with one run folder per point and
// one table; an SLO swept to a bound no run meets fails its point (exit 1); the built-in engine's
// prefix cache swept on and off (restarted between), which the server's own cache hit rate shows;
// and bad sweeps refused before anything runs (exit 2).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";

const built = existsSync("dist/cli/main.js");
const engine = inject("engine");

interface SweepJson {
  dimensions: { path: string; values: unknown[] }[];
  points: { label: string; outcome: string; reasons: string[]; figures: { runDir: string; requests: number; cacheHitRate: number | null } }[];
}

function sweepJson(out: string): SweepJson {
  const [folder] = readdirSync(out).filter((d) => d.startsWith("sweep-"));
  return JSON.parse(readFileSync(join(out, folder!, "sweep.json"), "utf8")) as SweepJson;
}

const SPEC = "name: agent\nseed: 5\nsessions: 4\nagents: [{ name: coder, scaffold: { systemTokens: 300 }, turns: 3, freshInput: 30, output: 4 }]\ntraffic: { mode: concurrent, concurrency: 1 }\nslo: { ttfc: { p95: 10s } }\n";

describe.skipIf(!built)(built ? "agentload sweep" : "agentload sweep (skipped: dist/ not built; run npm run build)", () => {
  it("runs every combination against the server, one run folder per point, and fails the point whose SLO is not met", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sweep-"));
    const spec = join(dir, "agent.yaml");
    writeFileSync(spec, `${SPEC}sweep:\n  traffic.concurrency: [1, 2]\n`);
    const out = join(dir, "runs");
    const r = await runCli(["sweep", spec, "--set", "slo.ttfc.p95=10s,1ms", "--url", engine.apiUrl, "--out", out]);
    expect(r.code, r.stderr).toBe(1);
    const s = sweepJson(out);
    expect(s.dimensions.map((d) => d.path)).toEqual(["traffic.concurrency", "slo.ttfc.p95"]);
    expect(s.points.map((p) => [p.label, p.outcome])).toEqual([
      ["traffic.concurrency=1 slo.ttfc.p95=10s", "passed"],
      ["traffic.concurrency=1 slo.ttfc.p95=1ms", "slo-failed"],
      ["traffic.concurrency=2 slo.ttfc.p95=10s", "passed"],
      ["traffic.concurrency=2 slo.ttfc.p95=1ms", "slo-failed"],
    ]);
    for (const p of s.points) {
      expect(p.figures.requests).toBe(12);
      expect(existsSync(join(p.figures.runDir, "records.jsonl"))).toBe(true);
    }
    expect(s.points[1]!.reasons[0]).toMatch(/^ttfc p95/);
    expect(r.stdout).toMatch(/^traffic\.concurrency +slo\.ttfc\.p95 +verdict +req\/s/m);
    expect(r.stdout).toMatch(/^2 +1ms +SLO FAILED/m);
  }, 300_000);

  it("sweeps the built-in engine's prefix cache on and off: the server's hit rate follows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sweep-"));
    const spec = join(dir, "agent.yaml");
    writeFileSync(spec, SPEC);
    const out = join(dir, "runs");
    const r = await runCli(["sweep", spec, "--set", "engine.prefixCache=true,false", "--out", out, "--slots", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const [on, off] = sweepJson(out).points;
    expect(on!.figures.cacheHitRate).toBeGreaterThan(0.5);
    expect(off!.figures.cacheHitRate ?? 0).toBeLessThan(0.05);
  }, 600_000);

  it("refuses a bad sweep before running anything (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-sweep-"));
    const spec = join(dir, "agent.yaml");
    writeFileSync(spec, SPEC);
    // A dead URL: had any point run, preflight would fail it with exit 3.
    const dead = ["--url", "http://127.0.0.1:9/v1", "--out", join(dir, "runs")];
    const zero = await runCli(["sweep", spec, "--set", "traffic.concurrency=1,0", ...dead]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain(`${spec} at traffic.concurrency=0`);
    expect(zero.stderr).toContain("traffic.concurrency");
    const none = await runCli(["sweep", spec, ...dead]);
    expect([none.code, none.stderr.trim()]).toEqual([2, `agentload: sweep needs a field to vary: --set PATH=V1,V2 (e.g. --set traffic.concurrency=1,2,4), or a sweep: block in ${spec}`]);
    const remote = await runCli(["sweep", spec, "--set", "engine.slots=1,2", ...dead]);
    expect([remote.code, remote.stderr.trim()]).toEqual([2, "agentload: engine.slots varies the built-in engine; this sweep runs against http://127.0.0.1:9/v1"]);
    const many = await runCli(["sweep", spec, "--set", "sessions=1,2,3", "--set", "seed=1,2", "--max-points", "5", ...dead]);
    expect([many.code, many.stderr.trim()]).toEqual([2, "agentload: the sweep has 6 points (sessions: 3 x seed: 2), more than --max-points 5"]);
    const missing = await runCli(["sweep", spec, "--set", "agents[3].turns=2", ...dead]);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, `agentload: ${spec} at agents[3].turns=2: agents[3].turns: agents[3] does not exist (the list has 1 item)`]);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  }, 60_000);
});
