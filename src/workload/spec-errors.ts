// Problems found in a workload spec, and the SpecError that reports them: one line per problem,
// naming the file, the line:column of the offending value, the path in the spec and what was expected.

/** A path into a spec: keys and array indexes, e.g. ["agents", 0, "turns"]. */
export type SpecPath = readonly (string | number)[];

/** 1-based line and column in the source text. */
export interface SpecLocation {
  line: number;
  column: number;
}

/**
 * Finds where a path sits in the source. `part: "key"` asks for the key itself (an unknown key),
 * `"value"` for its value. Returns the nearest existing ancestor when the path does not exist
 * (a missing key), or undefined when there is no source text (a spec built in code).
 */
export type Locate = (path: SpecPath, part: "key" | "value") => SpecLocation | undefined;

/** One thing wrong with a spec. */
export interface SpecProblem {
  path: SpecPath;
  message: string;
  /** Whether the problem is the key at `path` (unknown key) rather than its value. */
  part?: "key" | "value";
  /** A likely fix was found (did you mean): such problems usually explain the others, so they go first. */
  suggested?: boolean;
  /** Where the problem is when it is known without a path (a YAML syntax error). */
  at?: SpecLocation;
}

/** A problem placed in its source. */
export interface LocatedProblem {
  /** Display form of the path: `agents[0].turns.max`, empty at the top level. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Options telling a SpecError where the spec came from. */
export interface SpecSource {
  /** File name or other label ("workload(\"coding\")") shown at the start of each line. */
  source?: string;
  locate?: Locate;
}

/** A spec that cannot be used. `message` lists every problem, one per line, best first. */
export class SpecError extends Error {
  readonly source: string | undefined;
  readonly problems: readonly LocatedProblem[];

  constructor(problems: readonly SpecProblem[], from: SpecSource = {}) {
    const located = orderProblems(problems).map((p) => locateProblem(p, from.locate));
    super(located.map((p) => formatProblem(p, from.source)).join("\n"));
    this.name = "SpecError";
    this.source = from.source;
    this.problems = located;
  }
}

/** `file:line:col: path: message`, leaving out what is unknown. */
export function formatProblem(p: LocatedProblem, source?: string): string {
  let where = source ?? "";
  if (p.line !== undefined) where += `${where ? ":" : "line "}${p.line}:${p.column ?? 1}`;
  const head = [where, p.path].filter((s) => s !== "").join(": ");
  return head ? `${head}: ${p.message}` : p.message;
}

/** `["agents", 0, "turns"]` -> `agents[0].turns`. */
export function formatPath(path: SpecPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A short, readable rendering of a bad value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "an object";
  return typeof value;
}

export { didYouMean } from "../stats/did-you-mean.js";

/** Suggested fixes first (they usually explain the rest), otherwise the order given (file order). */
function orderProblems(problems: readonly SpecProblem[]): SpecProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((x, y) => Number(!x.p.suggested) - Number(!y.p.suggested) || x.i - y.i)
    .map(({ p }) => p);
}

function locateProblem(p: SpecProblem, locate: Locate | undefined): LocatedProblem {
  const at = p.at ?? locate?.(p.path, p.part ?? "value");
  const out: LocatedProblem = { path: formatPath(p.path), message: p.message };
  if (at) {
    out.line = at.line;
    out.column = at.column;
  }
  return out;
}

/** Sorts problems by where they are in the source, for file order. Unlocated ones keep their place at the end. */
export function sortBySource(problems: SpecProblem[], locate: Locate | undefined): SpecProblem[] {
  const keyed = problems.map((p, i) => ({ p, i, at: p.at ?? locate?.(p.path, p.part ?? "value") }));
  keyed.sort((x, y) => {
    if (x.at && y.at) return x.at.line - y.at.line || x.at.column - y.at.column || x.i - y.i;
    if (x.at) return -1;
    if (y.at) return 1;
    return x.i - y.i;
  });
  return keyed.map(({ p }) => p);
}
