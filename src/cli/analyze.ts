// `agentload analyze <trace> [--json]`: what a real trace says about its agent (request expansion,
// token heterogeneity, bursty waits, prefix reuse, branching, concurrency) and the family fits of
// its fresh input and output.
import { renderAnalysis } from "../traces/analysis-table.js";
import { analyzeTrace } from "../traces/analyze.js";
import { parseFlags, type Command } from "./args.js";
import { readTraceArg, TRACE_FLAGS, TRACE_FLAGS_HELP } from "./trace-arg.js";

const HELP = `usage: agentload analyze <trace> [options]
reads a trace (file or directory) and prints its statistics
options:
  --json            print the analysis as JSON (with every family fit of fresh input and output)
${TRACE_FLAGS_HELP}
fresh input is counted as the trace counts it: a later request's includes its parent's reply
(\`fit\` fits it without that reply, as a generated workload adds it by itself)`;

export const analyzeCommand: Command = async (argv) => {
  const { values, positionals } = parseFlags(argv, {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...TRACE_FLAGS,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const trace = await readTraceArg("analyze", positionals, values, true);
  const analysis = analyzeTrace(trace, { fits: true });
  if (values.json) console.log(JSON.stringify(analysis, null, 2));
  else process.stdout.write(renderAnalysis(analysis));
  return 0;
};