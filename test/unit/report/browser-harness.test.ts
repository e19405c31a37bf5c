// The browser harness the report tests use (test/support/browser.ts), checked against a page
// whose faults are known: hand-written SVG shaped like Vega's, one console.error, one uncaught
// exception and one image from the network. Needs Debian's chromium (.ci/run installs it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chromiumPath, countMarks, openPage } from "../../support/browser.js";

const chromium = chromiumPath();
const skipReason = chromium ? undefined : "no Chromium: apt-get install chromium, or set AGENTLOAD_CHROMIUM";

// One plot as Vega's toSVG() lays it out: the root group's frame, an axis (ticks, label, domain),
// a line, three symbols, a rule, a legend and a title. Only the line, symbols and rule are marks
// of data: 5. The second plot has the frame and an axis but nothing drawn: 0.
const drawn = `
<svg class="marks" width="320" height="200" viewBox="0 0 320 200">
 <g class="mark-group role-frame root"><g transform="translate(40,20)">
  <path class="background" d="M0,0h250v150h-250Z" fill="none" stroke="#ddd"/>
  <g>
   <g class="mark-group role-axis"><g transform="translate(0.5,150.5)">
    <path class="background" d="M0,0h0v0h0Z" style="pointer-events:none"/>
    <g class="mark-rule role-axis-tick"><line x2="0" y2="5"/><line transform="translate(125,0)" x2="0" y2="5"/></g>
    <g class="mark-text role-axis-label"><text transform="translate(0,15)">0</text></g>
    <g class="mark-rule role-axis-domain"><line x2="250" y2="0" stroke="#888"/></g>
   </g></g>
   <g class="mark-line role-mark"><path d="M0,150L60,110L125,60L250,0" fill="none" stroke="steelblue" stroke-width="2"/></g>
   <g class="mark-symbol role-mark">
    <path transform="translate(60,110)" d="M3,0A3,3,0,1,1,-3,0A3,3,0,1,1,3,0" fill="steelblue"/>
    <path transform="translate(125,60)" d="M3,0A3,3,0,1,1,-3,0A3,3,0,1,1,3,0" fill="steelblue"/>
    <path transform="translate(250,0)" d="M3,0A3,3,0,1,1,-3,0A3,3,0,1,1,3,0" fill="steelblue"/>
   </g>
   <g class="mark-rule role-mark"><line x1="0" y1="40" x2="250" y2="40" stroke="crimson" stroke-dasharray="4,2"/></g>
   <g class="mark-group role-legend"><g transform="translate(200,10)">
    <g class="mark-symbol role-legend-symbol"><path d="M3,0A3,3,0,1,1,-3,0A3,3,0,1,1,3,0" fill="steelblue"/></g>
    <g class="mark-text role-legend-label"><text x="8">run</text></g>
   </g></g>
   <g class="mark-group role-title"><g transform="translate(125,-8)">
    <g class="mark-text role-title-text"><text text-anchor="middle">time to first chunk</text></g>
   </g></g>
  </g>
 </g></g>
</svg>`;

const empty = `
<svg class="marks" width="320" height="200" viewBox="0 0 320 200">
 <g class="mark-group role-frame root"><g transform="translate(40,20)">
  <path class="background" d="M0,0h250v150h-250Z" fill="none" stroke="#ddd"/>
  <g><g class="mark-group role-axis"><g transform="translate(0.5,150.5)">
   <g class="mark-rule role-axis-domain"><line x2="250" y2="0" stroke="#888"/></g>
  </g></g></g>
 </g></g>
</svg>`;

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>harness self-check</title></head>
<body>
<figure data-plot="ttfc-ecdf">${drawn}<figcaption>drawn</figcaption></figure>
<figure data-plot="empty">${empty}<figcaption>empty</figcaption></figure>
<img src="http://example.invalid/x.png" alt="from the network">
<script>console.error("self-check: boom");</script>
<script>throw new Error("self-check: uncaught");</script>
</body></html>`;

describe.skipIf(!chromium)(chromium ? "browser harness (headless Chromium)" : `browser harness (skipped: ${skipReason})`, () => {
  const dir = mkdtempSync(join(tmpdir(), "agentload-browser-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports console errors, uncaught exceptions, blocked requests, marks per plot, and saves a screenshot", async () => {
    const file = join(dir, "report.html");
    writeFileSync(file, page);
    const screenshot = join(dir, "shots", "report.png");
    const check = await openPage(file, { screenshot, width: 800, inspect: countMarks });

    expect(check.title).toBe("harness self-check");
    expect(check.consoleErrors).toContainEqual(expect.stringContaining("self-check: boom"));
    expect(check.pageErrors).toEqual(["Error: self-check: uncaught"]);
    expect(check.blockedRequests).toEqual(["http://example.invalid/x.png"]);
    expect(check.failedRequests).toEqual([]);
    expect(check.result).toEqual({ "ttfc-ecdf": 5, empty: 0 });

    // A PNG (its signature), as wide as the viewport asked for (the IHDR width, bytes 16..19).
    const png = readFileSync(screenshot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(800);
  }, 60_000);
});
