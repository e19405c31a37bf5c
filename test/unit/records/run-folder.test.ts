// The run folder's name carries when its run began; pruneRunFolders keeps the newest N run
// folders, never a folder of the current run, and never anything that is not a run folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FolderWriteError, pruneRunFolders, RUN_FOLDER_MARKER, RunFolder, runFolderTime } from "../../../src/records/run-folder.js";

/** A run folder as a run leaves it: created at `at`, its resolved spec written first. */
function run(parent: string, name: string, at: string): string {
  const folder = RunFolder.create(parent, name, new Date(at));
  folder.writeJson(RUN_FOLDER_MARKER, { name });
  return folder.id;
}

describe("run folders", () => {
  it("are named <name>-<UTC second>, with -2, -3 for runs begun in the same second", () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-runs-"));
    expect(run(parent, "coding agent", "2026-01-02T03:04:05.678Z")).toBe("coding-agent-2026-01-02T030405Z");
    expect(run(parent, "coding agent", "2026-01-02T03:04:05.900Z")).toBe("coding-agent-2026-01-02T030405Z-2");
    expect(runFolderTime("coding-agent-2026-01-02T030405Z-2")).toEqual({ ms: Date.parse("2026-01-02T03:04:05Z"), n: 2 });
    expect(runFolderTime("coding-agent-2026-01-02T030405Z")?.n).toBe(1);
    expect(runFolderTime("notes")).toBeUndefined();
    expect(runFolderTime("run-2026-13-02T030405Z")).toBeUndefined();
  });

  it("keeps the newest N by the time in their names, whatever the workload", () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-prune-"));
    const ids = [
      run(parent, "b", "2026-01-01T00:00:01Z"),
      run(parent, "a", "2026-01-01T00:00:03Z"),
      run(parent, "a", "2026-01-01T00:00:03Z"), // same second: a-...-2, the newer one
      run(parent, "c", "2026-01-01T00:00:02Z"),
      run(parent, "z", "2025-12-31T23:59:59Z"),
    ];
    const removed = pruneRunFolders(parent, { keep: 2 });
    expect(removed.map((d) => d.slice(parent.length + 1)).sort()).toEqual([ids[0], ids[3], ids[4]].sort());
    expect(readdirSync(parent).sort()).toEqual([ids[1], ids[2]].sort());
  });

  it("leaves alone what is not a run folder: other names, files, folders without the resolved spec", () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-prune-"));
    mkdirSync(join(parent, "baseline"));
    writeFileSync(join(parent, "notes-2020-01-01T000000Z"), "a file named like a run");
    mkdirSync(join(parent, "copied-2020-01-01T000000Z")); // named like one, but no resolved spec
    const old = run(parent, "old", "2020-01-01T00:00:00Z");
    const recent = run(parent, "new", "2026-01-01T00:00:00Z");
    expect(pruneRunFolders(parent, { keep: 1 })).toEqual([join(parent, old)]);
    expect(readdirSync(parent).sort()).toEqual(["baseline", "copied-2020-01-01T000000Z", "notes-2020-01-01T000000Z", recent].sort());
  });

  it("never removes a folder of the current run, even past N", () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-prune-"));
    const before = run(parent, "earlier", "2026-01-01T10:00:00Z");
    const since = new Date("2026-01-01T11:00:00.500Z");
    // The run's folders: the first in the same second as its start (names carry whole seconds).
    const current = [run(parent, "w1", "2026-01-01T11:00:00.700Z"), run(parent, "w2", "2026-01-01T11:00:01Z"), run(parent, "w3", "2026-01-01T11:00:02Z")];
    expect(pruneRunFolders(parent, { keep: 1, since })).toEqual([join(parent, before)]);
    for (const id of current) expect(existsSync(join(parent, id))).toBe(true);
  });

  it("keeps everything with keep 0, and does nothing for a missing folder", () => {
    const parent = mkdtempSync(join(tmpdir(), "agentload-prune-"));
    run(parent, "a", "2020-01-01T00:00:00Z");
    run(parent, "b", "2021-01-01T00:00:00Z");
    expect(pruneRunFolders(parent, { keep: 0 })).toEqual([]);
    expect(readdirSync(parent)).toHaveLength(2);
    expect(pruneRunFolders(join(parent, "missing"), { keep: 1 })).toEqual([]);
  });

  it("makes missing parents one level at a time", () => {
    const parent = join(mkdtempSync(join(tmpdir(), "agentload-nested-")), "a", "b");
    expect(run(parent, "x", "2026-01-02T03:04:05Z")).toBe("x-2026-01-02T030405Z");
    expect(existsSync(join(parent, "x-2026-01-02T030405Z", RUN_FOLDER_MARKER))).toBe(true);
  });

  it.skipIf(process.platform !== "linux")("throws FolderWriteError naming the folder where none can be made (/proc: Node's recursive mkdir never returned)", () => {
    let error: unknown;
    try {
      RunFolder.create("/proc/agentload-x/runs", "x");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FolderWriteError);
    expect((error as FolderWriteError).code).toBe("AGENTLOAD_FOLDER_WRITE");
    expect((error as FolderWriteError).message).toMatch(/^\/proc\/agentload-x could not be made: (ENOENT|EACCES)$/);
  });

  it.skipIf(!existsSync("/dev/full"))("throws FolderWriteError with the errno when a file cannot be written (/dev/full: ENOSPC)", () => {
    const folder = RunFolder.create(mkdtempSync(join(tmpdir(), "agentload-full-")), "x");
    symlinkSync("/dev/full", folder.path("summary.json"));
    expect(() => folder.writeText("summary.json", "x")).toThrow(FolderWriteError);
    expect(() => folder.writeJson("summary.json", { a: 1 })).toThrow(`${folder.path("summary.json")} could not be written: ENOSPC`);
  });
});
