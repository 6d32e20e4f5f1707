#!/usr/bin/env bash
# The one test command: installs, builds, then runs the whole suite against a real ring and PostgreSQL that
# the suite starts itself (and stops when it started them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec npx vitest run "$@"
