// Runs a fixture vitest project in this process (startVitest), as a user's `vitest run` would,
// with environment variables set for that run only, and returns the JUnit test case asked for
// and what went through vitest's logger. The logger's calls are recorded rather than a stdout
// stream given to startVitest: vitest drops lines written to such a stream now and then (its own
// "JUNIT report written" line among them), while the calls themselves are certain.
import { readFileSync } from "node:fs";
import { startVitest, type Reporter } from "vitest/node";

export interface FixtureRunOptions {
  /** The fixture project's root. */
  root: string;
  /** Set for the run, restored after it. */
  env: Record<string, string>;
  /** Where the JUnit report goes. */
  junit: string;
  cacheDir: string;
  /** The test case to return, as JUnit names it ("describe &gt; test"). */
  testCase: string;
  update?: boolean;
  testNamePattern?: string;
}

export interface FixtureRun {
  /** The test case's element, up to its closing tag. */
  testcase: string;
  output: string;
}

export async function runVitestFixture(o: FixtureRunOptions): Promise<FixtureRun> {
  const saved = Object.fromEntries(Object.keys(o.env).map((k) => [k, process.env[k]]));
  const exitCode = process.exitCode;
  Object.assign(process.env, o.env);
  let output = "";
  const recorder: Reporter = {
    onInit(vitest) {
      for (const method of ["log", "error"] as const) {
        const original = vitest.logger[method].bind(vitest.logger);
        vitest.logger[method] = (...args: unknown[]) => {
          output += `${args.join(" ")}\n`;
          original(...args);
        };
      }
    },
  };
  try {
    const options = { root: o.root, watch: false, update: o.update ?? false, reporters: [["junit", { outputFile: o.junit }], recorder] as never, ...(o.testNamePattern ? { testNamePattern: o.testNamePattern } : {}) };
    const vitest = await startVitest("test", [], options, { cacheDir: o.cacheDir });
    await vitest.close();
  } finally {
    process.exitCode = exitCode; // a run that fails on purpose must not fail this one
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const xml = readFileSync(o.junit, "utf8");
  const start = xml.indexOf(`name="${o.testCase}"`);
  if (start < 0) throw new Error(`${o.junit}: no test case '${o.testCase}' in the JUnit report:\n${xml.slice(0, 2000)}`);
  return { testcase: xml.slice(start, xml.indexOf("</testcase>", start)), output };
}
