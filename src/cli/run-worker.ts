// NODE-ONLY: one worker thread of `agentload run --workers N` (run-workers.ts): `run` with the
// arguments it was given (its shard, the shared start time, its own output folder), its exit code
// posted back. Signals reach the main thread only: it posts "stop", and the run stops as it does on
// Ctrl-C (interrupts.ts), with its summary.
import { parentPort, workerData } from "node:worker_threads";
import { SpecError } from "../workload/spec-errors.js";
import { CliError } from "./args.js";
import { runCommand } from "./run.js";

const port = parentPort!;
port.on("message", (m: unknown) => {
  if (m === "stop") process.emit("SIGINT", "SIGINT");
});
port.unref();
try {
  const code = await runCommand((workerData as { argv: string[] }).argv);
  port.postMessage({ code });
} catch (err) {
  const usage = err instanceof CliError || err instanceof SpecError;
  port.postMessage({ code: usage ? 2 : 1, error: usage ? (err as Error).message : String((err as Error).stack ?? err) });
}
