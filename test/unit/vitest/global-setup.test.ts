// The workloads project's global setup: a server it cannot reach does not make it throw (vitest
// would then report no test at all, an empty green JUnit file) but travels as a reason every
// workload using that server fails with; when the run ends it prunes old run folders to keepRuns,
// never one of the run it set up.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { TestProject } from "vitest/node";
import { RUN_FOLDER_MARKER, RunFolder } from "../../../src/records/run-folder.js";
import type { ProjectConfig, WorkloadContext } from "../../../src/vitest/context.js";
import setup from "../../../src/vitest/global-setup.js";
import type * as serverModule from "../../../src/vitest/server.js";
import { resolveTarget } from "../../../src/vitest/server.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { closedPort } from "../../support/closed-port.js";

let http: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  http = undefined;
});

/** A server that answers anything (a 404 proves it listens); its /v1 URL. */
async function answering(): Promise<string> {
  http = createHttpServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => http!.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(http.address() as { port: number }).port}/v1`;
}

/** The parts of a TestProject the global setup reads, recording what it provides. */
function fakeProject(config: ProjectConfig, root = mkdtempSync(join(tmpdir(), "agentload-setup-"))): { project: TestProject; provided: Record<string, unknown> } {
  const provided: Record<string, unknown> = {};
  const project = {
    name: "workloads",
    config: { root },
    vitest: { mode: "test" },
    getProvidedContext: () => ({ agentloadConfig: config }),
    provide: (key: string, value: unknown) => {
      provided[key] = value;
    },
  };
  return { project: project as unknown as TestProject, provided };
}

const spec = validateSpec({ name: "s", seed: 1, sessions: 1, agents: [{ name: "a", turns: 1, freshInput: 1, output: 1 }] });

describe("a server the global setup cannot reach", () => {
  test("does not throw: every workload using it fails, naming the URL and the reason", async () => {
    const stderr: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((text) => stderr.push(String(text)) > 0);
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const { project, provided } = fakeProject({ server: { url }, serverFrom: "environment", outputDir: "out", runTimeoutMs: 1000, keepRuns: 0 });
    const teardown = await setup(project);
    const context = provided.agentload as WorkloadContext;
    expect(context.server.unavailable).toMatch(new RegExp(`^AGENTLOAD_URL=${url} \\(the workloads project's server\\): cannot reach the server at ${url}: ECONNREFUSED`));
    expect(stderr.join("")).toContain("every workload of the workloads project that runs against this server fails");

    await expect(resolveTarget(context.server, spec, {}, 'describeWorkload("w")')).rejects.toThrow(`describeWorkload("w"): ${context.server.unavailable}`);
    // A workload naming its own server does not need the project's.
    expect((await resolveTarget(context.server, spec, { server: { url: "http://other:1/v1" } }, "w")).target.apiUrl).toBe("http://other:1/v1");
    await teardown();
  });

  test("a configured URL is named as the config wrote it", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const { project, provided } = fakeProject({ server: { url }, serverFrom: "config", outputDir: "out", runTimeoutMs: 1000, keepRuns: 0 });
    await (await setup(project))();
    expect((provided.agentload as WorkloadContext).server.unavailable).toMatch(new RegExp(`^agentload\\(\\{ server: \\{ url: "${url}" \\} \\}\\) in the workloads project: cannot reach`));
  });
});

describe("a built-in engine that does not start", () => {
  test("fails the workloads that need it, with the engine's reason", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.resetModules();
    vi.doMock("../../../src/vitest/server.js", async (original) => ({
      ...(await original<typeof serverModule>()),
      provisionSharedServer: () => Promise.reject(new Error("llama.cpp build: cmake not found (apt-get install cmake)")),
    }));
    try {
      const { default: setupWithBrokenEngine } = await import("../../../src/vitest/global-setup.js");
      const { project, provided } = fakeProject({ outputDir: "out", runTimeoutMs: 1000, keepRuns: 0 });
      await (await setupWithBrokenEngine(project))();
      const server = (provided.agentload as WorkloadContext).server;
      expect(server).toMatchObject({ builtIn: true, unavailable: "the built-in engine did not start: llama.cpp build: cmake not found (apt-get install cmake)" });
      await expect(resolveTarget(server, spec, {}, "w")).rejects.toThrow("w: the built-in engine did not start: llama.cpp build: cmake not found");
    } finally {
      vi.doUnmock("../../../src/vitest/server.js");
      vi.resetModules();
    }
  });
});

describe("after the run", () => {
  test("keeps the newest keepRuns run folders, and every folder of this run", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const root = mkdtempSync(join(tmpdir(), "agentload-setup-"));
    const runs = join(root, ".agentload", "runs");
    const old = (name: string, at: string) => {
      const folder = RunFolder.create(runs, name, new Date(at));
      folder.writeJson(RUN_FOLDER_MARKER, {});
      return folder.id;
    };
    const oldest = old("w", "2020-01-01T00:00:00Z");
    const older = old("w", "2021-01-01T00:00:00Z");
    const newer = old("w", "2022-01-01T00:00:00Z");
    mkdirSync(join(runs, "notes"));
    writeFileSync(join(runs, "notes", "x.txt"), "mine");

    const { project } = fakeProject({ server: { url: await answering() }, serverFrom: "config", outputDir: ".agentload", runTimeoutMs: 1000, keepRuns: 2 }, root);
    const teardown = await setup(project);
    // This run's three workloads.
    const mine = ["a", "b", "c"].map((name) => old(name, new Date().toISOString()));
    await teardown();
    expect(readdirSync(runs).sort()).toEqual([...mine, "notes"].sort());
    for (const id of [oldest, older, newer]) expect(existsSync(join(runs, id))).toBe(false);
  });

  test("keeps everything with keepRuns 0", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const root = mkdtempSync(join(tmpdir(), "agentload-setup-"));
    const runs = join(root, "out", "runs");
    for (const at of ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]) RunFolder.create(runs, "w", new Date(at)).writeJson(RUN_FOLDER_MARKER, {});
    const { project } = fakeProject({ server: { url: await answering() }, serverFrom: "config", outputDir: "out", runTimeoutMs: 1000, keepRuns: 0 }, root);
    await (await setup(project))();
    expect(readdirSync(runs)).toHaveLength(2);
  });
});
