// Finds the Bun and Deno binaries for cross-runtime tests: on PATH, or where .ci/run installs
// them from npm (<cache>/runtimes/node_modules/.bin).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "../../src/engine/paths.js";

export function findRuntime(name: "bun" | "deno"): string | null {
  const cached = join(cacheRoot(), "runtimes", "node_modules", ".bin", name);
  if (existsSync(cached)) return cached;
  const which = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() : null;
}

/** The command line that runs the built CLI (dist/cli/main.js) under a runtime. */
export function cliUnder(runtime: "node" | "bun" | "deno", binary: string, args: string[]): [string, string[]] {
  const main = "dist/cli/main.js";
  if (runtime === "deno") return [binary, ["run", "-A", main, ...args]];
  return [binary, [main, ...args]];
}
