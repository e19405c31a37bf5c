import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CapacityResultView } from "../../../src/vitest/capacity-judge.js";
import { capacitySnapshotPath, checkCapacitySnapshot, readCapacitySnapshotFile, type CapacitySnapshotRequest } from "../../../src/vitest/capacity-snapshot.js";
import { agentloadMatchers } from "../../../src/vitest/matchers.js";
import { noteSnapshotChecked, settleTestFile } from "../../../src/vitest/snapshot-tracker.js";

const host = { runtime: "node 22.0.0", platform: "linux", arch: "x64", cpus: 2 };
const savedAt = new Date("2026-12-06T00:00:00Z");

/** A finished search over rho with this bracket, every point listed. */
function capacity(frontier: number | null, firstFailing: number | null, stopped: CapacityResultView["stopped"] = "precision", spec = "aaaa"): CapacityResultView {
  const points = [
    ...(frontier !== null ? [{ load: frontier, attempt: 1, healthy: true, reasons: [] }] : []),
    ...(firstFailing !== null ? [{ load: firstFailing, attempt: 1, healthy: false, reasons: ["TTFC p95 over 1 s"], binding: "ttfc p95" }] : []),
  ];
  return {
    kind: "agentload-capacity",
    name: "coder",
    over: "rho",
    unit: "requests/s",
    precision: 0.1,
    frontier,
    firstFailing,
    binding: firstFailing !== null ? "ttfc p95" : null,
    reasons: [],
    stopped,
    points,
    lines: [],
    fingerprint: { spec, sessions: 12 },
    environment: { engine: "llama.cpp", model: "tiny" },
  };
}

let dir: string;
let testFile: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "agentload-capacity-snapshot-"));
  testFile = path.join(dir, "gate.workload.ts");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const check = (c: CapacityResultView, extra: Partial<CapacitySnapshotRequest> = {}) => checkCapacitySnapshot({ testFile, key: "gate 1", capacity: c, update: "new", ci: false, savedAt, host, ...extra });

describe("checkCapacitySnapshot", () => {
  it("writes the frontier when missing, then matches a rerun within the minimum effect", () => {
    const written = check(capacity(8, 8.8));
    expect(written).toMatchObject({ outcome: "written", pass: true });
    expect(written.message).toMatch(/capacity snapshot "gate 1" written to .*__capacity__\/gate\.workload\.ts\.json: frontier 8(\.000)? requests\/s/);
    const entry = readCapacitySnapshotFile(capacitySnapshotPath(testFile))["gate 1"]!;
    expect(entry).toMatchObject({ workload: "coder", over: "rho", frontier: 8, firstFailing: 8.8, binding: "ttfc p95", savedAt: savedAt.toISOString() });
    expect(entry.points).toEqual([{ load: 8, healthy: true }, { load: 8.8, healthy: false, binding: "ttfc p95" }]);
    // The reruns measured on the built-in engine: 7.34 to 9.51 around 8.0 (precision 10%).
    for (const [f, ff] of [[7.34, 8.07], [9.51, 10.46]] as const) expect(check(capacity(f, ff))).toMatchObject({ outcome: "matched", pass: true });
    expect(check(capacity(12, 13.2)).message).toMatch(/matches the baseline .* \(higher: rerun with vitest -u to take the new frontier\)/);
  });

  it("fails a search that failed at a load the baseline held, less the minimum effect, naming both brackets", () => {
    check(capacity(8, 8.8));
    const dropped = check(capacity(4, 4.4));
    expect(dropped).toMatchObject({ outcome: "regressed", pass: false });
    expect(dropped.message).toContain("the capacity dropped against the baseline of 2026-12-06T00:00:00.000Z");
    expect(dropped.message).toContain("baseline: frontier 8");
    expect(dropped.message).toMatch(/new: +frontier 4(\.000)? requests\/s, first failing 4\.4/);
    expect(dropped.message).toContain("the new search is lower: it failed at 4.4, a load the baseline held (6 with the minimum effect 25.0%)");
    // The same drop passes with a larger effect allowed, and a small one fails with a smaller.
    expect(check(capacity(4, 4.4), { minEffect: 0.5 }).pass).toBe(true);
    expect(check(capacity(6.5, 7.15), { minEffect: 0.05 }).outcome).toBe("regressed");
    // A closed bracket straddling the threshold (7.6) is the noise band: it passes.
    expect(check(capacity(7, 7.7), { minEffect: 0.05 }).outcome).toBe("matched");
    // No load healthy, failing below the threshold: a drop too.
    expect(check(capacity(null, 1, "min-load")).outcome).toBe("regressed");
  });

  it("is inconclusive when the search decided nothing near the baseline", () => {
    check(capacity(8, 8.8));
    const capped = check(capacity(4, null, "max-load"));
    expect(capped).toMatchObject({ outcome: "inconclusive", pass: false });
    expect(capped.message).toMatch(/inconclusive: the search held no load at or above 6(\.000)? requests\/s .*, failed at none below it, and did not close its bracket \(it stopped: max-load\)/);
    expect(check(capacity(3, 7, "max-points")).outcome).toBe("inconclusive");
    expect(check(capacity(null, 7, "min-load")).outcome).toBe("inconclusive");
    expect(check(capacity(3, null, "max-points")).outcome).toBe("inconclusive");
  });

  it("does not compare another workload's or another axis's baseline", () => {
    check(capacity(8, 8.8));
    const other = check(capacity(8, 8.8, "precision", "bbbb"));
    expect(other).toMatchObject({ outcome: "different-workload", pass: false });
    expect(other.message).toMatch(/is for a different search \(spec aaaa -> bbbb\): not compared/);
    expect(check({ ...capacity(8, 8.8), over: "concurrency" }).message).toMatch(/over rho -> concurrency/);
  });

  it("follows vitest's update modes: nothing written in CI or with updates off, -u rewrites only what would fail", () => {
    expect(check(capacity(8, 8.8), { ci: true })).toMatchObject({ outcome: "missing", pass: false });
    expect(check(capacity(8, 8.8), { update: "none" }).message).toMatch(/run vitest -u to write it \(snapshot updates are off/);
    expect(existsSync(capacitySnapshotPath(testFile))).toBe(false);
    check(capacity(8, 8.8));
    const file = capacitySnapshotPath(testFile);
    const before = readFileSync(file, "utf8");
    expect(check(capacity(8.5, 9.35), { update: "all" }).outcome).toBe("matched");
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(check(capacity(4, 4.4), { update: "all" })).toMatchObject({ outcome: "updated", pass: true });
    expect(readCapacitySnapshotFile(file)["gate 1"]!.frontier).toBe(4);
  });

  it("never stores a search that held no load", () => {
    const none = check(capacity(null, 1, "min-load"));
    expect(none).toMatchObject({ outcome: "inconclusive", pass: false });
    expect(none.message).toMatch(/not stored: no load was healthy \(first failing 1(\.000)? requests\/s, binding SLO ttfc p95\)/);
    expect(existsSync(capacitySnapshotPath(testFile))).toBe(false);
  });

  it("names the file and entry of a damaged snapshot", () => {
    const file = capacitySnapshotPath(testFile);
    check(capacity(8, 8.8));
    writeFileSync(file, JSON.stringify({ version: 1, entries: { "gate 1": { over: "rho" } } }));
    expect(() => check(capacity(8, 8.8))).toThrow(`${file}: entries["gate 1"]: expected an object with "over", "frontier" (a number) and "points"`);
    writeFileSync(file, "{");
    expect(() => check(capacity(8, 8.8))).toThrow(/not valid JSON .* delete it or rerun with vitest -u/);
  });
});

describe("toMatchMetricSnapshot of a capacity result", () => {
  const call = (received: unknown, options?: unknown) =>
    agentloadMatchers.toMatchMetricSnapshot!.call({ isNot: false, testPath: testFile, currentTestName: "gate" } as never, received, options) as { pass: boolean; message: () => string };

  it("stores and compares the frontier, and the tracker finds its obsolete entries", () => {
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      expect(call(capacity(8, 8.8)).message()).toMatch(/written/);
      expect(call(capacity(4, 4.4)).pass).toBe(true); // key "gate 2": written afresh
      expect(Object.keys(readCapacitySnapshotFile(capacitySnapshotPath(testFile)))).toEqual(["gate 1", "gate 2"]);
      const file = { type: "suite", name: "", mode: "run", tasks: [{ type: "test", name: "gate", mode: "run", result: { state: "pass" } }] };
      const snapshots = path.resolve(capacitySnapshotPath(testFile));
      expect(settleTestFile(testFile, file, "new")).toEqual([{ file: snapshots, written: 2, updated: 0, obsolete: [], removed: false }]);
      // The next run checks "gate 1" only: "gate 2" is obsolete, and -u removes it.
      noteSnapshotChecked(capacitySnapshotPath(testFile), "gate 1");
      expect(settleTestFile(testFile, file, "all")).toEqual([{ file: snapshots, written: 0, updated: 0, obsolete: ["gate 2"], removed: true }]);
      expect(Object.keys(readCapacitySnapshotFile(capacitySnapshotPath(testFile)))).toEqual(["gate 1"]);
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
  });

  it("refuses options that compare percentiles", () => {
    expect(() => call(capacity(8, 8.8), { percentiles: [50] })).toThrow(/a capacity snapshot compares frontiers, so it takes name and minEffect only, got percentiles/);
    expect(() => call(capacity(8, 8.8), { minEffect: { ttfc: 0.1 } })).toThrow(/minEffect is one fraction in \[0, 1\)/);
  });
});
