// Mooncake traces (JSONL): `timestamp` (milliseconds from the trace start), `input_length`,
// `output_length`, `hash_ids` (one id per `blockSize`-token block of the prompt; equal leading
// ids mean an equal prefix). Rows with a `session_id` chain in row order within their session,
// adding `new_input_length` tokens each; the others are linked into conversations by their hash
// ids (hash-chains.ts: a prompt that starts with an earlier whole prompt continues it). Rows with
// an empty prompt or no output are left out and counted: no server can be sent the one, and the
// other is a request cut off before its first token.
import { linkHashChains } from "./hash-chains.js";
import { jsonLineReader, type JsonRowReader } from "./jsonl.js";
import { readLines, type LineReader } from "../stats/lines.js";
import { orderedRequests } from "./order.js";
import type { Trace, TraceRequest } from "./types.js";
import { DEFAULT_BLOCK_SIZE, hashIdsAt } from "./veeksha.js";
import { asObject, countAt, isObject, optionalCountAt, optionalNonNegativeAt, TraceError } from "./where.js";

export function looksLikeMooncake(first: unknown): boolean {
  return isObject(first) && "timestamp" in first && "input_length" in first && "output_length" in first;
}

/** A Mooncake file read line by line (readLines, or read.ts streaming a file). */
export function mooncakeReader(file: string, blockSize = DEFAULT_BLOCK_SIZE): LineReader<Trace> {
  const requests: TraceRequest[] = [];
  const lines: number[] = [];
  const last = new Map<string, string>();
  let skipped = 0;
  const rows: JsonRowReader<Trace> = {
    row(value, where, line) {
      const data = asObject(value, where);
      const input = countAt(data, "input_length", where);
      const timestamp = optionalNonNegativeAt(data, "timestamp", where);
      if (timestamp === undefined) where.at("timestamp").expected("milliseconds from the trace start", data.timestamp);
      const output = countAt(data, "output_length", where);
      if (input === 0 || output === 0) {
        skipped++;
        return;
      }
      const session = data.session_id === undefined || data.session_id === null ? undefined : String(data.session_id);
      const previous = session === undefined ? undefined : last.get(session);
      const id = session === undefined ? `line-${line}` : `${session}:${line}`;
      const request: TraceRequest = {
        id,
        conversation: session ?? id,
        parents: previous === undefined ? [] : [{ from: previous, type: "sequential" }],
        historyParent: previous ?? null,
        freshInputTokens: previous === undefined ? input : (optionalCountAt(data, "new_input_length", where) ?? input),
        outputTokens: output,
        promptTokens: input,
        dispatchedMs: timestamp,
      };
      if (data.hash_ids !== undefined) request.hashIds = hashIdsAt({ data, where });
      if (session !== undefined) last.set(session, id);
      requests.push(request);
      lines.push(line);
    },
    end() {
      if (requests.length === 0) {
        throw new TraceError(`${file}: the trace has no requests${skipped > 0 ? ` (${skipped} rows left out: input_length or output_length 0)` : ""}`);
      }
      last.clear();
      chainSessionless(requests, blockSize);
      const trace: Trace = {
        format: "mooncake",
        source: file,
        requests: orderedRequests(requests, file, (i) => `line ${lines[i]}`),
        blockSize,
      };
      if (skipped > 0) trace.skipped = { rows: skipped, why: "input_length or output_length 0" };
      return trace;
    },
  };
  return jsonLineReader(file, rows);
}

export function parseMooncake(text: string, file: string, blockSize = DEFAULT_BLOCK_SIZE): Trace {
  return readLines(text, mooncakeReader(file, blockSize));
}

/** Links the rows without a session id by hash ids, in dispatch order (in place). */
function chainSessionless(requests: TraceRequest[], blockSize: number): void {
  const sessionless = requests.filter((r) => r.conversation === r.id);
  // Stable: rows dispatched at the same millisecond keep their line order.
  sessionless.sort((a, b) => a.dispatchedMs! - b.dispatchedMs!);
  if (sessionless.length > 0) linkHashChains(sessionless, blockSize);
}
