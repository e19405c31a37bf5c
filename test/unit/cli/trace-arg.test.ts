// The trace argument every trace command reads (analyze, fit, run, report): a trace that comes back
// without requests is refused even when a reader let it through, and readers' warnings reach stderr.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Trace } from "../../../src/traces/types.js";

const returned: { trace: Trace } = { trace: { format: "csv", source: "x.csv", requests: [] } };
vi.mock("../../../src/traces/read.js", () => ({ readTrace: async () => returned.trace }));

const { readTraceArg } = await import("../../../src/cli/trace-arg.js");
const { CliError } = await import("../../../src/cli/args.js");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("readTraceArg", () => {
  it("refuses a trace with no requests, naming it", async () => {
    returned.trace = { format: "csv", source: "x.csv", requests: [] };
    await expect(readTraceArg("analyze", ["x.csv"], {})).rejects.toThrow(new CliError("x.csv: the trace has no requests; expected at least one inference request"));
  });

  it("prints each warning on standard error, one line each, and returns the trace", async () => {
    const request = { id: "a", conversation: "c", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1 };
    returned.trace = { format: "csv", source: "x.csv", requests: [request], warnings: ["x.csv:9: one", "x.csv:10: two"] };
    let err = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    const trace = await readTraceArg("fit", ["x.csv"], {});
    expect(trace.requests).toHaveLength(1);
    expect(err).toBe("warning: x.csv:9: one\nwarning: x.csv:10: two\n");
  });
});
