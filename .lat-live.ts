import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { runWorkload } from "./src/run/run.js";
import { validateSpec } from "./src/workload/spec.js";
import { startCalibrationServer } from "./benchmarks/support/calibration-server.js";
const RATE = 500, SECONDS = 8;
const server = await startCalibrationServer({ idleClass: true });
const outDir = mkdtempSync(join(tmpdir(), "agentload-lateness-"));
const spec = validateSpec({
  name: "dispatch-lateness", seed: 1, sessions: RATE * SECONDS,
  agents: [{ name: "single", scaffold: { systemTokens: 200, toolTokens: 0 }, turns: 1, freshInput: 100, output: 16 }],
  traffic: { mode: "rate", arrivals: { type: "poisson", rate: RATE } },
  request: { extraBody: { calibration: { chunks: 16, gapMs: 2 } } },
});
const s = new Session(); s.connect();
await s.post("HeapProfiler.enable");
type Node = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] };
const window = (async () => {
  await new Promise((r) => setTimeout(r, 3000));
  await s.post("HeapProfiler.startSampling", { samplingInterval: 256 });
  await new Promise((r) => setTimeout(r, 2000));
  return ((await s.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } }).profile;
})();
const result = await runWorkload({ spec, target: { apiUrl: server.baseUrl }, outDir });
const profile = await window;
console.log("requests", result.summary.counts.requests, "p99", result.summary.dispatch.lateness!.p99);
const self = new Map<string, number>(); const stacks = new Map<string, number>();
let total = 0;
function walk(n: Node, stack: string[]) {
  const f = n.callFrame; const name = `${f.functionName || "(anon)"} ${f.url.replace(/.*\/(src|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
  const st = [...stack, name];
  if (n.selfSize) {
    total += n.selfSize;
    self.set(name, (self.get(name) ?? 0) + n.selfSize);
    const key = st.slice(-6).join(" < ");
    stacks.set(key, (stacks.get(key) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, st);
}
walk(profile.head, []);
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([key, v]) => `${(v / 1e3).toFixed(0).padStart(6)} kB ${(100 * v / total).toFixed(1).padStart(5)}%  ${key}`).join("\n");
console.log(`live at the end of a 2 s window: ${(total / 1e6).toFixed(2)} MB`);
console.log("== self\n" + top(self, 25)); console.log("== stacks\n" + top(stacks, 12));
await server.stop(); rmSync(outDir, { recursive: true, force: true });
