// Watch mode for YAML specs: a workload file reads its spec (`spec: "./coding.yaml"`) with fs at
// run time, so vite's module graph, from which `vitest` (watch) learns which test files a changed
// file affects, never sees it. This vite plugin of the workloads project reads the spec paths a
// module names as string literals and adds each existing file as a watched dependency of that
// module (`addWatchFile` in transform: vite then records the file as imported by the module), so
// saving the YAML reruns the workload files that name it, and only those.
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vitest/config";

/** Source files of the project (not dependencies) that may name a spec. */
const SOURCE_RE = /\.[cm]?[jt]sx?$/;

/** A quoted string literal (no template substitutions) ending in a spec extension. */
const SPEC_LITERAL_RE = /(["'`])((?:(?!\1)[^\\\n$]|\\.)+\.(?:ya?ml|json))\1/g;

/**
 * The files a module's source names as spec literals that exist on disk: relative paths resolve
 * from the module's folder (as describeWorkload resolves them from the workload file), file URLs
 * and absolute paths as they are. A literal naming no file is left alone (it may be text).
 */
export function specFilesNamedIn(code: string, moduleFile: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(SPEC_LITERAL_RE)) {
    const literal = match[2]!;
    let path: string;
    try {
      path = literal.startsWith("file:") ? fileURLToPath(literal) : isAbsolute(literal) ? literal : resolve(dirname(moduleFile), literal);
    } catch {
      continue;
    }
    if (existsSync(path) && statSync(path).isFile()) found.add(path);
  }
  return [...found];
}

export function specWatchPlugin(): Plugin {
  return {
    name: "agentload:spec-watch",
    transform(code, id) {
      const file = id.split("?")[0]!;
      if (!SOURCE_RE.test(file) || file.includes("/node_modules/") || !isAbsolute(file)) return null;
      for (const spec of specFilesNamedIn(code, file)) this.addWatchFile(spec);
      return null;
    },
  };
}
