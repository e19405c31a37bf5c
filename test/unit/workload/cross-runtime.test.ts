// One seed fixes the whole workload on every runtime: `agentload generate` prints byte-identical
// JSONL under Node, Bun and Deno. Needs the built CLI (npm test builds it) and the runtimes
// (.ci/run installs them from npm); each missing piece skips with its reason in the test name.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cliUnder, findRuntime } from "../../support/runtimes.js";

const built = existsSync("dist/cli/main.js");
const specs = ["fixtures/specs/valid/coding-agent.yml", "benchmarks/coding-agent.yaml"];

function generate(runtime: "node" | "bun" | "deno", binary: string, spec: string): string {
  const [cmd, args] = cliUnder(runtime, binary, ["generate", spec]);
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${runtime} generate ${spec} failed (${r.status}): ${r.stderr}`);
  return createHash("sha256").update(r.stdout).digest("hex");
}

describe.skipIf(!built)(built ? "generate is byte-identical across runtimes" : "cross-runtime generate (skipped: dist/ not built; run npm run build)", () => {
  for (const runtime of ["bun", "deno"] as const) {
    const binary = findRuntime(runtime);
    it.skipIf(!binary)(binary ? `${runtime} matches node` : `${runtime} matches node (skipped: ${runtime} not found; .ci/run installs it)`, () => {
      for (const spec of specs) {
        const node = generate("node", process.execPath, spec);
        expect(generate(runtime, binary!, spec), spec).toBe(node);
      }
    });
  }

  it("the same seed twice gives the same bytes, and another seed different ones", () => {
    const a = generate("node", process.execPath, specs[0]!);
    expect(generate("node", process.execPath, specs[0]!)).toBe(a);
    const r = spawnSync(process.execPath, ["dist/cli/main.js", "generate", specs[0]!, "--seed", "43"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    expect(createHash("sha256").update(r.stdout).digest("hex")).not.toBe(a);
  });
});
