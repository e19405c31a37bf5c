// What `agentload init` writes: a vitest config with the workloads project, one workload file and
// the YAML spec it runs. Small enough to pass on the first `npx vitest run` against the built-in
// engine on 2 cores (about 30 requests of 16 tokens), with limits loose enough for a busy CI
// machine; meant to be edited.

/** The vitest config: agentload() runs against AGENTLOAD_URL when set, else the built-in engine. */
export function vitestConfigText(): string {
  return `// Workloads as vitest tests: \`npx vitest run\` runs benchmarks/*.workload.ts against the server
// AGENTLOAD_URL names (AGENTLOAD_MODEL, AGENTLOAD_API_KEY), else against the built-in llama.cpp
// engine agentload builds (cached in ~/.cache/agentload) and starts for the run.
import { defineConfig } from "vitest/config";
import { agentload } from "agentload/vitest";

export default defineConfig({
  test: {
    projects: [
      // Ordinary tests keep vitest's default pool, e.g.:
      // { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"] } },
      agentload(), // or agentload({ server: { url: "http://127.0.0.1:8000/v1" } })
    ],
  },
});
`;
}

/** The workload file, running the spec beside it. */
export function workloadText(specFile: string): string {
  return `// One workload as vitest tests: describeWorkload runs the spec once, then each objective of its
// slo section is a test, with "measurement valid" and the slo(...) checks below. \`npx vitest\`
// (watch mode) reruns this file when ${specFile} changes.
import { expect } from "vitest";
import { describeWorkload, slo } from "agentload/vitest";

describeWorkload("coding agent", { spec: "./${specFile}" }, (run) => {
  slo("every request ends within 30 s (p99)", () => expect(run).toMeetSLO({ e2e: { p99: "30s" } }));
});
`;
}

/** The spec; its first line points editors (the YAML language server) at agentload's schema. */
export function specText(schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
# A small agentic coding workload: 4 sessions of 3 to 6 dependent turns sharing a scaffold
# (system prompt and tools), heavy-tailed fresh input, 2 sessions at a time.
# Every field is described in the schema named above (editors with the YAML extension complete it).
name: coding-agent
seed: 7
sessions: 4
agents:
  - name: coder
    scaffold: { systemTokens: 400, toolTokens: 600 }
    turns: { type: uniform, min: 3, max: 6 }
    freshInput: { type: lognormal, mu: 3.5, sigma: 1, max: 1000 }
    output: 16
traffic: { mode: concurrent, concurrency: 2 }
slo:
  ttfc: { p95: 10s }
  errorRate: { max: 0 }
`;
}
