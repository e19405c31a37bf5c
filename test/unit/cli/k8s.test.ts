// `agentload k8s`: the manifest parses as YAML into a ConfigMap with the spec file as given and an
// Indexed Job whose pod k runs shard k of N against the URL from one start time, writing its run
// folder to the volume; the API key is referenced from a Secret and never written, even when the
// command's own environment holds one. Bad input is a usage error naming the flag.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { CliError } from "../../../src/cli/args.js";
import { k8sCommand } from "../../../src/cli/k8s.js";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const SPEC = "benchmarks/coding-agent.yaml";

async function manifest(args: string[]) {
  const out = join(mkdtempSync(join(tmpdir(), "agentload-k8s-")), "job.yaml");
  vi.spyOn(console, "error").mockImplementation(() => {});
  expect(await k8sCommand([SPEC, "--out", out, ...args])).toBe(0);
  const text = readFileSync(out, "utf8");
  // Read as a test reads YAML: any field may be asked for.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
  return { text, configMap: docs[0]!, job: docs[1]! };
}

describe("agentload k8s", () => {
  it("writes the spec's ConfigMap and an Indexed Job of N shards with one start time, the key from a Secret", async () => {
    vi.stubEnv("AGENTLOAD_API_KEY", "sk-never-in-a-manifest");
    vi.stubEnv("OPENAI_API_KEY", "sk-nor-this-one");
    const at = new Date(Date.now() + 15 * 60_000).toISOString();
    const { text, configMap, job } = await manifest(["--shards", "3", "--url", "http://vllm.llm.svc:8000/v1", "--start-at", at, "--secret", "llm-key", "--secret-key", "token", "--duration", "300"]);
    expect(text).not.toContain("sk-never");
    expect(text).not.toContain("sk-nor");
    expect(configMap).toMatchObject({ kind: "ConfigMap", metadata: { name: "agentload-coding-agent-spec" } });
    expect(configMap.data["coding-agent.yaml"]).toBe(readFileSync(SPEC, "utf8").trimEnd() + "\n");
    expect(job).toMatchObject({ kind: "Job", spec: { completionMode: "Indexed", completions: 3, parallelism: 3, backoffLimit: 0 } });
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    const args: string[] = container.args;
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag("run")).toBe("/spec/coding-agent.yaml");
    expect(flag("--url")).toBe("http://vllm.llm.svc:8000/v1");
    expect(flag("--shard")).toBe("$(SHARD_INDEX)/3");
    expect(flag("--start-at")).toBe(at);
    expect(flag("--out")).toBe("/runs/agentload-coding-agent/shard-$(SHARD_INDEX)");
    expect(flag("--duration")).toBe("300");
    expect(args).not.toContain("--api-key");
    expect(container.env).toEqual([
      { name: "SHARD_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      { name: "AGENTLOAD_API_KEY", valueFrom: { secretKeyRef: { name: "llm-key", key: "token" } } },
    ]);
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.volumes).toEqual([
      { name: "spec", configMap: { name: "agentload-coding-agent-spec" } },
      { name: "runs", persistentVolumeClaim: { claimName: "agentload-runs" } },
    ]);
  });

  it("without --secret, no key at all; --start-in sets the time from now", async () => {
    const before = Date.now();
    const { job } = await manifest(["--shards", "2", "--url", "http://h:8000/v1", "--start-in", "5m", "--name", "Nightly Run", "--image", "registry/agentload:1", "--command", "agentload", "--pvc", "shared"]);
    const container = job.spec.template.spec.containers[0];
    expect(job.metadata.name).toBe("nightly-run");
    expect(container.image).toBe("registry/agentload:1");
    expect(container.args.slice(0, 2)).toEqual(["agentload", "run"]);
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(["SHARD_INDEX"]);
    const start = Date.parse(container.args[container.args.indexOf("--start-at") + 1]);
    expect(start - before).toBeGreaterThanOrEqual(5 * 60_000);
    expect(start - before).toBeLessThan(6 * 60_000);
    expect(job.spec.template.spec.volumes[1].persistentVolumeClaim.claimName).toBe("shared");
  });

  it("refuses what the shards could not run, naming the flag", async () => {
    const url = ["--url", "http://h:8000/v1"];
    await expect(k8sCommand([SPEC, ...url])).rejects.toThrow(new CliError("k8s expects --shards N (how many pods share the workload)"));
    await expect(k8sCommand([SPEC, "--shards", "2"])).rejects.toThrow(/k8s expects --url URL/);
    await expect(k8sCommand([SPEC, ...url, "--shards", "0"])).rejects.toThrow("--shards expects a whole number from 1 to 10000, got '0'");
    // The spec runs 3 lanes: a fourth shard would have none.
    await expect(k8sCommand([SPEC, ...url, "--shards", "4"])).rejects.toThrow("--shards 4: concurrency 3 is fewer lanes than 4 shards");
    await expect(k8sCommand([SPEC, ...url, "--shards", "2", "--start-at", "2020-01-01T00:00:00Z"])).rejects.toThrow(/--start-at 2020-01-01T00:00:00Z is .* in the past/);
    await expect(k8sCommand([SPEC, ...url, "--shards", "2", "--start-in", "3h"])).rejects.toThrow(/ahead .*; expected a time at most 60 minutes ahead/);
    await expect(k8sCommand([SPEC, ...url, "--shards", "2", "--secret-key", "k"])).rejects.toThrow("--secret-key names the key within --secret NAME; give both");
  });
});
