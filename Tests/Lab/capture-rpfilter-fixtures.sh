#!/usr/bin/env bash
# rp_filter and source validation on packets for LOCAL delivery, measured with real pings:
# netns "a" (the one under test) has 10.9.0.1 on v0 (peer b), 10.8.0.1 on v2 (peer c) and an
# address-less v4 (peer d). The route back to b's 10.7.0.0/24 leaves through v2 (asymmetric),
# except for packets marked 0x1 (PREROUTING mark, rule fwmark 0x1 -> table 200 via v0).
# Each case sets a's sysctls, sends one echo request and records whether a's kernel took it
# (IcmpInEchos) and its IPReversePathFilter counter. Writes Tests/Fixtures/lab-rpfilter/:
# a/ (ip -j outputs, iptables.txt) and cases.txt ("NAME IIF SRC SYSCTLS... => delivered|dropped").
# Needs root. Creates only netns named srp<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/lab-rpfilter}
LAB_PREFIX="srp$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-rpfilter-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale srp

log "building lab $LAB_PREFIX"
mkns a b c d
A=$(nsn a)
ip -n "$A" link add v0 type veth peer name v1 netns "$(nsn b)"
ip -n "$A" link add v2 type veth peer name v3 netns "$(nsn c)"
ip -n "$A" link add v4 type veth peer name v5 netns "$(nsn d)"
ip -n "$A" addr add 10.9.0.1/24 dev v0
ip -n "$A" addr add 10.8.0.1/24 dev v2
for dev in v0 v2 v4; do ip -n "$A" link set "$dev" up; done
ip -n "$A" route add 10.7.0.0/24 via 10.8.0.2 dev v2
ip -n "$A" route add 10.4.0.0/24 via 10.8.0.2 dev v2
ip -n "$A" route add 10.7.0.0/24 via 10.9.0.2 dev v0 table 200
ip -n "$A" rule add pref 100 fwmark 0x1 lookup 200
inns a iptables-legacy -t mangle -A PREROUTING -s 10.7.0.3/32 -j MARK --set-xmark 0x1/0xffffffff

ip -n "$(nsn b)" addr add 10.9.0.2/24 dev v1
for src in 10.7.0.2 10.7.0.3 10.6.0.2 10.8.0.1; do ip -n "$(nsn b)" addr add "$src/32" dev lo; done
ip -n "$(nsn b)" link set v1 up
ip -n "$(nsn b)" route add default via 10.9.0.1 dev v1
ip -n "$(nsn c)" addr add 10.8.0.2/24 dev v3
ip -n "$(nsn c)" link set v3 up
ip -n "$(nsn d)" addr add 10.4.0.2/24 dev v5
ip -n "$(nsn d)" link set v5 up
ip -n "$(nsn d)" route add 10.9.0.1/32 dev v5
# Static neighbours: ARP itself is source-validated, which would hide what happens to the IP packet.
mac() { ip -n "$A" -j link show "$1" | sed -n 's/.*"address":"\([^"]*\)".*/\1/p'; }
ip -n "$(nsn b)" neigh add 10.9.0.1 lladdr "$(mac v0)" dev v1 nud permanent
ip -n "$(nsn d)" neigh add 10.9.0.1 lladdr "$(mac v4)" dev v5 nud permanent

rm -rf "$OUT"
mkdir -p "$OUT/a"
ip -n "$A" -j -d link show         >"$OUT/a/ip-link.json"
ip -n "$A" -j addr show            >"$OUT/a/ip-addr.json"
ip -n "$A" -j route show table all >"$OUT/a/ip-route.json"
ip -n "$A" -j rule show            >"$OUT/a/ip-rule.json"
inns a iptables-legacy-save -c     >"$OUT/a/iptables.txt"

counter() { inns a nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }
KEYS="all.rp_filter v0.rp_filter v4.rp_filter all.accept_local v0.accept_local all.src_valid_mark v0.src_valid_mark"
{
  echo "# NAME IIF SRC SYSCTLS(net.ipv4.conf.*) => RESULT (IcmpInEchos and TcpExtIPReversePathFilter deltas)"
  echo "# captured by Tests/Lab/capture-rpfilter-fixtures.sh on $(uname -r); dst is always 10.9.0.1 (a's v0)"
} >"$OUT/cases.txt"
probe() {  # probe NAME SENDER IIF SRC KEY=VALUE...
  local name=$1 sender=$2 iif=$3 src=$4; shift 4
  local k settings=""
  for k in $KEYS; do inns a sysctl -qw "net.ipv4.conf.$k=0"; done
  for k in "$@"; do inns a sysctl -qw "net.ipv4.conf.$k"; done
  for k in $KEYS; do settings+=" $k=$(inns a sysctl -n "net.ipv4.conf.$k")"; done
  local echos rpf result
  echos=$(counter IcmpInEchos); rpf=$(counter TcpExtIPReversePathFilter)
  inns "$sender" ping -c1 -W1 -I "$src" 10.9.0.1 >/dev/null 2>&1 || true
  echos=$(( $(counter IcmpInEchos) - echos )); rpf=$(( $(counter TcpExtIPReversePathFilter) - rpf ))
  result=$([ "$echos" -gt 0 ] && echo delivered || echo dropped)
  echo "$name $iif $src$settings => $result (echos +$echos, rp_filter drops +$rpf)" >>"$OUT/cases.txt"
}
probe off                  b v0 10.7.0.2
probe strict-all           b v0 10.7.0.2 all.rp_filter=1
probe strict-interface     b v0 10.7.0.2 v0.rp_filter=1
probe max-is-loose         b v0 10.7.0.2 all.rp_filter=2 v0.rp_filter=1
probe strict-symmetric     b v0 10.9.0.2 all.rp_filter=1
probe loose-no-route-back  b v0 10.6.0.2 v0.rp_filter=2
probe own-source           b v0 10.8.0.1
probe own-source-accepted  b v0 10.8.0.1 v0.accept_local=1
probe mark-not-valid       b v0 10.7.0.3 v0.rp_filter=1
probe mark-valid           b v0 10.7.0.3 v0.rp_filter=1 all.src_valid_mark=1
probe loose-addressless    d v4 10.4.0.2 v4.rp_filter=2
probe off-addressless      d v4 10.4.0.2
cat "$OUT/cases.txt" >&2
