// Mooncake traces read with `columns` (src/traces/mooncake.ts MooncakeColumns): the rows go
// straight into a table, linked by hash ids over it; the table, the requests made of it and the
// analysis are the ones of the objects reader, line for line, on the fixtures and on rows made
// to hit each linking rule (siblings, forks, a shared scaffold, a reused id, sessions mixed with
// sessionless rows, rows out of timestamp order).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseTraceText } from "../../../src/traces/detect.js";
import { RequestTable } from "../../../src/traces/table.js";
import type { Trace } from "../../../src/traces/types.js";
import { fixtures } from "../../support/traces.js";

interface Row {
  t: number;
  in: number;
  out?: number;
  ids?: unknown;
  session?: string;
  added?: number;
}

/** JSONL of Mooncake rows (output 8 tokens unless given). */
function jsonl(rows: Row[]): string {
  return rows
    .map((r) => {
      const line: Record<string, unknown> = { timestamp: r.t, input_length: r.in, output_length: r.out ?? 8 };
      if (r.ids !== undefined) line.hash_ids = r.ids;
      if (r.session !== undefined) line.session_id = r.session;
      if (r.added !== undefined) line.new_input_length = r.added;
      return JSON.stringify(line);
    })
    .join("\n");
}

/** True while the trace's requests were not made into objects. */
function stillColumns(trace: Trace): boolean {
  return Object.getOwnPropertyDescriptor(trace, "requests")?.get !== undefined && trace.table !== undefined;
}

/** A table's fields, its ids as a list whether it holds them or makes them when asked for. */
function fields(t: RequestTable): Record<string, unknown> {
  const { idSource: _source, idList: _list, ...rest } = t as unknown as Record<string, unknown>;
  return { ...rest, ids: t.ids };
}

/**
 * The text read both ways, checked to be the same trace: the columns reader's own table equal to
 * the one made of the objects (typed arrays of the same types), analyzed alike, and its requests
 * the objects. Returns the objects.
 */
async function same(text: string, blockSize = 16): Promise<Trace> {
  const objects = await parseTraceText("m.jsonl", text, { format: "mooncake", blockSize });
  const columns = await parseTraceText("m.jsonl", text, { format: "mooncake", blockSize, columns: true });
  expect(stillColumns(columns)).toBe(true);
  expect(analyzeTrace(columns, { fits: true })).toEqual(analyzeTrace(objects, { fits: true }));
  // The ids are made when asked for, and the analysis asks for none.
  const held = columns.table as unknown as { idSource: unknown; idList?: unknown };
  expect(Array.isArray(held.idSource)).toBe(false);
  expect(held.idList).toBeUndefined();
  expect(fields(columns.table!)).toEqual(fields(RequestTable.from(objects.requests)));
  expect(stillColumns(columns)).toBe(true);
  const { requests: _r, ...meta } = objects;
  const { requests: _c, ...columnsMeta } = columns;
  expect(columnsMeta).toEqual(meta);
  expect(columns.requests).toEqual(objects.requests);
  return objects;
}

const parents = (trace: Trace) => trace.requests.map((r) => [r.id, r.historyParent, r.conversation]);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Mooncake read with columns", () => {
  it.each([
    ["mooncake.jsonl", 16],
    ["mooncake.jsonl", 512],
    ["mooncake-chains.jsonl", 16],
    ["mooncake-chains.jsonl", 512],
  ])("reads %s (blocks of %i tokens) into the table the objects make, without making them", async (file, blockSize) => {
    const text = readFileSync(join(fixtures, file), "utf8");
    const taking = vi.spyOn(RequestTable, "taking");
    const from = vi.spyOn(RequestTable, "from");
    const columns = await parseTraceText("m.jsonl", text, { format: "mooncake", blockSize, columns: true });
    // Filled by the reader itself: no table made of objects.
    expect(taking).not.toHaveBeenCalled();
    expect(from).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    const objects = await same(text, blockSize);
    expect(columns.table!.length).toBe(objects.requests.length);
  });

  it("links a sibling: not longer than the request whose whole blocks it repeats", async () => {
    const trace = await same(
      jsonl([
        { t: 0, in: 60, ids: [5, 6, 7, 8] },
        { t: 10, in: 56, ids: [5, 6, 7, 9] },
        { t: 20, in: 20, ids: [10, 11] },
        { t: 30, in: 20, ids: [12, 13] },
      ]),
    );
    expect(trace.requests[1]).toMatchObject({ historyParent: "line-1", conversation: "line-1", freshInputTokens: 56 - 48, replyTokens: 0, waitAfterReadyMs: 10 });
  });

  it("keeps a fork in its parent's conversation", async () => {
    const trace = await same(
      jsonl([
        { t: 0, in: 40, ids: [1, 2, 3] },
        { t: 5, in: 20, ids: [20, 21] },
        { t: 10, in: 70, ids: [1, 2, 4, 5, 6] },
        { t: 20, in: 60, ids: [1, 2, 7, 8] },
        { t: 30, in: 90, ids: [1, 2, 4, 5, 9, 10] },
        // Other openings, so that block 1 is no scaffold.
        ...[30, 31, 32].map((id) => ({ t: 40, in: 20, ids: [id] })),
      ]),
    );
    expect(parents(trace).slice(0, 5)).toEqual([
      ["line-1", null, "line-1"],
      ["line-2", null, "line-2"],
      ["line-3", "line-1", "line-1"],
      ["line-4", "line-1", "line-1"],
      ["line-5", "line-3", "line-1"],
    ]);
    expect(trace.requests[4]).toMatchObject({ freshInputTokens: 90 - 70, replyTokens: 8, waitAfterReadyMs: 20 });
  });

  it("links nothing on a prefix most rows share (the scaffold)", async () => {
    const trace = await same(
      jsonl([
        { t: 0, in: 20, ids: [1, 9] },
        { t: 1, in: 40, ids: [1, 7, 8] },
        { t: 2, in: 40, ids: [1, 2, 3] },
        { t: 3, in: 72, ids: [1, 2, 4, 5, 6] },
      ]),
    );
    // Row 2 shares only block 1 with row 1 (whose whole blocks it is): the scaffold; row 4 continues row 3.
    expect(trace.requests.map((r) => r.historyParent)).toEqual([null, null, null, "line-3"]);
  });

  it("does not link on a reused id whose prefix differs", async () => {
    const trace = await same(
      jsonl([
        { t: 0, in: 48, ids: [1, 2, 3] },
        { t: 1, in: 20, ids: [7, 8] },
        { t: 2, in: 20, ids: [9, 10] },
        // Ends its third block with id 3 as row 1 does, after another second block.
        { t: 3, in: 64, ids: [1, 5, 3, 4] },
        { t: 4, in: 64, ids: [1, 2, 3, 6] },
        { t: 5, in: 20, ids: [11] },
        { t: 6, in: 20, ids: [12] },
      ]),
    );
    expect(trace.requests.map((r) => r.historyParent)).toEqual([null, null, null, null, "line-1", null, null]);
  });

  it("chains session rows in their session and links the sessionless rows among them", async () => {
    const trace = await same(
      jsonl([
        { t: 0, in: 40, ids: [1, 2, 3], session: "s" },
        { t: 1, in: 40, ids: [1, 2, 3] },
        { t: 2, in: 70, ids: [1, 2, 3, 4, 5], session: "s", added: 22 },
        { t: 3, in: 70, ids: [1, 2, 3, 4, 9] },
        // A session named as a sessionless row's id shares its conversation (as the objects do).
        { t: 4, in: 30, ids: [40, 41], session: "line-2" },
        { t: 5, in: 50, ids: [40, 41, 42], session: "line-2" },
        { t: 6, in: 20, session: "s" },
        { t: 7, in: 20, ids: [50] },
        { t: 8, in: 20, ids: [51] },
      ]),
    );
    expect(parents(trace)).toEqual([
      ["s:1", null, "s"],
      ["line-2", null, "line-2"],
      ["s:3", "s:1", "s"],
      ["line-4", "line-2", "line-2"],
      ["line-2:5", null, "line-2"],
      ["line-2:6", "line-2:5", "line-2"],
      ["s:7", "s:3", "s"],
      ["line-8", null, "line-8"],
      ["line-9", null, "line-9"],
    ]);
    expect(trace.requests[2]).toMatchObject({ freshInputTokens: 22 });
    expect(trace.requests[2]!.replyTokens).toBeUndefined();
    expect(trace.requests[6]!.hashIds).toBeUndefined();
  });

  it("links rows out of timestamp order in dispatch order, and puts each parent before its children", async () => {
    const trace = await same(
      jsonl([
        { t: 3000, in: 90, ids: [1, 2, 4, 5, 6] },
        { t: 100, in: 20, ids: [7, 8] },
        { t: 2000, in: 64, ids: [1, 2, 4, 5] },
        // Dispatched at the same millisecond as the row above: after it, in line order.
        { t: 2000, in: 80, ids: [1, 2, 4, 5, 9] },
        { t: 1000, in: 40, ids: [1, 2, 3] },
        { t: 1000, in: 20, ids: [10, 11] },
        { t: 50, in: 10, ids: [12] },
        { t: 60, in: 10, ids: [13] },
      ]),
    );
    expect(parents(trace)).toEqual([
      ["line-2", null, "line-2"],
      ["line-5", null, "line-5"],
      ["line-3", "line-5", "line-5"],
      ["line-1", "line-3", "line-5"],
      ["line-4", "line-3", "line-5"],
      ["line-6", null, "line-6"],
      ["line-7", null, "line-7"],
      ["line-8", null, "line-8"],
    ]);
    expect(trace.requests[3]).toMatchObject({ freshInputTokens: 90 - 64, replyTokens: 8, waitAfterReadyMs: 1000 });
  });

  it("keeps hash ids beyond 32 bits, and rows without any", async () => {
    const big = 2 ** 40;
    const rows = [
      { t: 0, in: 20 },
      { t: 1, in: 48, ids: [1, 2, 3] },
      { t: 2, in: 70, ids: [1, 2, 3, big, 4] },
      { t: 3, in: 90, ids: [1, 2, 3, big, 4, 6] },
      { t: 4, in: 20, ids: [] },
      ...[20, 21, 22].map((id) => ({ t: 5, in: 20, ids: [id] })),
    ];
    const trace = await same(jsonl(rows));
    expect(trace.requests.map((r) => r.historyParent).slice(0, 5)).toEqual([null, null, "line-2", "line-3", null]);
    const columns = await parseTraceText("m.jsonl", jsonl(rows), { format: "mooncake", blockSize: 16, columns: true });
    expect(columns.table!.hashValues).toBeInstanceOf(Float64Array);
    expect(columns.table!.hashIds(3)).toEqual(Float64Array.from([1, 2, 3, big, 4, 6]));
    expect(columns.table!.hashIds(0)).toBeUndefined();
    expect(columns.table!.hashIds(4)).toEqual(new Float64Array(0));
  });

  it.each([
    ["a hash id that is not an integer", jsonl([{ t: 0, in: 20, ids: [1, 2.5] }]), "m.jsonl:1: hash_ids[1]: expected an integer block hash id, got 2.5"],
    ["a hash id that is a string, after one beyond 32 bits", jsonl([{ t: 0, in: 20, ids: [2 ** 40, "3"] }]), 'm.jsonl:1: hash_ids[1]: expected an integer block hash id, got "3"'],
    ["hash ids that are not a list", jsonl([{ t: 0, in: 20, ids: 5 }]), "m.jsonl:1: hash_ids: expected a list of block hash ids, got 5"],
    ["no timestamp", '{"input_length": 5, "output_length": 2}', "m.jsonl:1: timestamp: expected milliseconds from the trace start, got nothing"],
    ["a bad new_input_length", jsonl([{ t: 0, in: 20, session: "s" }, { t: 1, in: 30, session: "s", added: -1, ids: "x" }]), "m.jsonl:2: new_input_length: expected a whole number >= 0, got -1"],
    ["only rows left out", jsonl([{ t: 0, in: 0 }, { t: 1, in: 5, out: 0 }]), "m.jsonl: the trace has no requests (2 rows left out: input_length or output_length 0)"],
  ])("fails on %s as the objects reader does", async (_, text, message) => {
    await expect(parseTraceText("m.jsonl", text, { format: "mooncake" })).rejects.toThrow(message);
    await expect(parseTraceText("m.jsonl", text, { format: "mooncake", columns: true })).rejects.toThrow(message);
  });
});
