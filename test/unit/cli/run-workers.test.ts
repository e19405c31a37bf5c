// What a worker of `run --workers N` is given: the command's arguments without the flags the main
// thread handles (the workers count, the server, the output folder, the start time, the engine's).
import { describe, expect, it } from "vitest";
import { withoutFlags } from "../../../src/cli/run-workers.js";

describe("withoutFlags", () => {
  it("drops the main thread's flags in either form, with their values, and keeps the rest in order", () => {
    const argv = ["spec.yaml", "--workers", "4", "--sessions=20", "--url=http://h/v1", "--out", "runs", "--seed", "7", "--reset-cache", "--slots", "8", "--start-in", "30s", "--cache-ttl", "60"];
    expect(withoutFlags(argv)).toEqual(["spec.yaml", "--sessions=20", "--seed", "7", "--cache-ttl", "60"]);
  });

  it("keeps a flag whose name only starts like a dropped one", () => {
    expect(withoutFlags(["s.yaml", "--outer", "x", "--urls", "y"])).toEqual(["s.yaml", "--outer", "x", "--urls", "y"]);
  });
});
