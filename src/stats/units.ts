// Units shared by specs, SLOs and matchers.

/** "750ms" -> 750, "1.5s" -> 1500, "2m" -> 120000; numbers are milliseconds already. */
export function parseDuration(d: number | string): number {
  if (typeof d === "number") return d;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(d);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(d)} (expected e.g. "750ms", "1.5s", "2m")`);
  const scale = { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}
