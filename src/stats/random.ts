// Seeded random streams. Every random quantity of a workload draws from its own stream, named by
// the run seed and the quantity's path in the spec (e.g. "agents/0/turns"), so adding or removing
// one component never shifts the draws of another.
//
// seedrandom's default generator (ARC4) is pure integer JavaScript, so a seed and path give the
// same uniform sequence on Node, Bun and Deno.
import seedrandom from "seedrandom";

/** A seeded source of uniform numbers in [0, 1). All randomness goes through one of these. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * The stream for one component: `seed` is the run seed (a number and its decimal string give the
 * same stream, so `seed: 42` in YAML and `--seed 42` agree), `path` names the component.
 */
export function rngFor(seed: string | number, path: string): Rng {
  // JSON keeps seed and path apart, so ("a/b", "c") and ("a", "b/c") are different streams.
  const prng = seedrandom(JSON.stringify([String(seed), path]));
  return { next: () => prng() };
}
