// What the client is asked to send: a node's request with the content stage's prompt, and the
// one-token warm-up request that goes first and is not recorded; and the client for a target.
import type { PromptBody } from "../content/stage.js";
import type { RequestNode } from "../workload/types.js";
import type { RunPlan, RunTarget } from "./run.js";
import type { ClientRequest } from "./types.js";
import type { ClientOptions } from "./client.js";

export function clientOptions(plan: RunPlan, target: RunTarget): ClientOptions {
  return {
    baseUrl: target.apiUrl,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.headers ? { headers: target.headers } : {}),
    timeouts: plan.request.timeouts,
  };
}

const modelOf = (plan: RunPlan, target: RunTarget) => target.model ?? plan.request.model;

export function nodeRequest(plan: RunPlan, target: RunTarget, body: PromptBody, node: RequestNode): ClientRequest {
  const model = modelOf(plan, target);
  return {
    api: plan.request.api,
    ...body,
    ...(model ? { model } : {}),
    maxTokens: node.outputTokens,
    ignoreEos: plan.request.ignoreEos,
    ...(plan.request.extraBody ? { extraBody: plan.request.extraBody } : {}),
  };
}

export function warmUpRequest(plan: RunPlan, target: RunTarget): ClientRequest {
  const model = modelOf(plan, target);
  return {
    api: plan.request.api,
    ...(plan.request.api === "chat" ? { messages: [{ role: "user", content: "warm up" }] } : { prompt: "warm up" }),
    ...(model ? { model } : {}),
    maxTokens: 1,
    ...(plan.request.extraBody ? { extraBody: plan.request.extraBody } : {}),
    // Its one token may be a reasoning model's <think>, which the server's parser swallows.
    allowEmpty: true,
  };
}
