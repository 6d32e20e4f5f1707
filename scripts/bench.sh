#!/usr/bin/env bash
# Bench entry: installs and builds like the tests, then runs one scenario (results in bench/results/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec npx tsx bench/run.ts "$@"
