// A spec's server: block: `agentload run` launches the engine it names (here the cached llama-server
// binary with the integration engine's own arguments, its port given through {port}), runs the
// workload against it and stops it after; a command that cannot start fails the run before the
// clock with its last log lines (exit 3).
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { findLlamaBuild } from "../../src/engine/llama-build.js";

const built = existsSync("dist/cli/main.js");
const engine = inject("engine");

/** The integration engine's arguments with its port replaced by {port}. */
function launchArgs(): string[] {
  const args = [...engine.args];
  args[args.indexOf("--port") + 1] = "{port}";
  return args;
}

const AGENT = "sessions: 3\nagents: [{ name: a, scaffold: { systemTokens: 200 }, turns: 3, freshInput: 30, output: 4 }]\nslo: { ttfc: { p95: 10s } }\n";

describe.skipIf(!built)(built ? "a spec's server: command" : "a spec's server: command (skipped: dist/ not built; run npm run build)", () => {
  it("is launched for the run, measured, and stopped after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-server-command-"));
    const spec = join(dir, "launched.yaml");
    writeFileSync(spec, `name: launched\nseed: 3\n${AGENT}server:\n  command: ${JSON.stringify(findLlamaBuild()!.serverPath)}\n  args: ${JSON.stringify(launchArgs())}\n  readyTimeoutSeconds: 120\n`);
    const r = await runCli(["run", spec, "--out", join(dir, "runs")]);
    expect(r.code, r.stderr).toBe(0);
    const url = /server command ready at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(r.stderr)?.[1];
    expect(url, r.stderr).toBeDefined();
    expect(r.stdout).toMatch(/requests +9 +ok 9 +failed 0/);
    // Stopped after the run: nothing listens there any more.
    await expect(fetch(`${url!.replace(/\/v1$/, "")}/health`)).rejects.toThrow();
  }, 180_000);

  it("fails before the clock, with the command's last log lines, when it cannot start (exit 3)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentload-server-command-"));
    const spec = join(dir, "broken.yaml");
    writeFileSync(spec, `name: broken\nseed: 3\n${AGENT}server:\n  command: ${JSON.stringify(findLlamaBuild()!.serverPath)}\n  args: ["-m", "no-such-model.gguf", "--port", "{port}"]\n`);
    const r = await runCli(["run", spec, "--out", join(dir, "runs")]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/the spec's server did not start: server command .* exited with code \d+ before it was ready/);
    expect(r.stderr).toMatch(/no-such-model\.gguf/);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  }, 60_000);
});
