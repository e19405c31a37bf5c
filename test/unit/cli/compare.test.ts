// `agentload compare A B` on run folders written from synthetic records with a known slowdown, and
// on two search.json files: the verdict, the interval, the JSON and each exit code.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CliError } from "../../../src/cli/args.js";
import { compareCommand } from "../../../src/cli/compare.js";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { RunFolder } from "../../../src/records/run-folder.js";
import { RecordWriter } from "../../../src/records/writer.js";
import { syntheticRecords } from "../../support/synthetic-run.js";

let parent: string;

function runFolder(name: string, o: Parameters<typeof syntheticRecords>[0]): string {
  const folder = RunFolder.create(parent, name);
  const records = syntheticRecords(o);
  const writer = new RecordWriter(folder.path("records.jsonl"));
  for (const r of records) writer.append(r);
  writer.close();
  folder.writeJson("spec.resolved.json", { name });
  folder.writeJson("summary.json", { name, interrupted: false, passed: true, summary: summarizeRecords(records, { wallMs: records.length * 1000 }), verdicts: [] });
  return folder.dir;
}

function searchFolder(name: string, doc: object): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "search.json"), JSON.stringify(doc));
  return dir;
}

const point = (load: number, healthy: boolean) => ({ load, attempt: 1, healthy, reasons: healthy ? [] : ["tbc p95 over 75 ms"], detail: { runDir: "r", requests: 100, failed: 0, requestsPerSec: load, outputTokensPerSec: load * 10, goodputShare: 1, ttfcP50: 50, ttfcP95: 90, tbcP95: 40, tpotP50: 10, e2eP95: 900, cacheHitRate: 0.8, offered: load, slo: [] } });
const searchDoc = (frontier: number, firstFailing: number) => ({ spec: "s", over: "rho", unit: "requests/s", options: { precision: 0.1 }, frontier, firstFailing, binding: "tbc p95", reasons: [], stopped: "precision", points: [point(frontier, true), point(firstFailing, false)] });

let base: string;
let same: string;
let slow: string;
let few: string;
let broken: string;
let out: string[];

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), "agentload-compare-"));
  base = runFolder("base", { seed: "base", requests: 300 });
  same = runFolder("same", { seed: "same", requests: 300 });
  slow = runFolder("slow", { seed: "slow", requests: 300, slowdown: 1.3 });
  few = runFolder("few", { seed: "few", requests: 30 });
  broken = runFolder("broken", { seed: "broken", requests: 0, failures: 20 });
});

afterEach(() => vi.restoreAllMocks());

async function compare(...argv: string[]): Promise<number> {
  out = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  try {
    return await compareCommand(argv);
  } finally {
    vi.restoreAllMocks();
  }
}

describe("agentload compare (run folders)", () => {
  it("finds a 1.3x slowdown with intervals that contain it, and exits 1", async () => {
    expect(await compare(base, slow, "--min-effect", "0.1", "--json")).toBe(1);
    const doc = JSON.parse(out.join("")) as { outcome: string; comparisons: { label: string; low: number; high: number }[] };
    expect(doc.outcome).toBe("changed");
    for (const label of ["ttfc p50", "tpot p50", "e2e p50"]) {
      const c = doc.comparisons.find((x) => x.label === label)!;
      expect(c.low).toBeLessThan(1.3);
      expect(c.high).toBeGreaterThan(1.3);
    }
  });

  it("passes an unchanged run with exit 0 and prints each percentile", async () => {
    expect(await compare(base, same, "--min-effect", "0.1")).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/^A \(baseline\): .*base.*\nB: .*same/);
    expect(text).toMatch(/matched: no percentile changed beyond the allowed effect \(one run per side\)/);
    expect(text).toMatch(/✓ ttfc p90: /);
  });

  it("exits 6 when a percentile cannot be compared, 4 when a run is not valid", async () => {
    expect(await compare(base, few)).toBe(6);
    expect(out.join("\n")).toMatch(/inconclusive: 3 of 6 percentiles could not be compared/);
    expect(await compare(base, few, "--allow-inconclusive")).toBe(0);
    expect(await compare(base, broken)).toBe(4);
    expect(out.join("\n")).toMatch(/not compared: 1 run is not a valid measurement\n {2}new .*broken.*: no request succeeded \(20 failed\)/);
  });

  it("judges several runs per side across the runs", async () => {
    const a = [1, 2, 3].map((i) => runFolder(`a${i}`, { seed: `a${i}`, requests: 200 }));
    const b = [1, 2, 3].map((i) => runFolder(`b${i}`, { seed: `b${i}`, requests: 200, slowdown: 1.5 }));
    expect(await compare(a.join(","), b.join(","), "--metrics", "ttfc", "--percentiles", "50")).toBe(1);
    expect(out.join("\n")).toMatch(/changed: 1 of 1 percentiles beyond the allowed effect \(3 and 3 runs\)/);
  });

  it("--html writes the comparison's page whatever the verdict, and keeps the exit code", async () => {
    const file = join(parent, "compare.html");
    expect(await compare(base, slow, "--min-effect", "0.1", "--html", file)).toBe(1);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/<div class="banner fail">CHANGED: /);
    for (const id of ["ttfc-ecdf", "tbc-ecdf", "tpot-ecdf", "e2e-ecdf", "prompt-tokens-ecdf"]) expect(html, id).toContain(`<figure data-plot="${id}">`);
    expect(html).toContain("A: base");
    expect(html).toContain("B: slow");
    expect(await compare(base, broken, "--html", file)).toBe(4);
    expect(readFileSync(file, "utf8")).toMatch(/<div class="banner invalid">NOT COMPARED: /);
  });

  it("rejects bad calls with what was expected (exit 2 through CliError)", async () => {
    await expect(compare(base)).rejects.toThrow(CliError);
    await expect(compare(base, join(parent, "nope"))).rejects.toThrow(/nope: no such folder/);
    await expect(compare(base, slow, "--direction", "up")).rejects.toThrow("--direction expects slower, faster or either, got 'up'");
    await expect(compare(base, slow, "--percentiles", "50,100")).rejects.toThrow("--percentiles expects numbers between 0 and 100, got '100'");
    await expect(compare(base, slow, "--min-effect=-1")).rejects.toThrow(/--min-effect expects a fraction >= 0/);
    await expect(compare(base, `${slow},${same}`)).rejects.toThrow(/give one run per side, or at least 2 per side/);
    await expect(compare(base, searchFolder("mixed", searchDoc(4, 5)))).rejects.toThrow("compare: give two run sides or two searches, not one of each");
  });
});

describe("agentload compare (searches)", () => {
  it("prints the frontier table and exits 0 when B is higher, 1 when B is lower", async () => {
    const linear = searchFolder("linear", searchDoc(5.5, 6.05));
    const dag = searchFolder("dag", searchDoc(6.67, 7.3));
    expect(await compare(linear, dag)).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/frontier \(rho, requests\/s\) +5\.5 +6\.67/);
    expect(text).toMatch(/capacity ratio B\/A +1\.21x/);
    expect(text).toMatch(/slack of a fleet sized for A +17\.5%/);
    expect(text).toMatch(/B is higher: it held 6\.67, a load A failed at$/);
    expect(await compare(dag, linear)).toBe(1);
  });

  it("exits 4 when a search has no frontier and failed only above the other's, 1 when it failed below; names a file that is not a search.json", async () => {
    const none = searchFolder("none", { ...searchDoc(1, 6), frontier: null, stopped: "min-load" });
    expect(await compare(searchFolder("ok", searchDoc(4, 5)), none)).toBe(4);
    const failedLow = searchFolder("low", { ...searchDoc(1, 2), frontier: null, stopped: "min-load" });
    expect(await compare(searchFolder("ok2", searchDoc(4, 5)), failedLow)).toBe(1);
    await expect(compare(searchFolder("ok3", searchDoc(4, 5)), none, "--html", join(parent, "s.html"))).rejects.toThrow(/--html draws run comparisons/);
    const bad = searchFolder("bad", { points: 3 });
    await expect(compare(bad, none)).rejects.toThrow(/bad\/search\.json: not a search\.json written by agentload search \(no over\/unit\)/);
  });
});
