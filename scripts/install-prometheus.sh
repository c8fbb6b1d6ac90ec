#!/usr/bin/env bash
# Installs Debian's prometheus package for the end-to-end test that scrapes the controller (test/e2e/prometheus),
# and prints the path of the prometheus binary. A machine that has it already only prints the path.
#
#   scripts/install-prometheus.sh            install if needed (as root, with apt-get), print the binary path
#   PROMETHEUS_BIN=/path/to/prometheus ...   use that binary instead; only checks that it runs
set -euo pipefail

fail() {
  printf 'install-prometheus: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

found() {
  "$1" --version >/dev/null 2>&1 || fail "$1 does not run on this machine."
  echo "$1"
  exit 0
}

[ -n "${PROMETHEUS_BIN:-}" ] && found "$PROMETHEUS_BIN"
existing=$(command -v prometheus || true)
[ -n "$existing" ] && found "$existing"

command -v apt-get >/dev/null 2>&1 ||
  fail "prometheus is not installed and this machine has no apt-get to install Debian's package." \
    "install Prometheus 2.x and set PROMETHEUS_BIN to its binary, then run this again."
[ "$(id -u)" = 0 ] ||
  fail "prometheus is not installed, and installing Debian's package needs root." \
    "run 'sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus', or set PROMETHEUS_BIN."

# Several suites may ask at once; one installs, the others wait and reuse.
exec 9>/var/lock/mms-install-prometheus.lock
flock 9
existing=$(command -v prometheus || true)
[ -n "$existing" ] && found "$existing"

echo "install-prometheus: installing Debian's prometheus package (once per machine)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || fail "apt-get update failed." "check the machine's apt sources, then run this again."
# Only the server: the tests start it themselves, on loopback, with their own configuration and storage.
apt-get install -y -qq --no-install-recommends prometheus >&2 ||
  fail "apt-get could not install prometheus." "check 'apt-cache policy prometheus', then run this again."
found "$(command -v prometheus)"
