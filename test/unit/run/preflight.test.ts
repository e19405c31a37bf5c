// Preflight against scripted servers (fault injection): each failure is one line naming the URL
// and what to fix; warnings where the server is only unusual.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exitCode, EXIT } from "../../../src/cli/run.js";
import { authHeaders, checkFirstRequest, PreflightError, preflightServer } from "../../../src/run/preflight.js";
import { startFaultServer, type FaultServer } from "../../support/fault-server.js";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const json = (body: unknown, status = 200) => ({ status, headers: { "content-type": "application/json" }, steps: [{ raw: JSON.stringify(body) }] });

async function problems(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(PreflightError);
  return (e as PreflightError).problems;
}

describe("preflightServer", () => {
  it("passes a server that lists the model, sending the key", async () => {
    server = await startFaultServer({ fallback: json({ data: [{ id: "m1" }, { id: "m2" }] }) });
    const r = await preflightServer({ apiUrl: server.baseUrl, model: "m2", apiKey: "k1" });
    expect(r).toEqual({ models: ["m1", "m2"], warnings: [], context: null });
    expect(server.requests[0]!.url).toBe("/v1/models");
    expect(server.requests[0]!.headers.authorization).toBe("Bearer k1");
  });

  it("names the model and what is served", async () => {
    server = await startFaultServer({ fallback: json({ data: [{ id: "m1" }] }) });
    expect(await problems(preflightServer({ apiUrl: server.baseUrl, model: "gpt" }))).toEqual([
      `model "gpt" is not served at ${server.baseUrl}; it serves "m1" (pass --model or set request.model)`,
    ]);
  });

  it("a refused or missing key", async () => {
    server = await startFaultServer({ fallback: json({ error: "no" }, 401) });
    expect((await problems(preflightServer({ apiUrl: server.baseUrl })))[0]).toMatch(/answered HTTP 401: no API key was given; set AGENTLOAD_API_KEY/);
    expect((await problems(preflightServer({ apiUrl: server.baseUrl, apiKey: "x" })))[0]).toMatch(/answered HTTP 401: the API key given was refused/);
  });

  it("a URL without /v1 that answers 404 gets the hint; with /v1 it is only a warning", async () => {
    server = await startFaultServer({ fallback: json({ error: "not found" }, 404) });
    const root = server.baseUrl.replace(/\/v1$/, "");
    expect((await problems(preflightServer({ apiUrl: root })))[0]).toBe(`${root}/models answered HTTP 404: an OpenAI-compatible base URL usually ends in /v1 (e.g. ${root}/v1)`);
    expect((await preflightServer({ apiUrl: server.baseUrl })).warnings[0]).toMatch(/lists no models; the model is not checked/);
  });

  it("nothing listening, or no answer in time", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    expect((await problems(preflightServer({ apiUrl: `http://127.0.0.1:${port}/v1` })))[0]).toBe(
      `cannot reach the server at http://127.0.0.1:${port}/v1: ECONNREFUSED (is it running? check the host, port and scheme)`,
    );
    // The dead URL users try first: Node and Deno refuse the port itself, Bun gets a refused connection.
    expect((await problems(preflightServer({ apiUrl: "http://127.0.0.1:9/v1" })))[0]).toMatch(/^cannot reach the server at http:\/\/127\.0\.0\.1:9\/v1: (the port is one fetch refuses|ECONNREFUSED)/);
    server = await startFaultServer({ fallback: { silent: true, steps: [] } });
    expect((await problems(preflightServer({ apiUrl: server.baseUrl }, { timeoutMs: 200 })))[0]).toMatch(/: no answer in time \(is it running/);
  });

  it("the first request's failure, and the headers every request carries", () => {
    expect(() => checkFirstRequest({ apiUrl: "http://h/v1" }, { dispatchedAt: 0, chunkAt: [], text: "", countedChunks: 0, error: { kind: "http", status: 400, message: "bad model" } })).toThrow(
      /the first request \(1 token\) to http:\/\/h\/v1 failed: http HTTP 400: bad model/,
    );
    expect(authHeaders({ apiKey: "k", headers: { "x-a": "1" } })).toEqual({ authorization: "Bearer k", "x-a": "1" });
    expect(authHeaders({})).toEqual({});
  });
});

describe("agentload run exit codes", () => {
  const valid = { valid: true, problems: [], warnings: [] };
  const invalid = { valid: false, problems: ["no request succeeded"], warnings: [] };
  it("interrupted by the user, then not valid, then the SLOs", () => {
    expect(exitCode({ interrupted: true, passed: false, validity: invalid }, true)).toBe(EXIT.interrupted);
    expect(exitCode({ interrupted: true, passed: true, validity: invalid }, false)).toBe(EXIT.invalid);
    expect(exitCode({ interrupted: false, passed: true, validity: invalid }, false)).toBe(4);
    expect(exitCode({ interrupted: false, passed: false, validity: valid }, false)).toBe(1);
    expect(exitCode({ interrupted: false, passed: true, validity: valid }, false)).toBe(0);
  });
});
