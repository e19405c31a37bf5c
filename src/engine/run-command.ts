// Run a build step as a child process, appending its output to a log file and passing each
// output line to a callback (for progress). On failure the error carries the log's last lines.
// Steps are owned processes (owned-process.ts): a killed agentload leaves no compiler running.
import { appendFileSync, readFileSync } from "node:fs";
import { spawnOwned } from "./owned-process.js";

export interface StepOptions {
  cwd?: string;
  logFile: string;
  onLine?: (line: string) => void;
}

export function tailOfFile(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export function runStep(command: string, args: string[], opts: StepOptions): Promise<void> {
  appendFileSync(opts.logFile, `\n$ ${command} ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawnOwned(command, args, opts.cwd !== undefined ? { cwd: opts.cwd } : {});
    let pending = "";
    const onData = (buf: Buffer) => {
      appendFileSync(opts.logFile, buf);
      if (!opts.onLine) return;
      pending += buf.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) opts.onLine(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`${command} ${args.slice(0, 3).join(" ")} ${why}; last lines of ${opts.logFile}:\n${tailOfFile(opts.logFile, 30)}`));
    });
  });
}
