// End to end: vitest, started programmatically on fixtures/vitest-project (an ordinary test
// project beside agentload()'s workloads project), runs the fixture's workload files against the
// integration engine. Checked as CI would see it: the JUnit and JSON reports, the metrics files.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { startVitest, type JsonTestResults, type Vitest } from "vitest/node";
import type { MetricsFile } from "../../src/vitest/report.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-project", import.meta.url));

/** The <testcase> element named `name` (XML-escaped as the JUnit reporter writes it). */
function testcase(xml: string, name: string): string {
  const escaped = name.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const start = xml.indexOf(`name="${escaped}"`);
  if (start < 0) throw new Error(`no testcase named ${name} in the JUnit report`);
  return xml.slice(start, xml.indexOf("</testcase>", start));
}

function properties(caseXml: string): Map<string, string> {
  return new Map([...caseXml.matchAll(/<property name="([^"]*)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
}

describe("a vitest project using agentload()", () => {
  const out = mkdtempSync(join(tmpdir(), "agentload-vitest-"));
  const junitFile = join(out, "junit.xml");
  const jsonFile = join(out, "report.json");
  let vitest: Vitest;
  let junit: string;
  let report: JsonTestResults;
  const saved = { url: process.env.AGENTLOAD_FIXTURE_URL, output: process.env.AGENTLOAD_FIXTURE_OUTPUT, exitCode: process.exitCode };

  beforeAll(async () => {
    process.env.AGENTLOAD_FIXTURE_URL = engine.apiUrl;
    process.env.AGENTLOAD_FIXTURE_OUTPUT = join(out, "agentload");
    vitest = await startVitest(
      "test",
      [],
      { root: fixture, watch: false, reporters: [["junit", { outputFile: junitFile }], ["json", { outputFile: jsonFile }]] },
      { cacheDir: join(out, "vite-cache") },
    );
    junit = readFileSync(junitFile, "utf8");
    report = JSON.parse(readFileSync(jsonFile, "utf8")) as JsonTestResults;
  });

  afterAll(() => {
    // The inner run failed on purpose (one impossible SLO): that must not fail this process.
    process.exitCode = saved.exitCode;
    for (const [key, value] of [["AGENTLOAD_FIXTURE_URL", saved.url], ["AGENTLOAD_FIXTURE_OUTPUT", saved.output]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const result = (fullName: string) => {
    const found = report.testResults.flatMap((f) => f.assertionResults).find((a) => a.fullName === fullName);
    if (!found) throw new Error(`no test ${fullName} in the JSON report`);
    return found;
  };

  test("workload files run in the agentload pool, one at a time; ordinary tests keep the default pool", () => {
    const workloads = vitest.projects.find((p) => p.name === "workloads")!;
    const unit = vitest.projects.find((p) => p.name === "unit")!;
    expect(workloads.config.pool).toBe("agentload");
    expect(workloads.config.maxWorkers).toBe(1);
    expect(unit.config.pool).toBe("forks");
    expect(result("an ordinary test runs beside the workloads").status).toBe("passed");
  });

  test("each objective of the spec's slo section is a test that passes or fails as its threshold says", () => {
    expect(result("chain SLO ttfc p95 < 60s").status).toBe("passed");
    expect(result("chain SLO error rate <= 0%").status).toBe("passed");
    const impossible = result("chain SLO ttfc p50 < 0.001ms");
    expect(impossible.status).toBe("failed");
    // k6-like: the metric, the limit, the measured value.
    expect(impossible.failureMessages?.[0]).toMatch(/^SloError: ttfc p50 < 0\.001ms: measured \d+(\.\d+)?m?s ✗/);
    expect(result("chain ttfc p99 under a minute").status).toBe("passed");
    expect(report.numFailedTests).toBe(1);
  });

  test("the JUnit report has one test case per SLO, with the measured metrics as properties", () => {
    const failed = testcase(junit, "chain > SLO ttfc p50 < 0.001ms");
    expect(failed).toMatch(/<failure message="ttfc p50 &lt; 0.001ms: measured [\d.]+m?s ✗" type="SloError">/);
    const props = properties(failed);
    expect(props.get("limit.ms")).toBe("0.001");
    expect(Number(props.get("measured.ms"))).toBeGreaterThan(0);
    expect(props.get("ttfc.p50.ms")).toBe(props.get("measured.ms"));
    expect(Number(props.get("ttfc.count"))).toBeGreaterThanOrEqual(4);

    const errorRate = properties(testcase(junit, "chain > SLO error rate <= 0%"));
    expect(errorRate.get("measured.ratio")).toBe("0");
    const custom = properties(testcase(junit, "chain > ttfc p99 under a minute"));
    expect([...custom.keys()]).toEqual(expect.arrayContaining(["requests", "errorRate", "ttfc.p95.ms", "outputTokensPerSec"]));
    expect(testcase(junit, "chain > SLO ttfc p95 < 60s")).not.toContain("<failure");
  });

  test("the JSON report carries each SLO test's verdict in its meta", () => {
    const meta = result("chain SLO ttfc p50 < 0.001ms").meta as { agentload?: { objective: string; pass: boolean; limit: number; runDir: string } };
    expect(meta.agentload).toMatchObject({ objective: "ttfc p50", pass: false, limit: 0.001 });
    expect(existsSync(join(meta.agentload!.runDir, "summary.json"))).toBe(true);
  });

  test("a metrics JSON per workload run lands under outputDir, pointing at its run folder", () => {
    const dir = join(out, "agentload", "metrics");
    expect(readdirSync(dir).sort()).toEqual(["workloads-chain.workload--chain.json", "workloads-yaml.workload--from-yaml.json"]);
    const chain = JSON.parse(readFileSync(join(dir, "workloads-chain.workload--chain.json"), "utf8")) as MetricsFile;
    expect(chain.file).toBe("workloads/chain.workload.ts");
    expect(chain.server).toEqual({ apiUrl: engine.apiUrl, builtIn: false });
    expect(chain.passed).toBe(false);
    expect(chain.verdicts.map((v) => v.name)).toEqual(["ttfc p50", "ttfc p95", "error rate max"]);
    expect(chain.summary.counts.failed).toBe(0);
    expect(JSON.parse(readFileSync(join(chain.runDir, "summary.json"), "utf8")).summary).toEqual(chain.summary);

    // The YAML spec has 3 single-request sessions; the workload overrides it to 1.
    const yaml = JSON.parse(readFileSync(join(dir, "workloads-yaml.workload--from-yaml.json"), "utf8")) as MetricsFile;
    expect(yaml.summary.counts.requests).toBe(1);
    // Every workload has its validity test; this one, with no SLO, has nothing else.
    expect(result("from yaml measurement valid").status).toBe("passed");
    expect(result("chain measurement valid").status).toBe("passed");
  });
});
