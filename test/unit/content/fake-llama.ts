// A stand-in for llama.cpp's tokenizer for the calibration tests: a text's pieces are newlines,
// single spaces and runs of other characters with their leading space, each one token whose id
// is a hash of the piece and a `vocabulary` number (another number: another model's ids). Chat
// prompts get a fixed template. As a Tokenizer object, and as a scripted HTTP server speaking
// llama.cpp's /tokenize (mixed string and id arrays too), /apply-template and /v1/models.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatMessage } from "../../../src/workload/types.js";
import type { Tokenizer } from "../../../src/content/tokenizer.js";

export function pieceIds(text: string, vocabulary = 0): number[] {
  return (text.match(/\n| ?[^\s]+| /g) ?? []).map((piece) => {
    let h = 0x811c9dc5 ^ vocabulary;
    for (let i = 0; i < piece.length; i++) h = Math.imul(h ^ piece.charCodeAt(i), 0x01000193) >>> 0;
    return 100 + (h % 30_000);
  });
}

const ROLE_IDS: Record<string, number> = { system: 10, user: 11, assistant: 12, tool: 13 };

/** The template as text: what /apply-template answers, tokenized with BOS by the caller. */
export function applyTemplate(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
  const turns = messages.map((m) => `<${m.role}>\n${m.content ?? ""}</end>\n`).join("");
  return turns + (addGenerationPrompt ? "<assistant>\n" : "");
}

/** Template markers are one token each (as special tokens are). */
export function templateIds(prompt: string, vocabulary = 0, bos = true): number[] {
  const out = bos ? [1] : [];
  for (const part of prompt.split(/(<[a-z]+>|<\/end>)/)) {
    if (part === "") continue;
    const role = /^<([a-z]+)>$/.exec(part)?.[1];
    if (role) out.push(ROLE_IDS[role] ?? 14);
    else if (part === "</end>") out.push(2);
    else out.push(...pieceIds(part, vocabulary));
  }
  return out;
}

export interface FakeTokenizer extends Tokenizer {
  /** Requests as a server would see them: tokenize and tokenizeChat calls. */
  calls: { tokenize: number; chat: number };
  /** Switch the model behind it. */
  vocabulary: number;
}

export function fakeTokenizer(options: { name?: string; vocabulary?: number; chat?: boolean } = {}): FakeTokenizer {
  const tok: FakeTokenizer = {
    name: options.name ?? "llama.cpp http://fake",
    kind: "server",
    calls: { tokenize: 0, chat: 0 },
    vocabulary: options.vocabulary ?? 0,
    tokenize: async (text) => {
      tok.calls.tokenize++;
      return pieceIds(text, tok.vocabulary);
    },
    count: async (text) => (await tok.tokenize(text)).length,
    countMany: async (texts) => {
      tok.calls.tokenize++;
      return texts.map((t) => pieceIds(t, tok.vocabulary).length);
    },
  };
  if (options.chat !== false) {
    tok.tokenizeChat = async (messages, chatOptions = {}) => {
      tok.calls.chat++;
      return templateIds(applyTemplate(messages, chatOptions.addGenerationPrompt ?? true), tok.vocabulary);
    };
  }
  return tok;
}

export interface FakeLlamaServer {
  apiUrl: string;
  /** Change the model (its ids) behind the same URL. */
  vocabulary: number;
  /** Every request: path and headers. */
  requests: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startFakeLlamaServer(options: { model?: string; vocabulary?: number } = {}): Promise<FakeLlamaServer> {
  const model = options.model ?? "fake-model";
  const state: FakeLlamaServer = { apiUrl: "", vocabulary: options.vocabulary ?? 0, requests: [], close: async () => {} };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = req.url ?? "";
      state.requests.push({ path, headers: req.headers });
      const send = (json: unknown, status = 200) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      if (path === "/v1/models") return send({ data: [{ id: model, created: Date.now(), owned_by: "llamacpp", meta: { n_vocab: 32000 + state.vocabulary } }] });
      if (path === "/apply-template") return send({ prompt: applyTemplate(json.messages as ChatMessage[], json.add_generation_prompt !== false) });
      if (path === "/tokenize") {
        const content = json.content;
        const tokenize = (s: string, first: boolean) =>
          json.add_special && first ? templateIds(s, state.vocabulary) : s.includes("<") ? templateIds(s, state.vocabulary, false) : pieceIds(s, state.vocabulary);
        if (typeof content === "string") return send({ tokens: tokenize(content, true) });
        if (Array.isArray(content)) return send({ tokens: content.flatMap((p, i) => (typeof p === "number" ? [p] : tokenize(String(p), i === 0))) });
        return send({ tokens: [] });
      }
      send({ error: "not found" }, 404);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
