// The metric snapshot file on disk (`__metrics__/<test file>.json`, `__benchmarks__/...`).
//
// Version 2 keeps what a reviewer reads apart from what is compared: `entries` holds each entry's
// plain, rounded statistics (latency percentiles, counts, throughput, fingerprint, environment),
// and `histograms`, at the end of the file, holds the base64 HDR payloads keyed like the entries,
// one line per metric, so a pull request's diff shows the numbers first and the payload as short
// one-line changes. Version 1 kept the histograms inside each entry; it is still read (and
// converted when the file is next written), so existing baselines keep working.
//
// In memory an entry always carries its histograms (MetricSnapshotEntry): the split is only how
// the file is laid out.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunSummary } from "../metrics/summary.js";
import type { MetricSnapshotEntry } from "./metric-snapshot.js";

export const METRIC_SNAPSHOT_VERSION = 2;
/** The versions this agentload reads. */
const READABLE_VERSIONS = [1, 2];

/** A snapshot file as read: every entry with its histograms, whichever version it was stored in. */
export interface MetricSnapshotFile {
  version: typeof METRIC_SNAPSHOT_VERSION;
  entries: Record<string, MetricSnapshotEntry>;
}

type EntryHistograms = RunSummary["histograms"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A snapshot file's JSON (metric and capacity snapshots alike): undefined when it does not exist
 * yet; a file that is not JSON is named, with what to do.
 */
export function readSnapshotJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); delete it or rerun with vitest -u`);
  }
}

/** The snapshot file's contents; an empty file when it does not exist yet. */
export function readMetricSnapshotFile(file: string): MetricSnapshotFile {
  const data = readSnapshotJson(file);
  if (data === undefined) return { version: METRIC_SNAPSHOT_VERSION, entries: {} };
  const expected = `expected { "version": ${METRIC_SNAPSHOT_VERSION}, "entries": { ... }, "histograms": { ... } } (or a version 1 file)`;
  if (!isObject(data) || !isObject(data.entries)) throw new Error(`${file}: not a metric snapshot file: ${expected}`);
  if (typeof data.version === "number" && data.version > METRIC_SNAPSHOT_VERSION) {
    throw new Error(`${file}: metric snapshot file version ${data.version} was written by a newer agentload (this one reads versions ${READABLE_VERSIONS.join(" and ")}); upgrade agentload`);
  }
  if (data.version === 1) return { version: METRIC_SNAPSHOT_VERSION, entries: readVersion1(file, data.entries) };
  if (data.version !== 2 || !isObject(data.histograms)) throw new Error(`${file}: not a metric snapshot file: ${expected}`);
  return { version: METRIC_SNAPSHOT_VERSION, entries: readVersion2(file, data.entries, data.histograms) };
}

/** Version 1: each entry holds its own histograms. */
function readVersion1(file: string, entries: Record<string, unknown>): Record<string, MetricSnapshotEntry> {
  for (const [key, entry] of Object.entries(entries)) {
    if (!isObject(entry) || !isObject(entry.histograms)) {
      throw new Error(`${file}: entries[${JSON.stringify(key)}]: expected an object with "histograms"`);
    }
  }
  return entries as Record<string, MetricSnapshotEntry>;
}

/** Version 2: the histograms of entry k are histograms[k]; histograms without an entry are dropped. */
function readVersion2(file: string, entries: Record<string, unknown>, histograms: Record<string, unknown>): Record<string, MetricSnapshotEntry> {
  const joined: Record<string, MetricSnapshotEntry> = {};
  for (const [key, entry] of Object.entries(entries)) {
    const name = JSON.stringify(key);
    if (!isObject(entry)) throw new Error(`${file}: entries[${name}]: expected an object`);
    const h = histograms[key];
    if (!isObject(h)) {
      throw new Error(`${file}: histograms[${name}]: expected the histograms of entries[${name}]; delete that entry (or the file) and rerun to write it again`);
    }
    joined[key] = { ...(entry as Omit<MetricSnapshotEntry, "histograms">), histograms: h as EntryHistograms };
  }
  return joined;
}

/**
 * The file's text, version 2: sorted keys (small diffs whatever order the tests ran in), the
 * entries' statistics indented for reading, then one line per histogram. Deterministic, so a file
 * read and written again without changes is the same byte for byte.
 */
export function formatMetricSnapshotFile(entries: Record<string, MetricSnapshotEntry>): string {
  const keys = Object.keys(entries).sort();
  const plain = Object.fromEntries(keys.map((k) => [k, Object.fromEntries(Object.entries(entries[k]!).filter(([field]) => field !== "histograms"))]));
  const block = (items: string[], indent: string): string => (items.length === 0 ? "{}" : `{\n${items.join(",\n")}\n${indent}}`);
  const histograms = keys.map((k) => {
    const lines = Object.entries(entries[k]!.histograms).map(([metric, h]) => `      ${JSON.stringify(metric)}: ${JSON.stringify(h)}`);
    return `    ${JSON.stringify(k)}: ${block(lines, "    ")}`;
  });
  const entriesText = JSON.stringify(plain, null, 2).replace(/\n/g, "\n  ");
  return `{\n  "version": ${METRIC_SNAPSHOT_VERSION},\n  "entries": ${entriesText},\n  "histograms": ${block(histograms, "  ")}\n}\n`;
}

function writeWhole(file: string, entries: Record<string, MetricSnapshotEntry>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // Written beside and renamed: a reader never sees half a file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, formatMetricSnapshotFile(entries));
  renameSync(temp, file);
}

/** Puts one entry into the file (read afresh, so other entries written meanwhile are kept). */
export function writeMetricSnapshotEntry(file: string, key: string, entry: MetricSnapshotEntry): void {
  const current = readMetricSnapshotFile(file);
  current.entries[key] = entry;
  writeWhole(file, current.entries);
}

/**
 * Removes entries from the file; a file left with no entry is deleted, as vitest deletes a
 * snapshot file whose snapshots all went. Returns the keys that were there and are gone.
 */
export function removeMetricSnapshotEntries(file: string, keys: readonly string[]): string[] {
  const current = readMetricSnapshotFile(file);
  const removed = keys.filter((k) => k in current.entries);
  if (removed.length === 0) return [];
  for (const k of removed) delete current.entries[k];
  if (Object.keys(current.entries).length === 0) rmSync(file, { force: true });
  else writeWhole(file, current.entries);
  return removed;
}
