// `agentload generate spec.yaml [--out FILE]`: a spec's sessions as Veeksha timed_synthetic_session
// JSONL, generated and written one session at a time so big workloads never sit in memory.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { iterateSessions, scaffoldsOf } from "../workload/generate.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { veekshaLines } from "../workload/veeksha-jsonl.js";
import { CliError, parseFlags, type Command } from "./args.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS } from "./spec-arg.js";

const HELP = `usage: agentload generate <spec.yaml> [options]
writes the workload's sessions as Veeksha timed_synthetic_session JSONL (one line per request)
options:
  --out FILE      write to FILE instead of standard output
  --sessions N    generate N sessions instead of the spec's count
  --seed S        use seed S instead of the spec's
  --concurrency N override traffic concurrency (concurrent mode; checked, the sessions are the same)`;

/**
 * Write text chunks to standard output, waiting whenever it asks to (so memory stays flat).
 * A reader that stops early (`| head`) closes the pipe: that ends the output quietly.
 */
async function writeToStdout(out: Writable, chunks: Iterable<string>): Promise<void> {
  let failed: NodeJS.ErrnoException | undefined;
  const onError = (err: NodeJS.ErrnoException) => {
    failed ??= err;
  };
  out.on("error", onError);
  try {
    for (const chunk of chunks) {
      if (failed) break;
      if (!out.write(chunk)) await once(out, "drain").catch(onError);
    }
  } finally {
    out.off("error", onError);
  }
  if (failed && failed.code !== "EPIPE") throw failed;
}

/** One chunk per session: its lines, each ending in a newline. */
function* jsonlChunks(spec: ResolvedWorkloadSpec): Generator<string, void, undefined> {
  const options = { workload: spec.name, scaffolds: scaffoldsOf(spec) };
  let index = 0;
  for (const session of iterateSessions(spec)) {
    let chunk = "";
    for (const line of veekshaLines([session], options, index)) chunk += `${line}\n`;
    index++;
    yield chunk;
  }
}

export const generateCommand: Command = async (argv) => {
  const { values, positionals } = parseFlags(argv, {
    out: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
    ...SPEC_OVERRIDE_FLAGS,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const spec = await readSpecArg("generate", positionals, values);
  if (values.out === undefined) {
    await writeToStdout(process.stdout, jsonlChunks(spec));
    return 0;
  }
  const out = values.out;
  const file = createWriteStream(out);
  // Report an unwritable path as a usage problem, naming it, before generating anything.
  await once(file, "open").catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write --out ${out}: ${err.code === "ENOENT" ? "no such directory" : err.message}`);
  });
  try {
    await pipeline(Readable.from(jsonlChunks(spec)), file);
  } catch (err) {
    // A half-written workload file would pass for a whole one later.
    await rm(out, { force: true });
    throw err;
  }
  return 0;
};
