// `agentload run spec.yaml [--url URL]`: run a workload against a server (the built-in llama.cpp
// engine when no URL is given), show live progress, print the summary, exit 1 when SLOs fail.
import { startLlamaServer, type LlamaServer } from "../engine/llama-server.js";
import { renderSummary } from "../report/summary-table.js";
import { runWorkload } from "../run/run.js";
import { CliError, intFlag, parseFlags, type Command } from "./args.js";
import { liveProgress } from "./live-progress.js";
import { buildProgressPrinter } from "./progress.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS } from "./spec-arg.js";

const HELP = `usage: agentload run spec.yaml [options]
Runs the workload against an OpenAI-compatible server and writes a run folder.
options:
  --url URL            server base URL including /v1 (default: start the built-in llama.cpp engine)
  --model NAME         model name to send (default: the spec's request.model, or the server's)
  --api-key KEY        API key (prefer the environment: AGENTLOAD_API_KEY or OPENAI_API_KEY)
  --header 'K: V'      extra request header (repeatable)
  --out DIR            parent folder of the run folder (default ./runs)
  --sessions N         run N sessions instead of the spec's count
  --seed S             use seed S instead of the spec's
  --concurrency N      override traffic concurrency (concurrent mode)
  --grace-ms N         after Ctrl-C, how long in-flight requests may finish (default 10000)
  built-in engine only:
  --no-prefix-cache    start llama-server with prompt caching off
  --slots N            llama-server slots (default 4)
exit codes: 0 passed, 1 SLOs failed, 2 usage or spec error, 130 interrupted`;

function parseHeaders(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const i = h.indexOf(":");
    if (i <= 0) throw new CliError(`--header expects 'Name: value', got '${h.length > 40 ? h.slice(0, 40) + "…" : h}'`);
    out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

export const runCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    ...SPEC_OVERRIDE_FLAGS,
    url: { type: "string" },
    model: { type: "string" },
    "api-key": { type: "string" },
    header: { type: "string", multiple: true },
    out: { type: "string" },
    concurrency: { type: "string" },
    "grace-ms": { type: "string" },
    "no-prefix-cache": { type: "boolean" },
    slots: { type: "string" },
  });
  let spec = await readSpecArg("run", positionals, values);
  if (values.concurrency !== undefined) {
    if (spec.traffic.mode !== "concurrent") throw new CliError("--concurrency applies to concurrent traffic; this spec uses rate traffic");
    spec = { ...spec, traffic: { ...spec.traffic, concurrency: intFlag("concurrency", values.concurrency, 1) } };
  }
  const apiKey = values["api-key"] ?? process.env.AGENTLOAD_API_KEY ?? process.env.OPENAI_API_KEY;
  const headers = parseHeaders(values.header);

  let engine: LlamaServer | undefined;
  let apiUrl = values.url ?? spec.request.baseUrl;
  let model = values.model ?? spec.request.model;
  if (!apiUrl) {
    engine = await startLlamaServer({
      prefixCache: !values["no-prefix-cache"],
      slots: intFlag("slots", values.slots, 4),
      onProgress: buildProgressPrinter(),
    });
    apiUrl = engine.apiUrl;
    model = engine.model;
    console.error(`agentload: built-in engine ${engine.apiUrl} (llama.cpp, prefix cache ${engine.prefixCache ? "on" : "off"}, ${engine.slots} slots)`);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error("\nagentload: stopping: no new requests; waiting for in-flight ones (Ctrl-C again to quit now)");
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSigint);
  const progress = liveProgress(spec.traffic.maxSessions ?? spec.sessions);
  try {
    const result = await runWorkload({
      spec,
      target: { apiUrl, ...(model ? { model } : {}), ...(apiKey ? { apiKey } : {}), ...(headers ? { headers } : {}) },
      outDir: values.out ?? "runs",
      signal: controller.signal,
      graceMs: intFlag("grace-ms", values["grace-ms"], 10_000),
      onRecord: progress.onRecord,
      onNote: (line) => console.error(`agentload: ${line}`),
    });
    progress.finish();
    console.log(renderSummary(result.summary, result.verdicts, { color: process.stdout.isTTY === true }));
    console.log(`run folder: ${result.dir}`);
    if (result.interrupted && interrupts > 0) return 130;
    return result.passed ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    await engine?.stop();
  }
};
