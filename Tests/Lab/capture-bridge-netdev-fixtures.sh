#!/usr/bin/env bash
# Where bridge-family and netdev chains run on a packet's path, measured with `nft monitor trace`:
# netns "br" holds bridge br0 (10.77.0.254/24) with ports pa and pb, whose peers are hosts a
# (10.77.0.1) and b (10.77.0.2). Its ruleset (Tests/Fixtures/lab-bridge-netdev/rules.nft) has a
# counting rule in netdev ingress/egress chains on pa, pb and br0, bridge chains on every hook at
# priorities around br_netfilter's, and ip chains on every hook. With bridge-nf-call-iptables 1
# and 0, a pings b (bridged) and br0 (delivered up, answered out through br0).
# Writes Tests/Fixtures/lab-bridge-netdev/: br/ (ip -j outputs, nft.json) and
# trace-{bridged,local}-brnf{1,0}.txt (nft monitor trace lines of the echo request and reply).
# Needs root. Creates only netns named sbn<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/lab-bridge-netdev}
LAB_PREFIX="sbn$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-bridge-netdev-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale sbn

build() {
    lab_teardown
    mkns br a b
    local BR A B
    BR=$(nsn br); A=$(nsn a); B=$(nsn b)
    ip -n "$BR" link add br0 type bridge
    ip -n "$BR" link add pa type veth peer name eth0 netns "$A"
    ip -n "$BR" link add pb type veth peer name eth0 netns "$B"
    for port in pa pb; do ip -n "$BR" link set "$port" master br0 up; done
    ip -n "$BR" link set br0 up
    ip -n "$BR" link set lo up
    ip -n "$BR" addr add 10.77.0.254/24 dev br0
    ip -n "$A" addr add 10.77.0.1/24 dev eth0
    ip -n "$A" link set eth0 up
    ip -n "$B" addr add 10.77.0.2/24 dev eth0
    ip -n "$B" link set eth0 up
    ip netns exec "$BR" sysctl -qw "net.bridge.bridge-nf-call-iptables=$1" "net.bridge.bridge-nf-call-ip6tables=$1"
    ip netns exec "$BR" nft -f "$OUT/rules.nft"
}

# trace NAME DESTINATION: one echo request from a, traced in br.
trace() {
    local file="$OUT/$1.txt" monitor
    ip netns exec "$(nsn br)" nft monitor trace >"$file.raw" 2>&1 &
    monitor=$!
    sleep 0.5
    ip netns exec "$(nsn a)" ping -c1 -W1 "$2" >/dev/null
    sleep 0.5
    kill "$monitor"
    wait "$monitor" 2>/dev/null || true
    sed 's/^trace id [0-9a-f]* /trace /' "$file.raw" >"$file"
    rm -f "$file.raw"
}

for brnf in 1 0; do
    log "bridge-nf-call-iptables=$brnf"
    build "$brnf"
    trace "trace-bridged-brnf$brnf" 10.77.0.2
    trace "trace-local-brnf$brnf" 10.77.0.254
done
mkdir -p "$OUT/br"
BR=$(nsn br)
ip -n "$BR" -j -d link show         >"$OUT/br/ip-link.json"
ip -n "$BR" -j addr show            >"$OUT/br/ip-addr.json"
ip -n "$BR" -j route show table all >"$OUT/br/ip-route.json"
ip -n "$BR" -j rule show            >"$OUT/br/ip-rule.json"
# nft 1.0.6 leaves a netdev chain's device out of its JSON (later versions print "dev"): add it
# from the text listing, as those versions write it.
ip netns exec "$BR" nft list ruleset >"$OUT/br/nft.txt"
ip netns exec "$BR" nft -j list ruleset | python3 -c '
import json, re, sys
devices = dict(re.findall(r"chain (\w+) \{\s*type filter hook \w+ device \"(\w+)\"", open(sys.argv[1]).read()))
ruleset = json.load(sys.stdin)
for item in ruleset["nftables"]:
    chain = item.get("chain")
    if chain and chain["family"] == "netdev" and "dev" not in chain and chain["name"] in devices:
        chain["dev"] = devices[chain["name"]]
json.dump(ruleset, sys.stdout)
' "$OUT/br/nft.txt" >"$OUT/br/nft.json"
rm -f "$OUT/br/nft.txt"
log "wrote $OUT"
