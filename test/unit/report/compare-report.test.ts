// The HTML page of `agentload compare A B --html FILE` (report/html/compare-report.ts): synthetic
// runs with a known slowdown compared by compare/runs.ts, the page's banner, table and ECDFs (one
// line per run), folder names holding markup escaped; opened in a real headless Chromium
// (test/support/browser.ts) when there is one, its screenshot in .agentload/test-output/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRunSets, type ComparedRun, type RunsComparisonOptions } from "../../../src/compare/runs.js";
import { renderCompareReport, type CompareReportRun } from "../../../src/report/html/compare-report.js";
import { escapeHtml } from "../../../src/report/html/page.js";
import { standardNormal } from "../../../src/stats/samplers.js";
import { rngFor } from "../../../src/stats/random.js";
import { chromiumPath, openReport, pageProblems } from "../../support/browser.js";
import { syntheticResult } from "../../support/synthetic-run.js";

const OUT = join(".agentload", "test-output");
/** A path whose segments close the SVG and open a script, and a folder name (no slash) with an image that runs code. */
const HOSTILE_PATH = "runs/a</svg><script>window.pwned=1</script>";
const HOSTILE_NAME = `b"><img src=x onerror=window.pwned=2>`;
const PLOTS = ["ttfc-ecdf", "tbc-ecdf", "tpot-ecdf", "e2e-ecdf", "prompt-tokens-ecdf"];

type Run = ComparedRun & CompareReportRun;

/** A synthetic run; its prompts lognormal around 1,500 tokens (the synthetic records all have 100). */
function run(dir: string, seed: string, slowdown: number, requests = 300): Run {
  const r = syntheticResult({ seed, slowdown, requests, ...(requests === 0 ? { failures: 20 } : {}) });
  const rng = rngFor(seed, "prompts");
  const promptTokens = Array.from({ length: requests }, () => Math.round(1500 * Math.exp(0.5 * standardNormal(rng))));
  return { dir, histograms: r.summary.histograms, latency: r.summary.latency, valid: r.validity!.valid, problems: r.validity!.problems, promptTokens };
}

async function page(baseline: Run[], current: Run[], options: RunsComparisonOptions = {}): Promise<string> {
  const c = compareRunSets(baseline, current, options);
  return renderCompareReport({ baseline, current, outcome: c.outcome, lines: c.lines, basis: c.basis, ...(c.comparison ? { comparison: c.comparison } : {}) });
}

const several = () => page([1, 2, 3].map((i) => run(`runs/a${i}`, `a${i}`, 1, 200)), [1, 2].map((i) => run(`runs/b${i}`, `b${i}`, 1.5, 200)).concat(run(`runs/${HOSTILE_NAME}`, "b3", 1.5, 200)));

describe("the HTML page of a run comparison", () => {
  it("one run per side, 1.5x slower: CHANGED first, the table of percentiles, an ECDF per metric with a line per run", async () => {
    const html = await page([run(HOSTILE_PATH, "base", 1)], [run(`runs/${HOSTILE_NAME}`, "slow", 1.5)]);
    expect(html).toMatch(/<div class="banner fail">CHANGED: \d of 6 percentiles beyond the allowed effect \(one run per side\)<\/div>/);
    for (const id of PLOTS) expect(html, id).toContain(`<figure data-plot="${id}">`);
    expect(html).toContain("<th>95% interval</th>");
    expect(html).toMatch(/<td>ttfc<\/td><td>p50<\/td><td>[\d.]+ms<\/td><td>[\d.]+ms<\/td><td>\+\d+%<\/td>/);
    // The note a one-run comparison carries is kept under the table.
    expect(html).toContain("note: one run per side");
    // No script anywhere; the folders are text in the runs table and the legends.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain(escapeHtml(HOSTILE_PATH));
    expect(html).toContain(escapeHtml(`runs/${HOSTILE_NAME}`));
    expect(html).toContain("A: script&gt;"); // the path's last segment names its line
  });

  it("several runs per side: one line per run, so the runs' spread shows", async () => {
    const html = await several();
    expect(html).toMatch(/<div class="banner fail">CHANGED: .* \(3 and 3 runs\)<\/div>/);
    for (const name of ["A: a1", "A: a2", "A: a3", "B: b1", "B: b2"]) expect(html, name).toContain(name);
    expect(html).toContain("<th>intervals over</th><td>runs</td>");
    expect(html).not.toMatch(/<script|<img/i);
  });

  it("says matched, and not valid, in the banner's colours", async () => {
    expect(await page([run("runs/a", "a", 1)], [run("runs/b", "b", 1)])).toMatch(/<div class="banner pass">MATCHED: no percentile changed/);
    const invalid = await page([run("runs/a", "a", 1)], [run("runs/broken", "broken", 1, 0)]);
    expect(invalid).toMatch(/<div class="banner invalid">NOT COMPARED: 1 run is not a valid measurement<\/div>/);
    expect(invalid).toMatch(/new runs\/broken: no request succeeded/);
    // The baseline's lines are still drawn.
    expect(invalid).toContain('<figure data-plot="ttfc-ecdf">');
  });

  const chromium = chromiumPath();
  it.skipIf(!chromium)(chromium ? "draws every plot in Chromium, with no console error or network request" : "draws every plot in Chromium (skipped: no Chromium: apt-get install chromium, or set AGENTLOAD_CHROMIUM)", async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report-compare.html");
    writeFileSync(file, await several());
    const check = await openReport(file, join(OUT, "report-compare.png"));
    expect(pageProblems(check)).toEqual([]);
    for (const id of PLOTS) expect(check.result.marks[id], id).toBeGreaterThan(0);
    expect(check.result.pwned).toBeNull();
    expect(check.result.text).toContain(`runs/${HOSTILE_NAME}`);
  }, 90_000);
});
