// Which server the workloads project runs against (the config's, else AGENTLOAD_URL and
// AGENTLOAD_MODEL, else the built-in engine), and keepRuns as the project carries it.
import { afterEach, describe, expect, test, vi } from "vitest";
import { agentload, DEFAULT_KEEP_RUNS, keepRunsOf } from "../../../src/vitest/plugin.js";
import { chooseServer } from "../../../src/vitest/server-choice.js";

afterEach(() => vi.unstubAllEnvs());

describe("the project's server", () => {
  test("the config's server wins over the environment, which is then said to be ignored", () => {
    const choice = chooseServer({ server: { url: "http://gpu:8000/v1", model: "m" } }, { AGENTLOAD_URL: "http://ci:8000/v1", AGENTLOAD_MODEL: "x" });
    expect(choice).toEqual({
      server: { url: "http://gpu:8000/v1", model: "m" },
      serverFrom: "config",
      note: "AGENTLOAD_URL and AGENTLOAD_MODEL ignored: agentload({ server }) in the config names the server",
    });
  });

  test("without one, AGENTLOAD_URL and AGENTLOAD_MODEL name it (over built-in engine options)", () => {
    expect(chooseServer({}, { AGENTLOAD_URL: " http://ci:8000/v1 ", AGENTLOAD_MODEL: "qwen" })).toEqual({
      server: { url: "http://ci:8000/v1", model: "qwen" },
      serverFrom: "environment",
    });
    expect(chooseServer({ engine: { slots: 2 } }, { AGENTLOAD_URL: "http://ci:8000" })).toEqual({
      server: { url: "http://ci:8000" },
      serverFrom: "environment",
      note: "agentload({ engine }) options ignored: AGENTLOAD_URL names the server",
    });
  });

  test("without either, the built-in engine; an empty AGENTLOAD_URL is no URL", () => {
    expect(chooseServer({ engine: { slots: 2 } }, { AGENTLOAD_URL: "" })).toEqual({ engine: { slots: 2 } });
    expect(chooseServer({}, { AGENTLOAD_MODEL: "m" })).toEqual({ note: "AGENTLOAD_MODEL ignored without AGENTLOAD_URL: the built-in engine serves its own model" });
  });

  test("agentload() reads the environment when the config names no server", () => {
    vi.stubEnv("AGENTLOAD_URL", "http://ci:8000/v1");
    vi.stubEnv("AGENTLOAD_MODEL", "");
    expect(agentload().test!.provide?.agentloadConfig).toEqual({
      server: { url: "http://ci:8000/v1" },
      serverFrom: "environment",
      outputDir: ".agentload",
      runTimeoutMs: 30 * 60_000,
      keepRuns: DEFAULT_KEEP_RUNS,
    });
  });
});

describe("keepRuns", () => {
  test("defaults to 20; 0 and Infinity keep all (0 in the provided context, which is JSON)", () => {
    expect(keepRunsOf(undefined)).toBe(20);
    expect(keepRunsOf(3)).toBe(3);
    expect(keepRunsOf(0)).toBe(0);
    expect(keepRunsOf(Infinity)).toBe(0);
    expect(() => keepRunsOf(-1)).toThrow("agentload(): keepRuns must be a whole number >= 0 (0 or Infinity keeps every run folder), got -1");
    expect(() => keepRunsOf(2.5)).toThrow(/got 2\.5/);
    expect(agentload({ keepRuns: 5 }).test!.provide?.agentloadConfig?.keepRuns).toBe(5);
  });
});
