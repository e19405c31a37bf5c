// The HTML report of a run (report/html/), opened in a real headless Chromium (Debian's chromium,
// test/support/browser.ts): no console errors, nothing fetched from the network, every plot drew
// marks, and strings from a spec or a server (a session id, a run name, an error message holding
// `</svg><script>`) render as text. The screenshot goes to .agentload/test-output/ for a look.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { evaluateSlos, resolveSlo } from "../../../src/metrics/slo.js";
import { runValidity } from "../../../src/metrics/validity.js";
import type { RequestRecord, RunMetadata } from "../../../src/records/types.js";
import { htmlReporter } from "../../../src/report/html-report.js";
import { escapeHtml } from "../../../src/report/html/page.js";
import type { FinishedRun } from "../../../src/report/types.js";
import { chromiumPath, openReport, pageProblems } from "../../support/browser.js";
import { syntheticRecords } from "../../support/synthetic-run.js";

const HOSTILE = "</svg><script>window.pwned = 1</script><img src=x onerror=window.pwned=2>";
const OUT = join(".agentload", "test-output");

/** A DAG session: a root, three children at once, a join; one child failed with a hostile message. */
function dagSession(id: string, t0: number): RequestRecord[] {
  const node = (nodeId: string, start: number, end: number, parents: string[], kind: RequestRecord["kind"], error?: string): RequestRecord => ({
    sessionId: id,
    nodeId,
    kind,
    ...(parents.length > 0 ? { parents } : {}),
    readyAt: t0 + start - 2,
    plannedAt: t0 + start - 1,
    dispatchedAt: t0 + start,
    ...(error
      ? { chunkAt: [], error: { kind: "server" as const, message: error } }
      : { firstTokenAt: t0 + start + 40, firstContentAt: t0 + start + 40, chunkAt: [40, 55, 70, 85].map((d) => t0 + start + d).concat([t0 + end]), doneAt: t0 + end, completionTokens: 5, promptTokens: 900 + start, cachedTokens: 600 }),
    expectedPromptTokens: 900 + start,
    sharedPrefixTokens: 600,
    freshInputTokens: 300,
    requestedOutputTokens: 5,
  });
  return [
    node("root", 0, 200, [], "turn"),
    node("a", 210, 500, ["root"], "spawn"),
    node("b", 215, 520, ["root"], "spawn"),
    node("c", 220, 300, ["root"], "spawn", HOSTILE),
    node("join", 530, 700, ["a", "b", "c"], "report"),
  ];
}

function finishedRun(): FinishedRun {
  const records = [...syntheticRecords({ seed: "report", requests: 120, failures: 2 }), ...dagSession(`session ${HOSTILE}`, 500_000)];
  const summary = summarizeRecords(records, { wallMs: 130_000 });
  const objectives = resolveSlo({ ttfc: { p95: "150ms" }, tbc: { p95: "50ms" } }, undefined, "test: slo");
  const verdicts = evaluateSlos(objectives, summary);
  const metadata: RunMetadata = {
    tool: { name: "agentload", version: "0.1.0" },
    startedAt: "2026-12-06T05:00:00.000Z",
    server: { url: "http://127.0.0.1:8080/v1", model: `model ${HOSTILE}` },
    workload: { name: "report", fingerprint: { spec: "0123456789abcdef", sessions: 121 } },
    host: { runtime: "node 22.0.0", platform: "linux", arch: "x64", cpus: 2 },
  };
  return { name: `run ${HOSTILE}`, summary, verdicts, passed: verdicts.every((v) => v.pass), interrupted: false, validity: runValidity(summary), dir: "/tmp/run", records, metadata };
}

const PLOTS = ["ttfc-ecdf", "tbc-ecdf", "tpot-ecdf", "e2e-ecdf", "prompt-tokens-ecdf", "ttfc-by-prompt", "concurrency", "decode-overlap", "dispatch-lateness", "swim-lanes"];

describe("the HTML report of a run", () => {
  it("is one self-contained page: no script, no external reference, hostile strings escaped", async () => {
    const html = await htmlReporter.render(finishedRun());
    expect(html).not.toMatch(/<script/i);
    // No element fetches anything: no src or href attribute (attribute values, where the hostile
    // string's own src= sits escaped in a title's aria-label, are blanked first).
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\s(?:src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i); // url(#clip) refers within the page
    expect(html).toContain(escapeHtml(`run ${HOSTILE}`));
    expect(html).toContain("Content-Security-Policy");
    for (const id of PLOTS) expect(html, id).toContain(`<figure data-plot="${id}">`);
    // The verdict first: the run fails its TTFC bound (the synthetic TTFC median is 100 ms, p95 above 150 ms).
    expect(html).toMatch(/<div class="banner fail">FAIL: 1 of 2 SLO objectives failed<\/div>/);
    // Small enough to attach to a CI job.
    expect(html.length).toBeLessThan(1_000_000);
  });

  const chromium = chromiumPath();
  it.skipIf(!chromium)(chromium ? "draws every plot in Chromium, with no console error or network request" : "draws every plot in Chromium (skipped: no Chromium: apt-get install chromium, or set AGENTLOAD_CHROMIUM)", async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report-unit.html");
    writeFileSync(file, await htmlReporter.render(finishedRun()));
    const check = await openReport(file, join(OUT, "report-unit.png"));
    expect(pageProblems(check)).toEqual([]);
    for (const id of PLOTS) expect(check.result.marks[id], id).toBeGreaterThan(0);
    expect(check.result.pwned).toBeNull();
    expect(check.result.text).toContain(HOSTILE);
  }, 90_000);
});
