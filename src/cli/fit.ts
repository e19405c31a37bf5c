// `agentload fit <trace> [--out spec.yaml]`: a workload spec that reproduces the trace (graph shape,
// fitted distributions, estimated scaffold), checked by validateSpec before it is written. The
// family ranking behind every fitted quantity is printed for people (stderr when the spec itself
// goes to standard output).
import { writeFile } from "node:fs/promises";
import { Document, isScalar, visit } from "yaml";
import { fitTrace, type QuantityFit, type TraceFit } from "../traces/to-spec.js";
import { TraceError } from "../traces/where.js";
import { describeDistribution } from "../workload/distributions.js";
import { SpecError, validateSpec } from "../workload/spec.js";
import { readTraceArg, TRACE_FLAGS, TRACE_FLAGS_HELP } from "./trace-arg.js";
import { CliError, intFlag, parseFlags, type Command } from "./args.js";

const HELP = `usage: agentload fit <trace> [options]
fits a workload spec to a trace (file or directory)
options:
  --out FILE        write the spec (YAML) to FILE; without it the spec goes to standard output
  --crop P          fit token counts on the values up to the P-th percentile only (0 < P <= 100)
  --sessions N      sessions in the spec (default: as many as the trace has)
  --seed S          the spec's seed (default 1)
  --name NAME       the spec's name (default: from the trace's file name)
  --json            print the spec and every fit (ranked families, AIC, KS) as JSON
${TRACE_FLAGS_HELP}
freshInput is fitted without the parent's reply, which a generated workload adds by itself
(\`analyze\` reports and fits fresh input as the trace counts it, reply included)`;

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

/**
 * What each fitted quantity is, in words, so that nobody takes `freshInput` for the fresh input
 * `analyze` reports (which includes the parent's reply).
 */
const QUANTITY_MEANS: Record<string, string> = {
  turns: "requests per conversation",
  taskTokens: "first prompt less the scaffold",
  freshInput: "what a turn adds beside the parent's reply (from prompt growth where the trace has prompt sizes), what the generator adds",
  output: "output tokens",
  waitMs: "wait after ready, ms",
  "subagents.fanOut": "subagents per spawning request",
  "subagents.summaryTokens": "tokens a subagent's result adds",
};

/** One block per fitted quantity: what was chosen and the family ranking behind it. */
export function renderFitReport(fit: TraceFit): string {
  const lines: string[] = [];
  const head = (q: QuantityFit) => {
    const means = QUANTITY_MEANS[q.quantity];
    return `${q.agent}.${q.quantity}${means ? `, ${means}` : ""} (${q.values} values): ${describeDistribution(q.spec)}`;
  };
  for (const q of fit.quantities) {
    lines.push(head(q));
    const report = q.report ?? q.spikeTail?.spike ?? undefined;
    if (q.spikeTail) {
      const t = q.spikeTail;
      lines.push(`  ${(t.spikeProbability * 100).toFixed(1)}% below ${t.threshold}${t.tail ? `, Pareto tail alpha ${fmt(t.tail.alpha)} over ${t.tail.count} values up to ${fmt(t.tail.max)}` : ""}`);
    }
    if (q.tailAic) lines.push(`  with the tail AIC ${fmt(q.tailAic.withTail)}, ${q.tailAic.family} alone ${fmt(q.tailAic.single)}`);
    if (report) {
      if (report.cropped) {
        const p = Number((report.cropped.percentile * 100).toPrecision(6));
        lines.push(`  cropped at p${p} = ${fmt(report.cropped.at)} (${report.cropped.dropped} values left out)`);
      }
      const prefix = q.spikeTail ? "  spike: " : "  ";
      for (const f of report.fits) lines.push(`${prefix}${f.family.padEnd(16)} AIC ${fmt(f.aic).padStart(10)}  KS ${f.ks.toFixed(4)}`);
      for (const f of report.failed) lines.push(`${prefix}${f.family.padEnd(16)} not fitted: ${f.reason}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The spec as YAML, lists of numbers (empirical samples) on one line. */
function specYaml(spec: TraceFit["spec"]): string {
  const doc = new Document(spec, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function cropFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const p = Number(value);
  if (!(p > 0 && p <= 100)) throw new CliError(`--crop expects a percentile in (0, 100], got '${value}'`);
  return p / 100;
}

export const fitCommand: Command = async (argv) => {
  const { values, positionals } = parseFlags(argv, {
    out: { type: "string", short: "o" },
    crop: { type: "string" },
    sessions: { type: "string" },
    seed: { type: "string" },
    name: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...TRACE_FLAGS,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const trace = await readTraceArg("fit", positionals, values, true);
  if (trace.skipped) process.stderr.write(`left out ${trace.skipped.rows} rows of the trace: ${trace.skipped.why}\n`);
  const crop = cropFlag(values.crop);
  const sessions = values.sessions === undefined ? undefined : intFlag("sessions", values.sessions, 0);
  if (sessions === 0) throw new CliError("--sessions expects a whole number >= 1, got '0'");
  if (values.seed !== undefined && values.seed.trim() === "") throw new CliError("--seed expects a non-empty value");
  let fit: TraceFit;
  try {
    fit = fitTrace(trace, {
      ...(crop !== undefined ? { crop } : {}),
      ...(sessions !== undefined ? { sessions } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
    });
  } catch (e) {
    if (e instanceof TraceError) throw new CliError(e.message);
    throw e;
  }
  try {
    validateSpec(fit.spec);
  } catch (e) {
    // A fitted spec that does not validate is our bug, not the user's: say so plainly.
    if (e instanceof SpecError) throw new Error(`the fitted spec does not validate (please report this):\n${e.message}`);
    throw e;
  }
  const yaml = specYaml(fit.spec);
  if (values.json) {
    console.log(JSON.stringify(fit, null, 2));
  } else if (values.out === undefined) {
    process.stderr.write(renderFitReport(fit));
    process.stdout.write(yaml);
  } else {
    process.stdout.write(renderFitReport(fit));
  }
  if (values.out !== undefined) {
    try {
      await writeFile(values.out, yaml);
    } catch (e) {
      throw new CliError(`cannot write --out ${values.out}: ${(e as Error).message}`);
    }
    if (!values.json) console.log(`wrote ${values.out}`);
  }
  return 0;
};
