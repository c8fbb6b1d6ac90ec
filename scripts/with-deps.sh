#!/usr/bin/env bash
# Runs a command after making sure the npm dependencies are installed and current (npm ci when they are not),
# so the README's commands work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ] && [ -z "${MMS_DEPS_READY:-}" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
export MMS_DEPS_READY=1
exec "$@"
