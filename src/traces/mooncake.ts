// Mooncake traces (JSONL): `timestamp` (milliseconds from the trace start), `input_length`,
// `output_length`, `hash_ids` (one id per `blockSize`-token block of the prompt; equal leading
// ids mean an equal prefix). Each line is a request of its own, arriving at its timestamp. Rows
// with a `session_id` (Mooncake's conversation variant) chain in row order within their session,
// adding `new_input_length` tokens each.
import { jsonLines } from "./jsonl.js";
import { orderedRequests } from "./order.js";
import type { Trace, TraceRequest } from "./types.js";
import { DEFAULT_BLOCK_SIZE, hashIdsAt } from "./veeksha.js";
import { asObject, countAt, isObject, optionalCountAt, optionalNonNegativeAt, TraceError } from "./where.js";

export function looksLikeMooncake(first: unknown): boolean {
  return isObject(first) && "timestamp" in first && "input_length" in first && "output_length" in first;
}

export function parseMooncake(text: string, file: string, blockSize = DEFAULT_BLOCK_SIZE): Trace {
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const last = new Map<string, string>();
  for (const { value, where, line } of jsonLines(text, file)) {
    const data = asObject(value, where);
    const input = countAt(data, "input_length", where);
    const timestamp = optionalNonNegativeAt(data, "timestamp", where);
    if (timestamp === undefined) where.at("timestamp").expected("milliseconds from the trace start", data.timestamp);
    const session = data.session_id === undefined || data.session_id === null ? undefined : String(data.session_id);
    const previous = session === undefined ? undefined : last.get(session);
    const id = session === undefined ? `line-${line}` : `${session}:${line}`;
    const request: TraceRequest = {
      id,
      conversation: session ?? id,
      parents: previous === undefined ? [] : [{ from: previous, type: "sequential" }],
      historyParent: previous ?? null,
      freshInputTokens: previous === undefined ? input : (optionalCountAt(data, "new_input_length", where) ?? input),
      outputTokens: countAt(data, "output_length", where),
      promptTokens: input,
      dispatchedMs: timestamp,
    };
    if (data.hash_ids !== undefined) request.hashIds = hashIdsAt({ data, where });
    if (session !== undefined) last.set(session, id);
    requests.push(request);
    lines.push(line);
  }
  if (requests.length === 0) throw new TraceError(`${file}: the trace has no requests`);
  return {
    format: "mooncake",
    source: file,
    requests: orderedRequests(requests, file, (i) => `line ${lines[i]}`),
    blockSize,
  };
}
