// A spec's `server:` block as launch options (engine/command-server.ts takes them as they are): its
// working directory, and so a relative command, found from a base folder (the spec file's folder
// on the command line, the test file's in vitest), its timeout in milliseconds.
import { resolve } from "node:path";
import type { WorkloadSpec } from "./spec-types.js";

export type ServerSpec = NonNullable<WorkloadSpec["server"]>;

/** What starting the server needs (engine/command-server.ts CommandServerOptions has these fields). */
export interface ServerLaunch {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd: string;
  port?: number;
  baseUrl?: string;
  readyUrl?: string;
  readyTimeoutMs?: number;
}

export function serverLaunch(server: ServerSpec, baseDir: string): ServerLaunch {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(server.env ?? {})) if (v !== undefined) env[k] = v;
  return {
    command: server.command,
    ...(server.args ? { args: server.args } : {}),
    ...(server.env ? { env } : {}),
    cwd: server.cwd !== undefined ? resolve(baseDir, server.cwd) : resolve(baseDir),
    ...(server.port !== undefined ? { port: server.port } : {}),
    ...(server.baseUrl !== undefined ? { baseUrl: server.baseUrl } : {}),
    ...(server.readyUrl !== undefined ? { readyUrl: server.readyUrl } : {}),
    ...(server.readyTimeoutSeconds !== undefined ? { readyTimeoutMs: server.readyTimeoutSeconds * 1000 } : {}),
  };
}
