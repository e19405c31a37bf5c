// records.jsonl: one line per request, written with a synchronous append the moment the request
// ends, so a crash or Ctrl-C keeps everything measured so far.
import { closeSync, openSync, writeSync } from "node:fs";
import type { RequestRecord } from "./types.js";

export class RecordWriter {
  private fd: number | null;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  append(record: RequestRecord): void {
    if (this.fd === null) throw new Error(`${this.path}: record writer is closed`);
    writeSync(this.fd, JSON.stringify(record) + "\n");
    this.count++;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
