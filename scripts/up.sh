#!/usr/bin/env bash
# Sets up and runs Maestro on this host: a Docker daemon (installed and started when missing),
# the npm dependencies and the build, then `maestro up` with any flags given to this script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-docker.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
exec node dist/src/cli/main.js up "$@"
