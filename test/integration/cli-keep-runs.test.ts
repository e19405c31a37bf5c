// `agentload run --keep-runs N`: after the run, only the newest N run folders stay in --out;
// without the flag every run folder stays, and what is not a run folder is never touched.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";

const engine = inject("engine");
const built = existsSync("dist/cli/main.js");

describe.skipIf(!built)(built ? "agentload run --keep-runs" : "agentload run --keep-runs (skipped: dist/ not built; run npm run build)", () => {
  it("keeps every run folder without the flag, the newest N with it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-keep-"));
    const spec = join(dir, "one.yaml");
    writeFileSync(spec, "name: one\nseed: 1\nsessions: 1\nagents: [{ name: a, turns: 1, freshInput: 8, output: 2 }]\n");
    const out = join(dir, "runs");
    mkdirSync(join(out, "baseline"), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const r = await runCli(["run", spec, "--url", engine.apiUrl, "--out", out]);
      expect(r.code, r.stderr).toBe(0);
    }
    const runs = () => readdirSync(out).filter((name) => name.startsWith("one-")).sort();
    expect(runs()).toHaveLength(2);

    // Run folders are stamped to the second and every folder stamped since this run started is
    // protected as its own: a run started in the second the previous one began keeps that one too
    // (seen in CI: "removed 1" for 2 older folders). A new second makes both older ones prunable.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const r = await runCli(["run", spec, "--url", engine.apiUrl, "--out", out, "--keep-runs", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`agentload: removed 2 old run folder(s) from ${out} (--keep-runs 1)`);
    const kept = runs();
    expect(kept).toHaveLength(1);
    expect(r.stdout).toContain(`run folder: ${join(out, kept[0]!)}`);
    expect(existsSync(join(out, "baseline"))).toBe(true);

    const bad = await runCli(["run", spec, "--url", engine.apiUrl, "--out", out, "--keep-runs", "two"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--keep-runs expects a whole number, got 'two'");
  }, 120_000);
});
