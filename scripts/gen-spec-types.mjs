#!/usr/bin/env node
// Regenerates src/workload/spec-types.ts from schema/workload.schema.json, the source of truth.
//   node scripts/gen-spec-types.mjs          write the file
//   node scripts/gen-spec-types.mjs --check  exit 1 if the committed file is stale (for CI)
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const schemaPath = `${root}schema/workload.schema.json`;
const outPath = `${root}src/workload/spec-types.ts`;
const relOut = "src/workload/spec-types.ts";

const banner = `// GENERATED from schema/workload.schema.json by scripts/gen-spec-types.mjs. Do not edit:
// change the schema and run \`node scripts/gen-spec-types.mjs\`.
// Holds the spec types and, at the end, the schema itself as a constant, so the validator needs no
// file access or JSON import (the core runs on Node, Bun and Deno, and the build's rootDir is src/).`;

const schema = JSON.parse(await readFile(schemaPath, "utf8"));
const types = await compile(schema, "WorkloadSpec", {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  ignoreMinAndMaxItems: true,
  strictIndexSignatures: true,
  format: true,
  style: { printWidth: 110 },
});
const generated =
  `${types}\n/** The JSON Schema these types come from, for run-time validation. */\n` +
  `export const workloadSpecSchema: Record<string, unknown> = ${JSON.stringify(schema, null, 2)};\n`;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = await readFile(outPath, "utf8");
  } catch {
    // a missing file is stale too
  }
  if (committed !== generated) {
    process.stderr.write(
      `${relOut} is stale: it does not match schema/workload.schema.json.\n` +
        `Run \`node scripts/gen-spec-types.mjs\` and commit the result.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${relOut} is up to date.\n`);
} else {
  await writeFile(outPath, generated);
  process.stdout.write(`wrote ${relOut}\n`);
}
