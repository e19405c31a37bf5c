// `agentload init`: the files it writes (the config named for the package's module type, a
// workload file, a spec that validates and names the shipped schema on its first line), and what
// it never does: overwrite a file, or write a second config beside the user's.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { configFileName, initCommand, initProject } from "../../../src/cli/init.js";
import { parseSpecText } from "../../../src/workload/spec-text.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A folder as `npm init -y` leaves it (type commonjs in recent npm), optionally with agentload installed. */
function npmProject(packageJson: object = { name: "p", version: "1.0.0", type: "commonjs" }, installed = false): string {
  const dir = mkdtempSync(join(tmpdir(), "agentload-init-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify(packageJson));
  if (installed) {
    mkdirSync(join(dir, "node_modules", "agentload", "schema"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "agentload", "schema", "workload.schema.json"), "{}");
  }
  return dir;
}

afterEach(() => vi.restoreAllMocks());

describe("agentload init", () => {
  test("writes the config, the workload and its spec into a fresh CommonJS package", () => {
    const dir = npmProject(undefined, true);
    const result = initProject(dir);
    const config = join(dir, "vitest.config.mts");
    const workload = join(dir, "benchmarks", "coding-agent.workload.ts");
    const spec = join(dir, "benchmarks", "coding-agent.yaml");
    expect(result).toEqual({ written: [config, spec, workload], skipped: [], notes: [] });
    expect(readFileSync(config, "utf8")).toContain('import { agentload } from "agentload/vitest";');
    expect(readFileSync(workload, "utf8")).toContain('describeWorkload("coding agent", { spec: "./coding-agent.yaml" }');

    const text = readFileSync(spec, "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../node_modules/agentload/schema/workload.schema.json");
    expect(existsSync(resolve(dirname(spec), "../node_modules/agentload/schema/workload.schema.json"))).toBe(true);
    const parsed = parseSpecText(text, spec).spec;
    expect(parsed.name).toBe("coding-agent");
    expect(parsed.slo).toBeDefined();
  });

  test("names the config for the module type of the nearest package.json", () => {
    const esm = npmProject({ name: "p", type: "module" });
    expect(configFileName(join(esm, "package.json"))).toBe("vitest.config.ts");
    expect(configFileName(join(npmProject({ name: "p" }), "package.json"))).toBe("vitest.config.mts");
    expect(configFileName(undefined)).toBe("vitest.config.mts");
    const sub = join(esm, "packages", "a");
    mkdirSync(sub, { recursive: true });
    expect(initProject(sub).written[0]).toBe(join(sub, "vitest.config.ts"));
    const broken = npmProject();
    writeFileSync(join(broken, "package.json"), "{ nope");
    expect(() => configFileName(join(broken, "package.json"))).toThrow(CliError);
  });

  test("points the schema line at a hoisted node_modules", () => {
    const root = npmProject({ name: "monorepo", private: true }, true);
    const pkg = join(root, "packages", "server");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "server", type: "module" }));
    initProject(pkg);
    const first = readFileSync(join(pkg, "benchmarks", "coding-agent.yaml"), "utf8").split("\n")[0];
    expect(first).toBe("# yaml-language-server: $schema=../../../node_modules/agentload/schema/workload.schema.json");
  });

  test("never overwrites a file, and leaves an existing vitest or vite config to the user", () => {
    const dir = npmProject({ name: "p", type: "module" });
    writeFileSync(join(dir, "vite.config.js"), "export default {}\n");
    mkdirSync(join(dir, "benchmarks"));
    writeFileSync(join(dir, "benchmarks", "coding-agent.yaml"), "mine\n");
    const result = initProject(dir);
    expect(result.written).toEqual([join(dir, "benchmarks", "coding-agent.workload.ts")]);
    expect(result.skipped.map((s) => s.file)).toEqual([join(dir, "vite.config.js"), join(dir, "benchmarks", "coding-agent.yaml")]);
    expect(result.skipped[0]!.reason).toMatch(/add the workloads project to its test\.projects: agentload\(\)/);
    expect(readFileSync(join(dir, "benchmarks", "coding-agent.yaml"), "utf8")).toBe("mine\n");
    expect(existsSync(join(dir, "vitest.config.ts"))).toBe(false);
    expect(result.notes).toEqual([expect.stringMatching(/^agentload is not installed here yet: npm i -D agentload vitest/)]);
    // A second init writes nothing.
    expect(initProject(dir).written).toEqual([]);
  });

  test("the command says what it wrote and skipped, and takes at most one folder", async () => {
    const dir = npmProject(undefined, true);
    writeFileSync(join(dir, "vitest.config.mts"), "// mine\n");
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    expect(await initCommand([dir])).toBe(0);
    expect(lines.filter((l) => l.startsWith("wrote "))).toHaveLength(2);
    expect(lines).toContainEqual(expect.stringMatching(/^skipped .*vitest\.config\.mts \(a vitest\/vite config exists/));
    expect(lines.at(-1)).toBe(`next: cd ${dir} && npx vitest run`);
    await expect(initCommand(["a", "b"])).rejects.toThrow(/init takes at most one folder, got 2/);
  });

  test("the spec's schema is the one this package ships", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("schema");
    expect(existsSync(join(repo, "schema", "workload.schema.json"))).toBe(true);
  });
});
