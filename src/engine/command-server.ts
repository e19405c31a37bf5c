// An engine launched from a spec's `server:` block (or the CLI): any command, vLLM, SGLang, TGI or
// llama.cpp, started the way the built-in engine is (managed-server.ts: readiness polled, the last
// log lines kept for errors, never outliving agentload) and stopped after the run. `{port}` in the
// arguments, the environment and the URLs becomes the given port, or a free one picked here, so a
// spec needs no fixed port; `{host}` becomes 127.0.0.1.
import { freePort } from "./free-port.js";
import { startManagedServer, type ManagedServer } from "./managed-server.js";

export interface CommandServerOptions {
  command: string;
  args?: readonly string[];
  /** Added to agentload's environment. */
  env?: Readonly<Record<string, string>>;
  /** Working directory of the command (a relative command path is found from there). */
  cwd?: string;
  /** The port the server listens on; default a free one, given to it through `{port}`. */
  port?: number;
  /** The OpenAI-compatible base URL (default http://{host}:{port}/v1). */
  baseUrl?: string;
  /** Polled until it answers 200 (default the base URL's root + /health, which vLLM, SGLang, TGI and llama.cpp serve). */
  readyUrl?: string;
  /** How long the engine may take to be ready (default 600 s: a large model loads for minutes). */
  readyTimeoutMs?: number;
  onLog?: (line: string) => void;
}

export interface CommandServer extends ManagedServer {
  /** The OpenAI-compatible base URL, e.g. http://127.0.0.1:PORT/v1. */
  apiUrl: string;
  port: number;
  /** The command line as run (placeholders filled in), for messages. */
  commandLine: string;
}

const HOST = "127.0.0.1";

/** `text` with {port} and {host} filled in. */
export function fillPlaceholders(text: string, port: number): string {
  return text.replace(/\{port\}/g, String(port)).replace(/\{host\}/g, HOST);
}

export async function startCommandServer(o: CommandServerOptions): Promise<CommandServer> {
  const port = o.port ?? (await freePort(HOST));
  const fill = (s: string) => fillPlaceholders(s, port);
  const args = (o.args ?? []).map(fill);
  const apiUrl = fill(o.baseUrl ?? "http://{host}:{port}/v1").replace(/\/+$/, "");
  const root = apiUrl.replace(/\/v1$/, "");
  const readyUrl = o.readyUrl !== undefined ? fill(o.readyUrl) : `${root}/health`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(o.env ?? {})) env[k] = fill(v);
  const server = await startManagedServer({
    name: `server command ${o.command}`,
    command: o.command,
    args,
    env,
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    baseUrl: root,
    readyUrl,
    readyTimeoutMs: o.readyTimeoutMs ?? 600_000,
    ...(o.onLog ? { onLog: o.onLog } : {}),
  });
  return { ...server, apiUrl, port, commandLine: [o.command, ...args].join(" ") };
}
