#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from Go modules into a per-machine cache keyed by version,
# and prints the directory that holds them. A second run with the same pin only prints the directory.
#
#   scripts/build-control-plane.sh            build if needed, print the bin directory
#   MMS_CACHE_DIR=/some/dir scripts/...       cache somewhere else (default ~/.cache/modelmesh-serving)
#   MMS_BUILD_PROGRESS_S=10 scripts/...       say how a long stage is doing every 10 s (default 30)
# A build reports each stage and the time taken on stderr; stdout carries only the bin directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/test/support/control-plane"
# shellcheck source=../test/support/control-plane/versions.env
source "$src/versions.env"

fail() {
  printf 'build-control-plane: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

command -v go >/dev/null 2>&1 ||
  fail "the Go toolchain is not on PATH; it builds kube-apiserver, kubectl and etcd." \
    "install Go 1.26 or newer and make sure 'go version' works, then run this again."

go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "${go_minor:-0}" -ge 26 ] ||
  fail "Go $(go env GOVERSION) is too old; Kubernetes $KUBERNETES_VERSION needs Go 1.26 or newer." \
    "install a newer Go, or set GOTOOLCHAIN to a newer approved version."

kube_gomod=$(GOFLAGS=-mod=mod go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@$KUBERNETES_VERSION" 2>/dev/null) ||
  fail "could not fetch the go.mod of k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy." \
    "check that 'go env GOPROXY' is reachable, then run this again."
etcd_version=$(awk '$1 == "go.etcd.io/etcd/client/v3" { print $2; exit }' "$kube_gomod")
[ -n "$etcd_version" ] || fail "k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod names no etcd client version."

cache_root=${MMS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelmesh-serving}
key="kubernetes-$KUBERNETES_VERSION-etcd-$etcd_version-$(go env GOOS)-$(go env GOARCH)"
out="$cache_root/control-plane/$key"
bin="$out/bin"

if [ -f "$out/.complete" ]; then
  echo "$bin"
  exit 0
fi

say() { printf 'build-control-plane: %s\n' "$1" >&2; }

# "42 s" or "3 min 07 s".
duration() {
  if [ "$1" -lt 60 ]; then printf '%d s' "$1"; else printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); fi
}

log="$cache_root/control-plane/$key.build.log"
mkdir -p "$cache_root/control-plane"
exec 9>"$cache_root/control-plane/.build.lock"
# Several suites may ask at once; one builds, the others wait and reuse.
if ! flock -n 9; then
  say "another process is building the control plane; waiting for it (its progress: tail -f $log)"
  flock 9
fi
if [ -f "$out/.complete" ]; then
  echo "$bin"
  exit 0
fi

build_started=$SECONDS
progress_every=${MMS_BUILD_PROGRESS_S:-30}
say "building Kubernetes $KUBERNETES_VERSION and etcd $etcd_version, once per machine."
say "a first build takes about 10 minutes on 2 cores (about 4 when Go's caches are warm); log: $log"
rm -rf "$out"
mkdir -p "$bin" "$out/work"
: >"$log"

stages=5
stage_number=0
# stage DIR LABEL COMMAND...: runs COMMAND in DIR with its output in the log, saying every $progress_every s
# that it is still running, and how long it and the whole build took.
stage() {
  local dir=$1 label=$2
  shift 2
  stage_number=$((stage_number + 1))
  local prefix="[$stage_number/$stages] $label" started=$SECONDS
  say "$prefix..."
  (cd "$dir" && exec "$@") >>"$log" 2>&1 &
  local pid=$! next=$((SECONDS + progress_every))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.2
    if [ "$SECONDS" -ge "$next" ]; then
      say "$prefix: still running, $(duration $((SECONDS - started))) (build: $(duration $((SECONDS - build_started))))"
      next=$((next + progress_every))
    fi
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    fail "'$*' failed (full log: $log)." "read the log above; a network error means the Go module proxy was unreachable."
  fi
  say "$prefix: done in $(duration $((SECONDS - started))) (build: $(duration $((SECONDS - build_started))))"
}

# kube-apiserver and kubectl: Kubernetes requires its staging modules at v0.0.0 and replaces them with
# ./staging paths; outside its repository each maps to the published k8s.io module of the same release.
staging_version="v0.${KUBERNETES_VERSION#v1.}"
kube_work="$out/work/kube"
mkdir -p "$kube_work"
cp "$src/go/kube/tools.go" "$kube_work/"
{
  echo "module localcontrolplane/kube"
  echo
  echo "go $(awk '$1 == "go" { print $2; exit }' "$kube_gomod")"
  echo
  echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
  echo
  echo "replace ("
  awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { printf "\t%s => %s %s\n", $1, $1, v }' "$kube_gomod"
  echo ")"
} >"$kube_work/go.mod"
grep -q '=> k8s.io/api ' "$kube_work/go.mod" || fail "found no staging replacements in Kubernetes' go.mod; its layout changed."

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
major=$(echo "$KUBERNETES_VERSION" | sed -E 's/^v([0-9]+)\..*/\1/')
minor=$(echo "$KUBERNETES_VERSION" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

export CGO_ENABLED=0 GOFLAGS=-mod=mod
stage "$kube_work" "downloading Kubernetes' modules" go mod tidy
stage "$kube_work" "compiling kube-apiserver" \
  go build -trimpath -ldflags "$ldflags" -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
stage "$kube_work" "compiling kubectl" go build -trimpath -ldflags "$ldflags" -o "$bin/kubectl" k8s.io/kubernetes/cmd/kubectl

# etcd: the server module's entry point, at the release this Kubernetes requires.
etcd_work="$out/work/etcd"
mkdir -p "$etcd_work"
cp "$src/go/etcd/main.go" "$etcd_work/"
printf 'module localcontrolplane/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$etcd_version" >"$etcd_work/go.mod"
stage "$etcd_work" "downloading etcd's modules" go mod tidy
stage "$etcd_work" "compiling etcd" \
  go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version" -o "$bin/etcd" .

rm -rf "$out/work"
printf 'kubernetes=%s\netcd=%s\nbuilt=%s\n' "$KUBERNETES_VERSION" "$etcd_version" "$build_date" >"$out/.complete"
say "done in $(duration $((SECONDS - build_started))): $bin"
echo "$bin"
