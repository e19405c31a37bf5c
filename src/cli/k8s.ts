// `agentload k8s spec.yaml --shards N --url URL`: writes the Kubernetes manifest that runs a
// workload's N shards as an Indexed Job (docs/cluster.md): a ConfigMap holding the spec file, and
// a Job whose pod k runs `agentload run --shard k/N --start-at T` (k from the pod's completion
// index) against the URL, each writing its run folder to a shared volume; the API key comes from
// a Secret, never from this command's flags or environment, so no key is ever in the manifest.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { MAX_SHARDS, shardProblem } from "../run/shard.js";
import { MAX_START_WAIT_MS, parseStartAt, parseStartIn } from "../run/start-at.js";
import { toolVersion } from "../run/run-metadata.js";
import { CliError, intFlag, parseFlags, type Command } from "./args.js";
import { checkServerUrl } from "./run-checks.js";
import { readSpecArg, SPEC_OVERRIDE_FLAGS, SPEC_RUN_FLAGS } from "./spec-arg.js";

const DEFAULT_START_IN = "10m";
const DEFAULT_IMAGE = "node:20-bookworm-slim";

const HELP = `usage: agentload k8s <spec.yaml> --shards N --url URL [options]
Writes a Kubernetes manifest (YAML) that runs the workload's N shards on a cluster as an Indexed Job:
pod k runs agentload run --shard k/N (k = its completion index, JOB_COMPLETION_INDEX) against URL,
every pod waits for one start time, and each writes its run folder to a shared volume; then
agentload merge joins the folders (docs/cluster.md).
options:
  --shards N          how many shards (pods), each a share of the sessions (required)
  --url URL           the server's base URL including /v1, as the pods reach it (required)
  --start-at T        the shared start time (ISO time with zone, or epoch ms)
  --start-in D        the start time as a delay from now (default ${DEFAULT_START_IN}): apply the manifest well before it,
                      so every pod has pulled its image and set up by then (at most ${MAX_START_WAIT_MS / 60_000} minutes)
  --name NAME         the Job's name (default: agentload-<the spec's name>)
  --namespace NS      the namespace (default: the current one)
  --image IMAGE       the container image (default ${DEFAULT_IMAGE}, which runs agentload through npx)
  --command CMD       how the image runs agentload (default: npx --yes agentload@${toolVersion()})
  --secret NAME       the Secret holding the API key (AGENTLOAD_API_KEY in the pods); no key: omit it
  --secret-key KEY    the key within that Secret (default api-key)
  --pvc CLAIM         the PersistentVolumeClaim for run folders, mounted at /runs (ReadWriteMany when pods
                      land on several nodes; default agentload-runs)
  --model NAME        model name to send
  --cpu C             CPU each pod requests (default 1: a shard's client is single-threaded)
  --memory M          memory each pod requests (default 1Gi)
  --out FILE          write the manifest there (default: standard output)
  --sessions N, --seed S, --concurrency N, --warmup N, --duration S   passed to every shard's run
exit codes: 0 manifest written; 2 usage or spec error (a shard count the workload cannot split, a start time out of range)`;

/** A YAML scalar that stays a string whatever it holds (JSON's quoting is valid YAML). */
const str = (s: string) => JSON.stringify(s);

/** A Kubernetes name: lower case, digits and '-', at most 52 characters (an Indexed Job's pods add a suffix). */
function k8sName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 52)
    .replace(/-+$/, "");
  return name || "agentload";
}

export interface ManifestOptions {
  name: string;
  namespace?: string;
  shards: number;
  url: string;
  startAt: number;
  image: string;
  command: string[];
  specFile: string;
  specText: string;
  secret?: { name: string; key: string };
  pvc: string;
  cpu: string;
  memory: string;
  /** Flags passed to every shard's run as given (--model, --sessions, ...). */
  runFlags: string[];
}

/** The manifest's text: the spec's ConfigMap and the Indexed Job. */
export function k8sManifest(o: ManifestOptions): string {
  const ns = o.namespace ? `\n  namespace: ${str(o.namespace)}` : "";
  const start = new Date(o.startAt).toISOString();
  const specName = basename(o.specFile);
  // $(SHARD_INDEX) is expanded by Kubernetes from the container's env (the pod's completion index).
  const args = [
    ...o.command,
    "run",
    `/spec/${specName}`,
    "--url",
    o.url,
    "--shard",
    `$(SHARD_INDEX)/${o.shards}`,
    "--start-at",
    start,
    "--out",
    `/runs/${o.name}/shard-$(SHARD_INDEX)`,
    ...o.runFlags,
  ];
  const indent = (text: string, n: number) =>
    text
      .split("\n")
      .map((l) => (l === "" ? l : " ".repeat(n) + l))
      .join("\n");
  const secretEnv = o.secret
    ? `
            - name: AGENTLOAD_API_KEY
              valueFrom:
                secretKeyRef:
                  name: ${str(o.secret.name)}
                  key: ${str(o.secret.key)}`
    : "";
  return `# agentload ${toolVersion()}: ${o.shards} shards of ${specName} against ${o.url}, starting ${start}.
# kubectl apply -f this file before ${start} (each pod sets up first, then waits for it); then
# kubectl wait --for=condition=complete job/${o.name} and merge the folders under /runs/${o.name}/:
#   agentload merge /runs/${o.name}/shard-*/* --out /runs/${o.name}/merged   (docs/cluster.md)
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${str(`${o.name}-spec`)}${ns}
data:
  ${str(specName)}: |2
${indent(o.specText.replace(/\s+$/, ""), 4)}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${str(o.name)}${ns}
  labels:
    app.kubernetes.io/name: agentload
spec:
  completionMode: Indexed
  completions: ${o.shards}
  parallelism: ${o.shards}
  # A shard retried after the start time would refuse to run (exit 3): no retries.
  backoffLimit: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: agentload
        agentload/job: ${str(o.name)}
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: ${str(o.image)}
          args:
${args.map((a) => `            - ${str(a)}`).join("\n")}
          env:
            - name: SHARD_INDEX
              valueFrom:
                fieldRef:
                  fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']${secretEnv}
          resources:
            requests:
              cpu: ${str(o.cpu)}
              memory: ${str(o.memory)}
          volumeMounts:
            - name: spec
              mountPath: /spec
              readOnly: true
            - name: runs
              mountPath: /runs
      volumes:
        - name: spec
          configMap:
            name: ${str(`${o.name}-spec`)}
        - name: runs
          persistentVolumeClaim:
            claimName: ${str(o.pvc)}
`;
}

export const k8sCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    ...SPEC_OVERRIDE_FLAGS,
    ...SPEC_RUN_FLAGS,
    shards: { type: "string" },
    url: { type: "string" },
    "start-at": { type: "string" },
    "start-in": { type: "string" },
    name: { type: "string" },
    namespace: { type: "string" },
    image: { type: "string" },
    command: { type: "string" },
    secret: { type: "string" },
    "secret-key": { type: "string" },
    pvc: { type: "string" },
    model: { type: "string" },
    cpu: { type: "string" },
    memory: { type: "string" },
    out: { type: "string" },
  });
  if (values.shards === undefined) throw new CliError("k8s expects --shards N (how many pods share the workload)");
  if (values.url === undefined) throw new CliError("k8s expects --url URL (the server's base URL including /v1, as the pods reach it)");
  checkServerUrl(values.url);
  const spec = await readSpecArg("k8s", positionals, values);
  const shards = intFlag("shards", values.shards, 0);
  if (shards < 1 || shards > MAX_SHARDS) throw new CliError(`--shards expects a whole number from 1 to ${MAX_SHARDS}, got '${values.shards}'`);
  const problem = shardProblem({ index: 0, count: shards }, { sessions: Math.min(spec.traffic.maxSessions ?? spec.sessions, spec.sessions), ...(spec.traffic.mode === "concurrent" ? { concurrency: spec.traffic.concurrency } : {}) });
  if (problem) throw new CliError(problem.replace(/^--shard 0\/\d+/, `--shards ${shards}`));
  if (values["start-at"] !== undefined && values["start-in"] !== undefined) throw new CliError("give --start-at (a time) or --start-in (a delay), not both");
  const startAt = values["start-at"] !== undefined ? check(() => parseStartAt(values["start-at"]!, Date.now())) : check(() => parseStartIn(values["start-in"] ?? DEFAULT_START_IN, Date.now()));
  if (values["secret-key"] !== undefined && values.secret === undefined) throw new CliError("--secret-key names the key within --secret NAME; give both");
  const runFlags: string[] = [];
  for (const flag of ["model", "sessions", "seed", "concurrency", "warmup", "duration"] as const) {
    if (values[flag] !== undefined) runFlags.push(`--${flag}`, values[flag]);
  }
  const text = k8sManifest({
    name: k8sName(values.name ?? `agentload-${spec.name}`),
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    shards,
    url: values.url,
    startAt,
    image: values.image ?? DEFAULT_IMAGE,
    command: (values.command ?? `npx --yes agentload@${toolVersion()}`).split(/\s+/).filter((w) => w !== ""),
    specFile: positionals[0]!,
    specText: readFileSync(positionals[0]!, "utf8"),
    ...(values.secret !== undefined ? { secret: { name: values.secret, key: values["secret-key"] ?? "api-key" } } : {}),
    pvc: values.pvc ?? "agentload-runs",
    cpu: values.cpu ?? "1",
    memory: values.memory ?? "1Gi",
    runFlags,
  });
  if (values.out !== undefined) {
    writeFileSync(values.out, text);
    console.error(`agentload: wrote ${values.out}: ${shards} shards starting ${new Date(startAt).toISOString()}; kubectl apply -f ${values.out}`);
  } else process.stdout.write(text);
  return 0;
};

function check<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
