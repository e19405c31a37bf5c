// Does the client's chunk ceiling grow with cores? The built CLI runs one workload of many
// unpaced streams (the calibration server, its own process, sends each request's chunks as fast
// as the socket takes them) with --workers 1, 2, ... and prints the chunks per second each
// achieved (the merged run's TBC count over its wall time) and the client checks' verdict. On a
// machine with fewer cores than workers + 1 (the server needs one too) it cannot grow: the
// figures say what this machine gives, with its core count and load beside them.
//   npm run build && npx tsx benchmarks/workers-ceiling.ts [max workers] [sessions]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startCalibrationServer } from "./support/calibration-server.js";

const MAX_WORKERS = Number(process.argv[2] ?? 2);
const SESSIONS = Number(process.argv[3] ?? 512);
const CHUNKS = 2000;

const root = mkdtempSync(join(tmpdir(), "agentload-workers-"));
const spec = join(root, "ceiling.yaml");
writeFileSync(
  spec,
  [
    "name: ceiling",
    "seed: 1",
    `sessions: ${SESSIONS}`,
    "agents: [{ name: a, turns: 1, freshInput: 16, output: 16 }]",
    "traffic: { mode: concurrent, concurrency: 128 }",
    `request: { extraBody: { calibration: { chunks: ${CHUNKS}, batch: 16 } } }`,
    "",
  ].join("\n"),
);

const server = await startCalibrationServer();
try {
  console.log(`cores ${availableParallelism()}, load ${loadavg()[0]!.toFixed(1)}; ${SESSIONS} requests of ${CHUNKS} chunks, 128 at once`);
  console.log("workers   chunks/s   wall s   client checks");
  for (let workers = 1; workers <= MAX_WORKERS; workers++) {
    const out = join(root, `w${workers}`);
    const args = ["dist/cli/main.js", "run", spec, "--url", server.baseUrl, "--out", out, ...(workers > 1 ? ["--workers", String(workers), "--start-in", "5s"] : [])];
    const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "" } });
    const folder = readdirSync(out).find((d) => workers === 1 || d.includes("-merged-"));
    if (!folder) {
      console.log(`${String(workers).padStart(7)}   no run folder (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-2).join(" / ")}`);
      continue;
    }
    const doc = JSON.parse(readFileSync(join(out, folder, "summary.json"), "utf8")) as {
      summary: { wallMs: number; latency: { tbc: { count: number } | null } };
      validity: { valid: boolean; problems: string[] };
    };
    const chunks = doc.summary.latency.tbc?.count ?? 0;
    const rate = chunks / (doc.summary.wallMs / 1000);
    const checks = doc.validity.valid ? "ok" : [...new Set(doc.validity.problems.map((p) => p.split(/[:(]/)[0]!.trim()))].join("; ");
    console.log(`${String(workers).padStart(7)}   ${Math.round(rate).toLocaleString("en-US").padStart(8)}   ${(doc.summary.wallMs / 1000).toFixed(1).padStart(6)}   ${checks}`);
  }
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
