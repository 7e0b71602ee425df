#!/usr/bin/env bash
# Kubernetes' own kube-proxy rule sets (Tests/Fixtures/kube-proxy-iptables/flows.txt names them)
# loaded into a real netns shaped like the node Kubernetes' proxier tests assume, and their flows
# sent as real TCP SYNs / UDP datagrams. The node ("node") has eth0 with 192.168.0.2/24,
# 192.168.1.2/24 and 192.168.99.11/24 towards "ext" (192.168.0.1, the external clients on its lo),
# pods0 with 10.0.0.1/8 towards "pod" (every pod and endpoint address of the tests, /32, on its eth0),
# ip_forward and route_localnet on (kube-proxy's localhost NodePorts need it), and the nfacct
# objects kube-proxy creates, and a listener on 30000 for kube-proxy's health check server. For each flow the node's conntrack table tells what the kernel did:
#   translated DST:PORT masq|nomasq   (the entry's reply tuple: DNAT target, SNAT to a node address)
#   untranslated                      (an entry without NAT: delivered or forwarded as it was)
#   rejected | dropped                (no entry; the sender got a refusal / nothing)
# Writes Tests/Fixtures/kube-proxy-iptables/node/ (ip -j outputs) and kernel-BACKEND.txt.
# An external flow whose source is its destination (kube-proxy's "same node to LB, SNATted to LB"
# cases: the SNAT happens outside kube-proxy) cannot be sent from a netns that owns that address;
# it is written as "not played".
# Needs root. Creates only netns named PREFIX<PID>-* (PREFIX from $KUBE_PROXY_NETNS_PREFIX, default
# skp), removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FIXTURES=$ROOT/Tests/Fixtures
OUT=${1:-$FIXTURES/kube-proxy-iptables}
NETNS_BASE=${KUBE_PROXY_NETNS_PREFIX:-skp}
LAB_PREFIX="$NETNS_BASE$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-kube-proxy-fixtures.sh: needs root" >&2; exit 2; }
command -v nfacct >/dev/null || { echo "capture-kube-proxy-fixtures.sh: needs nfacct (apt-get install nfacct)" >&2; exit 2; }
LAB_TMP=
trap 'lab_teardown; [ -z "$LAB_TMP" ] || rm -f "$LAB_TMP"' EXIT
trap 'exit 130' INT TERM
lab_reap_stale "$NETNS_BASE"

FLOWS=$OUT/flows.txt
mkns node ext pod
N=$(nsn node)
ip -n "$N" link add eth0 type veth peer name eth0 netns "$(nsn ext)"
ip -n "$N" link add pods0 type veth peer name eth0 netns "$(nsn pod)"
for a in 192.168.0.2/24 192.168.1.2/24 192.168.99.11/24; do ip -n "$N" addr add "$a" dev eth0; done
ip -n "$N" addr add 10.0.0.1/8 dev pods0
ip -n "$N" link set eth0 up
ip -n "$N" link set pods0 up
ip -n "$N" route add default via 192.168.0.1 dev eth0
inns node sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1 net.ipv4.icmp_ratelimit=0
inns node nfacct add ct_state_invalid_dropped_pkts
inns node nfacct add localhost_nps_accepted_pkts

ip -n "$(nsn ext)" addr add 192.168.0.1/24 dev eth0
ip -n "$(nsn ext)" link set eth0 up
ip -n "$(nsn ext)" route add default via 192.168.0.2 dev eth0

# Pod addresses are /32 behind the node (as Calico does), so every pod flow crosses the node.
for a in 10.0.0.2 10.180.0.1 10.180.0.2 10.180.0.3 10.180.0.4 10.180.0.5 10.180.2.1 \
         10.0.1.1 10.0.1.2 10.0.1.3 10.0.1.4 10.0.1.5; do
  ip -n "$(nsn pod)" addr add "$a/32" dev eth0
done
ip -n "$(nsn pod)" link set eth0 up
ip -n "$(nsn pod)" route add 10.0.0.1/32 dev eth0 scope link
ip -n "$(nsn pod)" route add default via 10.0.0.1 dev eth0

# The external clients the flows name live on ext's lo.
for src in $(grep -v '^#' "$FLOWS" | cut -d'|' -f3 | awk '$1 != $3 {print $1}' | sort -u); do
  case $src in
    10.*|127.*|192.168.0.2|192.168.1.2|192.168.99.11) ;;
    *) ip -n "$(nsn ext)" addr add "$src/32" dev lo ;;
  esac
done

# kube-proxy's health check server listens on the healthCheckNodePort the tests use.
bgns node nc -lk 30000
sleep 0.2

mkdir -p "$OUT/node"
ip -n "$N" -j -d link show          >"$OUT/node/ip-link.json"
ip -n "$N" -j addr show             >"$OUT/node/ip-addr.json"
ip -n "$N" -j route show table all  >"$OUT/node/ip-route.json"
ip -n "$N" -j rule show             >"$OUT/node/ip-rule.json"
inns node ss -H -tuanp | sed 's/pid=[0-9]*/pid=1/' >"$OUT/node/sockets.txt"

trim() { sed 's/^ *//; s/ *$//' <<<"$1"; }

sender() {   # the netns a source address lives in
  case $1 in
    10.*) echo pod ;;
    127.*|192.168.0.2|192.168.1.2|192.168.99.11) echo node ;;
    *) echo ext ;;
  esac
}

for backend in legacy nft; do
  result=$OUT/kernel-$backend.txt
  {
    echo "# FIXTURE | FLOW NAME | SRC PROTO DST PORT => what the node's kernel did ($backend backend)"
    echo "# captured by Tests/Lab/capture-kube-proxy-fixtures.sh on $(uname -r)"
  } >"$result"
  current=""; index=0; base=$([ "$backend" = legacy ] && echo 20000 || echo 30000)
  events=$(mktemp); LAB_TMP=$events
  bgns_out "$events" node stdbuf -oL conntrack -E -e NEW
  monitor=${LAB_PIDS[-1]}
  sleep 0.3
  while IFS='|' read -r fixture name flow _; do
    fixture=$(trim "$fixture"); name=$(trim "$name"); flow=$(trim "$flow")
    case $fixture in ''|'#'*) continue ;; esac
    if [ "$fixture" != "$current" ]; then
      inns node "iptables-$backend" -t nat -F; inns node "iptables-$backend" -t nat -X
      inns node "iptables-$backend" -F; inns node "iptables-$backend" -X
      inns node "iptables-$backend-restore" <"$FIXTURES/$fixture"
      current=$fixture
    fi
    read -r src proto dst port <<<"$flow"
    if [ "$src" = "$dst" ] && [ "$(sender "$src")" = ext ]; then
      echo "$fixture | $name | $flow => not played (the source is the destination)" >>"$result"
      continue
    fi
    index=$((index + 1)); sport=$((base + index))
    inns node conntrack -F >/dev/null 2>&1 || true
    flags=(-v -z -w 1 -s "$src" -p "$sport"); [ "$proto" = udp ] && flags=(-u "${flags[@]}")
    err=$(ip netns exec "$(nsn "$(sender "$src")")" nc "${flags[@]}" "$dst" "$port" 2>&1 || true)
    sleep 0.3
    # conntrack's NEW event carries the reply tuple as the connection was confirmed (an entry
    # refused by RST is gone from the table at once, so the table itself is not asked).
    entry=$(grep -E "^ *\[NEW\] $proto .* src=$src dst=$dst sport=$sport " "$events" | head -1 || true)
    if [ -n "$entry" ]; then
      rsrc=$(echo "$entry" | grep -o 'src=[^ ]*' | sed -n 2p | cut -d= -f2)
      rdst=$(echo "$entry" | grep -o 'dst=[^ ]*' | sed -n 2p | cut -d= -f2)
      rsport=$(echo "$entry" | grep -o 'sport=[^ ]*' | sed -n 2p | cut -d= -f2)
      if [ "$rsrc" = "$dst" ] && [ "$rdst" = "$src" ]; then
        what="untranslated"
      else
        masq=nomasq; [ "$rdst" != "$src" ] && masq=masq
        what="translated $rsrc:$rsport $masq"
      fi
    elif echo "$err" | grep -qi refused; then
      what="rejected"
    else
      what="dropped"
    fi
    echo "$fixture | $name | $flow => $what" >>"$result"
  done <"$FLOWS"
  inns node "iptables-$backend" -t nat -F; inns node "iptables-$backend" -t nat -X
  inns node "iptables-$backend" -F; inns node "iptables-$backend" -X
  bgstop "$monitor"; rm -f "$events"
  log "wrote $result"
done
