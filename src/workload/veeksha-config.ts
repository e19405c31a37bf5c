// Maps a Veeksha benchmark config (its YAML as a plain object) to our WorkloadSpec, so published
// Veeksha experiments run here unchanged. Veeksha's own defaults apply where a key is absent.
// What cannot be mapped is refused with an error naming the key; keys that do not matter to a
// workload (the managed server, evaluators, output paths) are ignored with a warning.
import { SpecError, didYouMean, formatPath, type SpecPath, type SpecProblem, type SpecSource } from "./spec-errors.js";
import type {
  AgentSpec,
  ArrivalSpec,
  DistributionSpec,
  RequestOptionsSpec,
  TrafficSpec,
  WorkloadSpec,
} from "./spec-types.js";

/** A Veeksha config is recognised by the sections only it has. */
export function isVeekshaConfig(data: unknown): data is Record<string, unknown> {
  return isObject(data) && ("session_generator" in data || "traffic_scheduler" in data);
}

export interface VeekshaMapping {
  /** Not yet validated: run it through validateSpec. */
  spec: WorkloadSpec;
  /** Ignored keys and assumed defaults, one line each. */
  warnings: string[];
  /** Where a path of the mapped spec came from in the Veeksha config, for error positions. */
  origin(path: SpecPath): SpecPath;
}

export interface VeekshaOptions extends SpecSource {
  /** Workload name (Veeksha configs have none). Default "veeksha". */
  name?: string;
}

/** Veeksha's defaults for absent keys, as in its config classes. */
const veekshaDefaults = {
  lengthGenerator: { type: "uniform", min: 6, max: 12 },
  waitGenerator: { type: "poisson", arrival_rate: 1.0 },
  maxSessions: 25,
  benchmarkTimeoutSeconds: 300,
  targetConcurrentSessions: 3,
  rampupSeconds: 10,
  seed: 42,
};

/** Top-level sections that describe things other than the workload. */
const ignoredSections: Record<string, string> = {
  server: "agentload does not start servers from a workload; use `agentload engine` or point --url at one",
  evaluators: "agentload always measures performance",
  output_dir: "outputs go where the run command says",
  wandb: "not supported",
  trace_recorder: "agentload always records requests",
  dashboard: "not supported",
  health_check: "not a workload setting",
  preflight: "not a workload setting",
  verification: "not a workload setting",
};

/**
 * Maps a Veeksha config. Throws SpecError (with Veeksha paths, located through `options.locate`)
 * listing every key that cannot be mapped.
 */
export function veekshaToSpec(config: Record<string, unknown>, options: VeekshaOptions = {}): VeekshaMapping {
  const m = new Mapper(options);
  const top = m.section(config, []);

  for (const [key, why] of Object.entries(ignoredSections)) top.ignore(key, why);

  const seed = top.take("seed");
  let specSeed: string | number;
  if (typeof seed === "number" || typeof seed === "string") specSeed = seed;
  else {
    if (seed === undefined) m.warn(["seed"], `not given: using ${veekshaDefaults.seed}`);
    else m.problem(["seed"], `expected a number or a string, got ${JSON.stringify(seed)}`);
    specSeed = veekshaDefaults.seed;
  }

  const runtime = m.section(top.take("runtime") ?? {}, ["runtime"]);
  let sessions = runtime.number("max_sessions", veekshaDefaults.maxSessions, "Veeksha's default");
  if (sessions !== undefined && sessions < 1) {
    m.problem(["runtime", "max_sessions"], `expected a session count >= 1, got ${sessions} (agentload needs a finite number of sessions)`);
    sessions = undefined;
  }
  const timeout = runtime.number("benchmark_timeout", veekshaDefaults.benchmarkTimeoutSeconds, "Veeksha's default");
  for (const key of ["post_timeout_grace_seconds", "num_dispatcher_threads", "num_completion_threads", "num_client_threads", "pregenerate_sessions", "profiling"]) {
    runtime.ignore(key, "not a workload setting");
  }
  runtime.finish();

  const agent = mapSessionGenerator(m, top.take("session_generator"));
  const traffic = mapTraffic(m, top.take("traffic_scheduler"), sessions, timeout);
  const request = mapClient(m, top.take("client"));
  top.finish();
  const sweep = stairSweep(m, agent, sessions ?? veekshaDefaults.maxSessions);

  if (m.problems.length > 0) throw new SpecError(m.problems, options);

  const spec: WorkloadSpec = {
    name: options.name ?? "veeksha",
    seed: specSeed,
    sessions: sweep?.sessions ?? sessions ?? veekshaDefaults.maxSessions,
    agents: [agent as AgentSpec],
  };
  if (traffic) {
    // sequential_launch releases every session at once: as many lanes as sessions.
    if (traffic.mode === "concurrent" && traffic.concurrency === SESSIONS_AT_ONCE) traffic.concurrency = spec.sessions;
    if (sweep && traffic.maxSessions !== undefined) traffic.maxSessions = sweep.sessions;
    spec.traffic = traffic;
  }
  if (sweep) spec.sweep = { [sweep.field]: sweep.values };
  if (Object.keys(request).length > 0) spec.request = request;
  m.origins.push([["sessions"], ["runtime", "max_sessions"]], [["seed"], ["seed"]]);
  return { spec, warnings: m.warnings, origin: (path) => m.origin(path) };
}

function mapSessionGenerator(m: Mapper, raw: unknown): Partial<AgentSpec> {
  const gen = m.section(raw ?? {}, ["session_generator"]);
  const type = gen.type("synthetic");
  const agent: Partial<AgentSpec> = { name: "veeksha" };
  if (type !== "synthetic") {
    m.problem(["session_generator", "type"], `cannot map a ${JSON.stringify(type)} session generator; only "synthetic" maps to an agentload spec (traces go through agentload's trace readers)`);
    gen.finish(true);
    return agent;
  }

  const graphPath = ["session_generator", "session_graph"];
  const graph = m.section(gen.take("session_graph") ?? {}, graphPath);
  const graphType = graph.type("linear");
  if (graphType === "linear") {
    const inherit = graph.take("inherit_history");
    agent.turns = m.length(graph.take("num_request_generator"), [...graphPath, "num_request_generator"], ["agents", 0, "turns"]);
    // A session of one request has no history to carry (Veeksha's prefill microbenchmarks).
    if (inherit === false && agent.turns !== 1) {
      m.problem([...graphPath, "inherit_history"], "cannot map inherit_history: false; agentload sessions always carry their history (it maps only when every session is one request)");
    }
    agent.waitMs = m.wait(graph.take("request_wait_generator"), [...graphPath, "request_wait_generator"], ["agents", 0, "waitMs"]);
  } else if (graphType === "single_request") {
    agent.turns = 1;
  } else if (graphType === "branching") {
    // Its keys are not looked at one by one: the whole graph type is what cannot be mapped.
    m.problem(
      [...graphPath, "type"],
      "cannot map a \"branching\" session graph: its nodes fork one conversation (children inherit a shared history), which a spec cannot express " +
        "(a spec's subagents start from their own scaffold); generate the sessions with Veeksha and replay its timed_synthetic_session JSONL (`agentload run <file>`)",
    );
    graph.finish(true);
  } else {
    m.problem([...graphPath, "type"], `cannot map a ${JSON.stringify(graphType)} session graph; supported: linear, single_request`);
  }
  if (graphType !== "branching") graph.finish();

  const channels = gen.take("channels");
  if (channels === undefined) {
    agent.freshInput = m.length(undefined, ["session_generator", "channels"], ["agents", 0, "freshInput"]);
  } else if (!Array.isArray(channels)) {
    m.problem(["session_generator", "channels"], `expected a list of channels, got ${JSON.stringify(channels)}`);
  } else {
    channels.forEach((raw: unknown, i) => {
      const path = ["session_generator", "channels", i];
      const channel = m.section(raw, path);
      const ctype = channel.type("text");
      if (ctype !== "text") {
        m.problem([...path, "type"], `cannot map a ${JSON.stringify(ctype)} channel; agentload generates text only`);
        channel.finish(true);
        return;
      }
      agent.freshInput = m.length(channel.take("body_length_generator"), [...path, "body_length_generator"], ["agents", 0, "freshInput"]);
      const ratio = channel.take("shared_prefix_ratio");
      if (ratio !== undefined && ratio !== 0) {
        m.problem([...path, "shared_prefix_ratio"], "cannot map a shared prefix ratio; give the agent a scaffold in an agentload spec instead");
      }
      channel.ignore("shared_prefix_probability", "only used with shared_prefix_ratio");
      channel.finish();
    });
    if (agent.freshInput === undefined && m.problems.length === 0) {
      m.problem(["session_generator", "channels"], "expected a channel of type text");
    }
  }

  const outPath = ["session_generator", "output_spec"];
  const output = m.section(gen.take("output_spec") ?? {}, outPath);
  const text = m.section(output.take("text") ?? {}, [...outPath, "text"]);
  agent.output = m.length(text.take("output_length_generator"), [...outPath, "text", "output_length_generator"], ["agents", 0, "output"]);
  text.finish();
  for (const modality of ["image", "audio", "video"]) {
    if (output.take(modality) != null) m.problem([...outPath, modality], `cannot map ${modality} output; agentload generates text only`);
  }
  output.finish();
  gen.finish();
  return agent;
}

function mapTraffic(m: Mapper, raw: unknown, sessions: number | undefined, timeout: number | undefined): TrafficSpec | undefined {
  const path = ["traffic_scheduler"];
  if (raw === undefined) {
    m.warn(path, "no traffic_scheduler: sessions run one at a time");
  }
  const t = m.section(raw ?? { type: "concurrent", target_concurrent_sessions: 1, rampup_seconds: 0 }, path);
  const type = t.type(undefined);
  const cancel = t.take("cancel_session_on_failure");
  const common = {
    ...(sessions !== undefined && sessions >= 1 ? { maxSessions: sessions } : {}),
    ...(timeout !== undefined && timeout > 0 ? { durationSeconds: timeout } : {}),
    onError: cancel === false ? ("continue" as const) : ("cancel-session" as const),
  };
  let traffic: TrafficSpec | undefined;
  if (type === "concurrent") {
    traffic = {
      mode: "concurrent",
      concurrency: t.number("target_concurrent_sessions", veekshaDefaults.targetConcurrentSessions),
      rampUpSeconds: t.number("rampup_seconds", veekshaDefaults.rampupSeconds),
      ...common,
    };
    m.origins.push([["traffic", "concurrency"], [...path, "target_concurrent_sessions"]], [["traffic", "rampUpSeconds"], [...path, "rampup_seconds"]]);
  } else if (type === "rate") {
    const arrivals = m.arrivals(t.take("interval_generator"), [...path, "interval_generator"]);
    if (arrivals) traffic = { mode: "rate", arrivals, ...common };
    m.origins.push([["traffic", "arrivals"], [...path, "interval_generator"]]);
  } else if (type === "sequential_launch") {
    // Veeksha activates every session at once and hands their first requests tickets, so they are
    // sent in session order with no gap; each session then runs at its own pace. Here: a lane per
    // session (set once the session count is known), no ramp-up; lanes start in session order.
    const ordering = t.take("ordering");
    if (ordering !== undefined && ordering !== "dispatch") {
      m.problem([...path, "ordering"], `cannot map ordering ${JSON.stringify(ordering)}; only "dispatch" (the default: the next session starts once the previous one's request is sent) maps`);
    }
    traffic = { mode: "concurrent", concurrency: SESSIONS_AT_ONCE, rampUpSeconds: 0, ...common };
    m.warn([...path, "type"], "sequential_launch: every session starts at once, in session order (agentload does not hold first requests to a strict ticket order)");
  } else {
    m.problem([...path, "type"], `cannot map a ${JSON.stringify(type)} traffic scheduler; supported: concurrent, rate, sequential_launch`);
  }
  m.origins.push([["traffic"], path]);
  t.finish();
  return traffic;
}

function mapClient(m: Mapper, raw: unknown): RequestOptionsSpec {
  const path = ["client"];
  const request: RequestOptionsSpec = {};
  if (raw === undefined) return request;
  const c = m.section(raw, path);
  const type = c.type("openai_chat_completions");
  if (type === "openai_chat_completions") request.api = "chat";
  else if (type === "openai_completions") request.api = "completions";
  else m.problem([...path, "type"], `cannot map a ${JSON.stringify(type)} client; supported: openai_chat_completions, openai_completions`);

  const base = c.take("api_base");
  if (typeof base === "string") request.baseUrl = base;
  const model = c.take("model");
  if (typeof model === "string") request.model = model;
  const ignoreEos = c.take("ignore_eos");
  if (typeof ignoreEos === "boolean") request.ignoreEos = ignoreEos;
  const timeout = c.number("request_timeout", undefined);
  if (timeout !== undefined && timeout > 0) request.timeouts = { totalMs: timeout * 1000 };
  const params = c.take("additional_sampling_params");
  if (params !== undefined) {
    try {
      const body: unknown = typeof params === "string" ? JSON.parse(params) : params;
      if (!isObject(body)) throw new Error("not an object");
      if (Object.keys(body).length > 0) request.extraBody = body;
    } catch {
      m.problem([...path, "additional_sampling_params"], `expected a JSON object, got ${JSON.stringify(params)}`);
    }
  }
  c.ignore("api_key", "not carried into the workload; agentload reads the key from the environment");
  for (const key of ["tokenizer", "max_tokens_param", "min_tokens_param", "use_min_tokens_prompt_fallback", "address_append_value", "max_connections", "num_clients", "num_concurrent_requests_per_client", "auto_spawn_new_clients", "max_clients"]) {
    c.ignore(key, "agentload's client decides this itself");
  }
  c.finish();
  m.origins.push(
    [["request", "baseUrl"], [...path, "api_base"]],
    [["request", "model"], [...path, "model"]],
    [["request", "extraBody"], [...path, "additional_sampling_params"]],
    [["request", "timeouts"], [...path, "request_timeout"]],
    [["request"], path],
  );
  return request;
}

/** Placeholder concurrency of sequential_launch until the session count is known. */
const SESSIONS_AT_ONCE = -1;

/** A Veeksha fixed_stair length generator: values in order, each repeat_each draws, then the next (wrap: from the start again). */
interface Stair {
  values: number[];
  repeatEach: number;
  wrap: boolean;
  path: SpecPath;
  ours: SpecPath;
}

/**
 * A fixed_stair as a `sweep:` over the field it sets: Veeksha's k-th draw takes the stair's step
 * floor(k / repeat_each), and every session here draws each quantity from its own stream, so the
 * order cannot be kept within one run. It maps when one run per value is the same workload: the
 * stair is drawn once per session (turns, or any length when every session is one request) and the
 * sessions give every value equally many draws; each point then runs that many sessions.
 */
function stairSweep(m: Mapper, agent: Partial<AgentSpec>, sessions: number): { field: string; values: number[]; sessions: number } | undefined {
  if (m.stairs.length === 0) return undefined;
  if (m.stairs.length > 1) {
    for (const stair of m.stairs.slice(1)) m.problem([...stair.path, "type"], "cannot map more than one fixed_stair (agentload would sweep them against each other, Veeksha steps them together)");
    return undefined;
  }
  const stair = m.stairs[0]!;
  const perSession = stair.ours[2] === "turns" || agent.turns === 1;
  if (!perSession) {
    m.problem([...stair.path, "type"], "cannot map a fixed_stair drawn for every request of sessions longer than one request (agentload draws each session's sizes from its own stream); it maps for turns, or when sessions are one request");
    return undefined;
  }
  const counts = new Array<number>(stair.values.length).fill(0);
  for (let k = 0; k < sessions; k++) {
    const step = Math.floor(k / stair.repeatEach);
    counts[stair.wrap ? step % stair.values.length : Math.min(step, stair.values.length - 1)]!++;
  }
  if (counts.some((c) => c !== counts[0])) {
    const shown = stair.values.map((v, i) => `${v}: ${counts[i]}`).join(", ");
    m.problem(
      [...stair.path, "type"],
      `cannot map this fixed_stair: it maps to one run per value with equally many sessions each, and max_sessions ${sessions} gives (value: sessions) ${shown}; ` +
        `use max_sessions = ${stair.wrap ? "a multiple of " : ""}${stair.values.length * stair.repeatEach} (values x repeat_each)`,
    );
    return undefined;
  }
  const field = `agents[0].${String(stair.ours[2])}`;
  m.warn(
    stair.path,
    `fixed_stair: maps to \`sweep: { ${field}: [${stair.values.join(", ")}] }\`, ${counts[0]} sessions a value; run it with \`agentload sweep\` ` +
      "(one run per value, one after another; Veeksha steps through them in one run)",
  );
  return { field, values: stair.values, sessions: counts[0]! };
}

/** Collects problems, warnings and path origins while the sections are read. */
class Mapper {
  readonly problems: SpecProblem[] = [];
  readonly warnings: string[] = [];
  /** [path in our spec, path in the Veeksha config], most specific first when looked up. */
  readonly origins: [SpecPath, SpecPath][] = [];
  /** fixed_stair generators met, resolved into a sweep once the session shape is known. */
  readonly stairs: Stair[] = [];

  constructor(private readonly from: SpecSource) {}

  section(raw: unknown, path: SpecPath): Section {
    if (!isObject(raw)) {
      this.problem(path, `expected a mapping, got ${JSON.stringify(raw)}`);
      return new Section({}, path, this);
    }
    return new Section(raw, path, this);
  }

  problem(path: SpecPath, message: string, extra: Partial<SpecProblem> = {}): void {
    this.problems.push({ path, message, ...extra });
  }

  warn(path: SpecPath, message: string): void {
    const at = this.from.locate?.(path, "key");
    const where = [this.from.source, at ? `${at.line}:${at.column}` : undefined].filter(Boolean).join(":");
    this.warnings.push(`${where ? `${where}: ` : ""}${formatPath(path)}: ${message}`);
  }

  origin(path: SpecPath): SpecPath {
    let best: [SpecPath, SpecPath] | undefined;
    for (const entry of this.origins) {
      const [ours] = entry;
      const isPrefix = ours.length <= path.length && ours.every((seg, i) => seg === path[i]);
      if (isPrefix && (!best || ours.length > best[0].length)) best = entry;
    }
    return best ? [...best[1], ...path.slice(best[0].length)] : path;
  }

  /** A Veeksha length generator (token counts, request counts). */
  length(raw: unknown, path: SpecPath, ours: SpecPath): DistributionSpec | undefined {
    this.origins.push([ours, path]);
    if (raw === undefined) this.warn(path, "not given: using Veeksha's default, uniform 6..12");
    const g = this.section(raw ?? veekshaDefaults.lengthGenerator, path);
    const type = g.type(undefined);
    let dist: DistributionSpec | undefined;
    switch (type) {
      case "fixed":
        dist = g.number("value", 8);
        this.origins.push([ours, [...path, "value"]]);
        break;
      case "uniform":
        dist = { type: "uniform", min: g.number("min", 6) ?? 6, max: g.number("max", 12) ?? 12 };
        break;
      case "inverse_gaussian":
        dist = { type: "inverse_gaussian", mean: g.number("mean", 8) ?? 8, shape: g.number("shape", 4) ?? 4 };
        break;
      case "fixed_stair": {
        const stair = this.stair(g, path, ours);
        if (stair) dist = stair.values[0]!;
        break;
      }
      default:
        this.problem([...path, "type"], `cannot map a ${JSON.stringify(type)} length generator; supported: fixed, uniform, inverse_gaussian, fixed_stair`);
        g.finish(true);
        return undefined;
    }
    g.finish();
    return dist;
  }

  /** A fixed_stair generator's settings, checked as Veeksha checks them, kept for stairSweep. */
  private stair(g: Section, path: SpecPath, ours: SpecPath): Stair | undefined {
    const values = g.take("values") ?? [8, 16, 32, 64];
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "number" || !Number.isInteger(v) || v <= 0)) {
      this.problem([...path, "values"], `expected a non-empty list of whole numbers > 0, got ${JSON.stringify(values)}`);
      return undefined;
    }
    const repeatEach = g.number("repeat_each", 1);
    if (repeatEach === undefined || !Number.isInteger(repeatEach) || repeatEach < 1) {
      this.problem([...path, "repeat_each"], `expected a whole number > 0, got ${JSON.stringify(repeatEach)}`);
      return undefined;
    }
    const wrap = g.take("wrap") ?? true;
    if (typeof wrap !== "boolean") {
      this.problem([...path, "wrap"], `expected true or false, got ${JSON.stringify(wrap)}`);
      return undefined;
    }
    const stair: Stair = { values: values as number[], repeatEach, wrap, path, ours };
    this.stairs.push(stair);
    return stair;
  }

  /** A Veeksha interval generator used for waits between requests (seconds there, ms here). */
  wait(raw: unknown, path: SpecPath, ours: SpecPath): DistributionSpec | undefined {
    this.origins.push([ours, path]);
    if (raw === undefined) this.warn(path, "not given: using Veeksha's default, poisson with arrival_rate 1 (mean wait 1 s)");
    const g = this.section(raw ?? veekshaDefaults.waitGenerator, path);
    const type = g.type(undefined);
    let dist: DistributionSpec | undefined;
    switch (type) {
      case "poisson": {
        const rate = g.positive("arrival_rate", 1);
        if (rate) dist = { type: "exponential", mean: 1000 / rate };
        break;
      }
      case "gamma": {
        const rate = g.positive("arrival_rate", 1);
        const cv = g.positive("cv", 0.5);
        // Gamma with mean 1/rate and coefficient of variation cv: shape 1/cv^2, scale mean*cv^2.
        if (rate && cv) dist = { type: "gamma", shape: 1 / (cv * cv), scale: (1000 / rate) * cv * cv };
        break;
      }
      case "fixed": {
        const seconds = g.number("interval", 1);
        if (seconds !== undefined) dist = seconds * 1000;
        break;
      }
      default:
        this.problem([...path, "type"], `cannot map a ${JSON.stringify(type)} interval generator; supported: poisson, gamma, fixed`);
        g.finish(true);
        return undefined;
    }
    g.finish();
    return dist;
  }

  /** A Veeksha interval generator used for session arrivals (rate traffic). */
  arrivals(raw: unknown, path: SpecPath): ArrivalSpec | undefined {
    const g = this.section(raw ?? veekshaDefaults.waitGenerator, path);
    const type = g.type(undefined);
    let arrivals: ArrivalSpec | undefined;
    if (type === "poisson") {
      const rate = g.positive("arrival_rate", 1);
      if (rate) arrivals = { type: "poisson", rate };
    } else if (type === "gamma") {
      const rate = g.positive("arrival_rate", 1);
      const cv = g.positive("cv", 0.5);
      if (rate && cv) arrivals = { type: "gamma", rate, cv };
    } else if (type === "fixed") {
      const seconds = g.positive("interval", 1);
      if (seconds) arrivals = { type: "constant", rate: 1 / seconds };
    } else {
      this.problem([...path, "type"], `cannot map a ${JSON.stringify(type)} interval generator; supported: poisson, gamma, fixed`);
      g.finish(true);
      return undefined;
    }
    g.finish();
    return arrivals;
  }
}

/** One mapping of the Veeksha config: hands out its keys and reports the ones nobody took. */
class Section {
  private readonly used = new Set<string>();
  /** Every key this mapping knows, for "did you mean". */
  private readonly known = new Set<string>();

  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly path: SpecPath,
    private readonly m: Mapper,
  ) {}

  take(key: string): unknown {
    this.used.add(key);
    this.known.add(key);
    return this.obj[key];
  }

  /** The `type` key, or `fallback` when absent. */
  type(fallback: string | undefined): string | undefined {
    const t = this.take("type");
    if (t === undefined) return fallback;
    return typeof t === "string" ? t.toLowerCase() : String(t);
  }

  /** A numeric key; `fallback` when absent, with a warning naming `defaultNote` if given. */
  number(key: string, fallback: number | undefined, defaultNote?: string): number | undefined {
    const v = this.take(key);
    if (v === undefined) {
      if (defaultNote && fallback !== undefined) this.m.warn([...this.path, key], `not given: using ${defaultNote}, ${fallback}`);
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      this.m.problem([...this.path, key], `expected a number, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  positive(key: string, fallback: number): number | undefined {
    const v = this.number(key, fallback);
    if (v !== undefined && v <= 0) {
      this.m.problem([...this.path, key], `expected a number > 0, got ${v}`);
      return undefined;
    }
    return v;
  }

  /** A key that does not matter to a workload: skipped, with a warning when present. */
  ignore(key: string, why: string): void {
    this.known.add(key);
    if (this.obj[key] === undefined) return;
    this.used.add(key);
    this.m.warn([...this.path, key], `ignored (${why})`);
  }

  /** Reports keys nobody read. `quiet`: the section was already refused as a whole. */
  finish(quiet = false): void {
    if (quiet) return;
    for (const key of Object.keys(this.obj)) {
      if (this.used.has(key)) continue;
      const guess = didYouMean(key, this.known);
      this.m.problem([...this.path, key], `cannot map unknown Veeksha key '${key}'${guess ? ` (did you mean '${guess}'?)` : ""}`, {
        part: "key",
        suggested: !!guess,
      });
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
