// Calibrations kept per server and model: in memory for the process (a vitest worker runs many
// workloads against one server) and as one small JSON file each under the agentload cache folder
// for the next process. A set-up that calibrates takes 0.4 to 1.6 s under Node against the
// built-in engine (6 to 8 s before /tokenize batching); one that checks a kept calibration
// (3 requests) takes 40 to 490 ms (the most in a fresh process, whose first fetch is slow), most
// of it the tokenizer probe and key (5 requests) before it.
//
// An entry is found by its key (the server's URL without credentials, the model, the model's
// /v1/models identity and a probe's token ids: calibration.ts tokenizerFingerprint) and used only
// when its probes still match on the server (calibration.ts probesMatch); otherwise the tokenizer
// is calibrated again and the entry overwritten. A file that cannot be read, parsed or checked is
// ignored the same way. Nothing of a request's headers is written, and a file whose text holds a
// header value (an API key) is not written at all.
//
// AGENTLOAD_NO_TOKENIZER_CACHE=1 turns the disk cache off (the memory cache stays: it is checked
// like a file before each use).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  calibrate,
  CANDIDATES_DIGEST,
  probeCalibration,
  probesMatch,
  sha256,
  type Calibration,
  type CalibrationProbes,
  type IdsDigest,
} from "./calibration.js";
import type { TemplateMeasurement } from "./overhead.js";
import type { Tokenizer } from "./tokenizer.js";
import { cacheRoot } from "../engine/paths.js";

/** What a calibration is kept under. */
export interface CalibrationKey {
  /** The server's root URL, without credentials, query or fragment. */
  server: string;
  /** Tokenizer.name with the same URL. */
  tokenizer: string;
  model: string | undefined;
  /** The model's /v1/models entry, reduced to fields that do not change between requests. */
  identity: string;
  /** Ids of a fixed text (calibration.ts KEY_PROBE). */
  probe: IdsDigest;
}

export type CalibrationSource = "calibrated" | "memory" | "disk";

export interface CachedCalibration {
  calibration: Calibration;
  source: CalibrationSource;
  /** One line about the cache when it has something to say (a file ignored or not written). */
  note?: string;
}

export interface CalibrationCache {
  /** The tokenizer's calibration: a kept one that still matches the server, else a new one (kept). */
  calibration(tokenizer: Tokenizer, key: CalibrationKey, options?: { secrets?: readonly string[] }): Promise<CachedCalibration>;
  /** The file an entry of this key is kept in (undefined without a disk cache). */
  fileOf(key: CalibrationKey): string | undefined;
}

export interface CalibrationCacheOptions {
  /** Folder of the entries (default `<agentload cache>/tokenizer-calibration`). */
  dir?: string;
  /** Keep entries on disk (default: unless AGENTLOAD_NO_TOKENIZER_CACHE is set to 1 or true). */
  disk?: boolean;
  env?: Record<string, string | undefined>;
}

interface Entry {
  key: CalibrationKey;
  calibration: Calibration;
  probes: CalibrationProbes;
}

const FORMAT = "agentload tokenizer calibration";
/** Bump when what calibration measures changes, so older entries are recalibrated. */
const VERSION = 1;
// A built-in engine gets a free port per run, and each port is another key: the oldest files go
// beyond this many (an entry is about 8 kB).
const MAX_FILES = 64;

/** The server's root URL as kept in the cache: no user, password, query or fragment. */
export function publicServerUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/+$/, "").replace(/\/v1$/, "");
  } catch {
    return "(unparsable URL)";
  }
}

function keyText(key: CalibrationKey): string {
  return JSON.stringify([VERSION, CANDIDATES_DIGEST, key.server, key.tokenizer, key.model ?? null, key.identity, key.probe.count, key.probe.sha256]);
}

function envFlag(env: Record<string, string | undefined>, name: string): boolean {
  const v = env[name]?.trim().toLowerCase();
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

export function createCalibrationCache(options: CalibrationCacheOptions = {}): CalibrationCache {
  const env = options.env ?? (globalThis.process?.env as Record<string, string | undefined> | undefined) ?? {};
  const memory = new Map<string, Promise<Entry>>();
  const diskDir = () => {
    if (options.disk === false || (options.disk === undefined && envFlag(env, "AGENTLOAD_NO_TOKENIZER_CACHE"))) return undefined;
    return options.dir ?? join(cacheRoot(env as NodeJS.ProcessEnv), "tokenizer-calibration");
  };
  const fileOf = (key: CalibrationKey) => {
    const dir = diskDir();
    return dir === undefined ? undefined : join(dir, `${sha256(keyText(key)).slice(0, 24)}.json`);
  };

  // A probe the server fails is a mismatch: calibrating again then reports the server's error.
  const holds = async (tokenizer: Tokenizer, entry: Entry) =>
    probeCalibration(tokenizer, entry.calibration).then(
      (now) => probesMatch(tokenizer, entry.probes, now),
      () => false,
    );

  return {
    fileOf,
    async calibration(tokenizer, key, { secrets = [] } = {}) {
      const id = keyText(key);
      const inMemory = memory.get(id);
      if (inMemory) {
        const kept = await inMemory.catch(() => undefined);
        if (kept && (await holds(tokenizer, kept))) return named(tokenizer, { entry: kept, source: "memory" });
      }
      // Registered before the first await, so set-ups started together in one process share it.
      // A memory entry that no longer holds came from the file or replaced it: the file is skipped.
      const found = find(tokenizer, key, id, secrets, inMemory === undefined);
      const entry = found.then((f) => f.entry);
      memory.set(id, entry);
      entry.catch(() => {
        if (memory.get(id) === entry) memory.delete(id);
      });
      return named(tokenizer, await found);
    },
  };

  /** The file's entry when it holds, else a new calibration (written to the file). */
  async function find(tokenizer: Tokenizer, key: CalibrationKey, id: string, secrets: readonly string[], readFile: boolean): Promise<Found> {
    const file = fileOf(key);
    let note: string | undefined;
    if (file && readFile) {
      const read = readEntry(file, id);
      if (read.entry && (await holds(tokenizer, read.entry))) return { entry: read.entry, source: "disk" };
      if (read.problem) note = `calibration cache: ignored ${file} (${read.problem}); calibrated again`;
      else if (read.entry) note = `calibration cache: ${file} no longer matches the server's tokenizer; calibrated again`;
    }
    const calibration = await calibrate(tokenizer);
    const entry: Entry = { key, calibration, probes: await probeCalibration(tokenizer, calibration) };
    const problem = file ? writeEntry(file, entry, secrets) : undefined;
    if (problem) note = `calibration cache: not written to ${file} (${problem})`;
    return { entry, source: "calibrated", ...(note ? { note } : {}) };
  }
}

interface Found {
  entry: Entry;
  source: CalibrationSource;
  note?: string;
}

/** The calibration with the vocabulary named after this tokenizer (a kept one was someone else's). */
function named(tokenizer: Tokenizer, { entry, source, note }: Found): CachedCalibration {
  const { calibration } = entry;
  return { calibration: { ...calibration, vocabulary: { ...calibration.vocabulary, tokenizer: tokenizer.name } }, source, ...(note ? { note } : {}) };
}

let shared: CalibrationCache | undefined;

/** The process's cache (the default of setUpContent). */
export function sharedCalibrationCache(): CalibrationCache {
  shared ??= createCalibrationCache();
  return shared;
}

// --- the file -------------------------------------------------------------------------------

interface EntryFile {
  format: typeof FORMAT;
  key: CalibrationKey;
  keyText: string;
  words: string[];
  leads: string[];
  template: TemplateMeasurement | null;
  probes: CalibrationProbes;
  writtenAt: string;
}

function writeEntry(file: string, entry: Entry, secrets: readonly string[]): string | undefined {
  const { vocabulary, template } = entry.calibration;
  const body: EntryFile = {
    format: FORMAT,
    key: entry.key,
    keyText: keyText(entry.key),
    words: vocabulary.words,
    leads: vocabulary.leads,
    template: template ?? null,
    probes: entry.probes,
    writtenAt: new Date().toISOString(),
  };
  const text = `${JSON.stringify(body)}\n`;
  // Nothing above comes from the headers; this keeps it so.
  if (secretsIn(text, secrets)) return "it would hold a request header's value";
  const dir = dirname(file);
  const tmp = `${file}.${globalThis.process?.pid ?? 0}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file); // whole files only: a reader never sees half an entry
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was written
    }
    return (e as Error).message;
  }
  try {
    prune(dir);
  } catch {
    // another process pruned the same files
  }
  return undefined;
}

function secretsIn(text: string, secrets: readonly string[]): boolean {
  // A header value and its words ("Bearer sk-..."): long enough not to be a calibrated word by chance.
  const parts = secrets.flatMap((s) => [s, ...s.split(/\s+/)]).filter((s) => s.length >= 8);
  return parts.some((s) => text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1)));
}

function prune(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  if (files.length <= MAX_FILES) return;
  const byAge = files.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { f } of byAge.slice(0, files.length - MAX_FILES)) rmSync(join(dir, f), { force: true });
}

/** The entry in a file, or why it cannot be used (nothing and no problem: no file). */
function readEntry(file: string, id: string): { entry?: Entry; problem?: string } {
  let text: string;
  try {
    if (statSync(file).size > 1_000_000) return { problem: "larger than 1 MB" };
    text = readFileSync(file, "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? {} : { problem: (e as Error).message };
  }
  let json: Partial<EntryFile>;
  try {
    json = JSON.parse(text) as Partial<EntryFile>;
  } catch {
    return { problem: "not JSON" };
  }
  if (json?.format !== FORMAT || json.keyText !== id) return { problem: "another format, version or key" };
  const { words, leads, template, probes } = json;
  if (!isWordList(words) || !isWordList(leads) || !leads.every((w) => words.includes(w))) return { problem: "bad word lists" };
  if (!isDigest(probes?.words) || (probes.chat !== undefined && !isDigest(probes.chat))) return { problem: "bad probes" };
  if (template !== null && !isTemplate(template)) return { problem: "bad template overhead" };
  if ((template === null) !== (probes.chat === undefined)) return { problem: "template and chat probe disagree" };
  const calibration: Calibration = { vocabulary: { tokenizer: "", words, leads }, ...(template ? { template } : {}) };
  return { entry: { key: json.key!, calibration, probes } };
}

const isWordList = (x: unknown): x is string[] =>
  Array.isArray(x) && x.length > 0 && x.every((w) => typeof w === "string" && w.length > 0 && !/\s/.test(w));

const isCount = (x: unknown): x is number => Number.isSafeInteger(x);

const isDigest = (x: unknown): x is IdsDigest =>
  typeof x === "object" && x !== null && isCount((x as IdsDigest).count) && /^[0-9a-f]{64}$/.test(String((x as IdsDigest).sha256));

function isTemplate(x: unknown): x is TemplateMeasurement {
  const t = x as TemplateMeasurement | undefined;
  const o = t?.overhead;
  return (
    typeof t === "object" && t !== null && typeof o === "object" && o !== null &&
    [o.scaffold, o.fresh, o.reply, o.bare, t.bareFresh].every(isCount) && typeof t.prefixPreserved === "boolean"
  );
}
