// Build progress on stderr: one rewritten line on a terminal, every tenth percent in logs and CI.
import type { BuildProgress } from "./llama-build.js";

export function buildProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: BuildProgress) => void {
  const tty = stream.isTTY === true;
  let lastDecile = -1;
  return (p) => {
    if (p.phase !== "compile") {
      stream.write(`${tty ? "\r\x1b[2K" : ""}agentload: ${p.message}\n`);
      return;
    }
    if (tty) {
      stream.write(`\r\x1b[2Kagentload: ${p.message} (one time; 7 to 11 minutes on 2 cores)`);
      return;
    }
    const decile = Math.floor((p.percent ?? 0) / 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`agentload: ${p.message}\n`);
    }
  };
}
