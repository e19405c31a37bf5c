// Watch mode and YAML specs: the workloads project's vite plugin finds the spec files a module
// names and adds them as watched dependencies of that module, so `vitest` reruns it when one
// changes (test/integration/vitest-user-project.test.ts checks the rerun itself).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { agentload } from "../../../src/vitest/plugin.js";
import { specFilesNamedIn, specWatchPlugin } from "../../../src/vitest/spec-watch.js";

function project(): { dir: string; file: (path: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), "agentload-watch-"));
  const file = (path: string) => {
    const full = join(dir, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, "name: x\n");
    return full;
  };
  return { dir, file };
}

describe("spec files a workload names", () => {
  test("relative to the module's folder, absolute, or as file URLs; in any quotes", () => {
    const { dir, file } = project();
    const near = file("benchmarks/coding.yaml");
    const shared = file("specs/shared.yml");
    const json = file("specs/plain.json");
    const absolute = file("abs.yaml");
    const code = [
      `describeWorkload("a", { spec: "./coding.yaml" });`,
      `describeWorkload("b", { spec: '../specs/shared.yml', sessions: 1 });`,
      "const plain = `../specs/plain.json`;",
      `benchWorkload("c", { spec: new URL(${JSON.stringify(pathToFileURL(absolute).href)}) });`,
      `describeWorkload("d", { spec: ${JSON.stringify(absolute)} });`,
    ].join("\n");
    expect(specFilesNamedIn(code, join(dir, "benchmarks", "x.workload.ts")).sort()).toEqual([near, shared, json, absolute].sort());
  });

  test("ignores literals naming no file, folders, and template strings with substitutions", () => {
    const { dir, file } = project();
    file("benchmarks/real.yaml");
    mkdirSync(join(dir, "benchmarks", "folder.yaml"));
    const code = [
      `const missing = "./missing.yaml";`,
      `const folder = "./folder.yaml";`,
      "const built = `./${name}.yaml`;",
      `const text = "see README.md";`,
    ].join("\n");
    expect(specFilesNamedIn(code, join(dir, "benchmarks", "x.workload.ts"))).toEqual([]);
  });
});

describe("the plugin", () => {
  test("adds each spec as a watched file of the module, for project sources only", () => {
    const { dir, file } = project();
    const spec = file("benchmarks/coding.yaml");
    const watched: string[] = [];
    const plugin = specWatchPlugin();
    const transform = plugin.transform as (this: { addWatchFile(id: string): void }, code: string, id: string) => unknown;
    const context = { addWatchFile: (id: string) => watched.push(id) };
    const code = `describeWorkload("a", { spec: "./coding.yaml" });`;
    expect(transform.call(context, code, join(dir, "benchmarks", "a.workload.ts"))).toBeNull();
    expect(watched).toEqual([spec]);
    transform.call(context, code, join(dir, "benchmarks", "b.workload.ts?v=1"));
    expect(watched).toEqual([spec, spec]);
    transform.call(context, code, join(dir, "node_modules", "dep", "index.js"));
    transform.call(context, code, join(dir, "benchmarks", "styles.css"));
    expect(watched).toHaveLength(2);
  });

  test("is part of the workloads project", () => {
    const plugins = (agentload().plugins ?? []) as { name?: string }[];
    expect(plugins.map((p) => p.name)).toContain("agentload:spec-watch");
  });
});
