// A set of block hash ids (src/stats/id-set.ts) answers as a Set would, for the dense ids traces
// use and for any other number.
import { describe, expect, it } from "vitest";
import { IdSet } from "../../../src/stats/id-set.js";

/** Ids of every kind: sequential, repeated, past the first growth, bit 31 of a word, and ones the dense array cannot hold. */
const IDS = [0, 1, 2, 31, 32, 63, 1023, 1024, 5000, 40_000, 2 ** 20 + 7, -1, -(2 ** 40), 0.5, 2 ** 28, 2 ** 28 - 1, 2 ** 53, 31, 0];

describe("IdSet", () => {
  it("has what was added, and nothing else", () => {
    const set = new IdSet();
    const model = new Set<number>();
    for (const id of IDS) {
      expect(set.has(id), `before adding ${id}`).toBe(model.has(id));
      set.add(id);
      model.add(id);
      expect(set.has(id), `after adding ${id}`).toBe(true);
    }
    for (const probe of [...IDS, 3, 33, 64, 1025, 2 ** 20 + 8, -3, 0.25, 2 ** 28 + 1, 2 ** 30]) expect(set.has(probe), `${probe}`).toBe(model.has(probe));
  });
});
