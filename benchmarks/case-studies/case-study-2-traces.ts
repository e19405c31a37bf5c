// The two Veeksha traces of the post's case study 2 (../shared), which case studies 2 and 3 replay:
// linear, sessions of 5 requests; DAG, sessions of 15 with 3-way fan-out and fan-in; the same
// fresh and output tokens a request.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SHARED = fileURLToPath(new URL("../../../shared/traces/veeksha/case-study-2/", import.meta.url));

export const SHAPES = [
  { name: "linear", file: "workload_a_linear.jsonl", requestsPerSession: 5 },
  { name: "dag", file: "workload_b_dag.jsonl", requestsPerSession: 15 },
] as const;
export type Shape = (typeof SHAPES)[number];

/** Exits the script (successfully, saying why) when ../shared is absent. */
export function requireSharedTraces(study: string): void {
  if (existsSync(SHARED)) return;
  console.log(`${study}: skipped, ${SHARED} is absent (the traces come with ../shared)`);
  process.exit(0);
}
