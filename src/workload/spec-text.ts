// Turns the text of a spec file (YAML, or JSON, which YAML reads too) into a validated spec, keeping
// each value's position so every error can say line:column. Detects and maps Veeksha configs.
// Web-standard only: reading the file is spec-file.ts's job.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from "yaml";
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: SpecProblem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
      return pos ? { path: [], message, at: { line: pos.line, column: pos.col } } : { path: [], message };
    });
    throw new SpecError(problems, { source });
  }
  const data: unknown = doc.toJS();
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
