// NODE-ONLY: `agentload run --workers N`: one workload on N cores. Each worker thread runs the
// shard i/N of the run (`run --shard i/N`, run/shard.ts: the sessions i mod N at their places in
// the one seeded schedule) with its own event loop, timer queue, client and records, all on one
// start time; this thread owns the engine and the signals, and merges the shards' run folders into
// one run (`agentload merge`) when they end. The requests are the unsharded run's; the client's
// chunk ceiling grows with the cores the workers get.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CliError } from "./args.js";
import { mergeCommand } from "./merge.js";

/** Flags a worker is not given (the workers' own, the engine's, what this thread does once), and whether they take a value. */
const WORKER_DROPS: Record<string, boolean> = {
  workers: true,
  url: true,
  model: true,
  out: true,
  "start-at": true,
  "start-in": true,
  "keep-runs": true,
  "reset-cache": false,
  "no-prefix-cache": false,
  slots: true,
};

/** `argv` without the flags in `drops` (as `--flag value` or `--flag=value`). */
export function withoutFlags(argv: readonly string[], drops: Record<string, boolean> = WORKER_DROPS): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([^=]+)(=.*)?$/.exec(a);
    const takesValue = m ? drops[m[1]!] : undefined;
    if (takesValue === undefined) {
      out.push(a);
      continue;
    }
    if (takesValue && m![2] === undefined) i++; // its value is the next argument
  }
  return out;
}

export interface WorkersOptions {
  /** The command's arguments as given. */
  argv: readonly string[];
  workers: number;
  apiUrl: string;
  model: string | undefined;
  /** Epoch ms every worker's clock starts at. */
  startAt: number;
  /** Parent folder of the merged run folder; the shards' folders go in a folder beside it. */
  out: string;
  name: string;
  /** Aborted on Ctrl-C, SIGTERM or the engine's death: every worker stops gracefully. */
  signal: AbortSignal;
}

interface WorkerEnd {
  index: number;
  code: number;
  folder: string | undefined;
  error?: string;
}

/** The longest a stopped worker may take past the run's own grace period before it is terminated. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Runs the workers and merges their folders. Returns the exit code: 130 when interrupted (the
 * merged run is still written, with the shards that ended), else a worker's usage, preflight or
 * records-lost code (2, 3, 5) if one had it, else merge's (0, 1, 4, 5; `run`'s meanings).
 */
export async function runWorkers(o: WorkersOptions): Promise<number> {
  const base = join(o.out, `${o.name}-workers-${new Date(o.startAt).toISOString().replace(/[:.]/g, "-")}`);
  if (existsSync(base)) throw new CliError(`${base} exists already: another run with --workers started at the same time`);
  const entry = new URL("./run-worker.js", import.meta.url);
  const argv = withoutFlags(o.argv);
  const ends = await Promise.all(
    Array.from({ length: o.workers }, (_, index) => {
      const dir = join(base, `worker-${index}`);
      mkdirSync(dir, { recursive: true });
      const args = [...argv, "--url", o.apiUrl, ...(o.model ? ["--model", o.model] : []), "--shard", `${index}/${o.workers}`, "--start-at", String(o.startAt), "--out", dir];
      return runOne(entry, index, args, dir, o.signal);
    }),
  );
  for (const e of ends) if (e.error) console.error(`agentload: worker ${e.index}: ${e.error}`);
  const folders = ends.flatMap((e) => (e.folder ? [e.folder] : []));
  const interrupted = o.signal.aborted;
  const failed = ends.find((e) => e.code === 2 || e.code === 3 || e.code === 5);
  if (folders.length === 0) {
    console.error(`agentload: no worker left a run folder (exit codes ${ends.map((e) => e.code).join(", ")})`);
    rmSync(base, { recursive: true, force: true }); // only the workers' empty output folders
    return interrupted ? 130 : (failed?.code ?? 4);
  }
  const partial = folders.length < o.workers ? ["--partial"] : [];
  console.error(`agentload: merging the ${folders.length} workers' run folders (${base})`);
  const merged = await mergeCommand([...folders, "--out", o.out, ...partial]);
  if (interrupted) return 130;
  return failed?.code ?? merged;
}

function runOne(entry: URL, index: number, argv: string[], dir: string, signal: AbortSignal): Promise<WorkerEnd> {
  return new Promise((resolve) => {
    // The workers' summaries are the shards'; the merged one is printed here. Their notes (stderr)
    // are passed on, each line naming its worker.
    const worker = new Worker(entry, { workerData: { argv }, stdout: true, stderr: true });
    worker.stdout.resume();
    let pending = "";
    worker.stderr.on("data", (b: Buffer) => {
      const lines = (pending + b.toString()).split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.trim() !== "") console.error(`[worker ${index}] ${line}`);
    });
    let code: number | undefined;
    let error: string | undefined;
    worker.on("message", (m: { code?: number; error?: string }) => {
      if (typeof m.code === "number") code = m.code;
      if (typeof m.error === "string") error = m.error;
    });
    let killer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      worker.postMessage("stop");
      killer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      killer.unref();
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    worker.on("error", (err) => (error = err.message));
    worker.on("exit", (exitCode) => {
      if (pending.trim() !== "") console.error(`[worker ${index}] ${pending}`);
      if (killer) clearTimeout(killer);
      signal.removeEventListener("abort", stop);
      const folders = existsSync(dir) ? readdirSync(dir).filter((f) => existsSync(join(dir, f, "run.json"))) : [];
      resolve({
        index,
        code: code ?? (exitCode === 0 ? 4 : exitCode),
        folder: folders.length === 1 ? join(dir, folders[0]!) : undefined,
        ...(error !== undefined ? { error } : {}),
      });
    });
  });
}
