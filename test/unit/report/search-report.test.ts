// A capacity search's HTML report (report/html/search-report.ts): the outcome, the frontier plot
// (each point tried, each SLO objective's measured / limit, the binding one marked) and the table
// of points; opened in a real headless Chromium (test/support/browser.ts) when there is one.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { frontierDots, renderSearchReport, type SearchReportInput } from "../../../src/report/html/search-report.js";
import { escapeHtml } from "../../../src/report/html/page.js";
import { chromiumPath, openReport, pageProblems } from "../../support/browser.js";

const HOSTILE = "spec</svg><script>window.pwned=1</script>";

function point(load: number, attempt: number, ttfcP95: number, tbcP95: number): SearchReportInput["points"][number] {
  const slo = [
    { name: "ttfc p95", measured: ttfcP95, limit: 1000, pass: ttfcP95 < 1000 },
    { name: "tbc p95", measured: tbcP95, limit: 30, pass: tbcP95 < 30 },
  ];
  const failed = slo.filter((o) => !o.pass);
  return {
    load,
    attempt,
    healthy: failed.length === 0,
    reasons: failed.map((o) => `${o.name} over its limit`),
    ...(failed[0] ? { binding: failed[0].name } : {}),
    detail: { runDir: `runs/${load}-${attempt}`, requestsPerSec: load, ttfcP95, tbcP95, e2eP95: ttfcP95 * 3, offered: load, slo },
  };
}

const search: SearchReportInput = {
  dir: "runs/search-1",
  spec: HOSTILE,
  over: "rho",
  unit: "requests/s",
  precision: 0.2,
  frontier: 1.41,
  firstFailing: 1.68,
  binding: "ttfc p95",
  stopped: "precision",
  points: [point(1, 1, 767, 9), point(2, 1, 2900, 12), point(1.41, 1, 407, 10), point(1.68, 1, 2700, 11), point(1.41, 2, 684, 10)],
};

describe("the HTML report of a capacity search", () => {
  it("plots each objective of each point as measured / limit, marking the binding one", () => {
    const dots = frontierDots(search);
    expect(dots).toHaveLength(10);
    expect(dots.find((d) => d.load === 2 && d.objective === "ttfc p95")).toMatchObject({ ratio: 2.9, healthy: false, binding: true });
    expect(dots.find((d) => d.load === 2 && d.objective === "tbc p95")).toMatchObject({ ratio: 0.4, binding: false });
    // A limit of 0 (an error rate of none at all) has no ratio to draw.
    const zero = frontierDots({ ...search, points: [{ ...search.points[0]!, detail: { slo: [{ name: "errorRate max", measured: 0, limit: 0, pass: true }] } }] });
    expect(zero[0]!.ratio).toBeNull();
  });

  it("states the outcome first, lists every point, and escapes the spec's name", async () => {
    const html = await renderSearchReport(search);
    expect(html).toContain('<div class="banner info">frontier rho 1.41 requests/s; first failing 1.68 requests/s; binding SLO ttfc p95</div>');
    expect(html).toContain('<figure data-plot="frontier">');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html.match(/<tr>/g)!.length).toBeGreaterThanOrEqual(search.points.length + 1);
    const unfinished = await renderSearchReport({ ...search, frontier: null, firstFailing: null, stopped: null });
    expect(unfinished).toContain('<div class="banner invalid">the search did not finish (interrupted): its points so far</div>');
  });

  const chromium = chromiumPath();
  it.skipIf(!chromium)(chromium ? "draws the frontier in Chromium, with no console error" : "draws the frontier in Chromium (skipped: no Chromium: apt-get install chromium, or set AGENTLOAD_CHROMIUM)", async () => {
    const out = join(".agentload", "test-output");
    mkdirSync(out, { recursive: true });
    const file = join(out, "report-search.html");
    writeFileSync(file, await renderSearchReport(search));
    const check = await openReport(file, join(out, "report-search.png"));
    expect(pageProblems(check)).toEqual([]);
    // 10 dots, the limit line, the frontier and first-failing rules.
    expect(check.result.marks.frontier).toBeGreaterThanOrEqual(13);
    expect(check.result.text).toContain(HOSTILE);
  }, 90_000);
});
