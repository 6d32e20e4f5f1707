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
# The distributed test starts its own throwaway redis-server (loopback, no persistence) and network namespaces (ip).
for tool in redis-server:redis-server ip:iproute2; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}" >/dev/null
    else echo "c2y test: ${tool%%:*} is missing; install it (sudo apt-get install ${tool##*:})" >&2; exit 1; fi
  fi
done
exec npx vitest run "$@"
