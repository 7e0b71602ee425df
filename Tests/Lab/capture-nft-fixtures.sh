#!/usr/bin/env bash
# Loads kube-proxy's nftables rules (Tests/Fixtures/kube-proxy-nftables/overall.nft, from
# Kubernetes' proxier_test.go) into a node netns "n" (192.168.0.2, a default route to "up") with
# a client pod (10.180.0.2), the endpoints of ns1/svc1 (10.180.0.1) and ns3/svc3 (10.180.0.3),
# both listening on 80, and an external client (203.0.113.2), sends real TCP connections and records,
# per flow, how the connection ended and what `nft monitor trace` printed for it, into
# Tests/Fixtures/kube-proxy-nftables/ground-truth/FLOW.txt:
#   result: connected | refused | timeout
#   trace id ... (the monitor's lines for table ip kube-proxy)
# Needs root. Creates only netns named snf<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/kube-proxy-nftables/ground-truth}
LAB_PREFIX="snf$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-nft-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale snf

mkns n client ep1 ep3 ext up
N=$(nsn n)
inns n sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0
ip -n "$N" addr add 192.168.0.2/32 dev lo
for pod in client:10.180.0.2:vc ep1:10.180.0.1:ve1 ep3:10.180.0.3:ve3 ext:203.0.113.2:vx; do
    IFS=: read -r id address port <<<"$pod"
    ip -n "$N" link add "$port" type veth peer name eth0 netns "$(nsn "$id")"
    ip -n "$N" link set "$port" up
    ip -n "$N" addr add 169.254.1.1/32 dev "$port"
    ip -n "$N" route add "$address/32" dev "$port"
    ip -n "$(nsn "$id")" addr add "$address/32" dev eth0
    ip -n "$(nsn "$id")" link set eth0 up
    ip -n "$(nsn "$id")" route add 169.254.1.1 dev eth0
    ip -n "$(nsn "$id")" route add default via 169.254.1.1 dev eth0
    inns "$id" sysctl -qw net.ipv4.icmp_ratelimit=0
done
# Where unrouted service addresses would go (a real node has a default route).
ip -n "$N" link add vu type veth peer name eth0 netns "$(nsn up)"
ip -n "$N" link set vu up
ip -n "$(nsn up)" link set eth0 up
ip -n "$N" addr add 192.168.5.1/24 dev vu
ip -n "$(nsn up)" addr add 192.168.5.2/24 dev eth0
ip -n "$N" route add default via 192.168.5.2
inns n nft -f "$ROOT/Tests/Fixtures/kube-proxy-nftables/overall.nft"
# Trace every TCP packet from a separate table that runs first.
inns n nft -f - <<'RULES'
table ip skoop-trace {
    chain pre { type filter hook prerouting priority -400; meta l4proto tcp meta nftrace set 1; }
}
RULES
bgns ep1 nc -lk -p 80
bgns ep3 nc -lk -p 80
mkdir -p "$OUT"
sleep 0.3

flow() {  # flow NAME FROM DST PORT
    local name=$1 from=$2 dst=$3 port=$4 trace result
    trace=$(mktemp)
    bgns_out "$trace" n nft monitor trace
    local monitor=${LAB_PIDS[-1]}
    sleep 0.3
    if out=$(inns "$from" nc -vz -w 2 "$dst" "$port" 2>&1); then result=connected
    elif grep -q refused <<<"$out"; then result=refused
    else result=timeout; fi
    sleep 0.3
    bgstop "$monitor"
    { echo "result: $result"; grep ' ip kube-proxy ' "$trace" | sed -E 's/^trace id [0-9a-f]+ /trace /' || true; } > "$OUT/$name.txt"
    rm -f "$trace"
    log "$name: $result"
}

flow clusterip client 172.30.0.41 80
flow clusterip-wrong-port client 172.30.0.41 443
flow no-endpoints client 172.30.0.46 80
flow unallocated-clusterip client 172.30.0.50 80
flow hairpin ep1 172.30.0.41 80
flow external-nodeport ext 192.168.0.2 3003
