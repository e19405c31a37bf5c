// --reset-cache against real llama-servers: one started here with --slot-save-path (the slot
// erase endpoint needs it), whose cached prompt is computed again after a reset, and after an
// `agentload run --reset-cache` but not after a run without it; and the suite's shared engine,
// started without it, which refuses with the flag to add.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { resetPrefixCache } from "../../src/run/cache-reset.js";
import { PreflightError } from "../../src/run/preflight.js";
import { streamChat } from "../support/chat.js";
import { runCli } from "../support/cli.js";

const built = existsSync("dist/cli/main.js");
const shared = inject("engine");
let engine: LlamaServer;

beforeAll(async () => {
  engine = await startLlamaServer({ slots: 4, extraArgs: ["--slot-save-path", mkdtempSync(join(tmpdir(), "agentload-slots-"))] });
}, 120_000);
afterAll(async () => {
  await engine?.stop();
});

/** One request of `content`: its prompt tokens and how many of them the server had cached. */
const ask = async (content: string) => {
  const r = await streamChat(engine.apiUrl, { model: engine.model, messages: [{ role: "user", content }], max_tokens: 1 });
  return { prompt: r.usage!.prompt_tokens, cached: r.usage!.prompt_tokens_details?.cached_tokens ?? 0 };
};
const probe = (tag: string) => `cache reset probe ${tag} ${Date.now()}: ${Array.from({ length: 120 }, (_, i) => `line ${i} of a tool result`).join("; ")}`;

describe("prefix-cache reset (llama.cpp)", () => {
  it("erases every slot: a prompt served from the cache before the reset is computed again after it", async () => {
    const prompt = probe("direct");
    await ask(prompt);
    const warm = await ask(prompt);
    expect(warm.cached / warm.prompt).toBeGreaterThan(0.9);
    const reset = await resetPrefixCache({ apiUrl: engine.apiUrl });
    expect([reset.engine, reset.endpoint]).toEqual(["llama.cpp", "POST /slots/{0..3}?action=erase"]);
    const after = await ask(prompt);
    expect(after.prompt).toBe(warm.prompt);
    expect(after.cached / after.prompt).toBeLessThan(0.1);
  });

  it("a llama-server started without --slot-save-path refuses, and says what to add", async () => {
    const e = await resetPrefixCache({ apiUrl: shared.apiUrl }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PreflightError);
    expect((e as PreflightError).problems[0]).toMatch(/\/slots\/0\?action=erase answered HTTP 501 .*; llama-server erases slots only when started with --slot-save-path DIR/);
  });

  describe.skipIf(!built)(built ? "run --reset-cache" : "run --reset-cache (skipped: dist/ not built; run npm run build)", () => {
    it("empties the cache before the run (a prompt cached before it is not after); without the flag it stays", async () => {
      const dir = mkdtempSync(join(tmpdir(), "agentload-cache-reset-"));
      const spec = join(dir, "agent.yaml");
      writeFileSync(spec, "name: one\nseed: 9\nsessions: 1\nagents: [{ name: coder, turns: 1, freshInput: 20, output: 2 }]\n");
      const survives = async (flags: string[]) => {
        const prompt = probe(flags.join(""));
        await ask(prompt);
        const r = await runCli(["run", spec, "--url", engine.apiUrl, "--out", join(dir, "runs"), ...flags]);
        expect(r.code, r.stderr).toBe(0);
        const after = await ask(prompt);
        return { share: after.cached / after.prompt, stderr: r.stderr };
      };
      const reset = await survives(["--reset-cache"]);
      expect(reset.stderr).toMatch(/prefix cache emptied before the run \(llama\.cpp: POST \/slots\/\{0\.\.3\}\?action=erase\); note: llama-server's host-memory prompt cache/);
      expect(reset.share).toBeLessThan(0.1);
      // The run's one request takes an unused slot (llama-server reuses the least recently used
      // one when no cached prompt matches), so the probe's slot keeps it.
      expect((await survives([])).share).toBeGreaterThan(0.9);
    }, 120_000);

    it("a sweep against a server agentload starts restarts it before each point instead (its counters start over)", async () => {
      const dir = mkdtempSync(join(tmpdir(), "agentload-cache-reset-"));
      const spec = join(dir, "agent.yaml");
      writeFileSync(spec, "name: two\nseed: 9\nsessions: 2\nagents: [{ name: coder, turns: 1, freshInput: 20, output: 2 }]\ntraffic: { mode: concurrent, concurrency: 1 }\n");
      /** Each point's llama-server prompt-token counter before and after its run. */
      const counters = async (flags: string[], out: string) => {
        const r = await runCli(["sweep", spec, "--set", "traffic.concurrency=1,2", "--out", out, ...flags]);
        expect(r.code, r.stderr).toBe(0);
        const [folder] = readdirSync(out).filter((d) => d.startsWith("sweep-"));
        const sweep = JSON.parse(readFileSync(join(out, folder!, "sweep.json"), "utf8")) as { points: { figures: { runDir: string } }[] };
        const read = (runDir: string, when: string) => Number(/^llamacpp:prompt_tokens_total (\d+)/m.exec(readFileSync(join(runDir, `server-metrics-${when}.txt`), "utf8"))![1]);
        return { points: sweep.points.map((p) => ({ before: read(p.figures.runDir, "before"), after: read(p.figures.runDir, "after") })), stderr: r.stderr };
      };
      const reset = await counters(["--reset-cache"], join(dir, "reset"));
      expect(reset.stderr).toMatch(/prefix cache emptied before each point by restarting the server agentload started/);
      expect(reset.points[1]!.before).toBeLessThan(reset.points[0]!.after);
      const kept = await counters([], join(dir, "kept"));
      expect(kept.points[1]!.before).toBeGreaterThanOrEqual(kept.points[0]!.after);
    }, 180_000);
  });
});
