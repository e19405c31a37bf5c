// The workloads project's global setup: provisions the one server of the run (the configured URL
// or the built-in engine) before the first workload file, hands it to every file through
// provide("agentload"), and stops it when the run ends. Vitest runs a project's global setup only
// when the run has files of that project, so `vitest run --project unit` starts no engine.
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { buildProgressPrinter } from "../engine/build-progress.js";
import type { ProjectConfig, WorkloadContext } from "./context.js";
import { describeServer, provisionSharedServer } from "./server.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = project.getProvidedContext().agentloadConfig as ProjectConfig | undefined;
  if (!config) {
    throw new Error("agentload: this global setup belongs to the project agentload() makes; it found no agentload options in the project's provide");
  }
  const server = await provisionSharedServer(config, {
    onProgress: buildProgressPrinter(),
    where: `agentload({ server: { url: ${JSON.stringify(config.server?.url)} } }) in the ${project.name || "workloads"} project`,
  });
  const root = project.config.root;
  const context: WorkloadContext = {
    server: server.info,
    outputDir: resolve(root, config.outputDir),
    root,
    mode: (project.vitest.mode as string) === "benchmark" ? "benchmark" : "test",
    benchProject: (project.config as { benchmark?: { enabled?: boolean } }).benchmark?.enabled === true,
    runTimeoutMs: config.runTimeoutMs,
  };
  project.provide("agentload", context);
  process.stderr.write(`agentload: workloads run against ${describeServer(server.info)}\n`);
  return () => server.stop();
}
