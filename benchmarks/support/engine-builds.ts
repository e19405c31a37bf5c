// Two "builds" of the engine for the paired regression bench, as an engine repo's CI has main's
// build and the pull request's: shell scripts that become the cached llama-server (exec keeps the
// process id), so the vitest plugin starts, restarts and stops them as it would real builds
// (describeWorkload({ engine: { serverPath }, baseline: { engine: { serverPath } } })). Both pin
// themselves to one CPU where taskset works (the client keeps the other: support/cpu-pin.ts).
// The candidate slows itself down as its environment says (SLOWDOWN_ENV), because the bench does
// not start it and so cannot throttle it from outside:
//   "signals <factor>"   starts the throttle program (support/throttle.ts) on its own process id;
//                        it ends when the engine does;
//   "quota <cgroup dir>" joins a cgroup the bench made with a CPU quota (support/cpu-quota.ts).
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { THROTTLE_PERIOD_MS, THROTTLE_PROGRAM } from "./throttle.js";

export const SLOWDOWN_ENV = "AGENTLOAD_BENCH_SLOWDOWN";

export interface EngineBuilds {
  /** The baseline's llama-server ("main's build"). */
  baseline: string;
  /** The engine under test ("the pull request's build"), slowed as SLOWDOWN_ENV says. */
  candidate: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the two scripts into `dir`; `cpu` pins both engines to that CPU list ("1"), null leaves placement to the scheduler. */
export function writeEngineBuilds(dir: string, llamaServer: string, cpu: string | null): EngineBuilds {
  const program = join(dir, "throttle.js");
  writeFileSync(program, THROTTLE_PROGRAM);
  const run = `exec ${cpu ? `taskset -c ${cpu} ` : ""}${quote(llamaServer)} "$@"\n`;
  const baseline = join(dir, "baseline-llama-server");
  writeFileSync(baseline, `#!/bin/sh\n${run}`);
  const candidate = join(dir, "candidate-llama-server");
  writeFileSync(
    candidate,
    `#!/bin/sh
set -e
case "$${SLOWDOWN_ENV}" in
  signals\\ *)
    factor=\${${SLOWDOWN_ENV}#signals }
    run_ms=$(awk "BEGIN { print ${THROTTLE_PERIOD_MS} / $factor }")
    stop_ms=$(awk "BEGIN { print ${THROTTLE_PERIOD_MS} - ${THROTTLE_PERIOD_MS} / $factor }")
    ${quote(process.execPath)} ${quote(program)} $$ "$run_ms" "$stop_ms" </dev/null >/dev/null 2>&1 &
    ;;
  quota\\ *)
    echo $$ > "\${${SLOWDOWN_ENV}#quota }/cgroup.procs"
    ;;
esac
${run}`,
  );
  chmodSync(baseline, 0o755);
  chmodSync(candidate, 0o755);
  return { baseline, candidate };
}
