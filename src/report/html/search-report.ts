// A capacity search's report page: the outcome (frontier, first failing load, binding SLO, why it
// stopped), the frontier plot (every point tried, each SLO objective's measured value over its
// limit, the healthy points filled, the binding objective large) and the table of points.
import { formatMs } from "../../metrics/format.js";
import { frontierChart, type FrontierDot } from "./charts.js";
import { keyValueTable, renderPage, table, type Section } from "./page.js";
import { renderSvg } from "./svg.js";

/** What a search report reads of a search.json (compare/frontiers.ts's SearchSide is one). */
export interface SearchReportInput {
  dir: string;
  spec: string;
  over: string;
  unit: string;
  precision: number;
  frontier: number | null;
  firstFailing: number | null;
  binding: string | null;
  /** Null when the search did not finish. */
  stopped: string | null;
  points: {
    load: number;
    attempt: number;
    healthy: boolean;
    reasons: string[];
    binding?: string;
    detail?: {
      runDir?: string;
      requestsPerSec?: number;
      ttfcP95?: number | null;
      tbcP95?: number | null;
      e2eP95?: number | null;
      offered?: number | null;
      slo?: { name: string; measured: number | null; limit: number; pass: boolean }[];
    };
  }[];
}

const num = (x: number | null | undefined) => (x === null || x === undefined ? "-" : Number(x.toPrecision(4)).toString());
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "-" : formatMs(x));

export function frontierDots(search: SearchReportInput): FrontierDot[] {
  const dots: FrontierDot[] = [];
  for (const p of search.points) {
    for (const o of p.detail?.slo ?? []) {
      // An objective with a 0 limit (no errors at all) has no ratio to draw.
      const ratio = o.measured !== null && o.limit > 0 ? Math.max(o.measured / o.limit, 1e-3) : null;
      dots.push({ load: p.load, attempt: p.attempt, healthy: p.healthy, objective: o.name, ratio, binding: p.binding === o.name });
    }
  }
  return dots;
}

export async function renderSearchReport(search: SearchReportInput): Promise<string> {
  const at = (x: number | null) => (x === null ? "-" : `${num(x)} ${search.unit}`);
  const finished = search.stopped !== null;
  const verdict = !finished ? "invalid" : search.frontier === null ? "fail" : "info";
  const headline = !finished
    ? "the search did not finish (interrupted): its points so far"
    : search.frontier === null
      ? `no load was healthy (first failing ${at(search.firstFailing)}${search.binding ? `, binding SLO ${search.binding}` : ""})`
      : `frontier ${search.over} ${at(search.frontier)}${search.firstFailing !== null ? `; first failing ${at(search.firstFailing)}` : ""}${search.binding ? `; binding SLO ${search.binding}` : ""}`;
  const sections: Section[] = [
    {
      title: "Outcome",
      html: keyValueTable([
        ["spec", search.spec],
        ["searched", `${search.over} (${search.unit}), precision ${Math.round(search.precision * 100)}%`],
        ["frontier", at(search.frontier)],
        ["first failing", at(search.firstFailing)],
        ["binding SLO", search.binding ?? "-"],
        ["stopped", search.stopped ?? "not finished"],
        ["points", String(search.points.length)],
      ]),
    },
  ];
  const dots = frontierDots(search);
  const figures = dots.some((d) => d.ratio !== null)
    ? [{ id: "frontier", svg: await renderSvg(frontierChart(dots, { frontier: search.frontier, firstFailing: search.firstFailing, axis: `${search.over} (${search.unit}, log)` })) }]
    : [];
  const after: Section[] = [
    {
      title: "Points, in the order run",
      html: table(
        ["load", "run", "offered", "verdict", "req/s", "TTFC p95", "TBC p95", "E2E p95", "why", "run folder"],
        search.points.map((p) => [
          num(p.load),
          String(p.attempt),
          num(p.detail?.offered),
          { text: p.healthy ? "healthy" : "failed", ok: p.healthy },
          num(p.detail?.requestsPerSec),
          ms(p.detail?.ttfcP95),
          ms(p.detail?.tbcP95),
          ms(p.detail?.e2eP95),
          p.reasons.join("; "),
          p.detail?.runDir ?? "-",
        ]),
      ),
    },
    { title: "Search", html: keyValueTable([["search folder", search.dir]]) },
  ];
  return renderPage({ title: `agentload capacity search: ${search.spec}`, verdict, headline, sections, figures, after });
}
