// Live progress of a run on stderr: sessions and requests done, errors, TTFC p50/p95 so far.
// A rewritten line on a terminal (4 times a second at most); a plain line every 5 s otherwise.
// TTFC goes into a histogram: the TTFCs of an hour's run, kept and sorted for every line, grew by
// 8 bytes a request and took a sort of all of them 4 times a second.
import { LatencyHistogram } from "../stats/histogram.js";
import type { RunProgress } from "../run/run.js";
import type { RequestRecord } from "../run/types.js";

export function liveProgress(totalSessions: number, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const interval = tty ? 250 : 5000;
  const ttfc = new LatencyHistogram();
  let lastPrint = 0;
  const line = (p: RunProgress) => {
    const ms = (x: number) => (Number.isNaN(x) ? "-" : `${x.toFixed(0)}ms`);
    return (
      `sessions ${p.sessionsDone}/${totalSessions > 1e12 ? "∞" : totalSessions} (${p.sessionsStarted - p.sessionsDone} active)  ` +
      `requests ${p.requestsDone}  errors ${p.errors}  TTFC p50 ${ms(ttfc.percentile(50))} p95 ${ms(ttfc.percentile(95))}  ` +
      `${(p.elapsedMs / 1000).toFixed(0)}s`
    );
  };
  return {
    onRecord(record: RequestRecord, p: RunProgress): void {
      if (record.firstTokenAt !== undefined && !record.warmup) ttfc.record(record.firstTokenAt - record.dispatchedAt);
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
