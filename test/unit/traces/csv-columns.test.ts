// The CSV reader fills columns as rows come (src/traces/csv.ts): parents are ids until every row
// is in. Read with `columns` (what analyze and fit do) or as objects, a CSV gives the same
// requests and the same errors, each naming the file and the line.
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseTraceText } from "../../../src/traces/detect.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import type { Trace } from "../../../src/traces/types.js";

const read = (text: string, columns: boolean) => parseTraceText("c.csv", text, { format: "csv", columns });

/** True while the trace's requests were not made into objects. */
function stillColumns(trace: Trace): boolean {
  return Object.getOwnPropertyDescriptor(trace, "requests")?.get !== undefined && trace.table !== undefined;
}

const ERRORS: [string, string, string][] = [
  ["an id used twice", "session_id,request_id,output_tokens,fresh_input_tokens\ns,a,1,2\ns,b,1,2\ns,a,1,2\n", "c.csv: line 4: request id 's:a' is used twice (also line 2)"],
  ["a parent not in the trace", "session_id,request_id,parents,output_tokens,fresh_input_tokens\ns,a,,1,2\ns,b,zz,1,2\n", "c.csv:3: parents: no request 'zz' in session s"],
  [
    "a history parent in the trace but not among the parents",
    "session_id,request_id,parents,history_parent,output_tokens,fresh_input_tokens\ns,a,,,1,2\ns,b,,,1,2\ns,c,a,b,1,2\n",
    "c.csv:4: history_parent: 's:b' is not among the parents",
  ],
  [
    "a history parent not in the trace",
    "session_id,request_id,parents,history_parent,output_tokens,fresh_input_tokens\ns,a,,,1,2\ns,c,a,q,1,2\n",
    "c.csv:3: history_parent: 's:q' is not among the parents",
  ],
  [
    "fresh input that cannot be derived",
    "session_id,request_id,parents,output_tokens,fresh_input_tokens,prompt_tokens\ns,a,,1,2,\ns,b,a,1,,30\n",
    "c.csv:3: fresh_input_tokens: is needed: the history parent has no prompt_tokens to derive it from",
  ],
  ["a request its own parent", "session_id,request_id,parents,output_tokens,fresh_input_tokens\ns,a,,1,2\ns,b,b,1,2\n", "c.csv: line 3: request 's:b' lists itself as a parent"],
  ["a parent listed twice", "session_id,request_id,parents,output_tokens,fresh_input_tokens\ns,a,,1,2\ns,b,a;a,1,2\n", "c.csv: line 3: request 's:b' lists parent 's:a' twice"],
  ["a cycle", "session_id,request_id,parents,output_tokens,fresh_input_tokens\ns,a,,1,2\ns,b,c,1,2\ns,c,b,1,2\n", "c.csv: line 3: request 's:b' is part of a dependency cycle"],
  // Every parent is looked for before any request is checked for being its own.
  ["a missing parent after a self-parent", "session_id,request_id,parents,output_tokens,fresh_input_tokens\ns,a,a,1,2\ns,b,zz,1,2\n", "c.csv:3: parents: no request 'zz' in session s"],
  // An id is session:request: with a colon in either part, two rows can spell the same id.
  ["one id spelled two ways", "session_id,request_id,output_tokens,fresh_input_tokens\na:b,c,1,2\na,b:c,1,2\n", "c.csv: line 3: request id 'a:b:c' is used twice (also line 2)"],
  ["an id used twice after other sessions", "session_id,request_id,output_tokens,fresh_input_tokens\ns,a,1,2\nt,a,1,2\ns,a,1,2\n", "c.csv: line 4: request id 's:a' is used twice (also line 2)"],
];

describe("CSV read into columns", () => {
  for (const columns of [false, true]) {
    it.each(ERRORS)(`${columns ? "columns" : "objects"}: %s`, async (_, text, message) => {
      await expect(read(text, columns)).rejects.toThrow(message);
    });
  }

  it("orders rows that name a later row as their parent, deriving fresh input and waits", async () => {
    const text =
      "session_id,request_id,parents,output_tokens,prompt_tokens,dispatched_ms,responded_ms,trigger\n" +
      "s,b,a,5,130,50,60,tool_result\ns,a,,10,100,0,40,user\ns,c,a b,3,200,70,80,\n";
    const objects = await read(text, false);
    expect(objects.requests.map((r) => [r.id, r.parents.map((e) => `${e.from} ${e.type}`), r.historyParent, r.freshInputTokens, r.waitAfterReadyMs, r.trigger])).toEqual([
      ["s:a", [], null, 100, undefined, "user"],
      ["s:b", ["s:a sequential"], "s:a", 20, 10, "tool_result"],
      // Two parents in its conversation: none is its history, and its prompt is all fresh.
      ["s:c", ["s:a dependency", "s:b dependency"], null, 200, undefined, undefined],
    ]);
    const columns = await read(text, true);
    expect(stillColumns(columns)).toBe(true);
    expect(columns.table!.conversations).toEqual(["s"]);
    expect(columns.requests).toEqual(objects.requests);
  });

  it("finds parents by session and id while sessions' rows interleave, and names a parent by its whole id", async () => {
    // Session s's rows come between t's; "x:y" names request "y" of session "x" as well as request
    // "x:y" of any session whose id makes the same whole id ("s" and "x:y" is s:x:y).
    const text =
      "session_id,request_id,parents,output_tokens,fresh_input_tokens\n" +
      "t,0,,1,10\ns,0,,1,20\nt,1,0,1,11\ns,1,0,1,21\ns:x,y,,1,30\ns,2,1 x:y,1,22\nt,2,1,1,12\n";
    for (const columns of [false, true]) {
      const trace = await read(text, columns);
      expect(trace.requests.map((r) => [r.id, r.parents.map((e) => e.from), r.historyParent])).toEqual([
        ["t:0", [], null],
        ["s:0", [], null],
        ["t:1", ["t:0"], "t:0"],
        ["s:1", ["s:0"], "s:0"],
        ["s:x:y", [], null],
        ["s:2", ["s:1", "s:x:y"], "s:1"],
        ["t:2", ["t:1"], "t:1"],
      ]);
    }
  });

  it("gives the objects' requests, analysis and fit from columns (conversations, subagents, times)", async () => {
    const rows = ["session_id,request_id,conversation,parents,fresh_input_tokens,output_tokens,prompt_tokens,cached_tokens,dispatched_ms,responded_ms,trigger"];
    // 40 sessions: a lead of 6 turns that spawns a subagent of 3 on its 2nd turn and reads its result on the 4th.
    for (let s = 0; s < 40; s++) {
      let prompt = 500 + s;
      let t = s * 10_000;
      for (let i = 0; i < 6; i++) {
        const parents = i === 0 ? "" : i === 3 ? `${i - 1} sub2` : `${i - 1}`;
        rows.push(`s${s},${i},,"${parents}",${i === 0 ? "" : 40 + ((s * 7 + i * 13) % 90)},${20 + ((s + i * 5) % 40)},${prompt},${i === 0 ? "" : prompt - 60},${t},${t + 300},${i === 0 ? "user" : "tool_result"}`);
        prompt += 100;
        t += 400 + ((s * i) % 7) * 50;
        if (i === 1) for (let k = 0; k < 3; k++) rows.push(`s${s},sub${k},sub,${k === 0 ? 1 : `sub${k - 1}`},${60 + k * 11 + (s % 5)},${15 + k},${300 + k * 90},,${t + k * 200},${t + k * 200 + 150},`);
      }
    }
    const text = rows.join("\n") + "\n";
    const objects = await read(text, false);
    const columns = await read(text, true);
    expect(analyzeTrace(columns, { fits: true })).toEqual(analyzeTrace(objects, { fits: true }));
    const fit = fitTrace(columns);
    expect(fit.spec.agents.map((a) => a.name)).toEqual(["main", "subagent"]);
    expect(fit).toEqual(fitTrace(objects));
    expect(stillColumns(columns)).toBe(true);
    expect(columns.requests).toEqual(objects.requests);
    expect(objects.requests).toHaveLength(40 * 9);
    expect(objects.requests.find((r) => r.id === "s3:sub0")).toMatchObject({ conversation: "s3/sub", parents: [{ from: "s3:1", type: "subagent_spawn" }] });
  });
});
