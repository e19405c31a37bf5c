// What a run folder says about where and how it was measured (`run.json`, written when the run
// starts): the tool and its version, the start time, the server (its root URL without credentials
// or query, as the calibration cache keeps it; the model), the workload's fingerprint, and the machine and runtime. The report shows it
// beside the plots; a metric snapshot keeps the machine part (HostEnvironment).
import { readFileSync } from "node:fs";
import os from "node:os";
import { publicServerUrl } from "../content/calibration-cache.js";
import type { HostEnvironment, RunMetadata } from "../records/types.js";
import type { WorkloadFingerprint } from "./fingerprint.js";

export type { HostEnvironment, RunMetadata };

export function hostEnvironment(): HostEnvironment {
  const g = globalThis as { Bun?: { version?: string }; Deno?: { version?: { deno?: string } } };
  const runtime = g.Bun?.version
    ? `bun ${g.Bun.version}`
    : g.Deno?.version?.deno
      ? `deno ${g.Deno.version.deno}`
      : `node ${process.versions.node}`;
  const cpus = os.cpus();
  const host: HostEnvironment = {
    runtime,
    platform: process.platform,
    arch: process.arch,
    cpus: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
  };
  const model = cpus[0]?.model?.trim();
  if (model) host.cpuModel = model;
  return host;
}

let version: string | undefined;
/** agentload's version, from its package.json (src/ and dist/ are both one folder below it). */
export function toolVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
    } catch {
      version = "unknown";
    }
  }
  return version;
}

export function runMetadata(o: {
  name: string;
  apiUrl: string;
  model?: string;
  fingerprint?: WorkloadFingerprint;
  startedAt: Date;
  shard?: RunMetadata["shard"];
  clientClass?: { policy: string; priority: number };
}): RunMetadata {
  return {
    tool: { name: "agentload", version: toolVersion() },
    startedAt: o.startedAt.toISOString(),
    server: { url: publicServerUrl(o.apiUrl), ...(o.model ? { model: o.model } : {}) },
    workload: { name: o.name, ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}) },
    host: hostEnvironment(),
    ...(o.shard ? { shard: o.shard } : {}),
    ...(o.clientClass ? { client: { cpuClass: { policy: o.clientClass.policy, priority: o.clientClass.priority } } } : {}),
  };
}
