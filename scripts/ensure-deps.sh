#!/usr/bin/env bash
# Installs npm dependencies when missing or older than the lock file, then builds. Shared by demo, test and bench.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
# The executor and the CLI bundled: a fraction of the import CPU each time one starts (see the script).
node scripts/bundle.mjs
# Tests and benches are type-checked too (strict), without emitting.
npx tsc -p tsconfig.check.json
