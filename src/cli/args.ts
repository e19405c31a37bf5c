// Small shared pieces for subcommands: the command signature, a usage error, and
// node:util's parseArgs wrapped so that unknown flags become a CliError.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { realtimeRunner } from "../engine/cpu-class.js";
import { idleClassRunner } from "../engine/llama-server.js";

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

/**
 * Parse a whole, non-negative number flag, naming the flag when it is not one. `most` bounds it
 * where a larger value cannot work (a delay past what a timer holds), `why` saying so.
 */
export function intFlag(name: string, value: string | undefined, fallback: number, most?: { most: number; why: string }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) throw new CliError(`--${name} expects a whole number, got '${value}'`);
  if (most && n > most.most) throw new CliError(`--${name} expects a whole number of at most ${most.most} (${most.why}), got '${value}'`);
  return n;
}

/** A number flag that must be > 0 (a load, a precision, a factor), naming the flag when it is not one; undefined when not given. */
export function positiveFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new CliError(`--${name} expects a number > 0, got '${value}'`);
  return n;
}

/**
 * `--realtime`: chrt's path when given (Linux and chrt checked before anything starts, a usage error
 * saying why not), null when not.
 */
export function realtimeFlag(value: boolean | undefined): string | null {
  if (value !== true) return null;
  try {
    return realtimeRunner({ platform: process.platform, path: process.env.PATH });
  } catch (e) {
    throw new CliError(`--realtime: ${(e as Error).message}`);
  }
}

/**
 * A flag asking for the built-in engine in Linux's idle CPU class (`--engine-idle`, `engine start
 * --idle`): whether it was given, checked before anything starts; where the class cannot be had
 * (not Linux, no chrt) a usage error naming the flag and why.
 */
export function idleClassFlag(name: string, value: boolean | undefined): boolean {
  if (value !== true) return false;
  try {
    idleClassRunner({ platform: process.platform, path: process.env.PATH });
  } catch (e) {
    throw new CliError(`--${name}: ${(e as Error).message}`);
  }
  return true;
}
