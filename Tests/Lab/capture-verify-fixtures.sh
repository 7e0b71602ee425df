#!/usr/bin/env bash
# Captures the lab snapshots that pin the engine fixes found by `skoop lab verify` into
# Tests/Fixtures/lab-<scenario>[-<fault>]/ (used by Tests/SkoopDiagnosisTests/LabVerifyFixtureTests).
# Needs root and a built skoop (argument 1, default .build/debug/skoop). The labs are torn down
# by `skoop lab verify` itself. Snapshots are trimmed to what a diagnosis reads: no nft.json
# (the rules are in iptables.txt), no IPv6 route/rule/ip6tables files, and only the sysctls
# the engine consults.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SKOOP=${1:-$ROOT/.build/debug/skoop}
[ "$(id -u)" -eq 0 ] || { echo "capture-verify-fixtures.sh: needs root" >&2; exit 2; }

# Arguments after the skoop binary narrow the capture to those cases (e.g. calico-bgp:route-via-gateway).
CASES=(
  "flannel-vxlan:"
  "flannel-vxlan:mtu-mismatch"
  "flannel-hostgw:wrong-gateway"
  "flannel-hostgw:bridge-nf-off"
  "calico-bgp:remote-route-deleted"
  "calico-bgp:route-via-gateway"
  "calico-bgp:host-veth-down"
  "bridge:veth-detached"
)
if [ $# -gt 1 ]; then CASES=("${@:2}"); fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SYSCTLS='^net\.(ipv4\.ip_forward|ipv4\.conf\.[^.]+\.(rp_filter|forwarding|proxy_arp)|ipv6\.conf\.all\.forwarding|bridge\.bridge-nf-call-ip6?tables|netfilter\.nf_conntrack_(count|max)|ipv4\.icmp_echo_ignore_all) '

for entry in "${CASES[@]}"; do
  scenario=${entry%%:*} fault=${entry#*:}
  args=(--scenario "$scenario")
  name="$scenario"
  if [ -n "$fault" ]; then args+=(--fault "$fault"); name="$scenario+$fault"; fi
  "$SKOOP" lab verify "${args[@]}" --jobs 1 --snapshots "$TMP" | tail -1
  out="$ROOT/Tests/Fixtures/lab-${name/+/-}"
  rm -rf "$out"
  cp -r "$TMP/$name" "$out"
  find "$out" \( -name nft.json -o -name ip-route6.json -o -name ip-rule6.json -o -name ip6tables.txt \) -delete
  find "$out" -name sysctl.txt | while read -r f; do grep -E "$SYSCTLS" "$f" > "$f.tmp" || true; mv "$f.tmp" "$f"; done
  echo "captured $out ($(du -sh "$out" | cut -f1))"
done
