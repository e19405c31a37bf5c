// NODE-ONLY: reads a spec file from disk. Everything after reading is web-standard (spec-text.ts).
import { readFile } from "node:fs/promises";
import { SpecError } from "./spec-errors.js";
import { parseSpecText, type LoadedSpec } from "./spec-text.js";

export type { LoadedSpec } from "./spec-text.js";

/**
 * Reads, parses and validates a YAML or JSON workload spec (or a Veeksha config, mapped).
 * Throws SpecError naming the file for anything wrong, including a file that cannot be read.
 */
export async function loadSpecFile(path: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new SpecError([{ path: [], message: `cannot read the spec: ${reason}` }], { source: path });
  }
  return parseSpecText(text, path);
}
