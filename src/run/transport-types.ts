// What the client needs from an HTTP transport: send one POST and feed the response, read by
// read, to a StreamRecorder. One implementation per runtime (undici on Node, fetch elsewhere).
import type { StreamRecorder } from "./stream-recorder.js";

export interface TransportRequest {
  /** Absolute URL (fetch). */
  url: string;
  /** Path and query on the transport's origin (undici). */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Transport {
  /**
   * Sends the request and feeds the head (status, Content-Type, and Retry-After on an error
   * status), every read (stamped with performance.now() when it arrived, before any parsing) and
   * the end or failure to `rec`. Sets `rec.onStop` to abort the
   * request when the recorder gives up (timeouts, abort, a malformed stream). Resolves when the
   * response is over or was stopped; never rejects.
   */
  stream(req: TransportRequest, rec: StreamRecorder): Promise<void>;
  close(): Promise<void>;
}
