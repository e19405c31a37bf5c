// When a request ended, as every reader of records takes it: the end of its stream (doneAt), else
// its last chunk, else its dispatch (a request that failed before any chunk).
import type { RequestRecord } from "./types.js";

export function requestEndAt(r: Pick<RequestRecord, "doneAt" | "chunkAt" | "dispatchedAt">): number {
  // A record read back from an older or hand-made file may lack chunkAt altogether.
  const chunks = r.chunkAt as number[] | undefined;
  return r.doneAt ?? chunks?.[chunks.length - 1] ?? r.dispatchedAt;
}
