// Records (docs/reliability.md): `agentload run` whose records.jsonl cannot take another line. The
// file-size limit of the process (ulimit -f, Linux) makes the kernel write a line only in part and
// then fail with EFBIG, as a full disk does with ENOSPC (test/unit/records/writer.test.ts has that
// one, from /dev/full). The run stops at the first failed write: exit 5, an error naming the file
// and the errno, no torn line, no request sent after it, every request the server received before
// it recorded exactly once, and the summary of those on stderr (summary.json cannot be written).
// The CLI runs from source (tsx) against the scripted fault server: no engine, a few seconds.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../src/records/types.js";
import { normalStream, startFaultServer, type FaultScript, type FaultServer, type ReceivedRequest } from "../support/fault-server.js";

/** The file-size limit, in 1 KiB blocks (bash's ulimit -f): room for spec.resolved.json and about a dozen records. */
const LIMIT_KB = 8;
const onLinux = process.platform === "linux" && existsSync("/bin/bash");

function runCliLimited(args: string[], limitKb = LIMIT_KB): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // bash sets the limit for itself and the CLI it execs; tsx keeps its transform cache in memory here.
    const child = spawn("/bin/bash", ["-c", `ulimit -f ${limitKb} && exec "$0" "$@"`, process.execPath, "--import", "tsx", "src/cli/main.ts", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "", TSX_DISABLE_CACHE: "1", AGENTLOAD_NO_TOKENIZER_CACHE: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };

describe.skipIf(!onLinux)("records.jsonl reaching a write failure mid-run (ulimit -f: EFBIG)", () => {
  let server: FaultServer;
  let dir: string;
  let r: { code: number | null; stdout: string; stderr: string };
  let runDir: string;
  let text: string;
  /** The recorded chat requests the server received, in order (the unrecorded warm-up left out). */
  let received: ReceivedRequest[];

  beforeAll(async () => {
    server = await startFaultServer({
      fallback: (req) => {
        if (req.url.endsWith("/models")) return { headers: { "content-type": "application/json" }, steps: [{ raw: '{"data":[{"id":"fake"}]}' }] };
        if (!req.url.endsWith("/chat/completions")) return notFound;
        // One token per requested output token: each record's chunkAt has that many stamps.
        const n = (JSON.parse(req.body) as { max_tokens: number }).max_tokens;
        return normalStream({ tokens: Array.from({ length: n }, (_, i) => ` t${i}`), usage: { prompt: 10, completion: n } });
      },
    });
    dir = mkdtempSync(join(tmpdir(), "agentload-faults-records-"));
    const spec = join(dir, "records.yaml");
    // One lane: the request whose record fails is the last one sent. Outputs of 5 to 60 tokens
    // tell the requests apart by max_tokens, and make lines of 0.5 to 1.2 KB.
    writeFileSync(spec, "name: records\nseed: 3\nsessions: 20\nagents: [{ name: a, turns: 5, freshInput: 8, output: { type: uniform, min: 5, max: 60 } }]\ntraffic: { mode: concurrent, concurrency: 1 }\n");
    r = await runCliLimited(["run", spec, "--url", server.baseUrl, "--out", join(dir, "runs")]);
    const runs = readdirSync(join(dir, "runs"));
    expect(runs).toHaveLength(1);
    runDir = join(dir, "runs", runs[0]!);
    text = readFileSync(join(runDir, "records.jsonl"), "utf8");
    received = server.requests.filter((q) => q.url.endsWith("/chat/completions") && !q.body.includes('"warm up"'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("stops with exit 5 and an error naming records.jsonl and the errno", () => {
    expect(r.code, r.stderr).toBe(5);
    const path = join(runDir, "records.jsonl");
    expect(r.stderr).toContain(`agentload: records could not be written: ${path}: cannot append record `);
    expect(r.stderr).toMatch(/cannot append record \d+: EFBIG: file too large, write \(the file keeps \d+ whole records; the \d+ bytes of its partial line were cut away\): the run stopped at the first failed write/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("leaves no torn line: the file is whole JSON lines, below the limit", () => {
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as RequestRecord).not.toThrow();
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(statSync(join(runDir, "records.jsonl")).size).toBeLessThanOrEqual(LIMIT_KB * 1024);
  });

  it("records every request the server received before the failure exactly once, and sends none after it", () => {
    const records = text.trimEnd().split("\n").map((l) => JSON.parse(l) as RequestRecord);
    // One lane: the requests in order, the last one being the request whose record failed.
    expect(received).toHaveLength(records.length + 1);
    expect(records.map((rec) => rec.requestedOutputTokens)).toEqual(received.slice(0, -1).map((q) => (JSON.parse(q.body) as { max_tokens: number }).max_tokens));
    expect(new Set(records.map((rec) => `${rec.sessionId}/${rec.nodeId}`)).size).toBe(records.length);
    expect(records.every((rec) => !rec.error && rec.chunkAt.length === rec.requestedOutputTokens)).toBe(true);
    expect(r.stderr).toContain(`records.jsonl holds the ${records.length} requests before it; 1 request that ended after it (the failed one) has no record`);
  });

  it("prints the summary of the recorded requests on stderr, and writes no summary.json", () => {
    const records = text.trimEnd().split("\n").length;
    expect(r.stderr).toMatch(new RegExp(`requests +${records}\\b`));
    expect(existsSync(join(runDir, "summary.json"))).toBe(false);
  });
});

describe.skipIf(!onLinux)("summary.json reaching a write failure after every record was written (ulimit -f: EFBIG)", () => {
  let server: FaultServer;
  let r: { code: number | null; stdout: string; stderr: string };
  let runDir: string;

  beforeAll(async () => {
    server = await startFaultServer({
      fallback: (req) => {
        if (req.url.endsWith("/models")) return { headers: { "content-type": "application/json" }, steps: [{ raw: '{"data":[{"id":"fake"}]}' }] };
        if (!req.url.endsWith("/chat/completions")) return notFound;
        return normalStream({ tokens: [" a", " b", " c"], usage: { prompt: 10, completion: 3 } });
      },
    });
    const dir = mkdtempSync(join(tmpdir(), "agentload-faults-summary-"));
    const spec = join(dir, "summary.yaml");
    // Three requests of about 0.5 KB each fit under 3 KiB; summary.json (6 to 7 KB) does not.
    writeFileSync(spec, "name: summary\nseed: 3\nsessions: 3\nagents: [{ name: a, turns: 1, freshInput: 8, output: 3 }]\ntraffic: { mode: concurrent, concurrency: 1 }\n");
    r = await runCliLimited(["run", spec, "--url", server.baseUrl, "--out", join(dir, "runs")], 3);
    const runs = readdirSync(join(dir, "runs"));
    expect(runs).toHaveLength(1);
    runDir = join(dir, "runs", runs[0]!);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("exits 5 naming summary.json and the errno, with the summary on stderr and no stack trace", () => {
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`agentload: ${join(runDir, "summary.json")} could not be written: EFBIG: every request's record is in records.jsonl, summary.json was not written`);
    expect(r.stderr).toMatch(/requests +3\b/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("keeps every request's record, whole", () => {
    const lines = readFileSync(join(runDir, "records.jsonl"), "utf8").trimEnd().split("\n");
    const records = lines.map((l) => JSON.parse(l) as RequestRecord);
    expect(records).toHaveLength(3);
    expect(records.every((rec) => !rec.error)).toBe(true);
    expect(server.requests.filter((q) => q.url.endsWith("/chat/completions") && !q.body.includes('"warm up"'))).toHaveLength(3);
  });
});
