// Live progress of a run on stderr: sessions and requests done, errors, TTFC p50/p95 so far.
// A rewritten line on a terminal (4 times a second at most); a plain line every 5 s otherwise.
import type { RunProgress } from "../run/run.js";
import type { RequestRecord } from "../run/types.js";

export function liveProgress(totalSessions: number, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const interval = tty ? 250 : 5000;
  let ttfc = new Float64Array(1024);
  let n = 0;
  let lastPrint = 0;
  const pct = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
  const line = (p: RunProgress) => {
    const sorted = ttfc.slice(0, n).sort();
    const ms = (x: number) => (Number.isNaN(x) ? "-" : `${x.toFixed(0)}ms`);
    return (
      `sessions ${p.sessionsDone}/${totalSessions > 1e12 ? "∞" : totalSessions} (${p.sessionsStarted - p.sessionsDone} active)  ` +
      `requests ${p.requestsDone}  errors ${p.errors}  TTFC p50 ${ms(pct(sorted, 50))} p95 ${ms(pct(sorted, 95))}  ` +
      `${(p.elapsedMs / 1000).toFixed(0)}s`
    );
  };
  return {
    onRecord(record: RequestRecord, p: RunProgress): void {
      if (record.firstTokenAt !== undefined && !record.warmup) {
        if (n === ttfc.length) {
          const grown = new Float64Array(n * 2);
          grown.set(ttfc);
          ttfc = grown;
        }
        ttfc[n++] = record.firstTokenAt - record.dispatchedAt;
      }
      const now = performance.now();
      if (now - lastPrint < interval) return;
      lastPrint = now;
      stream.write(tty ? `\r\x1b[2K${line(p)}` : `${line(p)}\n`);
    },
    finish(): void {
      if (tty) stream.write("\r\x1b[2K");
    },
  };
}
