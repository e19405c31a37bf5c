// Emptying the prefix cache of a server given by URL, against scripted servers that answer as
// vLLM, SGLang and llama.cpp do (routes only; the real llama-server's erase is tested in
// test/integration/cache-reset.test.ts): which endpoint is used, and one clear line otherwise.
import { afterEach, describe, expect, it } from "vitest";
import { resetPrefixCache, serverRoot } from "../../../src/run/cache-reset.js";
import { PreflightError } from "../../../src/run/preflight.js";
import { closedPort } from "../../support/closed-port.js";
import { startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const answer = (status: number, body = "") => ({ status, headers: { "content-type": "application/json" }, steps: body ? [{ raw: body }] : [] });

/** A server with these routes ("METHOD /path"); anything else is a 404. */
const routes = (table: Record<string, { status: number; body?: string }>) => (req: ReceivedRequest) => {
  const hit = table[`${req.method} ${req.url}`];
  return hit ? answer(hit.status, hit.body) : answer(404, '{"error":"Not Found"}');
};

async function problem(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(PreflightError);
  return (e as PreflightError).problems.join("\n");
}

const calls = () => server!.requests.map((r) => `${r.method} ${r.url}`);

describe("resetPrefixCache", () => {
  it("the server's root is the API URL without /v1", () => {
    expect(serverRoot("http://h:8000/v1")).toBe("http://h:8000");
    expect(serverRoot("http://h:8000/v1/")).toBe("http://h:8000");
    expect(serverRoot("http://h:8000/proxy/v1")).toBe("http://h:8000/proxy");
    expect(serverRoot("http://h:8000")).toBe("http://h:8000");
  });

  it("vLLM: POST /reset_prefix_cache, with the key", async () => {
    server = await startFaultServer({ fallback: routes({ "POST /reset_prefix_cache": { status: 200 } }) });
    expect(await resetPrefixCache({ apiUrl: server.baseUrl, apiKey: "k1", headers: { "x-team": "a" } })).toEqual({ engine: "vllm", endpoint: "POST /reset_prefix_cache" });
    expect(calls()).toEqual(["POST /reset_prefix_cache"]);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer k1");
    expect(server.requests[0]!.headers["x-team"]).toBe("a");
  });

  it("SGLang: POST /flush_cache after vLLM's endpoint is not found", async () => {
    server = await startFaultServer({ fallback: routes({ "POST /flush_cache": { status: 200, body: "Cache flushed." } }) });
    expect(await resetPrefixCache({ apiUrl: server.baseUrl })).toEqual({ engine: "sglang", endpoint: "POST /flush_cache" });
    expect(calls()).toEqual(["POST /reset_prefix_cache", "POST /flush_cache"]);
  });

  it("SGLang refusing while requests run says so", async () => {
    server = await startFaultServer({ fallback: routes({ "POST /flush_cache": { status: 400, body: "Cache not flushed because there are pending requests. #queue-req: 0, #running-req: 2" } }) });
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl }))).toBe(
      `cannot reset the prefix cache: POST ${serverRoot(server.baseUrl)}/flush_cache answered HTTP 400 (Cache not flushed because there are pending requests. #queue-req: 0, #running-req: 2); SGLang flushes only when no request is running; let the server go idle first`,
    );
  });

  it("llama.cpp: every slot listed by /slots is erased, with the host-memory cache's caveat", async () => {
    const slots = JSON.stringify([{ id: 0 }, { id: 1 }, { id: 2 }]);
    server = await startFaultServer({
      fallback: routes({
        "GET /slots": { status: 200, body: slots },
        "POST /slots/0?action=erase": { status: 200, body: '{"id_slot":0,"n_erased":10}' },
        "POST /slots/1?action=erase": { status: 200, body: '{"id_slot":1,"n_erased":0}' },
        "POST /slots/2?action=erase": { status: 200, body: '{"id_slot":2,"n_erased":0}' },
      }),
    });
    const reset = await resetPrefixCache({ apiUrl: server.baseUrl });
    expect(reset.engine).toBe("llama.cpp");
    expect(reset.endpoint).toBe("POST /slots/{0..2}?action=erase");
    expect(reset.caveat).toMatch(/--cache-ram 0/);
    expect(calls()).toEqual(["POST /reset_prefix_cache", "POST /flush_cache", "GET /slots", "POST /slots/0?action=erase", "POST /slots/1?action=erase", "POST /slots/2?action=erase"]);
  });

  it("llama.cpp without the slots endpoint, or a slot that cannot be erased", async () => {
    server = await startFaultServer({ fallback: routes({ "GET /slots": { status: 501, body: '{"error":{"message":"This server does not support slots endpoint."}}' } }) });
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl }))).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/slots answered HTTP 501 .*; llama-server serves \/slots only when started with --slots$/);
    await server.close();
    server = await startFaultServer({ fallback: routes({ "GET /slots": { status: 200, body: '[{"id":0}]' }, "POST /slots/0?action=erase": { status: 501, body: "no" } }) });
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl }))).toMatch(/answered HTTP 501 \(no\); llama-server erases slots only when started with --slot-save-path DIR/);
    await server.close();
    server = await startFaultServer({ fallback: routes({ "GET /slots": { status: 200, body: '[{"id":0}]' }, "POST /slots/0?action=erase": { status: 500, body: "busy" } }) });
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl }))).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/slots\/0\?action=erase answered HTTP 500 \(busy\); llama-server could not erase the slot/);
  });

  it("a refused key names the key settings", async () => {
    server = await startFaultServer({ fallback: routes({ "POST /reset_prefix_cache": { status: 401, body: '{"error":"Unauthorized"}' } }) });
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl, apiKey: "wrong" }))).toMatch(/answered HTTP 401 .*; check the API key \(AGENTLOAD_API_KEY, OPENAI_API_KEY or --api-key\)$/);
  });

  it("a server with none of the endpoints: what was tried, and what to do instead", async () => {
    server = await startFaultServer({ fallback: routes({}) });
    const root = serverRoot(server.baseUrl);
    expect(await problem(resetPrefixCache({ apiUrl: server.baseUrl }))).toBe(
      `cannot reset the prefix cache: ${root} has no reset endpoint agentload knows (POST /reset_prefix_cache: HTTP 404, vLLM serves it with VLLM_SERVER_DEV_MODE=1; POST /flush_cache: HTTP 404, SGLang; GET /slots: HTTP 404, llama.cpp); or let agentload start the server (a server: block in the spec) and pass --restart`,
    );
  });

  it("nothing listening", async () => {
    const port = await closedPort();
    expect(await problem(resetPrefixCache({ apiUrl: `http://127.0.0.1:${port}/v1` }))).toBe(`cannot reset the prefix cache: POST http://127.0.0.1:${port}/reset_prefix_cache: ECONNREFUSED`);
  });
});
