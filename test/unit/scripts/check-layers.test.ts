// The layer check CI runs: this repository passes it, and an import against the module table of
// docs/architecture.md fails it with the file, the folders and what the table allows.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const script = join(root, "scripts", "check-layers.mjs");

describe("scripts/check-layers.mjs", () => {
  test("this repository keeps to its module table", async () => {
    const { stdout } = await run(process.execPath, [script]);
    expect(stdout).toMatch(/check-layers: \d+ folder dependencies, all allowed by docs\/architecture\.md/);
  });

  test("an import against the table fails, naming the file and what is allowed", async () => {
    const copy = mkdtempSync(join(tmpdir(), "agentload-layers-"));
    cpSync(join(root, "src"), join(copy, "src"), { recursive: true });
    cpSync(join(root, "docs"), join(copy, "docs"), { recursive: true });
    writeFileSync(join(copy, "src", "stats", "bad.ts"), 'import type { RunSummary } from "../metrics/summary.js";\nexport type X = RunSummary;\n');
    const failed = await run(process.execPath, [script, "--root", copy]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("src/stats/bad.ts: stats/ imports metrics/");
    expect(failed?.stderr).toContain("stats/ may import: nothing of ours");
  });
});
