// The built CLI (dist/cli/main.js) run as a user runs it, with no API key in its environment.
import { spawn } from "node:child_process";
import { cliUnder } from "./runtimes.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): Promise<CliResult> {
  return runCommand(process.execPath, ["dist/cli/main.js", ...args]);
}

/** The built CLI under Bun or Deno (`binary` from support/runtimes.ts findRuntime). */
export function runCliUnder(runtime: "bun" | "deno", binary: string, args: string[]): Promise<CliResult> {
  return runCommand(...cliUnder(runtime, binary, args));
}

function runCommand(command: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AGENTLOAD_API_KEY: "", OPENAI_API_KEY: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
