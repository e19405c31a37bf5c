// Every command and subcommand answers --help with its usage and exit code 0: the command list
// and `engine start --help` through the real entry point (src/cli/main.ts, run by tsx), as a
// user types them; each command's module in process (a process per command costs a second each).
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { Command } from "../../../src/cli/args.js";
import { analyzeCommand } from "../../../src/cli/analyze.js";
import { compareCommand } from "../../../src/cli/compare.js";
import { engineCommand } from "../../../src/cli/engine.js";
import { fitCommand } from "../../../src/cli/fit.js";
import { generateCommand } from "../../../src/cli/generate.js";
import { initCommand } from "../../../src/cli/init.js";
import { inspectCommand } from "../../../src/cli/inspect.js";
import { k8sCommand } from "../../../src/cli/k8s.js";
import { mergeCommand } from "../../../src/cli/merge.js";
import { reportCommand } from "../../../src/cli/report.js";
import { runCommand } from "../../../src/cli/run.js";
import { searchCommand } from "../../../src/cli/search.js";
import { sweepCommand } from "../../../src/cli/sweep.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The entry point runs under Node with tsx: Bun and Deno (the unit project's other runtimes) spawn node from PATH. */
const NODE = process.versions.bun || (globalThis as { Deno?: unknown }).Deno ? "node" : process.execPath;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, ["--import", "tsx", resolve(repo, "src/cli/main.ts"), ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const COMMANDS: [string, Command, string[]][] = [
  ["analyze", analyzeCommand, []],
  ["compare", compareCommand, []],
  ["engine", engineCommand, []],
  ["engine", engineCommand, ["install"]],
  ["engine", engineCommand, ["start"]],
  ["fit", fitCommand, []],
  ["generate", generateCommand, []],
  ["init", initCommand, []],
  ["inspect", inspectCommand, []],
  ["k8s", k8sCommand, []],
  ["merge", mergeCommand, []],
  ["report", reportCommand, []],
  ["run", runCommand, []],
  ["search", searchCommand, []],
  ["sweep", sweepCommand, []],
];

afterEach(() => vi.restoreAllMocks());

describe("--help", () => {
  test("the command list names every command, init included", async () => {
    const { code, stdout } = await cli(["--help"]);
    expect(code).toBe(0);
    expect(/commands: (.*)/.exec(stdout)?.[1]?.split(", ")).toEqual([...new Set(COMMANDS.map((c) => c[0]))]);
  }, 30_000);

  test("agentload engine start --help, through the entry point", async () => {
    const { code, stdout, stderr } = await cli(["engine", "start", "--help"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^usage: agentload engine <install \| start> \[options\]\n/);
    expect(stdout).toContain("--no-prefix-cache");
  }, 30_000);

  test.each(COMMANDS.map(([name, command, sub]) => [[name, ...sub].join(" "), command, sub] as const))(
    "agentload %s --help exits 0 with its usage",
    async (name, command, sub) => {
      for (const flag of ["--help", "-h"]) {
        const out: string[] = [];
        vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
        const err = vi.spyOn(console, "error");
        expect(await command([...sub, flag])).toBe(0);
        expect(out.join("\n")).toMatch(new RegExp(`^usage: agentload ${name.split(" ")[0]}\\b`));
        expect(err).not.toHaveBeenCalled();
        vi.restoreAllMocks();
      }
    },
  );

  test("an unknown engine subcommand is still a usage error, --help or not", async () => {
    await expect(engineCommand(["bogus", "--help"])).rejects.toThrow(/^unknown engine subcommand 'bogus'/);
  });
});
