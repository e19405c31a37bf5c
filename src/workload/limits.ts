// The largest values a workload may ask for, each with the reason it is the limit. The schema
// (schema/workload.schema.json) states the same numbers as `maximum` where a field is one value
// (test/unit/workload/limits.test.ts keeps them equal); spec-limits.ts checks the sized fields the
// schema cannot bound (distributions), and the generator clamps draws of open-ended distributions
// to them. Values above these never describe a real run: they are typos, and without a limit they
// ran out of memory, overflowed the stack or fired every timer at once.

/**
 * The longest delay a timer can hold in Node, Bun, Deno and browsers (2^31 - 1 ms, 24.8 days):
 * a longer setTimeout fires after 1 ms, so a longer timeout would fail every request at once and
 * a longer duration would stop the run at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** durationSeconds and rampUpSeconds: whole seconds within MAX_TIMER_MS (2,147,483 s). */
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Sessions of a workload (and maxSessions, warmupSessions, --sessions): sessions are generated
 * one at a time, so the count costs no memory, but a billion is beyond any run (11.6 days at a
 * thousand sessions a second) and keeps every count and session index an exact integer.
 */
export const MAX_SESSIONS = 1_000_000_000;

/**
 * Sessions active at once (concurrency, --concurrency): each active session keeps its graph and
 * its conversation in the client's memory, and one client address has at most 64k ports to one
 * server, so no single client can keep more active. A billion lanes ran out of memory.
 */
export const MAX_CONCURRENCY = 100_000;

/**
 * Tokens of one request, as drawn (fresh input, output, summaries, a scaffold part) and as its
 * whole prompt grows: the largest context any server offers is 10M tokens (Llama 4 Scout), and the
 * prompt's text (about 6 bytes a token) is built in memory; 10^9 tokens ran out of memory.
 */
export const MAX_TOKENS = 10_000_000;

/**
 * Requests of one chain (turns) and subagents of one spawn (fanOut): the generator holds a whole
 * session in memory and stops at MAX_NODES_PER_SESSION requests; recorded agent sessions have a
 * few hundred turns (trace-truth: 129 at most).
 */
export const MAX_COUNT = 100_000;

/**
 * Subagent nesting (maxDepth): each level is a recursion of the generator, and agent frameworks
 * nest a level or two (a Claude Code subagent cannot spawn its own).
 */
export const MAX_DEPTH = 100;

/** Safety valve against specs whose nesting explodes (e.g. spawnProbability 1, fanOut 10, maxDepth 6). */
export const MAX_NODES_PER_SESSION = 1_000_000;

/**
 * A distribution may draw above its field's limit this often at most; such draws are clamped to
 * the limit. A tail this thin changes little when cut; a thicker one means the parameters are off
 * (lognormal mu 1000 draws Infinity every time).
 */
export const MAX_CLAMPED_SHARE = 0.01;

/**
 * Nesting of a spec file's collections: a spec is a few levels deep (a spike_tail inside a
 * spike_tail, an extraBody's JSON), and the YAML reader overflows its stack near 800 levels.
 */
export const MAX_SPEC_NESTING = 100;

/**
 * YAML aliases (*name) a spec may expand, as the yaml package counts them (its default): an
 * "alias bomb" of nested aliases expands a few hundred bytes into gigabytes.
 */
export const MAX_ALIAS_COUNT = 100;

/** The units and limit of each sized field of an agent, by the name the generator's streams use. */
export const FIELD_LIMITS = {
  tokens: { most: MAX_TOKENS, what: "tokens" },
  count: { most: MAX_COUNT, what: "requests" },
  waitMs: { most: MAX_TIMER_MS, what: "milliseconds" },
} as const;

const TIMER = "24.8 days, the longest a timer can wait";
const CONTEXT = "the largest context a server offers";

/**
 * Why a field of the schema has its maximum, by the field's name: said when a value passes it.
 * A field listed here has a limit, not a range, so its maximum goes unsaid otherwise ("expected
 * an integer >= 1, got 0" rather than "between 1 and 1000000000").
 */
export const LIMIT_REASONS: Readonly<Record<string, string>> = {
  sessions: "a billion sessions is beyond any run",
  maxSessions: "a billion sessions is beyond any run",
  warmupSessions: "a billion sessions is beyond any run",
  concurrency: "more sessions at once than one client can keep active",
  maxConcurrent: "more subagents at once than one client can keep active",
  durationSeconds: TIMER,
  rampUpSeconds: TIMER,
  connectMs: TIMER,
  firstTokenMs: TIMER,
  totalMs: TIMER,
  idleMs: TIMER,
  systemTokens: CONTEXT,
  toolTokens: CONTEXT,
  contextLimit: CONTEXT,
  promptTokens: CONTEXT,
  maxDepth: "each level of subagents is a recursion of the generator",
  n: "zipf keeps a table of n probabilities",
};
