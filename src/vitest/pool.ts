// The pool workload files run in, through vitest's public pool API (a PoolRunnerInitializer whose
// workers are PoolWorkers). Each worker is vitest's own fork worker underneath, so the normal
// runner, hooks, snapshots, annotations and every reporter work as for any test file; it adds:
//  - the file starts only once the server has nothing in flight (see idle.ts);
//  - a configured API key reaches the file through the child's environment, not the provided
//    context (which is serialized to workers and into some reports).
// One file at a time is the project's doing (maxWorkers 1, no file parallelism; see plugin.ts).
import { ForksPoolWorker, type PoolOptions, type PoolRunnerInitializer, type PoolWorker, type WorkerRequest } from "vitest/node";
import { API_KEY_ENV, type WorkloadContext } from "./context.js";
import { waitForIdle } from "./idle.js";
import { apiKeyFromEnv } from "./server.js";

export const POOL_NAME = "agentload";

export interface WorkloadPoolOptions {
  apiKey?: string;
  /** How long a file waits for the server to go idle before starting anyway (default 30 s; vitest allows a worker 90 s to start). */
  idleTimeoutMs?: number;
}

/** The worker's environment: the project's, plus the API key when one is configured (a copy: the project's object is shared by all its tasks). */
export function workerEnv(env: Partial<NodeJS.ProcessEnv>, apiKey: string | undefined): Partial<NodeJS.ProcessEnv> {
  return apiKey ? { ...env, [API_KEY_ENV]: apiKey } : env;
}

export function workloadPool(options: WorkloadPoolOptions = {}): PoolRunnerInitializer {
  return { name: POOL_NAME, createPoolWorker: (poolOptions) => new WorkloadPoolWorker(poolOptions, options) };
}

class WorkloadPoolWorker implements PoolWorker {
  readonly name = POOL_NAME;
  readonly cacheFs = true;
  private readonly fork: ForksPoolWorker;

  constructor(
    private readonly poolOptions: PoolOptions,
    private readonly options: WorkloadPoolOptions,
  ) {
    this.fork = new ForksPoolWorker({ ...poolOptions, env: workerEnv(poolOptions.env, options.apiKey) });
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.fork.on(event, callback);
  }
  off(event: string, callback: (arg: unknown) => void): void {
    this.fork.off(event, callback);
  }
  send(message: WorkerRequest): void {
    this.fork.send(message);
  }
  deserialize(data: unknown): unknown {
    return this.fork.deserialize(data);
  }

  async start(): Promise<void> {
    const project = this.poolOptions.project;
    const context = project.getProvidedContext().agentload as WorkloadContext | undefined;
    // An unavailable server has nothing in flight to wait for: the file starts and fails saying why.
    if (context && !context.server.unavailable && this.poolOptions.method === "run") {
      const root = context.server.apiUrl.replace(/\/v1\/?$/, "");
      const key = this.options.apiKey ?? (context.server.builtIn ? undefined : apiKeyFromEnv());
      const headers: Record<string, string> | undefined = key ? { authorization: `Bearer ${key}` } : undefined;
      const idle = await waitForIdle(root, { timeoutMs: this.options.idleTimeoutMs ?? 30_000, ...(headers ? { headers } : {}) });
      if (!idle.idle) {
        project.vitest.logger.warn(
          `agentload: the server at ${context.server.apiUrl} still had ${idle.busy} request(s) in flight after ` +
            `${Math.round(idle.waitedMs / 1000)} s; starting the next workload file anyway`,
        );
      }
    }
    await this.fork.start();
  }

  stop(): Promise<void> {
    return this.fork.stop();
  }
}
