#!/usr/bin/env node
// The `agentload` command: a thin table of subcommands, each in its own module.
import { CliError, type Command } from "./args.js";
import { SpecError } from "../workload/spec-errors.js";

const commands: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import("./analyze.js")).analyzeCommand,
  compare: async () => (await import("./compare.js")).compareCommand,
  engine: async () => (await import("./engine.js")).engineCommand,
  fit: async () => (await import("./fit.js")).fitCommand,
  generate: async () => (await import("./generate.js")).generateCommand,
  init: async () => (await import("./init.js")).initCommand,
  inspect: async () => (await import("./inspect.js")).inspectCommand,
  k8s: async () => (await import("./k8s.js")).k8sCommand,
  merge: async () => (await import("./merge.js")).mergeCommand,
  report: async () => (await import("./report.js")).reportCommand,
  run: async () => (await import("./run.js")).runCommand,
  search: async () => (await import("./search.js")).searchCommand,
  sweep: async () => (await import("./sweep.js")).sweepCommand,
};

function usage(): string {
  const names = Object.keys(commands).sort().join(", ");
  return `usage: agentload <command> [options]\ncommands: ${names}\nrun 'agentload <command> --help' for a command's options`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`agentload: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  const command = await load();
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A spec that cannot be used found while its sessions are generated (inspect, generate):
    // a usage error like any other, not a stack trace.
    if (err instanceof CliError || err instanceof SpecError) {
      console.error(`agentload: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
