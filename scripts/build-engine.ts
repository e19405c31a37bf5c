// Dev helper: run the real engine build path (npx tsx scripts/build-engine.ts).
import { ensureLlamaBuild } from "../src/engine/llama-build.js";
const t0 = performance.now();
const build = await ensureLlamaBuild({ onProgress: (p) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${p.message}`) });
console.log(build, `${((performance.now() - t0) / 1000).toFixed(0)} s`);
