// The Chrome trace-event export: a small DAG session (a root, two children in parallel, a join)
// and a session with a failed request and one without any chunk, recorded the way a run records
// them (requestRecord), rendered and read back as JSON.
import { describe, expect, it } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { chromeTraceReporter } from "../../../src/report/chrome-trace.js";
import { reporterNamed } from "../../../src/report/index.js";
import type { FinishedRun } from "../../../src/report/types.js";
import { requestRecord } from "../../../src/run/record.js";
import type { RequestRecord, StreamObservation } from "../../../src/run/types.js";
import type { NodeKind, RequestNode, SessionGraph } from "../../../src/workload/types.js";

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  bp?: string;
  args?: Record<string, unknown>;
}
interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: string;
  metadata: Record<string, unknown>;
}

function node(id: string, parents: string[], kind?: NodeKind): RequestNode {
  return { id, parents, historyParent: parents[0] ?? null, freshInputTokens: 10, outputTokens: 3, waitAfterReadyMs: 0, ...(kind ? { kind } : {}) };
}

const dag: SessionGraph = {
  id: "s1",
  agent: "planner",
  nodes: [node("root", []), node("a", ["root"], "spawn"), node("b", ["root"], "spawn"), node("join", ["a", "b"], "report")],
};
const chain: SessionGraph = { id: "s2", nodes: [node("0", []), node("1", ["0"])] };

/** A request as the run records it: times in ms on the run's clock (t0 = 0). */
function recorded(
  session: SessionGraph,
  nodeId: string,
  t: { ready: number; planned?: number; dispatched: number; chunks?: number[]; done?: number },
  obs: Partial<StreamObservation> = {},
): RequestRecord {
  const chunks = t.chunks ?? [];
  return requestRecord(
    { session, node: session.nodes.find((n) => n.id === nodeId)!, readyAt: t.ready, plannedAt: t.planned ?? t.ready },
    { dispatchedAt: t.dispatched, chunkAt: chunks, text: "", countedChunks: chunks.length, ...(chunks.length > 0 ? { firstTokenAt: chunks[0] } : {}), ...(t.done !== undefined ? { doneAt: t.done } : {}), ...obs },
    { promptTokens: 500, sharedPrefixTokens: 0, scaffoldTokens: 0 },
    { t0: 0, warmup: false },
  );
}

// In the order they ended, as records.jsonl holds them: session s2 appears first.
const records: RequestRecord[] = [
  recorded(chain, "0", { ready: 10, dispatched: 10, done: 12 }, { error: { kind: "http", status: 503, message: "busy" } }),
  recorded(chain, "1", { ready: 20, dispatched: 20 }, { error: { kind: "aborted", message: "stopped" } }),
  recorded(dag, "root", { ready: 1.5, dispatched: 1.5, chunks: [40, 60, 100], done: 100.25 }, { promptTokens: 500, cachedTokens: 0, completionTokens: 3 }),
  recorded(dag, "b", { ready: 100.25, dispatched: 102, chunks: [150, 250], done: 250 }),
  recorded(dag, "a", { ready: 100.25, dispatched: 101, chunks: [150, 300], done: 300 }, { cachedTokens: 480 }),
  recorded(dag, "join", { ready: 300, planned: 305, dispatched: 305.5, chunks: [320], done: 330 }),
];

function finished(recs: readonly RequestRecord[], name = "dag"): FinishedRun {
  return { name, summary: summarizeRecords([], { wallMs: 400 }), verdicts: [], passed: true, interrupted: false, records: recs };
}

/** Rendered and read back (render may return a promise: the Reporter contract allows one). */
async function render(recs: readonly RequestRecord[], name?: string): Promise<{ text: string; trace: TraceFile }> {
  const text = await chromeTraceReporter.render(finished(recs, name));
  return { text, trace: JSON.parse(text) as TraceFile };
}

const { trace } = await render(records);
const events = trace.traceEvents;
/** The slice of a request, by its node id. */
const slice = (nodeId: string) => {
  const found = events.filter((e) => e.ph === "X" && e.args?.node === nodeId);
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The name a metadata event gives a process or thread. */
const metaName = (t: TraceFile, name: string, pid: number) => t.traceEvents.find((e) => e.ph === "M" && e.name === name && e.pid === pid)?.args?.name;

describe("records carry the nodes they waited for", () => {
  it("lists a node's parents, and leaves the field out for a session's first request", () => {
    const byNode = new Map(records.map((r) => [r.nodeId, r]));
    expect("parents" in byNode.get("root")!).toBe(false);
    expect(byNode.get("a")!.parents).toEqual(["root"]);
    expect(byNode.get("join")!.parents).toEqual(["a", "b"]);
    expect(byNode.get("1")!.parents).toEqual(["0"]);
  });
});

describe("chrome-trace reporter", () => {
  it("is a --format of agentload report and needs the records", () => {
    expect(reporterNamed("chrome-trace")).toBe(chromeTraceReporter);
    expect(chromeTraceReporter.needsRecords).toBe(true);
  });

  it("writes a trace-event document in microseconds with the run's name and counts", () => {
    expect(trace.displayTimeUnit).toBe("ms");
    expect(trace.metadata).toEqual({ run: "dag", requests: 6, sessions: 2, failed: 2 });
    const root = slice("root");
    expect(root).toMatchObject({ name: "root", cat: "request", ts: 1500, dur: 98_750 });
    expect(slice("a")).toMatchObject({ name: "a (spawn)", ts: 101_000, dur: 199_000 });
    expect(slice("join")).toMatchObject({ name: "join (report)", ts: 305_500, dur: 24_500 });
    expect(root.args).toMatchObject({ session: "s1", agent: "planner", prompt_tokens: 500, cached_tokens: 0, completion_tokens: 3, ttfc_ms: 38.5, e2e_ms: 98.75 });
    expect(slice("a").args).toMatchObject({ cached_tokens: 480, parents: ["root"] });
  });

  it("makes each session a process, in order of first appearance, named with its agent", () => {
    expect(slice("0").pid).toBe(1);
    expect(slice("root").pid).toBe(2);
    expect(metaName(trace, "process_name", 1)).toBe("session s2");
    expect(metaName(trace, "process_name", 2)).toBe("session s1 (planner)");
  });

  it("puts requests running in parallel on different lanes, each lane a named thread of its own", () => {
    const a = slice("a");
    const b = slice("b");
    expect(a.pid).toBe(b.pid);
    expect(a.tid).not.toBe(b.tid);
    // Greedy: the lowest lane free when the request's wait began.
    expect(a.tid).toBe(slice("root").tid);
    expect(slice("join").tid).toBe(a.tid);
    expect(slice("1").tid).toBe(slice("0").tid);
    const threads = events.filter((e) => e.ph === "M" && e.name === "thread_name");
    expect(threads.map((e) => [e.pid, e.tid, e.args?.name])).toEqual([
      [1, 1, "lane 1"],
      [2, 2, "lane 1"],
      [2, 3, "lane 2"],
    ]);
    // A tid names one thread in the whole file, never a thread of two processes.
    const pidOfTid = new Map<number, number>();
    for (const e of events.filter((e) => e.ph !== "M")) {
      expect(pidOfTid.get(e.tid) ?? e.pid).toBe(e.pid);
      pidOfTid.set(e.tid, e.pid);
    }
  });

  it("never overlaps two slices on one track other than by nesting", () => {
    const tracks = new Map<number, TraceEvent[]>();
    for (const e of events.filter((e) => e.ph === "X" && e.name !== "first token")) tracks.set(e.tid, [...(tracks.get(e.tid) ?? []), e]);
    for (const slices of tracks.values()) {
      slices.sort((x, y) => x.ts! - y.ts!);
      for (let i = 1; i < slices.length; i++) expect(slices[i]!.ts!).toBeGreaterThanOrEqual(slices[i - 1]!.ts! + slices[i - 1]!.dur!);
    }
    for (const first of events.filter((e) => e.name === "first token")) {
      const outer = events.find((e) => e.ph === "X" && e.cat?.startsWith("request") && e.tid === first.tid && e.ts === first.ts && e.name !== "first token")!;
      expect(first.ts! + first.dur!).toBeLessThanOrEqual(outer.ts! + outer.dur!);
    }
  });

  it("draws the wait before a dispatch and the time to the first token inside the request", () => {
    const waits = events.filter((e) => e.name === "wait");
    expect(waits.map((e) => [e.tid, e.ts, e.dur])).toEqual([
      [slice("a").tid, 100_250, 750],
      [slice("b").tid, 100_250, 1750],
      [slice("join").tid, 300_000, 5500],
    ]);
    expect(waits[2]!.args).toEqual({ planned_ms: 5, late_ms: 0.5 });
    const firsts = events.filter((e) => e.name === "first token");
    expect(firsts).toHaveLength(4);
    expect(firsts[0]).toMatchObject({ ts: 1500, dur: 38_500, tid: slice("root").tid, args: { ttfc_ms: 38.5 } });
  });

  it("links each parent to its children with flow events that pair up and bind to the requests", () => {
    const starts = events.filter((e) => e.ph === "s");
    const ends = events.filter((e) => e.ph === "f");
    expect(starts).toHaveLength(5);
    expect(ends).toHaveLength(5);
    expect(new Set(starts.map((e) => e.id)).size).toBe(5);
    for (const s of starts) {
      const f = ends.filter((e) => e.id === s.id);
      expect(f).toHaveLength(1);
      // Viewers pair flow events by id, category and name.
      expect([f[0]!.cat, f[0]!.name]).toEqual([s.cat, s.name]);
      expect(f[0]!.bp).toBe("e");
    }
    const edge = (from: string, to: string) => {
      const parent = slice(from);
      const child = slice(to);
      const s = starts.find((e) => e.tid === parent.tid && e.ts === parent.ts && ends.some((f) => f.id === e.id && f.tid === child.tid && f.ts === child.ts));
      expect(s, `${from} -> ${to}`).toBeDefined();
      return s!.name;
    };
    expect(edge("root", "a")).toBe("spawn");
    expect(edge("root", "b")).toBe("spawn");
    expect(edge("a", "join")).toBe("join");
    expect(edge("b", "join")).toBe("join");
    expect(edge("0", "1")).toBe("next");
    // A flow event binds to the slice open on its thread when it is read: the request's own slice
    // comes right before it, with nothing nested in between.
    for (const flow of [...starts, ...ends]) {
      const before = events.slice(0, events.indexOf(flow)).filter((e) => e.ph === "X" && e.tid === flow.tid);
      const last = before[before.length - 1]!;
      expect(last.cat).toMatch(/^request/);
      expect(last.name).not.toBe("first token");
      expect(last.ts).toBe(flow.ts);
    }
  });

  it("carries a failed request's error, and gives a request without any chunk no duration and no first token", () => {
    const failed = slice("0");
    expect(failed.cat).toBe("request,failed");
    expect(failed).toMatchObject({ ts: 10_000, dur: 2000 });
    expect(failed.args).toMatchObject({ error_kind: "http", error_status: 503, error_message: "busy" });
    expect(failed.args).not.toHaveProperty("ttfc_ms");
    const aborted = slice("1");
    expect(aborted).toMatchObject({ ts: 20_000, dur: 0, args: { error_kind: "aborted" } });
    expect(events.filter((e) => e.name === "first token" && e.pid === aborted.pid)).toHaveLength(0);
    expect(slice("root").args).not.toHaveProperty("error_kind");
  });

  it("stays valid JSON for any string a spec or server puts in it", async () => {
    const odd = 'a "quoted"\n\u007f\u0000 </script> \ud800 é 🚀';
    const rec = { ...records[2]!, sessionId: odd, nodeId: odd, agent: odd, error: { kind: "server" as const, message: odd } };
    const { text, trace: t } = await render([rec], odd);
    // Line ends between events only: every control character inside a string is escaped, DEL too
    // (valid JSON, but Perfetto's reader refuses it).
    const raw = [...text].filter((c) => (c < " " && c !== "\n") || c === "\u007f");
    expect(raw).toEqual([]);
    expect(t.metadata.run).toBe(odd);
    expect(metaName(t, "process_name", 1)).toBe(`session ${odd} (${odd})`);
    const x = t.traceEvents.find((e) => e.ph === "X" && e.name !== "first token")!;
    expect(x.name).toBe(odd);
    expect(x.args?.error_message).toBe(odd);
  });

  it("reads records of older runs and requests that stopped early, whatever fields they lack", async () => {
    const bare = { sessionId: "old", nodeId: "n0", dispatchedAt: 5, doneAt: 7 } as unknown as RequestRecord;
    const noEnd = { sessionId: "old", nodeId: "n1", dispatchedAt: 8, parents: ["n0", "gone"] } as unknown as RequestRecord;
    const { trace: t } = await render([bare, noEnd]);
    const xs = t.traceEvents.filter((e) => e.ph === "X");
    expect(xs.map((e) => [e.name, e.ts, e.dur])).toEqual([
      ["n0", 5000, 2000],
      ["n1", 8000, 0],
    ]);
    // The edge to a parent the run never recorded is left out, so every arrow has two ends.
    expect(t.traceEvents.filter((e) => e.ph === "s").map((e) => e.id)).toEqual(t.traceEvents.filter((e) => e.ph === "f").map((e) => e.id));
    expect(t.traceEvents.filter((e) => e.ph === "s")).toHaveLength(1);
  });

  it("renders a run without records as an empty trace", async () => {
    const t = JSON.parse(await chromeTraceReporter.render({ ...finished([]), records: undefined })) as TraceFile;
    expect(t.traceEvents).toEqual([]);
    expect(t.metadata.requests).toBe(0);
  });
});
