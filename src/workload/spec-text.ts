// Turns the text of a spec file (YAML, or JSON, which YAML reads too) into a validated spec, keeping
// each value's position so every error can say line:column. Detects and maps Veeksha configs.
// Web-standard only: reading the file is spec-file.ts's job.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { MAX_ALIAS_COUNT, MAX_SPEC_NESTING } from "./limits.js";
import { findDeepNesting } from "./nesting.js";
import { SpecError, type Locate, type SpecPath, type SpecProblem } from "./spec-errors.js";
import { validateSpec, type ResolvedWorkloadSpec } from "./spec.js";
import { isVeekshaConfig, veekshaToSpec } from "./veeksha-config.js";

/** A spec read from text, and how it was understood. */
export interface LoadedSpec {
  spec: ResolvedWorkloadSpec;
  /** "veeksha" when the text was a Veeksha config mapped to our format. */
  format: "agentload" | "veeksha";
  /** Things that were ignored or assumed (Veeksha keys that do not matter here), one line each. */
  warnings: string[];
}

/**
 * Parses and validates spec text. `source` names it in messages (usually the file path).
 * Throws SpecError for syntax errors, schema problems and senseless values alike.
 */
export function parseSpecText(text: string, source: string): LoadedSpec {
  // Before the YAML reader, which recurses per level: it would take seconds on a deep text and
  // then say only "Maximum call stack size exceeded".
  const deep = findDeepNesting(text, MAX_SPEC_NESTING);
  if (deep) {
    const message = `nested more than ${deep.limit} levels deep; a spec is a few levels deep (is this a spec?)`;
    throw new SpecError([{ path: [], message, at: { line: deep.line, column: deep.column } }], { source });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: SpecProblem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      let message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
      if (/call stack/i.test(message)) message = "nested too deeply for the YAML reader; a spec is a few levels deep";
      return pos ? { path: [], message, at: { line: pos.line, column: pos.col } } : { path: [], message };
    });
    throw new SpecError(problems, { source });
  }
  const data = toData(doc, source);
  if (data === null || data === undefined) {
    throw new SpecError([{ path: [], message: "the spec is empty; expected a mapping with name, seed, sessions and agents" }], { source });
  }
  const locate = locatorFor(doc, lineCounter);

  if (isVeekshaConfig(data)) {
    const mapped = veekshaToSpec(data, { name: nameFromSource(source), source, locate });
    const spec = validateSpec(mapped.spec, { source, locate: (path, part) => locate(mapped.origin(path), part) });
    return { spec, format: "veeksha", warnings: mapped.warnings };
  }
  return { spec: validateSpec(data, { source, locate }), format: "agentload", warnings: [] };
}

/**
 * The document as plain data. The yaml package refuses to expand aliases past maxAliasCount (an
 * alias bomb) and an alias before its anchor with a ReferenceError: a spec error, not a crash.
 */
function toData(doc: Document, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const message = /excessive alias count/i.test(e.message)
      ? `the YAML expands its aliases (*name) too often (more than ${MAX_ALIAS_COUNT} copies, an "alias bomb"?); write the values out or use fewer aliases`
      : `${e.message}`;
    throw new SpecError([{ path: [], message }], { source });
  }
}

/** `dir/cache.veeksha.yml` -> `cache`: a name for configs that carry none. */
function nameFromSource(source: string): string {
  const base = source.split(/[\\/]/).pop() ?? source;
  return base.replace(/(\.veeksha)?\.(ya?ml|json)$/i, "") || "veeksha";
}

/** Finds a path's key or value node in the YAML document; the nearest ancestor when it is missing. */
export function locatorFor(doc: Document, lineCounter: LineCounter): Locate {
  return (path: SpecPath, part) => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (i === path.length - 1 && part === "key") {
          offset = rangeStart(pair.key) ?? offset;
          break;
        }
        // A key with no value (`turns:`) has no value node: point at the key.
        node = pair.value;
        offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        node = node.items[seg];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}
