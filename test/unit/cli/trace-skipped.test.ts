// The rows a trace reader leaves out are said by both commands: analyze's table and JSON, fit's
// standard error (fixtures/traces/mooncake-chains.jsonl has one row with an empty prompt and one
// with no output).
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { analyzeCommand } from "../../../src/cli/analyze.js";
import { fitCommand } from "../../../src/cli/fit.js";
import { fixtures } from "../../support/traces.js";

const trace = join(fixtures, "mooncake-chains.jsonl");

afterEach(() => {
  vi.restoreAllMocks();
});

async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const text = (chunk: string | Uint8Array) => (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((out += text(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((err += text(chunk)), true));
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void (out += `${args.join(" ")}\n`));
  const code = await run();
  vi.restoreAllMocks();
  return { code, out, err };
}

describe("rows a reader leaves out", () => {
  it("analyze prints how many and why, in the table and in --json", async () => {
    const table = await captured(() => analyzeCommand([trace, "--block-size", "16"]));
    expect(table.code).toBe(0);
    expect(table.out).toContain("left out 2 rows: input_length or output_length 0\nrequests 13,");
    const json = await captured(() => analyzeCommand([trace, "--block-size", "16", "--json"]));
    expect(JSON.parse(json.out).skipped).toEqual({ rows: 2, why: "input_length or output_length 0" });
  });

  it("fit says so on standard error, beside the spec", async () => {
    const { code, out, err } = await captured(() => fitCommand([trace, "--block-size", "16"]));
    expect(code).toBe(0);
    expect(err).toContain("left out 2 rows of the trace: input_length or output_length 0\n");
    expect(out).toContain("name: mooncake-chains-fit");
  });
});
