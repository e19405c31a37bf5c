// The run folder: runs/<name>-<UTC time>/ holding the resolved spec, records.jsonl, the server's
// /metrics before and after, and summary.json. pruneRunFolders keeps the newest N of them.
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Written first into every run folder (run/run.ts, synchronously after create): what marks one. */
export const RUN_FOLDER_MARKER = "spec.resolved.json";

/** The UTC second a run began as its folder name carries it: 2026-01-02T030405Z. */
function stampOf(at: Date): string {
  return at.toISOString().replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** <name>-<stamp>[-n], as create names a folder. */
const RUN_ID_RE = /^.+-(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?$/;

/** When a run folder's run began (ms, to the second) and its same-second suffix; undefined for any other name. */
export function runFolderTime(id: string): { ms: number; n: number } | undefined {
  const m = RUN_ID_RE.exec(id);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
  return Number.isNaN(ms) ? undefined : { ms, n: m[5] ? Number(m[5]) : 1 };
}

export interface PruneOptions {
  /** How many run folders to keep, newest first; 0 keeps all. */
  keep: number;
  /** Folders of runs begun at or after this time (the current run's) are never removed, nor counted out. */
  since?: Date;
}

/**
 * Removes all but the newest `keep` run folders directly under `parent` and returns their paths.
 * Only folders named as create names them and holding RUN_FOLDER_MARKER count: anything else a
 * user keeps there is neither removed nor counted. Newest by the time in the name (the run's
 * start, unlike a folder's mtime, which later reads or copies change).
 */
export function pruneRunFolders(parent: string, options: PruneOptions): string[] {
  if (options.keep === 0 || !existsSync(parent)) return [];
  const protectedFrom = options.since ? Math.floor(options.since.getTime() / 1000) * 1000 : Infinity;
  const runs: { dir: string; id: string; ms: number; n: number }[] = [];
  for (const id of readdirSync(parent)) {
    const time = runFolderTime(id);
    const dir = join(parent, id);
    if (!time || !lstatSync(dir).isDirectory() || !existsSync(join(dir, RUN_FOLDER_MARKER))) continue;
    runs.push({ dir, id, ...time });
  }
  runs.sort((a, b) => b.ms - a.ms || b.n - a.n || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const removed: string[] = [];
  for (const run of runs.slice(options.keep)) {
    if (run.ms >= protectedFrom) continue;
    rmSync(run.dir, { recursive: true, force: true });
    removed.push(run.dir);
  }
  return removed;
}

/**
 * mkdir -p, one level at a time: Node's own recursive mkdir never returns for a path the kernel
 * refuses with ENOENT although its parent exists (/proc/x). Throws FolderWriteError naming the
 * first folder that could not be made.
 */
export function makeFolders(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new FolderWriteError(dir, err, "made");
    }
  }
}

/** A file of the run folder could not be written; code AGENTLOAD_FOLDER_WRITE, the errno in `errno`. */
export class FolderWriteError extends Error {
  readonly code = "AGENTLOAD_FOLDER_WRITE";
  readonly errno: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
    what: "written" | "made" = "written",
  ) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`${path} could not be ${what}: ${errno ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
    this.name = "FolderWriteError";
    this.errno = errno;
  }
}

export class RunFolder {
  private constructor(
    readonly dir: string,
    readonly id: string,
  ) {}

  static create(parent: string, name: string, at: Date = new Date()): RunFolder {
    const stamp = stampOf(at);
    const safe = name.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 60) || "run";
    let id = `${safe}-${stamp}`;
    let dir = join(parent, id);
    let parentMade = false;
    for (let n = 2; ; n++) {
      try {
        mkdirSync(dir, { recursive: false });
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Once only: a parent that mkdir reports made but that holds nothing (/proc/x) must not loop.
        if (code === "ENOENT" && !parentMade) {
          makeFolders(parent);
          parentMade = true;
          n--;
          continue;
        }
        if (code !== "EEXIST") throw new FolderWriteError(dir, err, "made");
        id = `${safe}-${stamp}-${n}`;
        dir = join(parent, id);
      }
    }
    return new RunFolder(dir, id);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  /** Throws FolderWriteError when the file cannot be written (disk full, I/O error). */
  writeJson(file: string, data: unknown): void {
    this.writeText(file, JSON.stringify(data, null, 2) + "\n");
  }

  /** Throws FolderWriteError when the file cannot be written (disk full, I/O error). */
  writeText(file: string, text: string): void {
    const path = this.path(file);
    try {
      writeFileSync(path, text);
    } catch (err) {
      throw new FolderWriteError(path, err);
    }
  }
}
