// The tiny model the built-in engine serves: generated once from the llama.cpp vocabulary that
// came with the build, then reused from the cache.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureLlamaBuild, type BuildProgress } from "./llama-build.js";
import { cacheRoot } from "./paths.js";
import { TINY_MODEL_VERSION, writeTinyModel } from "./tiny-model.js";

export const TINY_MODEL_VOCAB = "ggml-vocab-llama-spm.gguf";

export interface TinyModelFile {
  path: string;
  vocabPath: string;
}

/** Path of the llama SPM vocabulary GGUF from the cached build (building it when absent). */
export async function vocabPath(opts: { env?: NodeJS.ProcessEnv; onProgress?: (p: BuildProgress) => void } = {}): Promise<string> {
  const env = opts.env ?? process.env;
  if (env.AGENTLOAD_VOCAB_GGUF) return env.AGENTLOAD_VOCAB_GGUF;
  const build = await ensureLlamaBuild(opts);
  return join(build.vocabDir, TINY_MODEL_VOCAB);
}

export async function ensureTinyModel(
  opts: { env?: NodeJS.ProcessEnv; onProgress?: (p: BuildProgress) => void } = {},
): Promise<TinyModelFile> {
  const env = opts.env ?? process.env;
  const vocab = await vocabPath(opts);
  const dir = join(cacheRoot(env), "models");
  // The version is bumped whenever the construction changes, so a stale model is never reused.
  const path = join(dir, `agentload-tiny-v${TINY_MODEL_VERSION}.gguf`);
  if (existsSync(path)) return { path, vocabPath: vocab };
  mkdirSync(dir, { recursive: true });
  await writeTinyModel({ vocabPath: vocab, outPath: path }); // writes atomically
  return { path, vocabPath: vocab };
}
