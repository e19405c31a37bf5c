// Session graphs as Veeksha `timed_synthetic_session` JSONL: one line per request, in the exact
// shape Veeksha's own traces have (Python json.dumps with sorted keys: ", " and ": " separators,
// ASCII-only strings, floats as Python's repr), so equal workloads give byte-identical files.
//
// Per request: input_length = its whole prompt (scaffold + inherited history + fresh);
// cacheable_history_tokens = its history parent's prompt + reply (0 without a history parent);
// new_input_length = fresh tokens, except a request without history parent, whose new input is
// its whole prompt, scaffold included (Veeksha sends new_input_length tokens on top of the
// inherited history, so that is what makes its replay's prompts the right size); wait_after_ready in seconds. Veeksha numbers sessions and nodes,
// so session_id is the session's position in the stream and node_id the node's position in its
// (topologically ordered) session, whatever ids the graph uses.
//
// What Veeksha's fields cannot say rides in one extra key, `agentload` (Veeksha reads the columns
// it names and ignores the rest), written only on lines that need it, so a plain chain stays
// byte-identical to Veeksha's own file: {"kind": "spawn" | "report" | "compaction"} (a "turn" is
// not written) and, on a request without history parent whose scaffold is not empty,
// {"scaffold": {"id", "system_tokens", "tool_tokens"}}; a session's first line that has the key also
// names the session's agent type ({"agent": name}). agentload's reader (traces/veeksha.ts)
// turns them back into subagents (which conversation each request is in), compactions and the
// scaffold every session of an agent shares.
import { validateSession } from "./graph.js";
import { nodeScaffold, scaffoldSize, sessionTokens, type ScaffoldLookup } from "./tokens.js";
import type { RequestNode, Scaffold, SessionGraph, Workload } from "./types.js";

export interface VeekshaOptions {
  /** The `workload` field of every line (usually the workload's name). */
  workload: string;
  scaffolds: ScaffoldLookup;
}

/** Python's repr of a float (what json.dumps writes): shortest digits, ".0" on whole numbers, exponent outside [1e-4, 1e16). */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    // Number#toString is fixed-point and shortest in this range too.
    const s = x.toString();
    return s.includes(".") ? s : `${s}.0`;
  }
  const sign = e < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** A JSON string as Python's json.dumps writes it (ensure_ascii: everything outside space..~ escaped). */
export function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The JSONL lines (without newline) of some sessions, numbered from `firstSession`. */
export function* veekshaLines(
  sessions: Iterable<SessionGraph>,
  options: VeekshaOptions,
  firstSession = 0,
): Generator<string, void, undefined> {
  const workload = pythonString(options.workload);
  let sessionIndex = firstSession;
  for (const session of sessions) {
    validateSession(session);
    const tokens = sessionTokens(session, options.scaffolds);
    const position = new Map(session.nodes.map((n, i) => [n.id, i]));
    for (const [i, node] of session.nodes.entries()) {
      const t = tokens.get(node.id)!;
      const history = node.historyParent === null ? "null" : String(position.get(node.historyParent));
      const parents = node.parents.map((p) => position.get(p)).join(", ");
      const extension = extensionOf(node, node.historyParent === null ? nodeScaffold(session, node, options.scaffolds) : undefined, i === 0 ? session.agent : undefined);
      yield (
        `{${extension}"cacheable_history_tokens": ${t.sharedPrefixTokens}, "input_length": ${t.promptTokens}, ` +
        `"new_input_length": ${node.historyParent === null ? t.promptTokens : node.freshInputTokens}, "node_id": ${i}, "output_length": ${node.outputTokens}, ` +
        `"session_context": {"history_parent": ${history}, "node_id": ${i}, "parent_nodes": [${parents}], ` +
        `"wait_after_ready": ${pythonFloat(node.waitAfterReadyMs / 1000)}}, ` +
        `"session_id": ${sessionIndex}, "workload": ${workload}}`
      );
    }
    sessionIndex++;
  }
}

/** The `"agentload": {...}, ` prefix of a line (keys sorted as json.dumps sorts them), or "" when the line needs none. */
function extensionOf(node: RequestNode, scaffold: Scaffold | undefined, agent: string | undefined): string {
  const parts: string[] = [];
  if (node.kind !== undefined && node.kind !== "turn") parts.push(`"kind": ${pythonString(node.kind)}`);
  if (scaffold && scaffoldSize(scaffold) > 0) {
    parts.push(`"scaffold": {"id": ${pythonString(scaffold.id)}, "system_tokens": ${scaffold.systemTokens}, "tool_tokens": ${scaffold.toolTokens}}`);
  }
  // The session's agent type rides along only where the key is written anyway, so a plain chain stays Veeksha's bytes.
  if (parts.length > 0 && agent !== undefined) parts.unshift(`"agent": ${pythonString(agent)}`);
  return parts.length === 0 ? "" : `"agentload": {${parts.join(", ")}}, `;
}

/** A whole workload as Veeksha JSONL text (every line ends with a newline). */
export function toVeekshaJsonl(workload: Workload): string {
  let out = "";
  for (const line of veekshaLines(workload.sessions, { workload: workload.name, scaffolds: workload.scaffolds })) out += `${line}\n`;
  return out;
}
