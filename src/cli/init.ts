// `agentload init [dir]`: a vitest project that runs a workload, written into dir (default the
// current folder): the vitest config, benchmarks/coding-agent.workload.ts and the YAML spec it
// runs. An existing file is never overwritten (each one skipped is named), and an existing
// vitest or vite config is left alone: the user adds agentload() to it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { CliError, parseFlags, type Command } from "./args.js";
import { specText, vitestConfigText, workloadText } from "./init-files.js";

const HELP = `usage: agentload init [dir]
Writes into dir (default: the current folder) a vitest project that runs a workload:
  vitest.config.ts (vitest.config.mts in a CommonJS package)   the workloads project, agentload()
  benchmarks/coding-agent.workload.ts                          describeWorkload over the spec
  benchmarks/coding-agent.yaml                                 the spec; its first line points
                                                               editors at agentload's schema
Existing files are never overwritten: each one skipped is named. With a vitest or vite config
already there, add agentload() to its test.projects instead.
Then: npm i -D agentload vitest (if not yet) and npx vitest run (the built-in engine, or the
server AGENTLOAD_URL names).`;

const CONFIG_NAMES = ["vitest", "vite"].flatMap((base) => ["ts", "mts", "cts", "js", "mjs", "cjs"].map((ext) => `${base}.config.${ext}`));
const SPEC = "coding-agent.yaml";
const WORKLOAD = "coding-agent.workload.ts";
const SCHEMA = join("node_modules", "agentload", "schema", "workload.schema.json");

export interface InitResult {
  written: string[];
  /** Files that exist, with what init would have written there. */
  skipped: { file: string; reason: string }[];
  notes: string[];
}

/** The nearest package.json at or above dir, as Node finds the one that sets a file's module type. */
function nearestPackageJson(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, "package.json");
    if (existsSync(file)) return file;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * vitest.config.ts in an ES module package; vitest.config.mts otherwise. vite loads a .ts config
 * of a CommonJS package as CommonJS (agentload/vitest loads that way too, Node 20.19+, but vite
 * warns about the ESM syntax); .mts is an ES module whatever the package says.
 */
export function configFileName(packageJson: string | undefined): string {
  if (!packageJson) return "vitest.config.mts";
  let type: unknown;
  try {
    type = (JSON.parse(readFileSync(packageJson, "utf8")) as { type?: unknown }).type;
  } catch (e) {
    throw new CliError(`${packageJson}: not valid JSON (${(e as Error).message}); init reads its "type" to name the vitest config`);
  }
  return type === "module" ? "vitest.config.ts" : "vitest.config.mts";
}

/** The schema of the agentload installed nearest at or above dir (node_modules may be hoisted). */
function installedSchema(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, SCHEMA))) return join(at, SCHEMA);
    if (dirname(at) === at) return undefined;
  }
}

/** A path the spec's schema line can hold: relative, with forward slashes. */
function relativeUrlPath(from: string, to: string): string {
  return relative(from, to).split(sep).join("/");
}

/** Creates `file` with `text` unless something is there; true when written. */
function writeNew(file: string, text: string): boolean {
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, text, { flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

export function initProject(dirArg: string): InitResult {
  const dir = resolve(dirArg);
  const result: InitResult = { written: [], skipped: [], notes: [] };
  const put = (file: string, text: string, what: string) => {
    if (writeNew(file, text)) result.written.push(file);
    else result.skipped.push({ file, reason: `exists; init would have written ${what}` });
  };

  const packageJson = nearestPackageJson(dir);
  if (!packageJson) result.notes.push(`no package.json at or above ${dir}: run npm init -y, then npm i -D agentload vitest`);
  const existingConfig = CONFIG_NAMES.find((name) => existsSync(join(dir, name)));
  if (existingConfig) {
    result.skipped.push({
      file: join(dir, existingConfig),
      reason: "a vitest/vite config exists; add the workloads project to its test.projects: agentload() from \"agentload/vitest\"",
    });
  } else {
    put(join(dir, configFileName(packageJson)), vitestConfigText(), "the vitest config with agentload()");
  }
  const benchmarks = join(dir, "benchmarks");
  const schema = installedSchema(dir);
  put(join(benchmarks, SPEC), specText(relativeUrlPath(benchmarks, schema ?? join(dir, SCHEMA))), "the workload spec");
  put(join(benchmarks, WORKLOAD), workloadText(SPEC), `the workload file running ${SPEC}`);
  if (!schema && packageJson) {
    result.notes.push("agentload is not installed here yet: npm i -D agentload vitest (the spec's schema line points into node_modules/agentload)");
  }
  return result;
}

export const initCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { positionals } = parseFlags(argv, {});
  if (positionals.length > 1) throw new CliError(`init takes at most one folder, got ${positionals.length}: ${positionals.join(" ")}\n${HELP}`);
  const dir = positionals[0] ?? ".";
  const result = initProject(dir);
  const shown = (file: string) => relative(process.cwd(), file) || file;
  for (const file of result.written) console.log(`wrote   ${shown(file)}`);
  for (const { file, reason } of result.skipped) console.log(`skipped ${shown(file)} (${reason})`);
  for (const note of result.notes) console.log(`note: ${note}`);
  if (result.written.length > 0) console.log(`next: ${dir === "." ? "" : `cd ${dir} && `}npx vitest run`);
  return 0;
};
