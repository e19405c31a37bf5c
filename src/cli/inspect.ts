// `agentload inspect spec.yaml [--json]`: what a spec's workload looks like (sessions, shapes,
// token distributions, expected prefix reuse) without running it.
import { iterateSessions, scaffoldsOf } from "../workload/generate.js";
import { inspectSessions, renderStats } from "../workload/inspect.js";
import { parseFlags, type Command } from "./args.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS } from "./spec-arg.js";

const HELP = `usage: agentload inspect <spec.yaml> [options]
generates the workload and prints its statistics
options:
  --json          print the statistics as JSON
  --sessions N    inspect N sessions instead of the spec's count
  --seed S        use seed S instead of the spec's
  --concurrency N override traffic concurrency (concurrent mode; checked, the sessions are the same)`;

export const inspectCommand: Command = async (argv) => {
  const { values, positionals } = parseFlags(argv, {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...SPEC_OVERRIDE_FLAGS,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const spec = await readSpecArg("inspect", positionals, values);
  const stats = inspectSessions(iterateSessions(spec), scaffoldsOf(spec), spec.name);
  if (values.json) console.log(JSON.stringify(stats, null, 2));
  else process.stdout.write(renderStats(stats));
  return 0;
};
