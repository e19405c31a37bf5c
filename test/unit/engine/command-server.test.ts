// engine/command-server.ts with a small Node HTTP server as the command (a process-lifecycle test:
// no inference is measured): placeholders filled in, readiness polled, stop() ends it, a command
// that exits early or never becomes ready fails with its last log lines.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fillPlaceholders, startCommandServer } from "../../../src/engine/command-server.js";

const dir = mkdtempSync(join(tmpdir(), "agentload-command-server-"));
// Listens on the port in argv, answers /health 200 (or 503 when HEALTH=down), prints a line, and echoes MARK.
writeFileSync(
  join(dir, "server.mjs"),
  `import { createServer } from "node:http";
const port = Number(process.argv[2]);
createServer((req, res) => { res.statusCode = req.url === "/health" && process.env.HEALTH !== "down" ? 200 : 503; res.end(process.env.MARK ?? ""); }).listen(port, "127.0.0.1", () => console.log("listening on " + port + " mark " + process.env.MARK));
`,
);
writeFileSync(join(dir, "fail.mjs"), `console.error("cannot load the model: out of memory"); process.exit(3);\n`);

describe("startCommandServer", () => {
  it("fills {port} and {host}, waits for /health, and stops the process", async () => {
    const server = await startCommandServer({ command: process.execPath, args: ["server.mjs", "{port}"], cwd: dir, env: { MARK: "m-{port}" }, readyTimeoutMs: 20_000 });
    try {
      expect(server.apiUrl).toBe(`http://127.0.0.1:${server.port}/v1`);
      expect(server.commandLine).toBe(`${process.execPath} server.mjs ${server.port}`);
      const body = await (await fetch(`http://127.0.0.1:${server.port}/health`)).text();
      expect(body).toBe(`m-${server.port}`);
      expect(server.recentLogs().join("\n")).toContain(`listening on ${server.port}`);
    } finally {
      await server.stop();
    }
    expect(server.exitStatus()).not.toBeNull();
    await expect(fetch(`http://127.0.0.1:${server.port}/health`)).rejects.toThrow();
  }, 30_000);

  it("fails with the command's last log lines when it exits before it is ready", async () => {
    await expect(startCommandServer({ command: process.execPath, args: ["fail.mjs"], cwd: dir, readyTimeoutMs: 20_000 })).rejects.toThrow(/exited with code 3 before it was ready:[\s\S]*cannot load the model: out of memory/);
  }, 30_000);

  it("gives up after the ready timeout, stopping the process", async () => {
    await expect(startCommandServer({ command: process.execPath, args: ["server.mjs", "{port}"], cwd: dir, env: { HEALTH: "down" }, readyTimeoutMs: 1500 })).rejects.toThrow(/not ready at http:\/\/127\.0\.0\.1:\d+\/health after 1500 ms/);
  }, 30_000);

  it("says when the command cannot be run", async () => {
    await expect(startCommandServer({ command: "./no-such-engine", cwd: dir, readyTimeoutMs: 5000 })).rejects.toThrow(/could not start/);
  }, 30_000);
});

describe("fillPlaceholders", () => {
  it("replaces every {port} and {host}", () => {
    expect(fillPlaceholders("http://{host}:{port}/v1 --port {port}", 8123)).toBe("http://127.0.0.1:8123/v1 --port 8123");
  });
});
