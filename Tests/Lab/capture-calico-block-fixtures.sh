#!/usr/bin/env bash
# A node's host netns routed the way Calico (BGP mode, BIRD) routes IPAM blocks, for the pods of
# the lab-calico-bgp-* snapshots: node1 owns block 10.244.1.0/26 (`blackhole ... proto bird`, its
# pods 10.244.1.2 and 10.244.1.3 as /32 routes to cali* veths), node2's block 10.244.2.0/26 is
# routed `via 192.168.56.12 proto bird`. Writes Tests/Fixtures/calico-blocks/node1-healthy/ and
# node1-remote-block-missing/ (the same without the remote block's route): ip -j link, addr, route.
# Needs root. Creates only netns named scb<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/calico-blocks}
LAB_PREFIX="scb$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-calico-block-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale scb

mkns node1 underlay web-0 client
N=$(nsn node1)
ip -n "$N" link add ens4 type veth peer name eth0 netns "$(nsn underlay)"
ip -n "$N" addr add 192.168.56.11/24 dev ens4
ip -n "$N" link set ens4 up
ip -n "$(nsn underlay)" link set eth0 up
ip -n "$N" route add default via 192.168.56.1 dev ens4
for pod in web-0:10.244.1.2:cali0d6c8e8f1b2 client:10.244.1.3:cali5a0e54b7c1d; do
  IFS=: read -r name address veth <<<"$pod"
  ip -n "$N" link add "$veth" type veth peer name eth0 netns "$(nsn "$name")"
  ip -n "$N" link set "$veth" address ee:ee:ee:ee:ee:ee up
  ip -n "$N" route add "$address/32" dev "$veth" scope link
  ip -n "$(nsn "$name")" addr add "$address/32" dev eth0
  ip -n "$(nsn "$name")" link set eth0 up
done
ip -n "$N" route add blackhole 10.244.1.0/26 proto bird
ip -n "$N" route add 10.244.2.0/26 via 192.168.56.12 dev ens4 proto bird

capture() {
  mkdir -p "$OUT/$1"
  ip -n "$N" -j -d link show         >"$OUT/$1/ip-link.json"
  ip -n "$N" -j addr show            >"$OUT/$1/ip-addr.json"
  ip -n "$N" -j route show table all >"$OUT/$1/ip-route.json"
}
capture node1-healthy
ip -n "$N" route del 10.244.2.0/26
capture node1-remote-block-missing
log "wrote $OUT"
