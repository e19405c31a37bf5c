// Where agentload keeps what it builds once and reuses: the llama.cpp build and generated models.
// Outside the repository, so a fresh clone (or CI) on the same machine reuses them.
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTLOAD_CACHE_DIR) return env.AGENTLOAD_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "agentload");
}
