#!/usr/bin/env bash
# Every check and every test, from a fresh clone on a fresh machine: installs the npm dependencies and the
# Go-built control plane (cached per machine), then lint, types, generated files, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "npm dependencies"
if [ "${CI:-}" = "true" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
export MMS_DEPS_READY=1

step "local control plane binaries (built once per machine)"
bash scripts/build-control-plane.sh

step "build"
npm run --silent build

step "lint and format"
npm run --silent lint

step "types"
npm run --silent typecheck

if npm run 2>/dev/null | grep -q '^  check:generated$'; then
  step "generated files are current"
  npm run --silent check:generated
fi

step "MLServer's Python environment (installed once per machine)"
bash scripts/python-env.sh >/dev/null

step "prometheus (for test/e2e/prometheus.test.ts; Debian's package)"
bash scripts/install-prometheus.sh >/dev/null

step "tests (unit and integration, against a real kube-apiserver and etcd)"
mkdir -p .local
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.local/test-results.json || status=$?

# In CI (a fresh clone, nothing else running), also run the README's main-job command end to end.
if [ "$status" -eq 0 ] && [ "${CI:-}" = "true" ]; then
  step "the README's sandbox command"
  npm run --silent sandbox || status=$?
  npm run --silent local:down || true
fi

node -e '
  const r = JSON.parse(require("node:fs").readFileSync(".local/test-results.json", "utf8"));
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' || true
exit "$status"
