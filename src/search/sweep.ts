// A sweep: the spec run at every combination of a few overridden fields (`--set
// traffic.concurrency=1,2,4 --set agents[0].turns=5,20`, or the spec's `sweep:` block), one run
// folder per point and one table, as vLLM's bench, GuideLLM and AIPerf sweep a rate or a
// concurrency. A field is a path into the spec as written (dots and [index]); `engine.prefixCache`
// and `engine.slots` vary the built-in engine instead (it is restarted when they change).
//
// Plain data, no I/O: the CLI runs the points.
import { parse as parseYaml } from "yaml";
import { formatMs } from "../metrics/format.js";
import type { PointFigures } from "./point.js";

export type PathSegment = string | number;

/** One swept field and its values, in the order given. */
export interface SweepDimension {
  path: string;
  values: unknown[];
}

/** One combination: the value of every dimension, in the dimensions' order. */
export interface SweepPoint {
  /** "traffic.concurrency=2 agents[0].turns=5" */
  label: string;
  assignments: { path: string; value: unknown }[];
}

/** The built-in engine's fields a sweep may vary. */
export const ENGINE_FIELDS = ["engine.prefixCache", "engine.slots"] as const;

const SEGMENT = /^([A-Za-z_$][\w$-]*)((?:\[\d+\])*)/;

/** `a.b[0].c` as segments; throws naming the path when it is not one. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let rest = path;
  while (true) {
    const m = SEGMENT.exec(rest);
    if (!m) throw new Error(`${JSON.stringify(path)}: expected a field path such as traffic.concurrency or agents[0].turns`);
    segments.push(m[1]!);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
    rest = rest.slice(m[0].length);
    if (rest === "") return segments;
    if (!rest.startsWith(".")) throw new Error(`${JSON.stringify(path)}: expected a field path such as traffic.concurrency or agents[0].turns`);
    rest = rest.slice(1);
  }
}

/** One value of a --set list, read as YAML reads a scalar (2 is a number, true a boolean, 1s a string). */
function scalar(text: string): unknown {
  const v = parseYaml(text) as unknown;
  return v === null ? text : v;
}

/** `--set path=v1,v2,...` as a dimension; throws naming the flag's text. */
export function parseSetFlag(text: string): SweepDimension {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`--set ${text}: expected path=value[,value...], e.g. traffic.concurrency=1,2,4`);
  const path = text.slice(0, eq).trim();
  parsePath(path);
  const items = text.slice(eq + 1).split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw new Error(`--set ${text}: expected values separated by commas, e.g. ${path}=1,2,4`);
  return { path, values: items.map(scalar) };
}

/** The spec's `sweep:` block (path -> list of values) as dimensions; `where` names it in errors. */
export function dimensionsOfBlock(block: unknown, where: string): SweepDimension[] {
  if (typeof block !== "object" || block === null || Array.isArray(block)) throw new Error(`${where}: expected a mapping of field paths to lists of values`);
  return Object.entries(block).map(([path, values]) => {
    try {
      parsePath(path);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    if (!Array.isArray(values) || values.length === 0) throw new Error(`${where}.${path}: expected a non-empty list of values`);
    return { path, values };
  });
}

/** Every combination, the last dimension varying fastest; a path given twice is an error. */
export function sweepPoints(dimensions: readonly SweepDimension[]): SweepPoint[] {
  const seen = new Set<string>();
  for (const d of dimensions) {
    if (seen.has(d.path)) throw new Error(`${d.path}: swept twice; give each field once with all its values`);
    seen.add(d.path);
  }
  let points: SweepPoint["assignments"][] = [[]];
  for (const d of dimensions) points = points.flatMap((p) => d.values.map((value) => [...p, { path: d.path, value }]));
  return points.map((assignments) => ({ assignments, label: assignments.map((a) => `${a.path}=${formatValue(a.value)}`).join(" ") }));
}

export function formatValue(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * `doc` with `value` at `path` (a copy; `doc` is not changed). Missing mappings on the way are
 * created; a list index past the list's end, or a path through a value that is not a mapping or
 * list, is an error naming the path.
 */
export function setPath<T>(doc: T, path: string, value: unknown): T {
  const segments = parsePath(path);
  const root = structuredClone(doc) as unknown;
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const where = segments.slice(0, i + 1).reduce<string>((s, x) => (typeof x === "number" ? `${s}[${x}]` : s ? `${s}.${x}` : x), "");
    if (typeof seg === "number") {
      if (!Array.isArray(node)) throw new Error(`${path}: ${where.replace(/\[\d+\]$/, "")} is not a list`);
      if (seg >= node.length) throw new Error(`${path}: ${where} does not exist (the list has ${node.length} item${node.length === 1 ? "" : "s"})`);
    } else if (typeof node !== "object" || node === null || Array.isArray(node)) {
      throw new Error(`${path}: cannot set ${seg} inside a value that is not a mapping`);
    }
    if (last) node[seg] = structuredClone(value);
    else {
      if (node[seg] === undefined && typeof seg === "string") node[seg] = typeof segments[i + 1] === "number" ? [] : {};
      node = node[seg] as Record<string | number, unknown>;
    }
  }
  return root as T;
}

/** A point's assignments split: engine fields (engine.prefixCache, engine.slots) and spec fields. */
export function splitEngine(point: SweepPoint): { engine: { prefixCache?: boolean; slots?: number }; spec: SweepPoint["assignments"] } {
  const engine: { prefixCache?: boolean; slots?: number } = {};
  const spec: SweepPoint["assignments"] = [];
  for (const a of point.assignments) {
    if (a.path === "engine.prefixCache") {
      if (typeof a.value !== "boolean") throw new Error(`engine.prefixCache: expected true or false, got ${formatValue(a.value)}`);
      engine.prefixCache = a.value;
    } else if (a.path === "engine.slots") {
      if (!(typeof a.value === "number" && Number.isInteger(a.value) && a.value >= 1)) throw new Error(`engine.slots: expected a whole number >= 1, got ${formatValue(a.value)}`);
      engine.slots = a.value;
    } else if (a.path.startsWith("engine.") || a.path === "engine") {
      throw new Error(`${a.path}: the built-in engine's fields a sweep may vary are ${ENGINE_FIELDS.join(" and ")}`);
    } else spec.push(a);
  }
  return { engine, spec };
}

/** A point after its run. */
export interface SweptPoint extends SweepPoint {
  outcome: "passed" | "slo-failed" | "not-valid";
  reasons: string[];
  figures: PointFigures;
}

const ms = (x: number | null) => (x === null ? "-" : formatMs(x));

/** One row per point: the swept values, the verdict and the figures; the header first. */
export function sweepRows(dimensions: readonly SweepDimension[], points: readonly SweptPoint[]): string[] {
  const head = [...dimensions.map((d) => d.path), "verdict", "req/s", "ttfc p50", "ttfc p95", "tbc p95", "e2e p95", "hit", "failed", "why"];
  const verdict = { passed: "passed", "slo-failed": "SLO FAILED", "not-valid": "NOT VALID" } as const;
  const rows = points.map((p) => {
    const f = p.figures;
    return [
      ...dimensions.map((d) => formatValue(p.assignments.find((a) => a.path === d.path)?.value)),
      verdict[p.outcome],
      f.requestsPerSec.toFixed(2),
      ms(f.ttfcP50),
      ms(f.ttfcP95),
      ms(f.tbcP95),
      ms(f.e2eP95),
      f.cacheHitRate === null ? "-" : `${(f.cacheHitRate * 100).toFixed(0)}%`,
      `${f.failed}/${f.requests}`,
      p.reasons.join("; "),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)];
}
