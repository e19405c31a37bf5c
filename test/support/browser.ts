// Opens a local HTML file (a report) in headless Chromium for tests: Debian's `chromium` package,
// driven by playwright-core, which uses an installed browser and downloads none. A report must
// open offline as one file, so every request that leaves the file system is blocked and reported.
import { accessSync, constants, mkdirSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";

/** Launch, navigation and every later page step give up after this long (a hung browser fails the test). */
const TIMEOUT_MS = 30_000;

/** URLs that are not network requests: the report itself and what it makes in memory. */
const LOCAL_URL = /^(file|data|blob|about):/;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium to use: `AGENTLOAD_CHROMIUM` when set (and then only it, so a wrong path is not
 * silently replaced by another browser), else Debian's /usr/bin/chromium, else `chromium` on PATH;
 * undefined when there is none (tests then skip and say so).
 */
export function chromiumPath(): string | undefined {
  const chosen = process.env.AGENTLOAD_CHROMIUM;
  if (chosen) return executable(chosen) ? chosen : undefined;
  if (executable("/usr/bin/chromium")) return "/usr/bin/chromium";
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, "chromium"))) return join(dir, "chromium");
  }
  return undefined;
}

export interface OpenOptions<T> {
  /** Where to save a full-page PNG screenshot (folders are made). */
  screenshot?: string;
  /** Viewport width in CSS pixels (default 1280); the height is 800, the screenshot the full page. */
  width?: number;
  /** Runs against the loaded page before the browser closes (e.g. `countMarks`); its value is `result`. */
  inspect?: (page: Page) => Promise<T>;
}

export interface PageCheck<T = undefined> {
  /** The document's <title>. */
  title: string;
  /** console.error calls and the browser's own error messages, as "text (url:line)". */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page, as "Name: message". */
  pageErrors: string[];
  /** Every request that would have left the machine (http, https, ws, ...): blocked, by URL. */
  blockedRequests: string[];
  /** Local requests that failed (a missing file:// resource), as "url: error". */
  failedRequests: string[];
  /** What `inspect` returned (undefined without one). */
  result: T;
  /** Milliseconds from launching the browser to the page loaded (before screenshot and inspect). */
  elapsedMs: number;
}

/**
 * Opens `file` in a fresh headless Chromium, waits for it to load and paint, saves the screenshot,
 * runs `inspect`, and always closes the browser. Throws when no Chromium is found or a step times out.
 */
export async function openPage<T = undefined>(file: string, options: OpenOptions<T> = {}): Promise<PageCheck<T>> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("no Chromium found: set AGENTLOAD_CHROMIUM or apt-get install chromium");
  const started = performance.now();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: TIMEOUT_MS,
    args: [
      "--no-sandbox", // root in a container: Chromium's sandbox needs user namespaces it may not have
      "--disable-gpu", // no GPU here; software rendering gives the same pixels everywhere
      "--disable-dev-shm-usage", // containers often have a 64 MB /dev/shm, too small for Chromium
      // Offline: no background traffic (updates, safe browsing) and no host name resolves.
      "--disable-background-networking",
      "--disable-component-update",
      "--host-resolver-rules=MAP * ~NOTFOUND",
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 800 }, offline: true });
    context.setDefaultTimeout(TIMEOUT_MS);
    const check: PageCheck<T> = {
      title: "",
      consoleErrors: [],
      pageErrors: [],
      blockedRequests: [],
      failedRequests: [],
      result: undefined as T,
      elapsedMs: 0,
    };
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (LOCAL_URL.test(url)) return route.continue();
      check.blockedRequests.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const { url, lineNumber } = message.location();
      check.consoleErrors.push(url ? `${message.text()} (${url}:${lineNumber})` : message.text());
    });
    page.on("pageerror", (error) => check.pageErrors.push(`${error.name}: ${error.message}`));
    page.on("requestfailed", (request) => {
      // Blocked requests are already listed; this catches local ones that failed on their own.
      if (LOCAL_URL.test(request.url())) check.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? "failed"}`);
    });
    // Routes do not see WebSockets; offline mode fails them, and they are reported here.
    page.on("websocket", (socket) => check.blockedRequests.push(socket.url()));

    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load", timeout: TIMEOUT_MS });
    // Two animation frames: scripts that draw after load (e.g. a Vega view) have painted by then.
    await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
    check.elapsedMs = Math.round(performance.now() - started);
    check.title = await page.title();
    if (options.screenshot) {
      mkdirSync(dirname(options.screenshot), { recursive: true });
      await page.screenshot({ path: options.screenshot, fullPage: true });
    }
    if (options.inspect) check.result = await options.inspect(page);
    return check;
  } finally {
    await browser.close();
  }
}

/**
 * Drawn marks per plot: for each `<figure data-plot="NAME">`, the SVG shapes Vega drew for data.
 * Vega's SVG puts each mark's items in `<g class="mark-TYPE role-...">`; axes, legends and titles
 * are marks too, under groups whose role starts with role-axis, role-legend or role-title, so
 * those are left out, as are text marks (a plot showing only "no data" drew nothing) and the
 * background rectangles of groups (not direct children of a mark group). A name used twice
 * appears again as "NAME (2)" rather than being added up.
 */
export function countMarks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(marksPerPlot);
}

// Runs inside the page (Playwright sends its source): self-contained, no imports, no named helpers.
function marksPerPlot(): Record<string, number> {
  const shapes = "svg g[class^='mark-']:not(.mark-group) > :is(path, rect, circle, ellipse, line, polyline, polygon, image)";
  const guides = "[class*='role-axis'], [class*='role-legend'], [class*='role-title']";
  const counts: Record<string, number> = {};
  for (const figure of Array.from(document.querySelectorAll("figure[data-plot]"))) {
    const name = figure.getAttribute("data-plot") ?? "";
    let key = name;
    for (let n = 2; key in counts; n++) key = `${name} (${n})`;
    counts[key] = Array.from(figure.querySelectorAll(shapes)).filter((shape) => !shape.closest(guides)).length;
  }
  return counts;
}

/** What a report test reads of its page: the marks per plot, the visible text, and whether an injected script ran. */
export interface ReportView {
  marks: Record<string, number>;
  text: string;
  /** window.pwned: set only by a script a hostile string managed to inject. */
  pwned: number | null;
}

/** Opens a report page (1400 px wide, a screenshot saved) and reads its ReportView. */
export function openReport(file: string, screenshot: string): Promise<PageCheck<ReportView>> {
  return openPage(file, {
    screenshot,
    width: 1400,
    inspect: async (page) => ({
      marks: await countMarks(page),
      text: await page.evaluate(() => document.body.innerText),
      pwned: await page.evaluate(() => (window as unknown as { pwned?: number }).pwned ?? null),
    }),
  });
}

/** Everything that went wrong in a page: console errors, uncaught exceptions, requests that left it or failed. */
export function pageProblems(check: PageCheck<unknown>): string[] {
  return [...check.consoleErrors, ...check.pageErrors, ...check.blockedRequests.map((url) => `blocked: ${url}`), ...check.failedRequests];
}
