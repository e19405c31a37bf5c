// A workload's fingerprint: a hash of its resolved spec (name excluded, seed included) and its
// shape. A metric snapshot keeps it, so a baseline taken of another workload says so instead of
// reporting the difference as a regression.
import { createHash } from "node:crypto";

export interface WorkloadFingerprint {
  /** First 16 hex digits of the SHA-256 of the resolved spec as canonical JSON. */
  spec: string;
  sessions: number;
}

/** JSON with sorted keys, so equal objects hash the same whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function workloadFingerprint(resolved: unknown, sessions: number): WorkloadFingerprint {
  const { name: _name, description: _description, ...rest } = (resolved ?? {}) as Record<string, unknown>;
  return { spec: createHash("sha256").update(canonical(rest)).digest("hex").slice(0, 16), sessions };
}
