#!/usr/bin/env node
/* global process, console */
// The layering check CI runs: every import between folders of src/ must be allowed by the module
// table in docs/architecture.md (its "imports" column names the folders a folder may import, in
// backticks; "nothing of ours" allows none). Type-only imports count: a type is a dependency too.
// Usage: node scripts/check-layers.mjs [--print] [--root DIR]   (--print shows the folder graph as it is)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const rootFlag = process.argv.indexOf("--root");
const root = rootFlag > 0 ? resolve(process.argv[rootFlag + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const doc = join(root, "docs", "architecture.md");

/** folder -> allowed folders, from the table rows "| `folder/` | owns | imports |". */
function readTable() {
  const allowed = new Map();
  for (const line of readFileSync(doc, "utf8").split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5) continue;
    const folder = /^`([a-z-]+)\/`$/.exec(cells[1] ?? "");
    if (!folder) continue;
    const imports = cells[3] ?? "";
    const names = [...imports.matchAll(/`([a-z-]+)\/`/g)].map((m) => m[1]);
    if (names.length === 0 && !/nothing of ours|everything/.test(imports)) {
      throw new Error(`${relative(root, doc)}: the row of ${folder[1]}/ names no folders in its imports column (say "nothing of ours" when it imports none)`);
    }
    allowed.set(folder[1], /everything/.test(imports) ? "*" : new Set(names));
  }
  if (allowed.size === 0) throw new Error(`${relative(root, doc)}: no module table found (rows like | \`run/\` | ... | \`workload/\`, \`metrics/\` |)`);
  return allowed;
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) yield path;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function folderOf(path) {
  const rel = relative(src, path).split(sep);
  return rel.length > 1 ? rel[0] : "(root)";
}

const printing = process.argv.includes("--print");
let allowed;
try {
  allowed = readTable();
} catch (err) {
  if (!printing) throw err;
  console.error(String(err.message));
  allowed = new Map();
}
const edges = new Map();
const violations = [];
for (const file of files(src)) {
  const from = folderOf(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src + sep)) continue;
    const to = folderOf(target);
    if (to === from || to === "(root)") continue;
    const key = `${from} -> ${to}`;
    if (!edges.has(key)) edges.set(key, []);
    edges.get(key).push(relative(root, file));
    if (from === "(root)") continue;
    const rule = allowed.get(from);
    if (printing && allowed.size === 0) continue;
    if (rule === undefined) violations.push(`${relative(root, file)}: folder ${from}/ has no row in the module table of docs/architecture.md`);
    else if (rule !== "*" && !rule.has(to)) violations.push(`${relative(root, file)}: ${from}/ imports ${to}/ ("${spec}"), which the module table does not allow (${from}/ may import: ${[...rule].map((f) => `${f}/`).join(", ") || "nothing of ours"})`);
  }
}

if (printing) {
  for (const [key, where] of [...edges].sort()) console.log(`${key}  (${where.length} import${where.length === 1 ? "" : "s"}, e.g. ${where[0]})`);
}
const unique = [...new Set(violations)];
if (unique.length > 0) {
  console.error(`check-layers: ${unique.length} import${unique.length === 1 ? "" : "s"} against docs/architecture.md:\n${unique.map((v) => `  ${v}`).join("\n")}`);
  process.exit(1);
}
console.log(`check-layers: ${edges.size} folder dependencies, all allowed by docs/architecture.md`);
