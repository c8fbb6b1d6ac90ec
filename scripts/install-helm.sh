#!/usr/bin/env bash
# Builds the pinned helm from its Go module into a per-machine cache keyed by version, and prints the path
# of the binary. A second run with the same pin only prints the path.
#
#   scripts/install-helm.sh                  build if needed, print the helm binary path
#   HELM_VERSION=v3.x.y scripts/...          another pin (default below)
#   MMS_CACHE_DIR=/some/dir scripts/...      cache somewhere else (default ~/.cache/modelmesh-serving)
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}

fail() {
  printf 'install-helm: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

command -v go >/dev/null 2>&1 ||
  fail "the Go toolchain is not on PATH; it builds helm from its Go module." \
    "install Go 1.26 or newer and make sure 'go version' works, then run this again."

cache_root=${MMS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelmesh-serving}
out="$cache_root/tools/helm-$HELM_VERSION-$(go env GOOS)-$(go env GOARCH)"
helm="$out/bin/helm"

if [ -f "$out/.complete" ]; then
  echo "$helm"
  exit 0
fi

mkdir -p "$cache_root/tools"
exec 9>"$cache_root/tools/.helm.lock"
flock 9 # several suites may ask at once; one builds, the others wait and reuse
if [ -f "$out/.complete" ]; then
  echo "$helm"
  exit 0
fi

log="$cache_root/tools/helm-$HELM_VERSION.build.log"
echo "install-helm: building helm $HELM_VERSION (once per machine; log: $log)" >&2
rm -rf "$out"
mkdir -p "$out/bin"
: >"$log"
# Stamp what helm's own release build stamps: its version, and the Kubernetes version that `helm template` and
# `helm lint` assume (from the client-go it is built with); `go install pkg@version` would leave old defaults.
helm_gomod=$(GOFLAGS=-mod=mod go list -m -f '{{.GoMod}}' "helm.sh/helm/v3@$HELM_VERSION" 2>>"$log") ||
  fail "could not fetch the go.mod of helm.sh/helm/v3@$HELM_VERSION from the Go module proxy (log: $log)." \
    "check that 'go env GOPROXY' is reachable, then run this again."
client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$helm_gomod")
[ -n "$client_go" ] || fail "helm.sh/helm/v3@$HELM_VERSION's go.mod names no k8s.io/client-go version."
kube_major=$(($(echo "$client_go" | sed -E 's/^v([0-9]+)\..*/\1/') + 1))
kube_minor=$(echo "$client_go" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags="$ldflags -X $pkg.k8sVersionMajor=$kube_major -X $pkg.k8sVersionMinor=$kube_minor"
done
if ! CGO_ENABLED=0 GOFLAGS= GOBIN="$out/bin" go install -trimpath -ldflags "$ldflags" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >>"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "'go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION' failed (full log: $log)." \
    "read the log above; a network error means the Go module proxy was unreachable."
fi
"$helm" version --short >>"$log" 2>&1 || fail "the built helm does not run (log: $log)."
printf 'helm=%s\nbuilt=%s\n' "$HELM_VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/.complete"
echo "install-helm: done" >&2
echo "$helm"
