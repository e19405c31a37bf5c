// Number formatting shared by SLO messages and the terminal summary.

/** Trims "750.0" to "750" and "12.50" to "12.5". */
function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** 812.4 -> "812.4ms", 0.05 -> "0.05ms", 12500 -> "12.5s": about four significant digits. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a >= 10_000) return `${trimZeros((ms / 1000).toFixed(a >= 100_000 ? 1 : 2))}s`;
  const digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return `${trimZeros(ms.toFixed(digits))}ms`;
}

/** 0.005 -> "0.5%", 0.02 -> "2%", 1/3 -> "33.33%". */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  return `${trimZeros((ratio * 100).toFixed(2))}%`;
}

/** A rate or count with thousands separators and the given decimals: 1234.5 -> "1,234.5". */
export function formatNumber(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}
