// A server process agentload starts and owns: any command plus a readiness URL, so llama.cpp,
// vLLM or SGLang launch commands all fit. It is stopped on stop(), and never outlives agentload
// (owned-process.ts: process exit, signals, SIGKILL); its last log lines go into every error so a
// failed start explains itself.
import { spawnOwned } from "./owned-process.js";

export interface ManagedServerOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory of the command. */
  cwd?: string;
  /** Polled until it answers 200. */
  readyUrl: string;
  /** Base URL users talk to (e.g. http://127.0.0.1:PORT). */
  baseUrl: string;
  readyTimeoutMs?: number;
  /** How many log lines to keep for error messages. */
  keepLogLines?: number;
  /** Called with each log line (stdout and stderr). */
  onLog?: (line: string) => void;
}

export interface ManagedServer {
  name: string;
  baseUrl: string;
  pid: number;
  /** The last log lines, oldest first. */
  recentLogs(): string[];
  /** "exited with code 137", "killed by SIGKILL", or null while it runs (stop() sets it too). */
  exitStatus(): string | null;
  /** Called once if the process ends without stop() having been called (it died under us). */
  onUnexpectedExit(callback: (status: string) => void): void;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startManagedServer(opts: ManagedServerOptions): Promise<ManagedServer> {
  const keep = opts.keepLogLines ?? 40;
  const logs: string[] = [];
  const child = spawnOwned(opts.command, opts.args, { ...(opts.env ? { env: opts.env } : {}), ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
  let exited: string | null = null;
  let stopping = false;
  const unexpected: ((status: string) => void)[] = [];
  const exitedPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
      if (!stopping) for (const cb of unexpected) cb(exited);
    });
  });
  let spawnError: Error | null = null;
  child.on("error", (err) => {
    spawnError = err;
  });
  let pending = "";
  const onData = (buf: Buffer) => {
    pending += buf.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      logs.push(line);
      if (logs.length > keep) logs.shift();
      opts.onLog?.(line);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  const stop = async () => {
    stopping = true;
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exitedPromise;
    clearTimeout(timer);
  };
  const describe = () => `${opts.command} ${opts.args.join(" ")}\nlast log lines:\n${logs.join("\n")}`;

  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`${opts.name}: could not start: ${(spawnError as Error).message}`);
    // The shell in front of the command (owned-process.ts) exits 127 or 126 when it cannot run it.
    if (exited === "exited with code 127" || exited === "exited with code 126") throw new Error(`${opts.name}: could not start: ${logs.at(-1) ?? exited}`);
    if (exited) throw new Error(`${opts.name} ${exited} before it was ready:\n${describe()}`);
    try {
      const res = await fetch(opts.readyUrl, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${opts.name} not ready at ${opts.readyUrl} after ${timeoutMs} ms:\n${describe()}`);
    }
    await sleep(100);
  }
  return {
    name: opts.name,
    baseUrl: opts.baseUrl,
    pid: child.pid!,
    recentLogs: () => [...logs],
    exitStatus: () => exited,
    onUnexpectedExit: (cb) => {
      unexpected.push(cb);
    },
    stop,
  };
}
