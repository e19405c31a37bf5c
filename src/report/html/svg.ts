// A Vega-Lite spec rendered to an SVG string without a browser: Vega-Lite compiles it to Vega,
// Vega's headless view draws it (renderer "none": no canvas; text widths are estimated). Vega
// escapes every string it writes into the SVG (titles, labels, legend entries), so a session id
// or an SLO name holding `</svg><script>` stays text.
//
// Both libraries are loaded on the first plot, not with this module: every command and every
// vitest worker imports the reporters, and only a report draws.
import type * as Vega from "vega";
import type * as VegaLite from "vega-lite";
import type { TopLevelSpec } from "vega-lite";

let libraries: Promise<[typeof Vega, typeof VegaLite]> | undefined;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await (libraries ??= Promise.all([import("vega"), import("vega-lite")]));
  // Marks' ARIA descriptions repeat every datum's fields: a 2,500-dot scatter grew by ~40%.
  const withoutAria = { ...spec, config: { ...spec.config, aria: false } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(withoutAria).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
