// Builds llama.cpp's `llama-server` from the source that the npm package node-llama-cpp ships
// inside its tarball (llama/gitRelease.bundle), and keeps the binary and the vocabulary GGUFs in
// the cache, keyed by version and build flags, so later runs and fresh clones reuse it.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "./paths.js";
import { withLock } from "./build-lock.js";
import { runStep } from "./run-command.js";
import { assertTools, BUILD_TOOLS } from "./tools.js";

export const LLAMA_SOURCE_PACKAGE = "node-llama-cpp";
export const LLAMA_SOURCE_VERSION = "3.22.1";

// Static, CPU-only, server target only. LLAMA_BUILD_UI/USE_PREBUILT_UI off: otherwise the
// build tries to download the web UI, and this machine reaches no such host.
export const CMAKE_FLAGS = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_BUILD_UI=OFF",
  "-DLLAMA_USE_PREBUILT_UI=OFF",
  "-DGGML_CCACHE=OFF",
];

export interface LlamaBuild {
  key: string;
  dir: string;
  serverPath: string;
  /** Folder holding llama.cpp's `ggml-vocab-*.gguf` tokenizer files. */
  vocabDir: string;
  /** llama.cpp commit the binary was built from. */
  commit: string;
}

export interface BuildProgress {
  phase: "download" | "extract" | "configure" | "compile" | "done";
  /** Compile progress in percent, when known. */
  percent?: number;
  message: string;
}

export function buildKey(): string {
  const flags = createHash("sha256").update(CMAKE_FLAGS.join(" ")).digest("hex").slice(0, 8);
  return `${LLAMA_SOURCE_PACKAGE}-${LLAMA_SOURCE_VERSION}-${flags}`;
}

function buildsDir(env: NodeJS.ProcessEnv): string {
  return join(cacheRoot(env), "llama.cpp");
}

/** The cached build for the current key, or null when it has not been built yet. */
export function findLlamaBuild(env: NodeJS.ProcessEnv = process.env): LlamaBuild | null {
  const key = buildKey();
  const dir = join(buildsDir(env), key);
  const stampPath = join(dir, "build.json");
  if (!existsSync(stampPath)) return null;
  const stamp = JSON.parse(readFileSync(stampPath, "utf8")) as { commit: string };
  const build: LlamaBuild = {
    key,
    dir,
    serverPath: join(dir, "bin", "llama-server"),
    vocabDir: join(dir, "models"),
    commit: stamp.commit,
  };
  return existsSync(build.serverPath) ? build : null;
}

/** Cached build if present, else build it (7 to 11 minutes on 2 cores). */
export async function ensureLlamaBuild(
  opts: { env?: NodeJS.ProcessEnv; onProgress?: (p: BuildProgress) => void } = {},
): Promise<LlamaBuild> {
  const env = opts.env ?? process.env;
  const found = findLlamaBuild(env);
  if (found) return found;
  mkdirSync(buildsDir(env), { recursive: true });
  return withLock(
    join(buildsDir(env), `${buildKey()}.lock`),
    {
      done: () => findLlamaBuild(env),
      onWait: (pid) => opts.onProgress?.({ phase: "download", message: `waiting for the llama-server build of process ${pid}` }),
    },
    () => buildLlamaServer(env, opts.onProgress ?? (() => {})),
  );
}

async function buildLlamaServer(env: NodeJS.ProcessEnv, progress: (p: BuildProgress) => void): Promise<LlamaBuild> {
  assertTools(BUILD_TOOLS);
  const key = buildKey();
  const root = buildsDir(env);
  // Work in a private folder and rename at the end, so an interrupted or concurrent build never
  // leaves a half-written entry under the key.
  const work = join(root, `${key}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const logFile = join(root, `${key}.build.log`);
  writeFileSync(logFile, `agentload: building llama-server (${key})\n`);

  progress({ phase: "download", message: `fetching ${LLAMA_SOURCE_PACKAGE}@${LLAMA_SOURCE_VERSION} from the npm registry` });
  await runStep("npm", ["pack", `${LLAMA_SOURCE_PACKAGE}@${LLAMA_SOURCE_VERSION}`, "--pack-destination", work, "--silent"], {
    cwd: work,
    logFile,
  });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack left no tarball in ${work}; see ${logFile}`);

  progress({ phase: "extract", message: "extracting the llama.cpp source bundle" });
  await runStep("tar", ["-xzf", tarball, "package/llama/gitRelease.bundle"], { cwd: work, logFile });
  const src = join(work, "src");
  await runStep("git", ["clone", "--quiet", join(work, "package/llama/gitRelease.bundle"), src], { cwd: work, logFile });
  let commit = "";
  await runStep("git", ["rev-parse", "HEAD"], { cwd: src, logFile, onLine: (l) => (commit ||= l.trim()) });

  progress({ phase: "configure", message: `configuring llama.cpp ${commit.slice(0, 8)} with cmake` });
  await runStep("cmake", ["-S", ".", "-B", "build", ...CMAKE_FLAGS], { cwd: src, logFile });

  const jobs = String(Math.max(1, (await import("node:os")).availableParallelism()));
  let last = -1;
  await runStep("cmake", ["--build", "build", "--target", "llama-server", "-j", jobs], {
    cwd: src,
    logFile,
    onLine: (line) => {
      const m = /^\[\s*(\d+)%\]/.exec(line);
      if (!m) return;
      const percent = Number(m[1]);
      if (percent === last) return;
      last = percent;
      progress({ phase: "compile", percent, message: `compiling llama-server ${percent}%` });
    },
  });

  const out = join(work, "out");
  mkdirSync(join(out, "bin"), { recursive: true });
  mkdirSync(join(out, "models"), { recursive: true });
  copyFileSync(join(src, "build", "bin", "llama-server"), join(out, "bin", "llama-server"));
  for (const f of readdirSync(join(src, "models"))) {
    if (/^ggml-vocab-.*\.gguf$/.test(f)) copyFileSync(join(src, "models", f), join(out, "models", f));
  }
  const stamp = { key, package: `${LLAMA_SOURCE_PACKAGE}@${LLAMA_SOURCE_VERSION}`, commit, cmakeFlags: CMAKE_FLAGS, builtAt: new Date().toISOString() };
  writeFileSync(join(out, "build.json"), JSON.stringify(stamp, null, 2) + "\n");
  const dest = join(root, key);
  rmSync(dest, { recursive: true, force: true });
  renameSync(out, dest);
  rmSync(work, { recursive: true, force: true });
  progress({ phase: "done", message: `llama-server built: ${join(dest, "bin", "llama-server")}` });
  const build = findLlamaBuild(env);
  if (!build) throw new Error(`build finished but ${dest} is incomplete; see ${logFile}`);
  return build;
}
