// `agentload run`'s ideal-cache flags: --cache-ttl, --cache-blocks, --cache-block-tokens.
import { describe, expect, it } from "vitest";
import { idealCacheFlags } from "../../../src/cli/run.js";

describe("the ideal cache's flags", () => {
  it("turn into the options: the TTL in ms, an LRU cache of N blocks of 16 tokens unless told", () => {
    expect(idealCacheFlags(undefined, undefined, undefined)).toEqual({});
    expect(idealCacheFlags("60", "4096", undefined)).toEqual({ ttlMs: 60_000, lruBlocks: 4096, blockTokens: 16 });
    expect(idealCacheFlags(undefined, "100", "32")).toEqual({ lruBlocks: 100, blockTokens: 32 });
  });

  it("name the flag and what it expects", () => {
    expect(() => idealCacheFlags("0", undefined, undefined)).toThrow("--cache-ttl expects a number > 0, got '0'");
    expect(() => idealCacheFlags(undefined, "0", undefined)).toThrow("--cache-blocks expects a whole number of blocks >= 1, got '0'");
    expect(() => idealCacheFlags(undefined, "1.5", undefined)).toThrow("--cache-blocks expects a whole number, got '1.5'");
    expect(() => idealCacheFlags(undefined, "10", "0")).toThrow("--cache-block-tokens expects a whole number of tokens >= 1, got '0'");
    expect(() => idealCacheFlags(undefined, undefined, "16")).toThrow("--cache-block-tokens sizes the blocks of --cache-blocks N; give both");
  });
});
