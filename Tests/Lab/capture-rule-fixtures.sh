#!/usr/bin/env bash
# Build one netns ("r") with a policy rule for every selector and action this kernel and
# iproute2 accept (ipproto, sport/dport single and ranges, uidrange, not fwmark/mask, goto, nop,
# suppress_prefixlength, suppress_ifgroup, tos, detached iif, tun_id, l3mdev, realms, protocol),
# capture its ip -j outputs into Tests/Fixtures/lab-rules/r/ and the kernel's own answers
# (`ip -j route get ...`) into Tests/Fixtures/lab-rules/ground-truth/ (file names encode the query).
# Needs root. Creates only netns named slr<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/lab-rules}
LAB_PREFIX="slr$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-rule-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale slr

log "building lab $LAB_PREFIX"
mkns r peer0 peer1
R=$(nsn r)
ip -n "$R" link add eth0 type veth peer name p0 netns "$(nsn peer0)"
ip -n "$R" link add eth1 type veth peer name p1 netns "$(nsn peer1)"
ip -n "$(nsn peer0)" link set p0 up
ip -n "$(nsn peer1)" link set p1 up
ip -n "$R" addr add 10.0.0.2/24 dev eth0
ip -n "$R" addr add fd00:0::2/64 dev eth0 nodad
ip -n "$R" addr add 10.1.0.2/24 dev eth1
ip -n "$R" addr add fd00:1::2/64 dev eth1 nodad
ip -n "$R" link set eth0 up
ip -n "$R" link set eth1 up group 5
inns r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# Tables: each one's default route has its own gateway, so the answer names the table.
ip -n "$R" route add default via 10.0.0.1 dev eth0
ip -n "$R" -6 route add default via fd00:0::1 dev eth0
gw=11  # .2 is our own address
for t in 100 101 102 103 104 105 106 107 108; do
  ip -n "$R" route add default via "10.1.0.$gw" dev eth1 table "$t"
  gw=$((gw + 1))
done
ip -n "$R" -6 route add default via fd00:1::1 dev eth1 table 100
ip -n "$R" route add 198.18.0.0/16 via 10.1.0.1 dev eth1 table 110
ip -n "$R" route add 198.19.0.0/16 via 10.0.0.1 dev eth0 table 110

rule() { ip -n "$R" rule add "$@"; }
rule pref 100 ipproto tcp dport 80 lookup 100
rule pref 110 ipproto udp sport 1000-2000 lookup 101
rule pref 120 uidrange 1000-2000 lookup 102
rule pref 125 ipproto tcp sport 5000 dport 22 lookup 107
rule pref 126 iif nosuchdev lookup 100
rule pref 127 tun_id 5 lookup 100
rule pref 128 to 198.51.100.0/24 uidrange 0-0 lookup 108
rule pref 131 to 203.0.113.0/24 realms 3/4 protocol static lookup 104
rule pref 135 tos 0x10 lookup 106
rule pref 140 to 192.0.2.0/24 goto 160
rule pref 150 to 192.0.2.0/24 blackhole
rule pref 160 to 192.0.2.0/24 nop
rule pref 170 to 192.0.2.0/24 lookup 104
rule pref 176 lookup 110 suppress_ifgroup 5
rule pref 180 lookup main suppress_prefixlength 0
rule pref 185 not fwmark 0x1/0x1 lookup 103
rule pref 190 lookup 105
rule pref 1000 l3mdev
ip -n "$R" -6 rule add pref 100 ipproto udp dport 53 lookup 100

rm -rf "$OUT/r" "$OUT/ground-truth"
mkdir -p "$OUT/r" "$OUT/ground-truth"
ip -n "$R" -j -d link show            >"$OUT/r/ip-link.json"
ip -n "$R" -j addr show               >"$OUT/r/ip-addr.json"
ip -n "$R" -j route show table all    >"$OUT/r/ip-route.json"
ip -n "$R" -j -6 route show table all >"$OUT/r/ip-route6.json"
ip -n "$R" -j rule show               >"$OUT/r/ip-rule.json"
ip -n "$R" -j -6 rule show            >"$OUT/r/ip-rule6.json"
ip -n "$R" rule show                  >"$OUT/r/ip-rule.txt"     # the text form, for descriptions
ip -n "$R" -6 rule show               >"$OUT/r/ip-rule6.txt"

GT=$OUT/ground-truth
q() { route_gt r "$GT" "$@"; }
# Locally generated (ip route get without ipproto asks as UDP; uid defaults to the caller's, 0)
q 8.8.8.8 ipproto tcp dport 80
q 8.8.8.8 ipproto tcp dport 81
q 8.8.8.8 ipproto udp sport 1500
q 8.8.8.8 ipproto udp sport 2001
q 8.8.8.8 ipproto udp sport 1000
q 8.8.8.8 ipproto tcp uid 1500
q 8.8.8.8 ipproto tcp uid 2500
q 8.8.8.8 ipproto tcp sport 5000 dport 22
q 8.8.8.8 ipproto tcp sport 5001 dport 22
q 8.8.8.8 ipproto tcp tos 0x10
q 8.8.8.8 ipproto tcp tos 0x30
q 8.8.8.8 ipproto tcp tos 0x14
q 8.8.8.8 ipproto tcp mark 0x1
q 8.8.8.8 ipproto tcp mark 0x3
q 8.8.8.8 ipproto icmp
q 8.8.8.8
q 192.0.2.1 ipproto tcp
q 203.0.113.9 ipproto tcp
q 10.0.0.9 ipproto tcp
q 198.18.1.1 ipproto tcp
q 198.19.1.1 ipproto tcp
q 198.51.100.7 ipproto tcp
q 198.51.100.7 ipproto tcp uid 1
# Forwarded (input path: the kernel dissects protocol and ports; uid is always 0)
q 8.8.8.8 from 10.1.0.50 iif eth1 ipproto tcp dport 80
q 8.8.8.8 from 10.0.0.50 iif eth0 ipproto udp sport 1500
q 8.8.8.8 from 10.0.0.50 iif eth0 ipproto icmp
q 8.8.8.8 from 10.0.0.50 iif eth0 ipproto tcp mark 0x1
q 198.51.100.7 from 10.0.0.50 iif eth0 ipproto tcp
q 198.51.100.7 from 10.0.0.50 iif eth0 ipproto tcp uid 1500
q 192.0.2.1 from 10.0.0.50 iif eth0 ipproto udp
q 198.18.1.1 from 10.0.0.50 iif eth0 ipproto tcp mark 0x1
# IPv6
q 2001:db8::1 ipproto udp dport 53
q 2001:db8::1 ipproto tcp dport 53
q 2001:db8::1 from fd00:0::50 iif eth0 ipproto udp dport 53
log "captured $(find "$GT" -type f | wc -l) answers into $OUT"
