// Checks a plain object against the workload JSON Schema with ajv, and turns ajv's raw errors into
// one clear problem per mistake: alternatives that obviously do not apply (a number where an object
// was given) are dropped, a bad lognormal says "lognormal needs 'sigma'", typos get a "did you mean".
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { workloadSpecSchema } from "./spec-types.js";
import { describeValue, didYouMean, type SpecPath, type SpecProblem } from "./spec-errors.js";
import { LIMIT_REASONS } from "./limits.js";

type Schema = Record<string, unknown>;

let ajv: Ajv | undefined;

/**
 * The validator of the schema, or of the part of it at `pointer` ("#/properties/sessions"),
 * compiled on first use (compiling costs a few milliseconds).
 */
function validator(pointer = ""): ValidateFunction {
  ajv ??= new Ajv({
    allErrors: true,
    verbose: true, // errors carry their schema, so messages can say what was expected
    discriminator: true, // `type`-tagged unions check only the branch the tag names
    allowUnionTypes: true,
    strictTypes: false,
  }).addSchema(workloadSpecSchema, "spec");
  const validate = ajv.getSchema(`spec${pointer}`);
  if (!validate) throw new Error(`no part of the workload schema at ${pointer}`);
  return validate;
}

/** Schema problems of `data`, in no particular order; empty when it conforms. */
export function schemaProblems(data: unknown): SpecProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  return problemsFromAjv(validate.errors ?? [], data);
}

/**
 * Problems of one value against the part of the schema at `pointer`, worded as in a spec (the
 * CLI checks a flag that stands for a spec field this way, so both say the same).
 */
export function valueProblems(pointer: string, value: unknown): SpecProblem[] {
  const validate = validator(pointer);
  if (validate(value)) return [];
  // The value has no path of its own: its field is the pointer's last part.
  return problemsFromAjv(validate.errors ?? [], value, pointer.split("/").pop());
}

/** Where the fields that options and flags also set (trace replays, the CLI) are in the schema. */
const FIELD_POINTERS = {
  sessions: "#/properties/sessions",
  concurrency: "#/definitions/ConcurrentTrafficSpec/properties/concurrency",
  durationSeconds: "#/definitions/ConcurrentTrafficSpec/properties/durationSeconds",
  warmupSessions: "#/definitions/ConcurrentTrafficSpec/properties/warmupSessions",
} as const;

/**
 * What is wrong with a value given for one of these fields outside a spec (a replay's options,
 * `--sessions` on a trace), worded as the spec's own check words it; undefined when it is fine.
 */
export function fieldProblem(field: keyof typeof FIELD_POINTERS, value: unknown): string | undefined {
  return valueProblems(FIELD_POINTERS[field], value)[0]?.message;
}

/** Why the field at `path` (or named `field`) has a limit, when its maximum is one (limits.ts). */
function limitReason(path: SpecPath, field?: string): string | undefined {
  const name = path.length > 0 ? path[path.length - 1] : field;
  return typeof name === "string" && Object.hasOwn(LIMIT_REASONS, name) ? LIMIT_REASONS[name] : undefined;
}

const umbrellaKeywords = new Set(["oneOf", "anyOf", "allOf", "if"]);

function problemsFromAjv(errors: readonly ErrorObject[], data: unknown, field?: string): SpecProblem[] {
  const under = (ptr: string, base: string) => ptr === base || ptr.startsWith(`${base}/`);
  const isConcrete = (e: ErrorObject) => e.keyword !== "type" && !umbrellaKeywords.has(e.keyword);
  const concrete = errors.filter(isConcrete);
  const problems: SpecProblem[] = [];
  const typeErrorsAt = new Map<string, ErrorObject[]>();

  for (const e of errors) {
    const ptr = e.instancePath;
    if (e.keyword === "type") {
      // A failed `type` in one alternative means nothing when another alternative got further.
      if (concrete.some((c) => under(c.instancePath, ptr))) continue;
      typeErrorsAt.set(ptr, [...(typeErrorsAt.get(ptr) ?? []), e]);
      continue;
    }
    if (umbrellaKeywords.has(e.keyword)) {
      if (errors.some((o) => o !== e && !umbrellaKeywords.has(o.keyword) && under(o.instancePath, ptr))) continue;
      problems.push({ path: toPath(ptr, data), message: "does not match any allowed form" });
      continue;
    }
    if (e.keyword === "discriminator" && (e.params as { error?: string }).error === "tag") {
      const tag = (e.params as { tag: string }).tag;
      const missing = errors.some(
        (o) => o.keyword === "required" && o.instancePath === ptr && o.params.missingProperty === tag,
      );
      if (missing) continue; // the `required` error says the same, better
    }
    problems.push(describeError(e, data, field));
  }

  for (const [ptr, group] of typeErrorsAt) {
    const path = toPath(ptr, data);
    const limited = limitReason(path, field) !== undefined;
    const expected = [...new Set(group.map((e) => expectation(schemaOf(e), limited ? "lower" : "both")))];
    problems.push({
      path,
      message: `expected ${expected.join(" or ")}, got ${describeValue(group[0]?.data)}`,
    });
  }
  return problems;
}

function describeError(e: ErrorObject, data: unknown, field?: string): SpecProblem {
  const path = toPath(e.instancePath, data);
  const parent = schemaOf(e);
  const got = describeValue(e.data);
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((parent.properties as Schema | undefined) ?? {});
      const guess = didYouMean(key, allowed);
      const hint = guess ? ` (did you mean '${guess}'?)` : `; expected one of: ${allowed.join(", ")}`;
      return { path: [...path, key], part: "key", message: `unknown key '${key}'${hint}`, suggested: !!guess };
    }
    case "required": {
      const missing = String(e.params.missingProperty);
      const tagged = branchTag(parent);
      if (tagged) return { path, message: `${tagged.value} needs '${missing}'` };
      const disc = parent.discriminator as { propertyName: string } | undefined;
      if (disc && disc.propertyName === missing) {
        const what = parent.title === "DistributionObject" ? "a number or a distribution object" : "an object";
        return { path, message: `expected ${what} with '${missing}' (one of ${branchTags(parent).join(", ")})` };
      }
      return { path, message: `missing required key '${missing}'` };
    }
    case "discriminator": {
      const { tag, tagValue } = e.params as { tag: string; tagValue?: unknown };
      const tags = branchTags(parent);
      if (typeof tagValue !== "string") {
        return { path: [...path, tag], message: `expected '${tag}' to be one of ${tags.join(", ")}, got ${describeValue(tagValue)}` };
      }
      const guess = didYouMean(tagValue, tags);
      const hint = guess ? ` (did you mean "${guess}"?)` : `; expected one of ${tags.join(", ")}`;
      return { path: [...path, tag], message: `unknown ${tag} ${JSON.stringify(tagValue)}${hint}`, suggested: !!guess };
    }
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const guess = typeof e.data === "string" ? didYouMean(e.data, allowed) : undefined;
      const list = allowed.map((v) => JSON.stringify(v)).join(", ");
      const hint = guess ? ` (did you mean "${guess}"?)` : "";
      return { path, message: `expected one of ${list}, got ${got}${hint}`, suggested: !!guess };
    }
    case "const":
      return { path, message: `expected ${JSON.stringify(e.params.allowedValue)}, got ${got}` };
    case "minimum":
    case "exclusiveMinimum": {
      const limited = limitReason(path, field) !== undefined;
      return { path, message: `expected ${expectation(parent, limited ? "lower" : "both")}, got ${got}` };
    }
    case "maximum":
    case "exclusiveMaximum": {
      const reason = limitReason(path, field);
      if (reason) return { path, message: `expected ${expectation(parent, "upper")} (${reason}), got ${got}` };
      return { path, message: `expected ${expectation(parent)}, got ${got}` };
    }
    case "pattern":
      if (isDurationPattern(parent)) {
        return { path, message: `expected a duration such as "750ms", "1.5s" or "2m" (or a number of milliseconds), got ${got}` };
      }
      return { path, message: `expected a string matching ${String(parent.pattern)}, got ${got}` };
    case "minItems":
      return { path, message: `expected a list of at least ${String(e.params.limit)}, got ${got}` };
    case "minLength":
      return { path, message: `expected a non-empty string` };
    case "minProperties":
      return {
        path,
        message: `expected at least one of ${Object.keys((parent.properties as Schema | undefined) ?? {}).join(", ")}`,
      };
    default:
      return { path, message: e.message ?? `failed ${e.keyword}` };
  }
}

/** The schema object the failing keyword sits in (ajv's `parentSchema`, present with `verbose`). */
function schemaOf(e: ErrorObject): Schema {
  return (e.parentSchema as Schema | undefined) ?? {};
}

/**
 * What a schema accepts, in words: "an integer >= 1", "a number between 0 and 1". `ends` picks
 * the bounds said: a limit (limits.ts) is said only when a value passes it.
 */
function expectation(s: Schema, ends: Ends = "both"): string {
  if (s.title === "DistributionObject") return "a distribution object";
  const types = Array.isArray(s.type) ? (s.type as string[]) : [String(s.type ?? "object")];
  return types
    .map((t) => {
      switch (t) {
        case "number":
          return `a number${bounds(s, ends)}`;
        case "integer":
          return `an integer${bounds(s, ends)}`;
        case "string":
          return isDurationPattern(s) ? 'a duration such as "750ms"' : "a string";
        case "boolean":
          return "true or false";
        case "array":
          return "a list";
        case "object":
          return "an object";
        default:
          return t;
      }
    })
    .join(" or ");
}

function isDurationPattern(s: Schema): boolean {
  return s.type === "string" && typeof s.pattern === "string" && s.pattern.includes("ms|s|m");
}

type Ends = "both" | "lower" | "upper";

function bounds(s: Schema, ends: Ends = "both"): string {
  const lo = ends === "upper" ? undefined : (s.minimum ?? s.exclusiveMinimum);
  const hi = ends === "lower" ? undefined : (s.maximum ?? s.exclusiveMaximum);
  if (ends === "both" && s.minimum !== undefined && s.maximum !== undefined) return ` between ${String(lo)} and ${String(hi)}`;
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`${s.minimum !== undefined ? ">=" : ">"} ${String(lo)}`);
  if (hi !== undefined) parts.push(`${s.maximum !== undefined ? "<=" : "<"} ${String(hi)}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}

/** The tag a discriminated branch stands for, e.g. { key: "type", value: "lognormal" }. */
function branchTag(s: Schema): { key: string; value: string } | undefined {
  const props = (s.properties as Record<string, Schema> | undefined) ?? {};
  for (const [key, p] of Object.entries(props)) {
    if (typeof p.const === "string") return { key, value: p.const };
  }
  return undefined;
}

/** All tag values of a discriminated union, in schema order. */
function branchTags(s: Schema): string[] {
  const defs = (workloadSpecSchema.definitions as Record<string, Schema> | undefined) ?? {};
  return ((s.oneOf as Schema[] | undefined) ?? []).flatMap((branch) => {
    const ref = typeof branch.$ref === "string" ? branch.$ref.replace("#/definitions/", "") : undefined;
    const tag = branchTag(ref ? (defs[ref] ?? {}) : branch);
    return tag ? [tag.value] : [];
  });
}

/** JSON pointer -> path, with array indexes as numbers. */
function toPath(pointer: string, data: unknown): SpecPath {
  if (pointer === "") return [];
  const path: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      path.push(Number(seg));
      node = node[Number(seg)];
    } else {
      path.push(seg);
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}
