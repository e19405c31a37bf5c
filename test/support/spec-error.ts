// The SpecError a call throws, for tests of spec validation.
import { SpecError } from "../../src/workload/spec.js";

/** The SpecError a call throws (fails the test when it does not throw one). */
export function specErrorOf(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error("expected a SpecError, nothing was thrown");
}
