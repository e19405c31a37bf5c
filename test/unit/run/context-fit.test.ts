// Context fit before the clock: the server's per-request context as vLLM (max_model_len) and
// llama.cpp (/props n_ctx per slot, else meta.n_ctx) state it, the workload's largest request,
// and a misfit as a preflight failure (exit 3) naming the request, the limit and what to change.
import { afterEach, describe, expect, it } from "vitest";
import { checkContextFit, largestRequest } from "../../../src/run/context-fit.js";
import { PreflightError, preflightServer } from "../../../src/run/preflight.js";
import { planFromSpec } from "../../../src/run/run.js";
import { contextFromModels } from "../../../src/run/server-context.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const json = (body: unknown, status = 200) => ({ status, headers: { "content-type": "application/json" }, steps: [{ raw: JSON.stringify(body) }] });

/** A server answering /v1/models and /props (404 when `props` is undefined). */
async function serverWith(models: unknown, props?: unknown): Promise<FaultServer> {
  return startFaultServer({
    fallback: (req: ReceivedRequest) => (req.url.endsWith("/models") ? json(models) : props !== undefined && req.url === "/props" ? json(props) : json({ error: "not found" }, 404)),
  });
}

// Two sessions of 3 chained turns: scaffold 100, fresh 50 each, output 20 each.
// Prompts: 150, 150+20+50 = 220, 220+20+50 = 290; the largest request is 290 + 20 = 310 tokens.
const plan = planFromSpec(
  validateSpec({ name: "fit", seed: 1, sessions: 2, agents: [{ name: "a", scaffold: { systemTokens: 60, toolTokens: 40 }, turns: 3, freshInput: 50, output: 20 }] }),
);

describe("the server's context", () => {
  it("vLLM: max_model_len of the model's /v1/models entry", async () => {
    server = await serverWith({ data: [{ id: "other", max_model_len: 1 }, { id: "m", max_model_len: 8192 }] });
    const r = await preflightServer({ apiUrl: server.baseUrl, model: "m" });
    expect(r.context).toEqual({ tokens: 8192, source: "max_model_len in /v1/models" });
    expect(server.requests.map((q) => q.url)).toEqual(["/v1/models"]);
  });

  it("llama.cpp: /props n_ctx per slot (as the built-in build answers), else meta.n_ctx", async () => {
    const models = { data: [{ id: "agentload-tiny", owned_by: "llamacpp", meta: { n_ctx: 512 } }] };
    server = await serverWith(models, { default_generation_settings: { n_ctx: 512 }, total_slots: 2 });
    expect((await preflightServer({ apiUrl: server.baseUrl })).context).toEqual({ tokens: 512, source: "llama.cpp /props n_ctx per slot (2 slots)" });
    expect(server.requests.map((q) => q.url)).toEqual(["/v1/models", "/props"]);
    await server.close();
    server = await serverWith(models);
    expect((await preflightServer({ apiUrl: server.baseUrl })).context).toEqual({ tokens: 512, source: "meta.n_ctx in /v1/models (llama.cpp)" });
  });

  it("none when the server says nothing, or names no entry for the model among several", async () => {
    server = await serverWith({ data: [{ id: "m" }] });
    expect((await preflightServer({ apiUrl: server.baseUrl })).context).toBeNull();
    expect(contextFromModels([{ id: "a", max_model_len: 10 }, { id: "b", max_model_len: 20 }], undefined)).toBeNull();
  });
});

describe("the workload's largest request", () => {
  it("is the most prompt plus output tokens among the sessions", () => {
    expect(largestRequest(plan)).toEqual({ sessionId: "0", nodeId: "2", promptTokens: 290, outputTokens: 20, scanned: 2, of: 2 });
    expect(largestRequest(plan, 1)).toMatchObject({ scanned: 1, of: 2 });
  });

  it("fails the preflight when it does not fit, naming the request, the limit and what to change", () => {
    const e = (() => {
      try {
        checkContextFit(largestRequest(plan), { tokens: 256, source: "llama.cpp /props n_ctx per slot (4 slots)" });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(PreflightError);
    expect((e as PreflightError).problems).toEqual([
      "the workload's largest request does not fit the server's context: session 0 request 2: 290 prompt + 20 output = 310 tokens; the server allows 256 per request (llama.cpp /props n_ctx per slot (4 slots)). Give the server more context (llama-server -c, which is shared by its -np slots; vLLM --max-model-len) or make the workload's prompts smaller (compaction.contextLimit, fewer turns, smaller freshInput or output)",
    ]);
  });

  it("notes a tight fit, an unknown limit and a partial scan; says nothing when it fits", () => {
    expect(checkContextFit(largestRequest(plan), { tokens: 4096, source: "x" })).toEqual([]);
    expect(checkContextFit(largestRequest(plan), { tokens: 320, source: "x" })).toEqual([
      "the largest request (session 0 request 2: 290 prompt + 20 output = 310 tokens) is within 10% of the server's 320-token context (x); the chat template's own tokens may push it over",
    ]);
    expect(checkContextFit(largestRequest(plan, 1), null)).toEqual([
      "the server does not say its context size (no max_model_len in /v1/models, no llama.cpp /props): the largest request (session 0 request 2: 290 prompt + 20 output = 310 tokens) is not checked against it",
      "context fit: checked the first 1 of 2 sessions",
    ]);
    expect(checkContextFit(null, null)).toEqual([]);
  });
});
