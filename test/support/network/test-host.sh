#!/usr/bin/env bash
# TEST INFRASTRUCTURE. The project's own test host: a network namespace reached from this one over a veth pair.
# Kubernetes refuses loopback addresses in EndpointSlices, so whatever a test publishes as a "pod" address must be
# another address; this namespace owns it, and nothing else on any network is ever addressed.
#
#   test-host.sh up     create it if missing (idempotent, safe to run concurrently); prints the host address
#   test-host.sh down   remove it
set -euo pipefail

NETNS=mms-testhost
LINK=mms-th0
PEER=mms-th1
LOCAL_ADDR=10.251.0.1/30
HOST_ADDR=10.251.0.2

fail() {
  printf 'test-host: %s\n' "$1" >&2
  exit 1
}

case "${1:-}" in
up)
  command -v ip >/dev/null || fail "'ip' (iproute2) is missing; install it (apt-get install iproute2)."
  exec 9>/tmp/mms-testhost.lock
  flock 9
  if ! ip netns exec "$NETNS" ip -4 addr show dev "$PEER" 2>/dev/null | grep -q "$HOST_ADDR"; then
    ip link del "$LINK" 2>/dev/null || true
    ip netns del "$NETNS" 2>/dev/null || true
    ip netns add "$NETNS" 2>/dev/null ||
      fail "could not create network namespace $NETNS: this needs root (CAP_NET_ADMIN)."
    ip link add "$LINK" type veth peer name "$PEER"
    ip link set "$PEER" netns "$NETNS"
    ip addr add "$LOCAL_ADDR" dev "$LINK"
    ip link set "$LINK" up
    ip netns exec "$NETNS" ip addr add "$HOST_ADDR/30" dev "$PEER"
    ip netns exec "$NETNS" ip link set "$PEER" up
    ip netns exec "$NETNS" ip link set lo up
  fi
  echo "$HOST_ADDR"
  ;;
down)
  ip link del "$LINK" 2>/dev/null || true
  ip netns del "$NETNS" 2>/dev/null || true
  ;;
*)
  fail "usage: test-host.sh up|down"
  ;;
esac
