import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { calibrate, digestIds } from "../../../src/content/calibration.js";
import { createCalibrationCache, publicServerUrl, type CalibrationKey } from "../../../src/content/calibration-cache.js";
import { setUpContent } from "../../../src/content/setup.js";
import type { SessionGraph } from "../../../src/workload/types.js";
import { fakeTokenizer, pieceIds, startFakeLlamaServer } from "./fake-llama.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "agentload-calibration-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const key = (over: Partial<CalibrationKey> = {}): CalibrationKey => ({
  server: "http://fake",
  tokenizer: "llama.cpp http://fake",
  model: "m",
  identity: "[\"m\"]",
  probe: digestIds(pieceIds("the probe")),
  ...over,
});

const files = () => readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("calibration cache", () => {
  it("calibrates on a miss, then serves the same calibration from memory after three probe requests", async () => {
    const cache = createCalibrationCache({ dir });
    const tok = fakeTokenizer();
    const first = await cache.calibration(tok, key());
    expect(first.source).toBe("calibrated");
    expect(first.calibration).toEqual(await calibrate(fakeTokenizer()));
    expect(files()).toHaveLength(1);

    tok.calls = { tokenize: 0, chat: 0 };
    const second = await cache.calibration(tok, key());
    expect(second.source).toBe("memory");
    expect(second.calibration).toEqual(first.calibration);
    // The check: the words probe (one /tokenize) and the chat probe (one /apply-template + /tokenize).
    expect(tok.calls).toEqual({ tokenize: 1, chat: 1 });
  });

  it("calibrates once for set-ups started together in one process", async () => {
    const cache = createCalibrationCache({ dir });
    const [a, b] = await Promise.all([cache.calibration(fakeTokenizer(), key()), cache.calibration(fakeTokenizer(), key())]);
    expect([a.source, b.source]).toEqual(["calibrated", "memory"]);
    expect(b.calibration).toEqual(a.calibration);
  });

  it("serves a new process (a new cache over the same folder) from disk", async () => {
    const first = await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key());
    const tok = fakeTokenizer({ name: "llama.cpp http://fake (again)" });
    const again = await createCalibrationCache({ dir }).calibration(tok, key());
    expect(again.source).toBe("disk");
    expect(again.calibration.template).toEqual(first.calibration.template);
    expect(again.calibration.vocabulary).toEqual({ ...first.calibration.vocabulary, tokenizer: tok.name });
  });

  it("keys entries by server, model, identity and probe: another key is another file", async () => {
    const cache = createCalibrationCache({ dir });
    await cache.calibration(fakeTokenizer(), key());
    expect((await cache.calibration(fakeTokenizer(), key({ model: "other" }))).source).toBe("calibrated");
    expect((await cache.calibration(fakeTokenizer(), key({ probe: digestIds([1, 2]) }))).source).toBe("calibrated");
    expect(files()).toHaveLength(3);
  });

  it("calibrates again and overwrites the entry when the probes no longer match (another model, same key)", async () => {
    await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key());
    const before = readFileSync(join(dir, files()[0]!), "utf8");
    const other = fakeTokenizer({ vocabulary: 7 });
    const fresh = createCalibrationCache({ dir });
    const got = await fresh.calibration(other, key());
    expect(got.source).toBe("calibrated");
    expect(got.note).toMatch(/no longer matches the server's tokenizer; calibrated again/);
    expect(readFileSync(join(dir, files()[0]!), "utf8")).not.toBe(before);
    // The memory entry is checked too: the model changes back, and it is measured again.
    other.vocabulary = 0;
    expect((await fresh.calibration(other, key())).source).toBe("calibrated");
    // And once written, the new entry is served.
    expect((await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key())).source).toBe("disk");
  });

  it("recalibrates when the tokenizer gains or loses the chat template", async () => {
    await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key());
    const got = await createCalibrationCache({ dir }).calibration(fakeTokenizer({ chat: false }), key());
    expect(got.source).toBe("calibrated");
    expect(got.calibration.template).toBeUndefined();
  });

  it("ignores a corrupt or tampered file, calibrates again and rewrites it", async () => {
    const cache = createCalibrationCache({ dir });
    const file = cache.fileOf(key())!;
    writeFileSync(file, "{ not json");
    const got = await cache.calibration(fakeTokenizer(), key());
    expect(got.source).toBe("calibrated");
    expect(got.note).toMatch(/ignored .* \(not JSON\); calibrated again/);
    const good = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect((await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key())).source).toBe("disk");

    for (const bad of [{ ...good, words: [] }, { ...good, leads: ["not-a-word"] }, { ...good, template: { overhead: {} } }, { ...good, keyText: "x" }, null, [1]]) {
      writeFileSync(file, JSON.stringify(bad));
      const again = await createCalibrationCache({ dir }).calibration(fakeTokenizer(), key());
      expect(again.source, JSON.stringify(bad).slice(0, 80)).toBe("calibrated");
    }
  });

  it("never crashes on a folder it cannot write: it says so and goes on", async () => {
    const blocked = join(dir, "file-not-folder");
    writeFileSync(blocked, "");
    const got = await createCalibrationCache({ dir: blocked }).calibration(fakeTokenizer(), key());
    expect(got.source).toBe("calibrated");
    expect(got.note).toMatch(/not written to/);
  });

  it("keeps nothing on disk when turned off (AGENTLOAD_NO_TOKENIZER_CACHE=1), memory still serves", async () => {
    const cache = createCalibrationCache({ dir, env: { AGENTLOAD_NO_TOKENIZER_CACHE: "1" } });
    expect(cache.fileOf(key())).toBeUndefined();
    await cache.calibration(fakeTokenizer(), key());
    expect((await cache.calibration(fakeTokenizer(), key())).source).toBe("memory");
    expect(readdirSync(dir)).toEqual([]);
    expect(createCalibrationCache({ dir, env: { AGENTLOAD_NO_TOKENIZER_CACHE: "0" } }).fileOf(key())).toBeDefined();
  });

  it("does not write a file that would hold a header's value", async () => {
    const tok = fakeTokenizer();
    const { vocabulary } = await calibrate(tok);
    const longWord = vocabulary.words.find((w) => w.length >= 8)!;
    const got = await createCalibrationCache({ dir }).calibration(tok, key(), { secrets: [`Bearer ${longWord}`] });
    expect(got.note).toMatch(/would hold a request header's value/);
    expect(files()).toEqual([]);
  });

  it("keeps the server's URL without credentials or query", () => {
    expect(publicServerUrl("http://user:pw@h:1/v1?api_key=k#x")).toBe("http://h:1");
    expect(publicServerUrl("http://h:1/proxy/v1/")).toBe("http://h:1/proxy");
  });
});

describe("setUpContent with the cache, against a scripted llama.cpp server", () => {
  const session: SessionGraph = {
    id: "s",
    scaffoldId: "a",
    nodes: [{ id: "0", parents: [], historyParent: null, freshInputTokens: 12, outputTokens: 4, waitAfterReadyMs: 0 }],
  };
  const scaffolds = [{ id: "a", systemTokens: 30, toolTokens: 10 }];

  it("calibrates once per server and model, checks each reuse, keeps workloads apart and never writes the key", async () => {
    const server = await startFakeLlamaServer();
    const secret = "sk-test-0123456789abcdef";
    const setUp = (seed: string, cache = createCalibrationCache({ dir })) =>
      setUpContent({ server: { apiUrl: server.apiUrl, model: "fake-model" }, headers: { authorization: `Bearer ${secret}` }, seed, scaffolds, api: "chat", salt: seed, calibrationCache: cache });
    try {
      const cache = createCalibrationCache({ dir });
      const first = await setUp("1", cache);
      expect(first.calibration).toBe("calibrated");
      const calibrating = server.requests.length;
      server.requests.length = 0;
      const second = await setUp("2", cache);
      expect(second.calibration).toBe("memory");
      expect(second.notes).toContain("calibration: kept from an earlier set-up (memory), checked against the server");
      // resolve (3) + fingerprint (2) + check (3), against hundreds of texts when calibrating.
      expect(server.requests.length).toBeLessThanOrEqual(8);
      expect(calibrating).toBeGreaterThan(server.requests.length);
      expect((await setUp("3")).calibration).toBe("disk");

      // Same vocabulary and overhead, the workload's own seed and salt: other text, same counts.
      const p1 = first.stage.session(session).promptFor(session.nodes[0]!);
      const p2 = second.stage.session(session).promptFor(session.nodes[0]!);
      expect(second.stage.renderer.vocabulary).toEqual(first.stage.renderer.vocabulary);
      expect(await p2.expected).toEqual(await p1.expected);
      expect(JSON.stringify(p2.body)).not.toBe(JSON.stringify(p1.body));

      // The key went to the server with every request, and into no file.
      expect(server.requests.every((r) => r.headers.authorization === `Bearer ${secret}`)).toBe(true);
      for (const f of files()) expect(readFileSync(join(dir, f), "utf8")).not.toContain(secret);

      // Another model behind the same URL and name: another key (identity and probe), calibrated anew.
      server.vocabulary = 3;
      expect((await setUp("4")).calibration).toBe("calibrated");
    } finally {
      await server.close();
    }
  });
});
