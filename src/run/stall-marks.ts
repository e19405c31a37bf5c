// Which written requests were in flight during each event-loop stall (records.jsonl lines), in
// memory that does not grow with the run. A request overlaps a stall when it was in flight during
// it: from < stall end and to > stall start. Two ways a pair meets:
//  - the stall is known when the request's record is written: matched then, against the stalls
//    kept (the first MAX_STALLS and the longest, as the sampler keeps them);
//  - the record was written first: matched when the stall is told, against the records kept.
// The sampler (client-cpu.ts) tells every stall, and every tick of its timer: a stall told later
// starts at or after the last tick, so a record that ended by then can meet no stall still to
// come and is forgotten. What is kept is the records written since the last tick (50 ms), plus
// those of a stall in progress. Without ticks (tests, markStalls on its own), every record is kept.
import type { ClientCpuSamples, EventLoopStall } from "../metrics/client-checks.js";
import { MAX_STALLS } from "./client-cpu.js";

/** records.jsonl lines named per stall. */
export const LINES_PER_STALL = 5;

/** What the sampler tells as it runs (client-cpu.ts CpuSamplerOptions.watcher). */
export interface StallWatcher {
  /** The stall timer ticked at atMs (sampler clock): no stall told later starts before it. */
  tick(atMs: number): void;
  /** A stall has ended (or the sampler stopped during one). */
  stall(stall: EventLoopStall): void;
}

interface Marks {
  stall: EventLoopStall;
  requests: number;
  lines: number[];
}

export class StallMarks implements StallWatcher {
  /** Records kept, in line order: line, from, to; a ring from `head`. */
  private spans = new Float64Array(3 * 256);
  private head = 0;
  private count = 0;
  /** The first MAX_STALLS stalls told, with their marks. */
  private readonly first: Marks[] = [];
  /** The longest stall told after those, if longer than every stall before it (the sampler keeps it beside them). */
  private longestBeyond: Marks | undefined;
  private longestMs = -Infinity;

  /** Records kept (tests: it stays bounded). */
  get held(): number {
    return this.count;
  }

  /** A record was written at `line` (1-based), in flight from `from` to `to` (run clock, ms). */
  record(line: number, from: number, to: number): void {
    for (const m of this.first) meet(m, line, from, to);
    if (this.longestBeyond) meet(this.longestBeyond, line, from, to);
    if (3 * this.count === this.spans.length) this.grow();
    const at = (3 * ((this.head + this.count) % (this.spans.length / 3)));
    this.spans[at] = line;
    this.spans[at + 1] = from;
    this.spans[at + 2] = to;
    this.count++;
  }

  tick(atMs: number): void {
    const slots = this.spans.length / 3;
    while (this.count > 0 && this.spans[3 * this.head + 2]! <= atMs) {
      this.head = (this.head + 1) % slots;
      this.count--;
    }
  }

  stall(stall: EventLoopStall): void {
    const longest = stall.ms > this.longestMs;
    if (longest) this.longestMs = stall.ms;
    if (this.first.length >= MAX_STALLS && !longest) return;
    const marks: Marks = { stall, requests: 0, lines: [] };
    const slots = this.spans.length / 3;
    for (let k = 0; k < this.count; k++) {
      const at = 3 * ((this.head + k) % slots);
      meet(marks, this.spans[at]!, this.spans[at + 1]!, this.spans[at + 2]!);
    }
    if (this.first.length < MAX_STALLS) this.first.push(marks);
    else this.longestBeyond = marks;
  }

  /** The sampler's stalls, each with the requests in flight during it and the first lines. */
  mark(samples: ClientCpuSamples): ClientCpuSamples {
    if (!samples.stalls?.length) return samples;
    const told = new Map<EventLoopStall, Marks>(this.first.map((m) => [m.stall, m]));
    if (this.longestBeyond) told.set(this.longestBeyond.stall, this.longestBeyond);
    const stalls = samples.stalls.map((s) => {
      let m = told.get(s);
      if (!m) {
        // Not told as it ran: matched against the records kept (all of them without ticks).
        m = { stall: s, requests: 0, lines: [] };
        const slots = this.spans.length / 3;
        for (let k = 0; k < this.count; k++) {
          const at = 3 * ((this.head + k) % slots);
          meet(m, this.spans[at]!, this.spans[at + 1]!, this.spans[at + 2]!);
        }
      }
      return { ...s, requests: m.requests, lines: [...m.lines] };
    });
    return { ...samples, stalls };
  }

  private grow(): void {
    const slots = this.spans.length / 3;
    const grown = new Float64Array(this.spans.length * 2);
    for (let k = 0; k < this.count; k++) grown.set(this.spans.subarray(3 * ((this.head + k) % slots), 3 * ((this.head + k) % slots) + 3), 3 * k);
    this.spans = grown;
    this.head = 0;
  }
}

function meet(m: Marks, line: number, from: number, to: number): void {
  if (!(from < m.stall.atMs + m.stall.ms && to > m.stall.atMs)) return;
  m.requests++;
  if (m.lines.length < LINES_PER_STALL) m.lines.push(line);
}
