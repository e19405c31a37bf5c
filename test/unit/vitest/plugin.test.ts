// The workloads project agentload() makes, its pool's additions (worker env, waiting for an idle
// server) and how a workload's server is chosen. Servers here are small local HTTP stubs.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test, vi } from "vitest";
import { agentload, vitestMajor } from "../../../src/vitest/plugin.js";
import { POOL_NAME, workerEnv } from "../../../src/vitest/pool.js";
import { busyRequests, waitForIdle } from "../../../src/vitest/idle.js";
import { apiUrlOf, checkReachable, resolveTarget } from "../../../src/vitest/server.js";
import { API_KEY_ENV, type ServerInfo } from "../../../src/vitest/context.js";
import { parsePrometheus } from "../../../src/metrics/prometheus.js";
import { validateSpec } from "../../../src/workload/spec.js";

let server: Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local server answering every request with `handler`; returns its root URL. */
async function stub(handler: (path: string) => { status: number; body: string }): Promise<string> {
  server = createServer((req, res) => {
    const { status, body } = handler(req.url ?? "/");
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(body);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("agentload()", () => {
  test("makes a project running *.workload.ts in the agentload pool, one file at a time", () => {
    vi.stubEnv("AGENTLOAD_URL", "");
    vi.stubEnv("AGENTLOAD_MODEL", "");
    const project = agentload();
    const t = project.test!;
    expect(t.name).toBe("workloads");
    expect(t.include).toEqual(["**/*.workload.ts"]);
    const benchmark = t.benchmark as { include?: string[]; enabled?: boolean; provider?: string } | undefined;
    if (vitestMajor() >= 5) {
      // vitest 5: a bench project of *.bench.ts files, with agentload's provider.
      expect(benchmark?.include).toEqual(["**/*.bench.ts"]);
      expect(benchmark?.enabled).toBe(true);
      expect(existsSync(benchmark!.provider!)).toBe(true);
      expect((agentload({ bench: false }).test!.benchmark as { enabled?: boolean }).enabled).toBe(false);
    } else {
      // vitest 4: `vitest bench` collects the workload files themselves.
      expect(benchmark?.include).toEqual(["**/*.workload.ts"]);
      expect(benchmark?.enabled).toBeUndefined();
    }
    expect(typeof t.pool === "object" && t.pool.name).toBe(POOL_NAME);
    expect(t.maxWorkers).toBe(1);
    expect(t.fileParallelism).toBe(false);
    for (const file of [...(t.globalSetup as string[]), ...(t.setupFiles as string[])]) expect(existsSync(file)).toBe(true);
    expect(t.provide?.agentloadConfig).toEqual({ outputDir: ".agentload", runTimeoutMs: 30 * 60_000, keepRuns: 20 });
  });

  test("passes a server's URL and model to the global setup, but never its API key", () => {
    const project = agentload({ server: { url: "http://gpu:8000/v1", model: "m", apiKey: "sk-secret" }, include: ["perf/*.workload.ts"], name: "perf", outputDir: "out" });
    const t = project.test!;
    expect(t.name).toBe("perf");
    expect(t.include).toEqual(["perf/*.workload.ts"]);
    expect(t.provide?.agentloadConfig).toEqual({ server: { url: "http://gpu:8000/v1", model: "m" }, serverFrom: "config", outputDir: "out", runTimeoutMs: 30 * 60_000, keepRuns: 20 });
    expect(JSON.stringify(t.provide)).not.toContain("sk-secret");
  });

  test("rejects a server and engine options together, and a server without a URL", () => {
    expect(() => agentload({ server: { url: "http://x/v1" }, engine: { slots: 2 } })).toThrow(/either server .* or engine/);
    expect(() => agentload({ server: {} as { url: string } })).toThrow(/server\.url must be a string/);
  });
});

describe("the pool", () => {
  test("gives workers the configured API key in their environment, without touching the project's", () => {
    const shared = { PATH: "/bin" };
    expect(workerEnv(shared, "sk-1")).toEqual({ PATH: "/bin", [API_KEY_ENV]: "sk-1" });
    expect(shared).toEqual({ PATH: "/bin" });
    expect(workerEnv(shared, undefined)).toBe(shared);
  });

  test("counts requests in flight from llama.cpp, vLLM and SGLang gauges; null when a server has none", () => {
    expect(busyRequests(parsePrometheus("llamacpp:requests_processing 2\nllamacpp:requests_deferred 1\n"))).toBe(3);
    expect(busyRequests(parsePrometheus('vllm:num_requests_running{model_name="m"} 1\nvllm:num_requests_waiting{model_name="m"} 4\n'))).toBe(5);
    expect(busyRequests(parsePrometheus("sglang:num_running_reqs 0\nsglang:num_queue_reqs 0\n"))).toBe(0);
    expect(busyRequests(parsePrometheus("process_cpu_seconds_total 12\n"))).toBeNull();
  });

  test("waits until the server has nothing in flight", async () => {
    let scrapes = 0;
    const root = await stub(() => ({ status: 200, body: `llamacpp:requests_processing ${++scrapes < 4 ? 1 : 0}\n` }));
    const result = await waitForIdle(root, { intervalMs: 5, timeoutMs: 60_000 });
    expect(result).toMatchObject({ idle: true, busy: 0 });
    expect(scrapes).toBe(4);
  });

  test("gives up after the timeout and says how busy the server still was", async () => {
    const root = await stub(() => ({ status: 200, body: "llamacpp:requests_processing 2\n" }));
    expect(await waitForIdle(root, { intervalMs: 5, timeoutMs: 30 })).toMatchObject({ idle: false, busy: 2 });
  });

  test("does not wait for a server without metrics", async () => {
    const root = await stub(() => ({ status: 404, body: "no" }));
    expect(await waitForIdle(root, { intervalMs: 5 })).toMatchObject({ idle: true, busy: null });
  });
});

describe("the server a workload runs against", () => {
  test("a URL without a path gets /v1; one with a path is kept", () => {
    expect(apiUrlOf("http://127.0.0.1:8000", "w")).toBe("http://127.0.0.1:8000/v1");
    expect(apiUrlOf("http://127.0.0.1:8000/", "w")).toBe("http://127.0.0.1:8000/v1");
    expect(apiUrlOf("https://host/openai/v1/", "w")).toBe("https://host/openai/v1");
    expect(() => apiUrlOf("localhost:8000", "agentload({ server })")).toThrow(/agentload\(\{ server \}\): expected an http or https URL/);
    expect(() => apiUrlOf("not a url", "w")).toThrow(/w: not a URL: "not a url"/);
  });

  test("a configured server must answer (any status) before the run starts", async () => {
    const root = await stub(() => ({ status: 401, body: "key please" }));
    await expect(checkReachable(`${root}/v1`, "w")).resolves.toBeUndefined();
    const closed = root;
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(checkReachable(`${closed}/v1`, "agentload({ server })")).rejects.toThrow(
      new RegExp(`agentload\\(\\{ server \\}\\): cannot reach the server at ${closed.replace(/\./g, "\\.")}/v1: \\S`),
    );
  });

  const spec = (request: Record<string, unknown> = {}) =>
    validateSpec({ name: "s", seed: 1, sessions: 1, agents: [{ name: "a", turns: 1, freshInput: 1, output: 1 }], request });
  const builtIn: ServerInfo = { apiUrl: "http://127.0.0.1:9000/v1", model: "agentload-tiny", builtIn: true, prefixCache: true, slots: 4 };
  const external: ServerInfo = { apiUrl: "http://gpu:8000/v1", builtIn: false };

  test("the built-in engine gets no API key; a named server gets the environment's", async () => {
    const saved = process.env[API_KEY_ENV];
    process.env[API_KEY_ENV] = "sk-env";
    try {
      expect((await resolveTarget(builtIn, spec(), {}, "w")).target).toEqual({ apiUrl: builtIn.apiUrl, model: "agentload-tiny" });
      expect((await resolveTarget(external, spec(), {}, "w")).target).toEqual({ apiUrl: external.apiUrl, apiKey: "sk-env" });
    } finally {
      if (saved === undefined) delete process.env[API_KEY_ENV];
      else process.env[API_KEY_ENV] = saved;
    }
  });

  test("a workload's own server wins; a spec's baseUrl replaces only the built-in engine", async () => {
    const own = await resolveTarget(external, spec(), { server: { url: "http://other:1234", model: "x", apiKey: "k" } }, "w");
    expect(own.target).toEqual({ apiUrl: "http://other:1234/v1", model: "x", apiKey: "k" });
    expect(own.server).toEqual({ apiUrl: "http://other:1234/v1", model: "x", builtIn: false });
    const withBase = spec({ baseUrl: "http://spec-server:8000/v1", model: "spec-model" });
    expect((await resolveTarget(builtIn, withBase, {}, "w")).target).toMatchObject({ apiUrl: "http://spec-server:8000/v1", model: "spec-model" });
    expect((await resolveTarget(external, withBase, {}, "w")).target.apiUrl).toBe(external.apiUrl);
    await expect(resolveTarget(external, spec(), { server: { url: "http://a/v1" }, engine: {} }, "describeWorkload(\"x\")")).rejects.toThrow(
      'describeWorkload("x"): give server or engine, not both',
    );
  });
});
