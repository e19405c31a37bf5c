// Setting up a run's content against its server: pick a tokenizer (the server's own when it has
// one), calibrate the vocabulary to it, measure the chat template's overhead when the tokenizer
// can apply the template, and say what was picked and measured in one-line notes.
// A server tokenizer's calibration is kept per server and model (calibration-cache.ts) and checked
// against the server before it is used again; the rest (seed, salt, scaffolds) is the workload's.
import { calibrate, tokenizerFingerprint, type Calibration } from "./calibration.js";
import { publicServerUrl, sharedCalibrationCache, type CalibrationCache, type CalibrationSource } from "./calibration-cache.js";
import { createReplyCounter } from "./overhead.js";
import { createContentStage, type ContentStage } from "./stage.js";
import { resolveTokenizer, serverRoot } from "./tokenizer.js";
import { NO_OVERHEAD } from "../workload/tokens.js";
import type { Scaffold } from "../workload/types.js";

export interface ContentSetupOptions {
  /** The server: its OpenAI-compatible base URL (with /v1) and model. */
  server: { apiUrl: string; model?: string };
  /** Sent with every request to the server (its API key, extra headers): /tokenize takes the same key as /v1. */
  headers?: Record<string, string>;
  seed: string;
  scaffolds: readonly Scaffold[];
  api: "chat" | "completions";
  /** Mixed into all text (see ContentRendererOptions.salt). */
  salt?: string;
  /** Where calibrations are kept (default: the process's, in memory and on disk); false: calibrate every time. */
  calibrationCache?: CalibrationCache | false;
}

export interface ContentSetup {
  stage: ContentStage;
  /** One line each: the tokenizer picked and why, the template overhead measured. */
  notes: string[];
  /** Where the calibration came from: measured now, or kept (and checked) from an earlier set-up. */
  calibration: CalibrationSource;
}

export async function setUpContent(options: ContentSetupOptions): Promise<ContentSetup> {
  const { server } = options;
  const headers = options.headers;
  const withHeaders = headers && Object.keys(headers).length > 0 ? (input: string, init?: RequestInit) => fetch(input, { ...init, headers: { ...headers, ...(init?.headers as Record<string, string> | undefined) } }) : undefined;
  const fetchOption = withHeaders ? { fetch: withHeaders } : {};
  const { tokenizer, reason } = await resolveTokenizer(server.apiUrl, { ...(server.model ? { model: server.model } : {}), ...fetchOption });
  const notes = [`tokenizer: ${reason}`];

  let calibration: Calibration;
  let source: CalibrationSource = "calibrated";
  const cache = options.calibrationCache ?? sharedCalibrationCache();
  // Only a server's tokenizer is worth keeping: tiktoken calibrates locally in 40 to 90 ms.
  if (cache && tokenizer.kind === "server") {
    const fingerprint = await tokenizerFingerprint(tokenizer, server, { ...fetchOption, timeoutMs: 5_000 });
    const root = serverRoot(server.apiUrl);
    const url = publicServerUrl(root);
    const key = { server: url, tokenizer: tokenizer.name.replace(root, url), ...fingerprint };
    const kept = await cache.calibration(tokenizer, key, { secrets: Object.values(headers ?? {}) });
    ({ calibration, source } = kept);
    if (source !== "calibrated") notes.push(`calibration: kept from an earlier set-up (${source}), checked against the server`);
    if (kept.note) notes.push(kept.note);
  } else {
    calibration = await calibrate(tokenizer);
  }

  const { vocabulary, template } = calibration;
  if (template) {
    notes.push(`chat template overhead: scaffold ${template.overhead.scaffold}, per turn ${template.overhead.fresh} tokens`);
  } else {
    notes.push("chat template overhead: not measurable with this tokenizer; expected prompt tokens count content only");
  }
  const stage = createContentStage({
    seed: options.seed,
    scaffolds: options.scaffolds,
    vocabulary,
    api: options.api,
    overhead: template?.overhead ?? NO_OVERHEAD,
    countReply: createReplyCounter(tokenizer),
    ...(options.salt !== undefined ? { salt: options.salt } : {}),
  });
  return { stage, notes, calibration: source };
}
