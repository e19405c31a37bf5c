// How much slower does a throttle really make the engine, as a client sees it? A nominal setting
// is not the slowdown it gives: SIGSTOP for a third of every 30 ms ("1.5x") made the engine's own
// decode time per token 1.33-1.38x; a CPU quota of 1/1.5 made it 2.1x (the quota also pays for the
// engine's HTTP thread); and a setting tuned to 1.2x of the engine's decode time made the
// workload's TPOT p50 1.3-1.45x at the client; tuned on whole non-streamed requests, the
// workload's streamed ones still slowed 1.35-1.75x. So each method's setting is tuned until a
// streamed request shaped like the workload's, timed by the client to its last byte, takes the
// target factor of the unthrottled one.

/** How long a throttle may take to start working. */
const THROTTLE_START_MS = 1500;

export type Apply = (setting: number) => { stop(): Promise<void> };

/**
 * Median client wall time, ms, of `n` streamed requests one at a time, shaped like the regression
 * workload's: a shared ~600-token system prompt (served from the prefix cache after the first), a
 * fresh ~100-token turn, 12 tokens out, read to the end of the stream.
 */
export async function requestMs(apiUrl: string, model: string, n = 15): Promise<number> {
  const values: number[] = [];
  const system = "you are a coding agent with tools for reading and editing files ".repeat(60);
  const turn = "the quick brown fox jumps over the lazy dog ".repeat(10);
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(`${apiUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        stream: true,
        max_tokens: 12,
        messages: [
          { role: "system", content: system },
          { role: "user", content: `${Math.random()} ${turn}` },
        ],
      }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok) throw new Error(`calibration: ${apiUrl} answered HTTP ${res.status}`);
    await res.arrayBuffer();
    values.push(performance.now() - started);
  }
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

export interface Calibration {
  /** The setting to pass to the method. */
  setting: number;
  /** The slowdown it gave: throttled / unthrottled request time. */
  measured: number;
}

/** Throttled over unthrottled request time, the median of 3 pairs measured back to back (one pair varies by ±8% here). */
async function slowdownOf(apply: Apply, setting: number, measure: () => Promise<number>): Promise<number> {
  const ratios: number[] = [];
  for (let i = 0; i < 3; i++) {
    const base = await measure();
    const t = apply(setting);
    try {
      // The signals throttle is a child process that needs up to a second to start (tsx): a
      // probe measured at once ran mostly unthrottled and pushed the setting to its maximum.
      await new Promise((resolve) => setTimeout(resolve, THROTTLE_START_MS));
      ratios.push((await measure()) / base);
    } finally {
      await t.stop();
    }
  }
  return ratios.sort((a, b) => a - b)[1]!;
}

/** Tunes `apply`'s setting until the measured slowdown is within 5% of `target` (at most 4 tries). */
export async function calibrate(apply: Apply, target: number, measure: () => Promise<number>): Promise<Calibration> {
  let setting = target;
  let best: Calibration | undefined;
  for (let i = 0; i < 4; i++) {
    const measured = await slowdownOf(apply, setting, measure);
    if (!best || Math.abs(measured - target) < Math.abs(best.measured - target)) best = { setting, measured };
    if (Math.abs(measured - target) <= 0.05 * target) break;
    // The excess slowdown scales about linearly with the setting's excess.
    const next = 1 + ((setting - 1) * (target - 1)) / Math.max(measured - 1, 0.01);
    setting = Math.min(5, Math.max(1.01, next));
  }
  return best!;
}
