// `agentload inspect spec.yaml [--json]`: what a spec's workload looks like (sessions, shapes,
// token distributions, expected prefix reuse) without running it.
import { iterateSessions, scaffoldsOf } from "../workload/generate.js";
import { inspectSessions, renderStats } from "../workload/inspect.js";
import type { Scaffold, SessionGraph } from "../workload/types.js";
import { cacheTotals, requestsInOrder, simulatePrefixCache } from "../metrics/ideal-cache.js";
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
  const scaffolds = scaffoldsOf(spec);
  const stats = inspectSessions(iterateSessions(spec), scaffolds, spec.name);
  const ideal = idealCache(iterateSessions(spec), scaffolds);
  if (values.json) console.log(JSON.stringify({ ...stats, idealCache: ideal }, null, 2));
  else {
    process.stdout.write(renderStats(stats));
    const of = ideal.sessions < spec.sessions ? ` (the first ${ideal.sessions} sessions)` : "";
    console.log(
      `ideal prefix cache${of}: ${(ideal.hitRate * 100).toFixed(1)}% of prompt tokens (an infinite cache, sessions one after another: ` +
        `scaffolds and hash-id blocks shared across sessions count, unlike the reuse ratio above)`,
    );
  }
  return 0;
};

/** Sessions the ideal cache of `inspect` simulates at most: its requests are held in memory. */
const IDEAL_SESSIONS = 2000;

/** The infinite prefix cache's hit rate over the first sessions, run one after another (metrics/ideal-cache.ts). */
function idealCache(sessions: Iterable<SessionGraph>, scaffolds: Scaffold[]): { hitRate: number; sessions: number } {
  const first: SessionGraph[] = [];
  for (const s of sessions) {
    if (first.length >= IDEAL_SESSIONS) break;
    first.push(s);
  }
  const requests = requestsInOrder(first, scaffolds);
  const totals = cacheTotals(requests, simulatePrefixCache(requests, { ttlMs: Infinity }).infinite);
  return { hitRate: totals.hitRate ?? 0, sessions: first.length };
}
