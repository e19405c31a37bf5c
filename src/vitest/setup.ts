// Setup file of the workloads project: the workload matchers on vitest's expect.
import { expect } from "vitest";
import { installMatchers } from "./matchers.js";

installMatchers(expect);
