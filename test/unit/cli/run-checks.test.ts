// `agentload run`'s connection and output flags are checked before anything starts (issue 12):
// a non-http URL, an --out that cannot hold a run folder, an API key or header value an HTTP
// header cannot carry (never shown), and override flags on a trace worded as the spec words them.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError, intFlag } from "../../../src/cli/args.js";
import { apiKeyOf, checkOutDir, checkServerUrl, parseHeaders } from "../../../src/cli/run-checks.js";
import { specFlag } from "../../../src/cli/spec-arg.js";
import { applyOverrides } from "../../../src/workload/overrides.js";
import { validateSpec, type SpecError } from "../../../src/workload/spec.js";

const dir = mkdtempSync(join(tmpdir(), "agentload-run-checks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return (e as Error).message;
  }
  throw new Error("expected a CliError, nothing was thrown");
}

describe("--url", () => {
  it("accepts http and https URLs", () => {
    expect(() => checkServerUrl("http://127.0.0.1:8080/v1")).not.toThrow();
    expect(() => checkServerUrl("https://api.example.com/v1")).not.toThrow();
  });
  it.each(["notaurl", "ftp://127.0.0.1/v1", "127.0.0.1:8080/v1", "file:///tmp/v1"])("refuses %s", (url) => {
    expect(cliErrorOf(() => checkServerUrl(url))).toBe(`--url expects an http:// or https:// URL including /v1, such as http://127.0.0.1:8080/v1, got ${JSON.stringify(url)}`);
  });
});

describe("--out", () => {
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  it("accepts an existing folder and one still to be made", () => {
    expect(() => checkOutDir(dir)).not.toThrow();
    expect(() => checkOutDir(join(dir, "new", "deeper"))).not.toThrow();
    // The check makes the first missing folder to see that it can, then removes it.
    expect(existsSync(join(dir, "new"))).toBe(false);
  });
  it.skipIf(process.platform !== "linux")("refuses a folder under /proc, where none can be made (Node's recursive mkdir never returned there)", () => {
    const message = cliErrorOf(() => checkOutDir("/proc/agentload-x/runs"));
    // As root under Node and Bun access() allows /proc, so the mkdir probe is what refuses it;
    // otherwise (not root, or Deno, whose access() says EACCES there) access() does.
    expect(message).toMatch(/^--out \/proc\/agentload-x\/runs: cannot (create \/proc\/agentload-x \(ENOENT\)|write in \/proc \(EACCES\))/);
  });
  it("refuses a file, or a path through one, naming it", () => {
    expect(cliErrorOf(() => checkOutDir(file))).toBe(`--out ${file}: ${file} is a file, not a folder; expected a folder to write run folders in`);
    expect(cliErrorOf(() => checkOutDir(join(file, "runs")))).toBe(`--out ${join(file, "runs")}: ${file} is a file, not a folder; expected a folder to write run folders in`);
  });
  it.skipIf(process.getuid?.() === 0)(process.getuid?.() === 0 ? "refuses a folder it cannot write in (skipped as root, who can write anywhere)" : "refuses a folder it cannot write in", () => {
    expect(cliErrorOf(() => checkOutDir("/proc/1/runs"))).toMatch(/cannot write in/);
  });
});

describe("API key and headers", () => {
  const secret = "sk-test-7f3a9c1e";
  it("takes the flag, else AGENTLOAD_API_KEY, else OPENAI_API_KEY", () => {
    expect(apiKeyOf("a", { AGENTLOAD_API_KEY: "b", OPENAI_API_KEY: "c" })).toBe("a");
    expect(apiKeyOf(undefined, { AGENTLOAD_API_KEY: "b", OPENAI_API_KEY: "c" })).toBe("b");
    expect(apiKeyOf(undefined, { OPENAI_API_KEY: "c" })).toBe("c");
    expect(apiKeyOf(undefined, {})).toBeUndefined();
    // An empty variable is unset: it does not hide the next one.
    expect(apiKeyOf("", { AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "c" })).toBe("c");
  });
  it("refuses a key with a line break, naming where it came from and never showing it", () => {
    const fromEnv = cliErrorOf(() => apiKeyOf(undefined, { OPENAI_API_KEY: `${secret}\n` }));
    expect(fromEnv).toBe("the API key in OPENAI_API_KEY contains a line break, which an HTTP header cannot carry (the key is not shown); set it again without it");
    const fromFlag = cliErrorOf(() => apiKeyOf(`${secret}\r\nX: y`, {}));
    expect(fromFlag).toMatch(/^the --api-key value contains a line break/);
    expect(fromFlag + fromEnv).not.toContain(secret.slice(3));
    expect(cliErrorOf(() => apiKeyOf(`${secret}\u0000`, {}))).toMatch(/contains a control character/);
    expect(cliErrorOf(() => apiKeyOf(`${secret}→`, {}))).toMatch(/contains a character beyond Latin-1/);
  });
  it("checks header names and values, naming the header but not its value", () => {
    expect(parseHeaders(["X-Trace: 1", "Authorization:  Bearer x "])).toEqual({ "X-Trace": "1", Authorization: "Bearer x" });
    expect(cliErrorOf(() => parseHeaders(["no colon"]))).toBe(`--header expects 'Name: value', got "no colon"`);
    expect(cliErrorOf(() => parseHeaders(["Bad Name: 1"]))).toBe(`--header expects 'Name: value', got "Bad Name: 1"`);
    // Outer whitespace is trimmed as fetch does; a line break inside would split the header.
    const bad = cliErrorOf(() => parseHeaders([`Authorization: Bearer ${secret}\nX-Injected: 1`]));
    expect(bad).toBe("--header Authorization: the value contains a line break, which an HTTP header cannot carry");
  });
});

describe("numeric flags", () => {
  it("a flag standing for a spec field says what the spec says for the same value", () => {
    const spec = validateSpec({ name: "t", seed: 1, sessions: 2, agents: [{ name: "a", turns: 1, freshInput: 1, output: 1 }] });
    const specSays = (overrides: Record<string, unknown>) => {
      try {
        applyOverrides(spec, overrides, { source: "t" });
      } catch (e) {
        return (e as SpecError).problems[0]!.message;
      }
      return undefined;
    };
    const cases: ["sessions" | "concurrency" | "duration", string, Record<string, unknown>][] = [
      ["sessions", "0", { sessions: 0 }],
      ["sessions", "2000000000", { sessions: 2e9 }],
      ["concurrency", "0", { traffic: { mode: "concurrent", concurrency: 0 } }],
      ["concurrency", "1000000000", { traffic: { mode: "concurrent", concurrency: 1e9 } }],
      ["duration", "0", { traffic: { mode: "concurrent", durationSeconds: 0 } }],
      ["duration", "3000000", { traffic: { mode: "concurrent", durationSeconds: 3e6 } }],
    ];
    for (const [flag, text, overrides] of cases) {
      expect(cliErrorOf(() => specFlag(flag, text)), `--${flag} ${text}`).toBe(`--${flag}: ${specSays(overrides)}`);
    }
    expect(specFlag("duration", "1.5")).toBe(1.5);
  });

  it("--grace-ms past a timer's longest wait is refused", () => {
    const most = { most: 2 ** 31 - 1, why: "the longest a timer can wait" };
    expect(intFlag("grace-ms", "300", 0, most)).toBe(300);
    expect(cliErrorOf(() => intFlag("grace-ms", "3000000000", 0, most))).toBe("--grace-ms expects a whole number of at most 2147483647 (the longest a timer can wait), got '3000000000'");
    expect(cliErrorOf(() => intFlag("grace-ms", "", 0))).toBe("--grace-ms expects a whole number, got ''");
  });
});
