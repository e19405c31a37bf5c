// A trace's requests as columns (src/traces/table.ts): every reader's requests go into a table and
// come back out the same; a trace read with `columns` holds only the table, analyze and fit never
// make its requests into objects, and its analysis and fit are the ones of the objects.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseTraceText } from "../../../src/traces/detect.js";
import { readTrace } from "../../../src/traces/read.js";
import { RequestTable, tableOf, tableTrace } from "../../../src/traces/table.js";
import { fitTrace, type TraceFit } from "../../../src/traces/to-spec.js";
import { GeneratedSessions } from "../../../src/traces/veeksha-agentload.js";
import type { Trace } from "../../../src/traces/types.js";
import { NumberColumn } from "../../../src/stats/column.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { WorkloadSpec } from "../../../src/workload/spec-types.js";
import { toVeekshaJsonl } from "../../../src/workload/veeksha-jsonl.js";
import { charTokenizer, fixtures, haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

/** The fixture traces every reader has, as readTrace takes them (files and the folders read whole). */
const FIXTURES = [
  "openclaw/dag.json",
  "openclaw/sessions",
  "claude-code/project/c0ffee00-0000-4000-8000-000000000001.jsonl",
  "veeksha/session.jsonl",
  "veeksha/legacy.jsonl",
  "veeksha/request-log.jsonl",
  "veeksha/shared-prefix.jsonl",
  "veeksha/run",
  "mooncake.jsonl",
  "mooncake-chains.jsonl",
  "requests.csv",
];

const spec: WorkloadSpec = {
  name: "columns",
  seed: 5,
  sessions: 5,
  agents: [
    {
      name: "lead",
      scaffold: { systemTokens: 700, toolTokens: 200 },
      taskTokens: 150,
      turns: 8,
      freshInput: { type: "uniform", min: 40, max: 300 },
      output: { type: "uniform", min: 20, max: 150 },
      waitMs: { type: "exponential", mean: 30 },
      subagents: { agent: "helper", spawnProbability: 0.4, fanOut: { type: "uniform", min: 1, max: 2 }, summaryTokens: 50, maxDepth: 2 },
      compaction: { contextLimit: 2500, summaryTokens: 120 },
    },
    { name: "helper", weight: 0, scaffold: { systemTokens: 400, toolTokens: 0 }, taskTokens: 60, turns: 3, freshInput: 80, output: 30, waitMs: 4 },
  ],
};

/** True while the trace's requests were not made into objects. */
function stillColumns(trace: Trace): boolean {
  return Object.getOwnPropertyDescriptor(trace, "requests")?.get !== undefined && trace.table !== undefined;
}

/** The fit, or the error it stopped at (a fixture may have nothing to fit). */
function fitOrError(trace: Trace): TraceFit | string {
  try {
    return fitTrace(trace);
  } catch (e) {
    return (e as Error).message;
  }
}

describe("RequestTable", () => {
  it.each(FIXTURES)("holds %s's requests as the reader made them", async (file) => {
    const trace = await readTrace(join(fixtures, file), { tokenizer: charTokenizer });
    const table = RequestTable.from(trace.requests);
    expect(table.length).toBe(trace.requests.length);
    expect(table.requests()).toEqual(trace.requests);
  });

  it.each(FIXTURES)("reads %s with columns: only a table, analyzed as the objects are", async (file) => {
    const objects = await readTrace(join(fixtures, file), { tokenizer: charTokenizer });
    const columns = await readTrace(join(fixtures, file), { tokenizer: charTokenizer, columns: true });
    expect(stillColumns(columns)).toBe(true);
    expect(analyzeTrace(columns, { fits: true })).toEqual(analyzeTrace(objects, { fits: true }));
    // analyze read the columns only.
    expect(stillColumns(columns)).toBe(true);
    // What reads the objects gets them, and the table is let go (they may be changed).
    expect(columns.requests).toEqual(objects.requests);
    expect(columns.table).toBeUndefined();
    expect(tableOf(columns).requests()).toEqual(objects.requests);
  });

  it.each(FIXTURES)("fits %s from columns as from objects, without making them", async (file) => {
    const objects = await readTrace(join(fixtures, file), { tokenizer: charTokenizer });
    const columns = await readTrace(join(fixtures, file), { tokenizer: charTokenizer, columns: true });
    const fit = fitOrError(columns);
    expect(stillColumns(columns)).toBe(true);
    expect(fit).toEqual(fitOrError(objects));
  });

  it("fits a generated workload (subagents, compaction, scaffolds) from columns as from objects", async () => {
    const text = toVeekshaJsonl(generateWorkload(spec));
    const objects = await parseTraceText("w.jsonl", text);
    const columns = await parseTraceText("w.jsonl", text, { columns: true });
    const fit = fitTrace(columns);
    expect(stillColumns(columns)).toBe(true);
    expect(fit.spec.agents.map((a) => a.name)).toEqual(["main", "subagent", "subagent-2"]);
    expect(fit).toEqual(fitTrace(objects));
  });

  it("reads a generated workload's JSONL into columns as it goes, the same trace as its objects", async () => {
    const text = toVeekshaJsonl(generateWorkload(spec));
    const objects = await parseTraceText("w.jsonl", text);
    const straight = vi.spyOn(GeneratedSessions.prototype, "addPositions");
    const columns = await parseTraceText("w.jsonl", text, { columns: true });
    // Filled by the reader itself, session by session from the rows' positions, not made from objects at the end.
    expect(straight).toHaveBeenCalledTimes(spec.sessions as number);
    straight.mockRestore();
    expect(stillColumns(columns)).toBe(true);
    expect(columns.conversations).toEqual(objects.conversations);
    expect(analyzeTrace(columns, { fits: true })).toEqual(analyzeTrace(objects, { fits: true }));
    expect(columns.requests).toEqual(objects.requests);
    const kinds = new Set(objects.requests.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(["compaction", "report", "spawn", "turn"]);
  });

  it.skipIf(!haveShared)(haveShared ? "holds the shared traces' requests" : `holds the shared traces' requests (${sharedSkipReason})`, async () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.jsonl?$/.test(name) && !name.includes("metadata")) files.push(path);
      }
    };
    walk(sharedTraces);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const trace = await readTrace(file, { tokenizer: charTokenizer });
      expect(RequestTable.from(trace.requests).requests(), file).toEqual(trace.requests);
      const columns = await readTrace(file, { tokenizer: charTokenizer, columns: true });
      expect(analyzeTrace(columns), file).toEqual(analyzeTrace(trace));
      expect(fitOrError(columns), file).toEqual(fitOrError(trace));
      expect(stillColumns(columns), file).toBe(true);
    }
  });

  it("refuses a request that is its own parent", () => {
    expect(() => RequestTable.from([{ id: "a", conversation: "c", parents: [{ from: "a", type: "sequential" }], historyParent: "a", freshInputTokens: 1, outputTokens: 1 }])).toThrow(
      "request a: parent a is not an earlier request of the trace",
    );
  });

  it("refuses a parent that is not an earlier request, naming both", () => {
    expect(() =>
      RequestTable.from([
        { id: "b", conversation: "c", parents: [{ from: "a", type: "sequential" }], historyParent: "a", freshInputTokens: 1, outputTokens: 1 },
        { id: "a", conversation: "c", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1 },
      ]),
    ).toThrow("request b: parent a is not an earlier request of the trace");
  });

  it("finds a parent further back than its nearby scan, and keeps a history parent outside the parents", () => {
    const requests: Trace["requests"] = [{ id: "root", conversation: "c", parents: [], historyParent: null, freshInputTokens: 5, outputTokens: 1 }];
    for (let i = 0; i < 3000; i++) requests.push({ id: `x${i}`, conversation: `o${i}`, parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1 });
    requests.push({ id: "late", conversation: "c", parents: [{ from: "root", type: "dependency" }], historyParent: "root", freshInputTokens: 2, outputTokens: 1 });
    requests.push({ id: "odd", conversation: "c", parents: [], historyParent: "late", freshInputTokens: 2, outputTokens: 1 });
    // The request whose parent made the map of ids is in it too.
    requests.push({ id: "after", conversation: "c", parents: [{ from: "late", type: "sequential" }], historyParent: "late", freshInputTokens: 1, outputTokens: 1 });
    const table = RequestTable.from(requests);
    expect(table.history[3003]).toBe(3001);
    expect(table.parentIndex[table.parentStart[3001]!]).toBe(0);
    expect(table.history[3001]).toBe(0);
    expect(table.history[3002]).toBe(-1);
    expect(table.historyParent(3002)).toBe("late");
    // By position, the one outside its parents too; a first request has none.
    expect(table.historyPosition(3002)).toBe(3001);
    expect(table.hasHistoryParent(3002)).toBe(true);
    expect(table.historyPosition(0)).toBe(-1);
    expect(table.hasHistoryParent(0)).toBe(false);
    expect(table.requests()).toEqual(requests);
    expect(table.index.get("late")).toBe(3001);
  });

  it("gives the same requests in other conversations, sharing the other columns", () => {
    const table = RequestTable.from([
      { id: "a", conversation: "c", parents: [], historyParent: null, freshInputTokens: 5, outputTokens: 2 },
      { id: "b", conversation: "c", parents: [{ from: "a", type: "sequential" }], historyParent: "a", freshInputTokens: 3, outputTokens: 1 },
    ]);
    const moved = table.withConversations(Int32Array.of(0, 1), ["c", "d"], Uint8Array.of(1));
    expect(moved.requests().map((r) => [r.conversation, r.parents[0]?.type])).toEqual([
      ["c", undefined],
      ["d", "subagent_spawn"],
    ]);
    expect(moved.fresh).toBe(table.fresh);
    expect(table.request(1).conversation).toBe("c");
    expect(() => table.withConversations(Int32Array.of(0), ["c"], Uint8Array.of(0))).toThrow("another length");
  });

  it("makes its ids when asked for from an IdMaker, the same as held ones", () => {
    const columns = (ids: Parameters<typeof RequestTable.of>[0]["ids"]) =>
      RequestTable.of({
        ids,
        conversation: Int32Array.of(0, 0, 1),
        conversations: ["c", "d"],
        parentStart: Int32Array.of(0, 0, 1, 1),
        parentIndex: Int32Array.of(0),
        parentType: Uint8Array.of(0),
        history: Int32Array.of(-1, 0, -1),
        fresh: Float64Array.of(5, 3, 4),
        output: Float64Array.of(2, 1, 7),
        numbers: { promptTokens: null, cachedTokens: null, scaffoldTokens: null, replyTokens: null, sharedPrefixTokens: null, dispatchedMs: null, respondedMs: null, waitAfterReadyMs: null },
      });
    const asked: number[] = [];
    const made = columns({ length: 3, id: (i) => (asked.push(i), `r${i}`) });
    const held = columns(["r0", "r1", "r2"]);
    expect(made.id(2)).toBe("r2");
    expect(made.historyParent(1)).toBe("r0");
    expect(made.requests()).toEqual(held.requests());
    expect(made.index).toEqual(held.index);
    expect(made.withConversations(Int32Array.of(0, 1, 1), ["c", "e"], Uint8Array.of(1)).requests()).toEqual(held.withConversations(Int32Array.of(0, 1, 1), ["c", "e"], Uint8Array.of(1)).requests());
    // Made one at a time until the whole list is asked for, then once.
    expect(asked.length).toBeGreaterThan(0);
    const before = asked.length;
    expect(made.ids).toEqual(["r0", "r1", "r2"]);
    expect(made.ids).toBe(made.ids);
    expect(asked.length).toBe(before + 3);
  });

  it("leaves out the columns no request has, and gives hash ids as views", () => {
    const table = RequestTable.from([
      { id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 3, outputTokens: 2 },
      { id: "b", conversation: "b", parents: [], historyParent: null, freshInputTokens: 4, outputTokens: 2, hashIds: [7, 8], promptTokens: 1000 },
      { id: "c", conversation: "c", parents: [], historyParent: null, freshInputTokens: 4, outputTokens: 2, hashIds: [] },
    ]);
    expect(table.column("dispatchedMs")).toBeNull();
    expect(Array.from(table.column("promptTokens")!)).toEqual([NaN, 1000, NaN]);
    expect(table.hashIds(0)).toBeUndefined();
    expect(Array.from(table.hashIds(1)!)).toEqual([7, 8]);
    expect(Array.from(table.hashIds(2)!)).toEqual([]);
    expect(table.request(0)).toEqual({ id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 3, outputTokens: 2 });
  });

  it("keeps hash ids in 32 bits until one does not fit, then in doubles", () => {
    const small = RequestTable.from([{ id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1, hashIds: [1, -2, 2 ** 31 - 1] }]);
    expect(small.hashValues).toBeInstanceOf(Int32Array);
    const requests: Trace["requests"] = [
      { id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1, hashIds: [5, 6] },
      { id: "b", conversation: "b", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1, hashIds: [5, 2 ** 40, 0.5] },
    ];
    const big = RequestTable.from(requests);
    expect(big.hashValues).toBeInstanceOf(Float64Array);
    expect(big.requests()).toEqual(requests);
  });

  it("taking the requests empties their array", () => {
    const requests: Trace["requests"] = [
      { id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1 },
      { id: "b", conversation: "a", parents: [{ from: "a", type: "sequential" }], historyParent: "a", freshInputTokens: 2, outputTokens: 1 },
    ];
    const copy = structuredClone(requests);
    const table = RequestTable.taking(requests);
    expect(requests).toEqual([]);
    expect(table.requests()).toEqual(copy);
  });

  it("a copy of a table trace with other requests analyzes those requests", () => {
    const table = RequestTable.from([{ id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 3, outputTokens: 2 }]);
    const trace = tableTrace(table, { format: "csv", source: "t.csv" });
    const copy: Trace = { ...trace, requests: [{ id: "z", conversation: "z", parents: [], historyParent: null, freshInputTokens: 9, outputTokens: 9 }] };
    expect(copy.table).toBeUndefined();
    expect(analyzeTrace(copy).freshInputTokens.max).toBe(9);
  });

  it("a table trace made into objects and given new requests forgets its table", () => {
    const table = RequestTable.from([{ id: "a", conversation: "a", parents: [], historyParent: null, freshInputTokens: 3, outputTokens: 2 }]);
    const trace = tableTrace(table, { format: "csv", source: "t.csv" });
    expect(tableOf(trace)).toBe(table);
    trace.requests = [{ id: "z", conversation: "z", parents: [], historyParent: null, freshInputTokens: 9, outputTokens: 9 }];
    expect(trace.table).toBeUndefined();
    expect(tableOf(trace).ids).toEqual(["z"]);
  });
});

describe("NumberColumn", () => {
  it("grows past its capacity and keeps every value, in 32 bits until one does not fit", () => {
    const c = new NumberColumn(16);
    for (let i = 0; i < 1000; i++) c.push(i);
    expect(c.values).toBeInstanceOf(Int32Array);
    c.push(2 ** 40);
    c.push(NaN);
    c.push(0.5);
    expect(c.values).toBeInstanceOf(Float64Array);
    for (let i = 1003; i < 3000; i++) c.push(-i);
    expect(c.length).toBe(3000);
    expect(c.values[999]).toBe(999);
    expect([c.values[1000], c.values[1001], c.values[1002], c.values[2999]]).toEqual([2 ** 40, NaN, 0.5, -2999]);
    const fractionFirst = new NumberColumn();
    fractionFirst.push(NaN);
    expect(Number.isNaN(fractionFirst.values[0]!)).toBe(true);
  });
});
