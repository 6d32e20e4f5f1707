#!/usr/bin/env bash
# The one test command: installs, builds, then runs the whole suite against a real ring and PostgreSQL that
# the suite starts itself (and stops when it started them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# The dashboard test drives Debian's chromium through playwright-core; no tool downloads a browser of its own.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else echo "c2y test: chromium is missing; install it (sudo apt-get install chromium) for the dashboard test" >&2; exit 1; fi
fi
exec npx vitest run "$@"
