// Small shared pieces for subcommands: the command signature, a usage error, and
// node:util's parseArgs wrapped so that unknown flags become a CliError.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A subcommand: gets the arguments after its name, returns the exit code. */
export type Command = (argv: string[]) => Promise<number>;

/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class CliError extends Error {}

type Parsed<T extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  allowPositionals = true,
): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as Parsed<T>;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Parse a whole, non-negative number flag, naming the flag when it is not one. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} expects a whole number, got '${value}'`);
  return n;
}

/** Parse a whole number flag of at least 1 (a count: sessions, concurrency), naming the flag when it is not one. */
export function countFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) throw new CliError(`--${name} expects a whole number >= 1, got '${value}'`);
  return n;
}
