// A generated workload's prompts cut into hash-id blocks, the way a Mooncake trace describes its
// prompts, so the figures analyze computes from hash ids (the share of prompt blocks an unbounded
// prefix cache has already seen) compare a fitted workload with its trace on one definition.
//
// A prompt is its scaffold (the same for every session of that agent), then its history parent's
// whole conversation (that prompt and its reply), then its fresh input. Two prompts hold the same
// block when their text is equal up to the block's end: the end falls in the same piece (the
// scaffold, or one node's fresh input or reply) at the same position of the prompt. A block's id
// names that piece and position, so it names its whole prefix, as a trace's hash id does.
import { nodeScaffold, scaffoldSize, sessionTokens } from "../workload/tokens.js";
import type { Workload } from "../workload/types.js";
import { workloadTrace } from "./from-workload.js";
import type { Trace } from "./types.js";

/** One stretch of a prompt: `key` names its text, `end` is where it ends in the prompt. */
interface Piece {
  key: string;
  end: number;
}

/** The workload as a trace (from-workload.ts) whose requests carry the hash ids of their prompts. */
export function workloadBlockTrace(workload: Workload, blockSize: number): Trace {
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new RangeError(`blockSize must be a whole number >= 1, got ${blockSize}`);
  const ids = new Map<string, number>();
  const idOf = (key: string) => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const hashIds = new Map<string, number[]>();
  for (const session of workload.sessions) {
    const tokens = sessionTokens(session, workload.scaffolds);
    const byId = new Map(session.nodes.map((n) => [n.id, n]));
    const pieces = new Map<string, Piece[]>();
    for (const node of session.nodes) {
      const own = `${session.id}/${node.id}`;
      let list: Piece[];
      if (node.historyParent === null) {
        const scaffold = nodeScaffold(session, node, workload.scaffolds);
        const size = scaffoldSize(scaffold);
        list = size > 0 ? [{ key: `scaffold/${scaffold!.id}`, end: size }] : [];
      } else {
        const parent = byId.get(node.historyParent)!;
        const before = pieces.get(parent.id)!;
        const at = before.length > 0 ? before[before.length - 1]!.end : 0;
        list = [...before, { key: `${session.id}/${parent.id}/reply`, end: at + parent.outputTokens }];
      }
      const start = list.length > 0 ? list[list.length - 1]!.end : 0;
      list.push({ key: `${own}/fresh`, end: start + node.freshInputTokens });
      pieces.set(node.id, list);
      const prompt = tokens.get(node.id)!.promptTokens;
      const blocks: number[] = [];
      let p = 0;
      for (let end = Math.min(blockSize, prompt); end > 0; end = Math.min(end + blockSize, prompt)) {
        // The piece holding the block's last token, at or after the previous block's piece.
        while (list[p]!.end < end) p++;
        blocks.push(idOf(`${list[p]!.key}@${end}`));
        if (end === prompt) break;
      }
      hashIds.set(`${session.id}:${node.id}`, blocks);
    }
  }
  const trace = workloadTrace(workload);
  for (const r of trace.requests) r.hashIds = hashIds.get(r.id)!;
  return { ...trace, blockSize };
}
