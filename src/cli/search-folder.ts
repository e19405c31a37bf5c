// A capacity search's folder read back (its search.json), as `agentload compare` compares two
// searches and `agentload report` draws one.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SearchSide } from "../compare/frontiers.js";
import { CliError } from "./args.js";

export function readSearch(dir: string): SearchSide {
  const file = join(dir, "search.json");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not JSON (${(err as Error).message})`}`);
  }
  const bad = (what: string) => new CliError(`${file}: not a search.json written by agentload search (${what})`);
  if (typeof doc !== "object" || doc === null) throw bad("not an object");
  if (typeof doc.over !== "string" || typeof doc.unit !== "string") throw bad("no over/unit");
  if (!Array.isArray(doc.points)) throw bad("no points");
  const options = (doc.options ?? {}) as { precision?: unknown };
  const finished = typeof doc.stopped === "string";
  const n = (x: unknown) => (typeof x === "number" ? x : null);
  return {
    dir,
    spec: typeof doc.spec === "string" ? doc.spec : dir,
    over: doc.over,
    unit: doc.unit,
    precision: typeof options.precision === "number" ? options.precision : 0.1,
    frontier: finished ? n(doc.frontier) : null,
    firstFailing: finished ? n(doc.firstFailing) : null,
    binding: typeof doc.binding === "string" ? doc.binding : null,
    stopped: finished ? (doc.stopped as SearchSide["stopped"]) : null,
    points: doc.points as SearchSide["points"],
  };
}
