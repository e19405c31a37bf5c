// `agentload engine install | start`: the built-in llama.cpp engine.
import { ensureLlamaBuild } from "../engine/llama-build.js";
import { startLlamaServer } from "../engine/llama-server.js";
import { ensureTinyModel } from "../engine/model.js";
import { CliError, idleClassFlag, intFlag, parseFlags, type Command } from "./args.js";
import { buildProgressPrinter } from "../engine/build-progress.js";

const HELP = `usage: agentload engine <install | start> [options]
  agentload engine install                 build llama-server (cached) and generate the tiny model
  agentload engine start [options]         start llama-server on loopback; Ctrl-C or SIGTERM stops it
options for start:
  --no-prefix-cache   disable prompt caching (--no-cache-prompt --cache-ram 0)
  --slots N           parallel slots (-np), default 4
  --ctx N             context tokens per slot, default 16384
  --threads N         CPU threads (-t), default 1
  --host H            default 127.0.0.1
  --port N            default: a free port
  --model PATH        serve this GGUF instead of the generated tiny model
  --idle              Linux's idle CPU class (chrt --idle 0): never delays a client on the same machine,
                      but starves beside other busy work
  --verbose           print the server's log`;

export const engineCommand: Command = async (argv) => {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    console.log(HELP);
    return sub ? 0 : 2;
  }
  if (sub !== "install" && sub !== "start") throw new CliError(`unknown engine subcommand '${sub}'\n${HELP}`);
  // Every subcommand's --help: parseFlags would call it an unknown option.
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const onProgress = buildProgressPrinter();
  if (sub === "install") {
    parseFlags(rest, {}, false);
    const build = await ensureLlamaBuild({ onProgress });
    const model = await ensureTinyModel({ onProgress });
    console.log(`llama-server: ${build.serverPath} (llama.cpp ${build.commit.slice(0, 8)}, ${build.key})`);
    console.log(`model:        ${model.path}`);
    return 0;
  }
  if (sub === "start") {
    const { values } = parseFlags(
      rest,
      {
        "no-prefix-cache": { type: "boolean" },
        slots: { type: "string" },
        ctx: { type: "string" },
        threads: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        model: { type: "string" },
        verbose: { type: "boolean" },
        idle: { type: "boolean" },
      },
      false,
    );
    const server = await startLlamaServer({
      prefixCache: !values["no-prefix-cache"],
      slots: intFlag("slots", values.slots, 4),
      contextPerSlot: intFlag("ctx", values.ctx, 16384),
      threads: intFlag("threads", values.threads, 1),
      ...(values.host ? { host: values.host } : {}),
      ...(values.port ? { port: intFlag("port", values.port, 0) } : {}),
      ...(values.model ? { modelPath: values.model } : {}),
      ...(values.verbose ? { onLog: (l: string) => console.error(l) } : {}),
      idleClass: idleClassFlag("idle", values.idle),
      onProgress,
    });
    console.log(`llama-server ready: ${server.apiUrl}  model: ${server.model}  slots: ${server.slots}  prefix cache: ${server.prefixCache ? "on" : "off"}${server.idleClass ? "  CPU class: idle" : ""}`);
    console.log(`metrics: ${server.baseUrl}/metrics   pid: ${server.pid}   (Ctrl-C or SIGTERM stops the server; it never outlives this command)`);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
    await server.stop();
    return 0;
  }
  throw new CliError(`unknown engine subcommand '${sub}'\n${HELP}`);
};
