// The HTML report of a trace (report/html/trace-report.ts): the fixture OpenClaw DAG (a subagent,
// waits on both sides of the 100 ms split) with a hostile source name, rendered and opened in a
// real headless Chromium (test/support/browser.ts); and a generated workload whose fitted families
// are known, to check the plots name what the fit picked and the page stays small.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderTraceReport } from "../../../src/report/html/trace-report.js";
import { escapeHtml } from "../../../src/report/html/page.js";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { fitFamilies } from "../../../src/traces/fit.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import type { Trace } from "../../../src/traces/types.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import { chromiumPath, countMarks, openPage } from "../../support/browser.js";
import { fixtures } from "../../support/traces.js";

const HOSTILE = "</svg><script>window.pwned = 1</script><img src=x onerror=window.pwned=2>";
const OUT = join(".agentload", "test-output");
const PLOTS = ["fresh-input-fit", "output-fit", "prompt-tokens-ecdf", "wait-ecdf"];

/** The fixture DAG under a source name a hostile path could give. */
async function fixtureTrace(): Promise<Trace> {
  const trace = await readTrace(join(fixtures, "openclaw/dag.json"));
  return { ...trace, source: `traces/${HOSTILE}/dag.json` };
}

/** The SVG and caption of one `<figure data-plot="id">`. */
function figure(html: string, id: string): string {
  const start = html.indexOf(`<figure data-plot="${id}">`);
  expect(start, id).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</figure>", start));
}

describe("the HTML report of a trace", () => {
  it("shows analyze's figures and each quantity against the family fitted to it, as one page without script", async () => {
    const trace = await fixtureTrace();
    const html = await renderTraceReport(trace);
    expect(html).not.toMatch(/<script/i);
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\s(?:src|href|xlink:href)\s*=/i);
    expect(html).toContain(escapeHtml(trace.source));
    expect(html).toMatch(/<div class="banner info">6 requests in 1 session; 6 requests per user message; 92\.29% prefix reuse<\/div>/);
    for (const id of PLOTS) figure(html, id);
    // The legend names the family fitFamilies ranks first on the same values, with its parameters.
    const outputs = trace.requests.map((r) => r.outputTokens);
    // Truncated to the range of these 6 evenly spread values (20..80), the nearly flat exponential ranks first.
    const best = fitFamilies(outputs).fits[0]!;
    expect(best.family).toBe("exponential");
    expect(figure(html, "output-fit")).toContain("exponential (mean 46.7, min 20, max 80)");
    // The waits: 3 of 4 under 100 ms (10, 25 and 25 ms), one of 12 s; the split drawn at 100 ms.
    expect(analyzeTrace(trace).waitAfterReadyMs!.count).toBe(4);
    const waits = figure(html, "wait-ecdf");
    expect(waits).toContain("75% of 4 waits under 100 ms (the spike)");
    expect(waits).toContain("25% at or above (the tail)");
    expect(waits).toContain("split 100 ms");
    // After the plots: every family's ranking, and the spec agentload fit writes (its subagent too).
    expect(html).toContain("Fitted families, best first by AIC");
    expect(html).toMatch(/<td>subagent<\/td><td>waitMs<\/td>/);
  });

  it("names the families a generated workload was drawn from and stays small", async () => {
    const workload = generateWorkload({
      name: "trace-report",
      seed: 7,
      sessions: 40,
      agents: [
        {
          name: "coder",
          turns: 50,
          freshInput: { type: "lognormal", mu: 5.5, sigma: 1.2 },
          output: { type: "inverse_gaussian", mean: 400, shape: 150 },
          waitMs: { type: "spike_tail", spikeProbability: 0.8, spike: { type: "lognormal", mu: 3.3, sigma: 0.5, max: 100 }, tail: { type: "pareto", scale: 100, alpha: 0.9, max: 120_000 } },
        },
      ],
    });
    const html = await renderTraceReport(workloadTrace(workload));
    expect(figure(html, "output-fit")).toMatch(/inverse Gaussian \(mean 39\d, shape 1[45]\d, min \d+, max \d+\)/);
    // 1,960 waits (every request but the 40 first): about 80% in the spike, a lognormal one.
    const waits = figure(html, "wait-ecdf");
    expect(waits).toMatch(/(79|80|81)\.\d+% of 1,960 waits under 100 ms/);
    expect(waits).toContain("lognormal spike + Pareto tail (fitted)");
    // Each series is thinned: 2,000 requests give about what a million would.
    expect(html.length).toBeLessThan(250_000);
  });

  const chromium = chromiumPath();
  it.skipIf(!chromium)(chromium ? "draws every plot in Chromium, with no console error or network request" : "draws every plot in Chromium (skipped: no Chromium: apt-get install chromium, or set AGENTLOAD_CHROMIUM)", async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report-trace.html");
    writeFileSync(file, await renderTraceReport(await fixtureTrace()));
    const check = await openPage(file, {
      screenshot: join(OUT, "report-trace.png"),
      width: 1400,
      inspect: async (page) => ({
        marks: await countMarks(page),
        text: await page.evaluate(() => document.body.innerText),
        pwned: await page.evaluate(() => (window as unknown as { pwned?: number }).pwned ?? null),
      }),
    });
    expect(check.consoleErrors).toEqual([]);
    expect(check.pageErrors).toEqual([]);
    expect(check.blockedRequests).toEqual([]);
    expect(check.failedRequests).toEqual([]);
    for (const id of PLOTS) expect(check.result.marks[id], id).toBeGreaterThan(0);
    expect(check.result.pwned).toBeNull();
    expect(check.result.text).toContain(HOSTILE);
  }, 90_000);
});
