// A user's project, as `npm init -y`, `agentload init` and the README leave it, run the way a
// user runs it: `vitest` in a child process, in a temporary folder whose node_modules holds this
// package (built: dist/, reached through package.json's exports, as from npm) and this
// repository's vitest. The server is the integration engine, named by AGENTLOAD_URL.
// Checked: CommonJS and ES module packages, the README's config verbatim, a server nobody
// listens on (a failed test in JUnit, not an empty green report), and watch mode rerunning the
// workload file whose YAML spec changed.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, inject, test } from "vitest";
import { closedPort } from "../support/closed-port.js";

const engine = inject("engine");
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

beforeAll(() => {
  if (!existsSync(join(repo, "dist", "vitest", "index.js"))) throw new Error(`${repo}/dist is missing: run npm run build first (the user project loads agentload through its exports)`);
});

/** A folder as `npm init -y` leaves it, with agentload and vitest installed (linked). */
function userProject(type: "commonjs" | "module"): string {
  const dir = mkdtempSync(join(tmpdir(), `agentload-user-${type}-`));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "engine-perf", version: "1.0.0", main: "index.js", type }, null, 2));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(repo, join(dir, "node_modules", "agentload"), "dir");
  // The repository's own vitest: agentload must see the one vitest that runs the files.
  symlinkSync(join(repo, "node_modules", "vitest"), join(dir, "node_modules", "vitest"), "dir");
  return dir;
}

interface Exit {
  code: number | null;
  output: string;
}

/** `node <script> args` in dir, with the environment a user's shell would have plus `env`. */
function run(dir: string, script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 110_000): Promise<Exit> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|AGENTLOAD_(URL|MODEL|API_KEY)$|OPENAI_API_KEY$)/.test(k)));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: dir, env: { ...clean, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

const vitestRun = (dir: string, env: Record<string, string>) =>
  run(dir, "node_modules/vitest/vitest.mjs", ["run", "--reporter=default", "--reporter=junit", "--outputFile.junit=junit.xml"], env);
const agentloadCli = (dir: string, args: string[]) => run(dir, join(repo, "dist", "cli", "main.js"), args);

/** The totals of a JUnit report. */
function junitTotals(dir: string): { tests: number; failures: number; xml: string } {
  const xml = readFileSync(join(dir, "junit.xml"), "utf8");
  const m = /<testsuites [^>]*tests="(\d+)" failures="(\d+)"/.exec(xml);
  if (!m) throw new Error(`${dir}/junit.xml: no <testsuites> totals in:\n${xml}`);
  return { tests: Number(m[1]), failures: Number(m[2]), xml };
}

/** The README's vitest.config.ts and workload file, verbatim. */
function readmeFiles(): { config: string; workload: string } {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const start = readme.indexOf("```ts\n// vitest.config.ts\n");
  const end = readme.indexOf("```", start + 5);
  const [config, workload] = readme.slice(start + "```ts\n".length, end).split("\n// benchmarks/coding-agent.workload.ts\n");
  if (start < 0 || !workload) throw new Error("README.md: no ```ts block with // vitest.config.ts and // benchmarks/coding-agent.workload.ts");
  return { config: config!, workload };
}

describe("a user's project", () => {
  test("npm init -y (CommonJS), agentload init, vitest run: passes on the first try", async () => {
    const dir = userProject("commonjs");
    const init = await agentloadCli(dir, ["init"]);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/wrote {3}vitest\.config\.mts\nwrote {3}benchmarks\/coding-agent\.yaml\nwrote {3}benchmarks\/coding-agent\.workload\.ts\n/);

    const { code, output } = await vitestRun(dir, { AGENTLOAD_URL: engine.apiUrl });
    expect(code, output).toBe(0);
    expect(output).toContain(`agentload: workloads run against ${engine.apiUrl} (from AGENTLOAD_URL)`);
    const totals = junitTotals(dir);
    expect(totals.failures, totals.xml).toBe(0);
    expect(totals.tests).toBe(4); // 2 objectives of the spec, measurement valid, the slo(...) check
  });

  test("the README's vitest.config.ts and workload, verbatim, in a CommonJS package", async () => {
    const dir = userProject("commonjs");
    const { config, workload } = readmeFiles();
    writeFileSync(join(dir, "vitest.config.ts"), config);
    mkdirSync(join(dir, "benchmarks"));
    writeFileSync(join(dir, "benchmarks", "coding-agent.workload.ts"), workload);
    const { code, output } = await vitestRun(dir, { AGENTLOAD_URL: engine.apiUrl });
    expect(output).not.toMatch(/ESM only/);
    expect(code, output).toBe(0);
    expect(junitTotals(dir).failures).toBe(0);
  });

  test("a server nobody listens on fails a test naming the URL and the reason", async () => {
    const dir = userProject("commonjs");
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    expect((await agentloadCli(dir, ["init"])).code).toBe(0);
    // The config names the server (the README's other form), which AGENTLOAD_URL does not override.
    const config = readFileSync(join(dir, "vitest.config.mts"), "utf8").replace(/agentload\(\),.*/, `agentload({ server: { url: ${JSON.stringify(url)} } }),`);
    writeFileSync(join(dir, "vitest.config.mts"), config);
    const { code, output } = await vitestRun(dir, { AGENTLOAD_URL: engine.apiUrl });
    expect(code).not.toBe(0);
    expect(output).toContain("AGENTLOAD_URL ignored: agentload({ server }) in the config names the server");
    const { failures, xml } = junitTotals(dir);
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(xml).toMatch(
      new RegExp(`<failure message="describeWorkload\\(&quot;coding agent&quot;\\): agentload\\(\\{ server: \\{ url: &quot;${url.replace(/[.]/g, "\\.")}&quot; \\} \\}\\) in the workloads project: cannot reach the server at ${url.replace(/[.]/g, "\\.")}: ECONNREFUSED`),
    );
  });

  test("an ES module package gets vitest.config.ts; watch mode reruns the workload whose spec changed", async () => {
    const dir = userProject("module");
    const init = await agentloadCli(dir, ["init"]);
    expect(init.output).toContain("wrote   vitest.config.ts\n");
    // A second workload that names no spec: a change of the YAML must leave it alone.
    writeFileSync(
      join(dir, "benchmarks", "other.workload.ts"),
      'import { describeWorkload, session } from "agentload/vitest";\n' +
        'describeWorkload("other", { seed: 1, sessions: 1 }, () => { session("one", { turns: 1, freshInput: 10, output: 2 }); });\n',
    );
    // vitest in watch mode through its API: the files of each run, one JSON line per run.
    writeFileSync(
      join(dir, "watch.mjs"),
      `import { appendFileSync } from "node:fs";
import { createVitest } from "vitest/node";
const runs = [];
const vitest = await createVitest("test", { watch: true, reporters: [{ onTestRunEnd(files) { runs.push(files.map((f) => [f.moduleId.split("/").pop(), f.state()])); } }] });
await vitest.start();
appendFileSync("benchmarks/coding-agent.yaml", "# edited\\n");
for (const t0 = Date.now(); runs.length < 2 && Date.now() - t0 < 30000; ) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 1000)); // a third run would land here
console.log("RUNS " + JSON.stringify(runs));
await vitest.close();
process.exit(0);
`,
    );
    const { code, output } = await run(dir, "watch.mjs", [], { AGENTLOAD_URL: engine.apiUrl });
    expect(code, output).toBe(0);
    const runs = JSON.parse(/^RUNS (.*)$/m.exec(output)?.[1] ?? "null") as [string, string][][] | null;
    expect(runs, output).toEqual([
      [
        ["coding-agent.workload.ts", "passed"],
        ["other.workload.ts", "passed"],
      ],
      [["coding-agent.workload.ts", "passed"]],
    ]);
  });
});
