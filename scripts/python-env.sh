#!/usr/bin/env bash
# TEST/SANDBOX INFRASTRUCTURE — never shipped. Creates the Python environment of the local MLServer runtime
# (MLServer 1.7.1 with its sklearn, xgboost and lightgbm runtimes) from the package index, pinned by
# test/support/mlserver/requirements.txt, in a per-machine cache keyed by that file's content and the Python
# version, and prints the environment's bin directory. A second run with the same pins only prints the directory.
#
#   scripts/python-env.sh                     install if needed, print the bin directory
#   MMS_CACHE_DIR=/some/dir scripts/...       cache somewhere else (default ~/.cache/modelmesh-serving)
#   MMS_PYTHON=/path/to/python3.11 scripts/.. the interpreter to build the environment from
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
requirements="$root/test/support/mlserver/requirements.txt"

fail() {
  printf 'python-env: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

# MLServer 1.7.1 supports Python 3.9-3.12 and the pinned numpy, scipy and scikit-learn need 3.11 or newer.
version_if_supported='import platform, sys; (3, 11) <= sys.version_info[:2] <= (3, 12) and print(platform.python_version())'
python=""
py_version=""
for candidate in ${MMS_PYTHON:-python3.11 python3.12 python3}; do
  if command -v "$candidate" >/dev/null 2>&1; then
    py_version=$("$candidate" -c "$version_if_supported" 2>/dev/null || true)
    if [ -n "$py_version" ]; then
      python=$candidate
      break
    fi
  fi
done
[ -n "$python" ] ||
  fail "found no Python 3.11 or 3.12 (MLServer 1.7.1 and the pinned packages need one)." \
    "install CPython 3.11, or point MMS_PYTHON at one, then run this again."

pins=$(sha256sum "$requirements" | cut -c1-16)
cache_root=${MMS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelmesh-serving}
key="mlserver-1.7.1-py$py_version-$(uname -m)-$pins"
out="$cache_root/python/$key"
bin="$out/bin"

if [ -f "$out/.complete" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root/python"
exec 9>"$cache_root/python/.install.lock"
flock 9 # several suites may ask at once; one installs, the others wait and reuse
if [ -f "$out/.complete" ]; then
  echo "$bin"
  exit 0
fi

"$python" -c 'import venv, ensurepip' 2>/dev/null ||
  fail "$python has no venv/ensurepip module." "install it (Debian: apt-get install python3-venv), then run this again."

log="$cache_root/python/$key.install.log"
started=$(date +%s)
say() { printf 'python-env: %s (%d s)\n' "$1" "$(($(date +%s) - started))" >&2; }
run() {
  if ! "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "'$*' failed (full log: $log)." "read the log above; a network error means the package index was unreachable."
  fi
}

echo "python-env: installing MLServer 1.7.1 for Python $py_version (once per machine, a few minutes; log: $log)" >&2
rm -rf "$out"
: >"$log"
run "$python" -m venv "$out"
say "created the environment $out"
# --no-deps: the pinned file is the whole environment, so nothing unpinned comes in; wheels only, no builds.
run "$bin/python" -m pip install --no-input --disable-pip-version-check --no-deps --only-binary=:all: \
  -r "$requirements"
say "installed $(grep -c '==' "$requirements") pinned packages"

# Every requirement of what is installed must be installed too, except the GPU-only one left out on purpose.
check=$("$bin/python" -m pip check --disable-pip-version-check 2>&1 || true)
missing=$(printf '%s\n' "$check" | grep -v -e '^No broken requirements found' -e 'requires nvidia-nccl-cu12, which is not installed' | grep . || true)
[ -z "$missing" ] || fail "the pinned packages are incomplete or inconsistent:
$missing" "pin what is missing in $requirements."
run "$bin/python" -c 'import mlserver, mlserver_sklearn, mlserver_xgboost, mlserver_lightgbm'

printf 'python=%s\nrequirements=%s\ninstalled=%s\n' "$py_version" "$pins" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/.complete"
say "done"
echo "$bin"
