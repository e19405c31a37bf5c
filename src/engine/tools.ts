// Checks for the system tools a build needs, naming the Debian package to install when one is absent.
import { spawnSync } from "node:child_process";

export interface Tool {
  command: string;
  debianPackage: string;
}

export const BUILD_TOOLS: Tool[] = [
  { command: "git", debianPackage: "git" },
  { command: "tar", debianPackage: "tar" },
  { command: "cmake", debianPackage: "cmake" },
  { command: "c++", debianPackage: "g++" },
  { command: "make", debianPackage: "make" },
];

export function missingTools(tools: Tool[]): Tool[] {
  return tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t.command}`], { stdio: "ignore" }).status !== 0);
}

export function assertTools(tools: Tool[]): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  const names = missing.map((t) => t.command).join(", ");
  const pkgs = [...new Set(missing.map((t) => t.debianPackage))].join(" ");
  throw new Error(`building llama-server needs ${names}, not found on PATH; install with: apt-get install -y ${pkgs}`);
}
