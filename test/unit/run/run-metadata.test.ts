// run.json's server URL never carries a secret: credentials and the query (where some servers take
// `?api-key=`) are dropped; the rest of the metadata says where and how the run was measured.
import { describe, expect, it } from "vitest";
import { runMetadata, toolVersion } from "../../../src/run/run-metadata.js";

describe("run metadata", () => {
  it("keeps the server's root URL without user, password, query or fragment, and holds the tool's version, the start time, the workload and the machine", () => {
    const m = runMetadata({ name: "w", apiUrl: "https://user:sk-1@h:1/v1?api-key=sk-2#sk-3", model: "m", fingerprint: { spec: "abc", sessions: 3 }, startedAt: new Date("2026-12-06T00:00:00Z") });
    expect(JSON.stringify(m)).not.toMatch(/sk-/);
    expect(m).toMatchObject({ tool: { name: "agentload", version: toolVersion() }, startedAt: "2026-12-06T00:00:00.000Z", server: { url: "https://h:1", model: "m" }, workload: { name: "w", fingerprint: { spec: "abc", sessions: 3 } } });
    expect(toolVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.host.cpus).toBeGreaterThan(0);
  });
});
