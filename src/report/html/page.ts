// The report's HTML page: a self-contained file (inline CSS, inline SVG plots, no script, no
// network) with the verdict first, the numbers beside the plots, and every string that came from
// a spec, a trace or a server escaped. A Content-Security-Policy that allows no script at all
// backs the escaping up: a string that slipped through could not run.

/** Text for HTML: & < > " ' escaped (attributes are always double-quoted). */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface Figure {
  /** Stable id for tests and links: `ttfc-ecdf`. */
  id: string;
  /** The SVG Vega wrote (its strings escaped by Vega). */
  svg: string;
  /** A line under the plot (plain text; escaped here). */
  caption?: string;
}

export interface Section {
  title: string;
  /** Already-escaped HTML. */
  html: string;
}

export interface Page {
  title: string;
  /** "pass" | "fail" | "invalid" | "info": the banner's colour. */
  verdict: "pass" | "fail" | "invalid" | "info";
  /** The banner's line (plain text). */
  headline: string;
  /** Sections before the plots (numbers, verdicts, metadata). */
  sections: Section[];
  figures: Figure[];
  /** Sections after the plots. */
  after?: Section[];
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d1d1f; background: #f6f6f7; }
header { padding: 18px 28px 8px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.banner { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; }
.pass { background: #e3f4e6; color: #14532d; } .fail { background: #fde8e8; color: #7f1d1d; }
.invalid { background: #fff4d6; color: #713f12; } .info { background: #e8eef8; color: #1e3a5f; }
main { padding: 8px 28px 28px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 16px; }
section, figure { background: white; border: 1px solid #e2e2e5; border-radius: 8px; padding: 14px 16px; margin: 0 0 16px; overflow-x: auto; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 12px; margin-top: 6px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
td, th { padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }
th { color: #555; font-weight: 500; }
pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 0; white-space: pre-wrap; }
.ok { color: #15803d; } .bad { color: #b91c1c; }
footer { color: #777; font-size: 12px; padding: 0 28px 24px; }
`;

export function renderPage(page: Page): string {
  const sections = (list: Section[]) => list.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`).join("\n");
  const figures = page.figures
    .map((f) => `<figure data-plot="${escapeHtml(f.id)}">\n${f.svg}\n${f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : ""}</figure>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(page.title)}</h1><div class="banner ${page.verdict}">${escapeHtml(page.headline)}</div></header>
<main>
${sections(page.sections)}
<div class="grid">
${figures}
</div>
${sections(page.after ?? [])}
</main>
<footer>agentload report: one file, no scripts, opens offline.</footer>
</body>
</html>
`;
}

/** A two-column table of label and value (both plain text). */
export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
}

/** A table with a header row (cells plain text; a cell `{ text, ok }` is coloured). */
export function table(head: readonly string[], rows: readonly (readonly (string | { text: string; ok: boolean })[])[]): string {
  const cell = (c: string | { text: string; ok: boolean }) => (typeof c === "string" ? `<td>${escapeHtml(c)}</td>` : `<td class="${c.ok ? "ok" : "bad"}">${escapeHtml(c.text)}</td>`);
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>${rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")}</table>`;
}

/** Preformatted text (the terminal summary), escaped. */
export function pre(text: string): string {
  return `<pre>${escapeHtml(text)}</pre>`;
}
