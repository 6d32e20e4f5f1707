#!/usr/bin/env bash
# The demo: installs, builds, starts a one-node Cassandra (or reuses a running ring), loads events and migrates it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/c2y.js demo "$@"
