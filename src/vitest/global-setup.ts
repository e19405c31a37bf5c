// The workloads project's global setup: provisions the one server of the run (the configured URL,
// AGENTLOAD_URL, or the built-in engine) before the first workload file, hands it to every file
// through provide("agentload"), and when the run ends stops it and prunes old run folders.
// Vitest runs a project's global setup only when the run has files of that project, so
// `vitest run --project unit` starts no engine.
//
// A server that cannot be provisioned does not make this setup throw: vitest would then run no
// file and report no test (a JUnit file with 0 tests and 0 failures, which CI shows green). The
// reason travels in the context instead (ServerInfo.unavailable) and fails every workload that
// runs against this server, naming the URL.
import { resolve, join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildProgressPrinter } from "../engine/build-progress.js";
import { pruneRunFolders } from "../records/run-folder.js";
import type { ProjectConfig, ServerInfo, WorkloadContext } from "./context.js";
import { serverSourceText } from "./server-choice.js";
import { describeServer, provisionSharedServer, type ProvisionedServer } from "./server.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = project.getProvidedContext().agentloadConfig as ProjectConfig | undefined;
  if (!config) {
    throw new Error("agentload: this global setup belongs to the project agentload() makes; it found no agentload options in the project's provide");
  }
  const started = new Date();
  const name = project.name || "workloads";
  if (config.note) process.stderr.write(`agentload: ${config.note}\n`);
  const server = await provision(config, name);
  const root = project.config.root;
  const outputDir = resolve(root, config.outputDir);
  const context: WorkloadContext = {
    server: server.info,
    outputDir,
    root,
    mode: (project.vitest.mode as string) === "benchmark" ? "benchmark" : "test",
    benchProject: (project.config as { benchmark?: { enabled?: boolean } }).benchmark?.enabled === true,
    runTimeoutMs: config.runTimeoutMs,
  };
  project.provide("agentload", context);
  process.stderr.write(
    server.info.unavailable
      ? `agentload: ${server.info.unavailable}\nagentload: every workload of the ${name} project that runs against this server fails\n`
      : `agentload: workloads run against ${describeServer(server.info)}${config.serverFrom === "environment" ? " (from AGENTLOAD_URL)" : ""}\n`,
  );
  return async () => {
    await server.stop();
    // After the run, so this run's folders are the newest; `started` protects them whatever keepRuns says.
    const removed = pruneRunFolders(join(outputDir, "runs"), { keep: config.keepRuns, since: started });
    if (removed.length > 0) process.stderr.write(`agentload: removed ${removed.length} old run folder(s) from ${join(outputDir, "runs")} (keepRuns ${config.keepRuns})\n`);
  };
}

/** The server, or a stand-in carrying why there is none. */
async function provision(config: ProjectConfig, projectName: string): Promise<ProvisionedServer> {
  try {
    return await provisionSharedServer(config, {
      onProgress: buildProgressPrinter(),
      where: serverSourceText(config, projectName),
    });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const info: ServerInfo = config.server
      ? { apiUrl: config.server.url, builtIn: false, unavailable: reason }
      : { apiUrl: "", builtIn: true, unavailable: `the built-in engine did not start: ${reason}` };
    return { info, stop: async () => {} };
  }
}
