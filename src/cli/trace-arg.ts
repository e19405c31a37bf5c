// The trace argument shared by every command that reads a trace (analyze, fit, run).
import { readTrace } from "../traces/read.js";
import type { Trace } from "../traces/types.js";
import { TraceError } from "../traces/where.js";
import { approximateTokenizer, tiktokenTokenizer, type Tokenizer } from "../content/tokenizer.js";
import { CliError, intFlag } from "./args.js";

export const TRACE_FLAGS = {
  format: { type: "string" },
  "block-size": { type: "string" },
  tokenizer: { type: "string" },
} as const;

export const TRACE_FLAGS_HELP = `  --format F        the trace format, when detection should not decide: openclaw-dag,
                    openclaw-session, claude-code, veeksha-session, veeksha-request-log,
                    veeksha-shared-prefix, mooncake, csv, agentload-run (a run folder's
                    records.jsonl), veeksha-dispatch-trace, veeksha-request-metrics
  --block-size N    tokens per hash id block (Mooncake, Veeksha shared_prefix; default 512)
  --tokenizer T     counts fresh input of raw transcripts: o200k_base (default), cl100k_base, approximate`;

async function tokenizerFlag(name: string | undefined): Promise<Tokenizer | undefined> {
  if (name === undefined) return undefined;
  if (name === "o200k_base" || name === "cl100k_base") return tiktokenTokenizer(name);
  if (name === "approximate") return approximateTokenizer();
  throw new CliError(`--tokenizer expects o200k_base, cl100k_base or approximate, got '${name}'`);
}

export async function readTraceArg(
  command: string,
  positionals: string[],
  flags: { format?: string | undefined; "block-size"?: string | undefined; tokenizer?: string | undefined },
  /** Read the requests into columns only (table.ts): for commands that read nothing else (analyze, fit). */
  columns = false,
): Promise<Trace> {
  if (positionals.length !== 1) {
    throw new CliError(`${command} expects one trace (a file or directory), got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  }
  const blockSize = intFlag("block-size", flags["block-size"], 0);
  if (flags["block-size"] !== undefined && blockSize === 0) throw new CliError("--block-size expects a whole number >= 1, got '0'");
  const tokenizer = await tokenizerFlag(flags.tokenizer);
  let trace: Trace;
  try {
    trace = await readTrace(positionals[0]!, {
      ...(flags.format !== undefined ? { format: flags.format } : {}),
      ...(blockSize > 0 ? { blockSize } : {}),
      ...(tokenizer ? { tokenizer } : {}),
      ...(columns ? { columns } : {}),
    });
  } catch (e) {
    if (e instanceof TraceError) throw new CliError(e.message);
    throw e;
  }
  for (const warning of trace.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  // Every reader refuses a trace without requests; this keeps any other from passing as "requests 0".
  if ((trace.table?.length ?? trace.requests.length) === 0) throw new CliError(`${trace.source}: the trace has no requests; expected at least one inference request`);
  return trace;
}
