#!/usr/bin/env bash
# Real packets against a kube-router-like policy rule set, written by hand for upstream e2e
# NetworkPolicy cases (ipsets of pod addresses, a KUBE-POD-FW-* chain per isolated pod and
# direction, REJECT at the end). One node netns with a bridge and the upstream model's pods
# (x/a x/b x/c y/a y/b z/a at 10.0.NS.POD, x=1 a=1) listening on TCP 80 and 81; every pair is
# probed with nc. For each case CASE writes Tests/Fixtures/lab-netpol/CASE.txt: the rules
# (iptables-save) and one line per probe "SRC DST PORT allow|deny".
# Needs root. Creates only netns named snp<PID>-*, removes them on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/lab-netpol}
LAB_PREFIX="snp$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-netpol-fixtures.sh: needs root" >&2; exit 2; }
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM
lab_reap_stale snp

PODS="x/a x/b x/c y/a y/b z/a"
ip_of() { local ns=${1%/*} pod=${1#*/}; printf '10.0.%d.%d' "$(( $(printf %d "'$ns") - 119 ))" "$(( $(printf %d "'$pod") - 96 ))"; }
id_of() { printf 'pod-%s-%s' "${1%/*}" "${1#*/}"; }

log "building lab $LAB_PREFIX"
mkns node
N=$(nsn node)
ip -n "$N" link add br0 type bridge
ip -n "$N" link set br0 up
# Bridged pod-to-pod traffic goes through iptables' FORWARD, as on a CNI bridge.
inns node sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.icmp_ratelimit=0
for pod in $PODS; do
  id=$(id_of "$pod")
  mkns "$id"
  ip -n "$N" link add "v-${id#pod-}" type veth peer name eth0 netns "$(nsn "$id")"
  ip -n "$N" link set "v-${id#pod-}" master br0 up
  ip -n "$(nsn "$id")" addr add "$(ip_of "$pod")/16" dev eth0
  ip -n "$(nsn "$id")" link set eth0 up
  for port in 80 81; do bgns "$id" nc -lk "$(ip_of "$pod")" "$port"; done
done
sleep 0.3

# ipsets of pod addresses, as kube-router keeps them.
pods_set() { local name=$1; shift; inns node ipset create "$name" hash:ip; for pod in "$@"; do inns node ipset add "$name" "$(ip_of "$pod")"; done; }

probe_all() {                                   # probe_all CASE PORT...
  local case=$1; shift
  local file="$OUT/$case.txt"
  { echo "# rules (iptables-legacy-save in the node netns):"; inns node iptables-legacy-save | grep -v '^#' | sed 's/^/# /'; } >"$file"
  for port in "$@"; do
    for src in $PODS; do
      for dst in $PODS; do
        [ "$src" = "$dst" ] && continue
        if inns "$(id_of "$src")" nc -z -w 1 "$(ip_of "$dst")" "$port" 2>/dev/null; then r=allow; else r=deny; fi
        echo "$src $dst $port $r" >>"$file"
      done
    done
  done
  log "$case: $(grep -c ' deny$' "$file") denied of $(grep -vc '^#' "$file")"
}

reset_rules() {
  inns node iptables-legacy -F; inns node iptables-legacy -X
  inns node ipset destroy 2>/dev/null || true
}

apply() { inns node iptables-legacy-restore; }

# 1. allow-client-a-via-ns-selector: x/a admits only namespace y.
reset_rules
pods_set np-ns-y y/a y/b
apply <<'R'
*filter
:KUBE-POD-FW-XA - [0:0]
:KUBE-NWPLCY-ALLOW-NS-Y - [0:0]
-A FORWARD -d 10.0.1.1/32 -j KUBE-POD-FW-XA
-A KUBE-POD-FW-XA -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-XA -j KUBE-NWPLCY-ALLOW-NS-Y
-A KUBE-POD-FW-XA -p tcp -j REJECT --reject-with tcp-reset
-A KUBE-NWPLCY-ALLOW-NS-Y -m set --match-set np-ns-y src -j ACCEPT
COMMIT
R
probe_all ns-selector 80

# 2. PodSelector AND NamespaceSelector: x/a admits pod=b of namespaces other than x.
reset_rules
pods_set np-b-not-x y/b
apply <<'R'
*filter
:KUBE-POD-FW-XA - [0:0]
-A FORWARD -d 10.0.1.1/32 -j KUBE-POD-FW-XA
-A KUBE-POD-FW-XA -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-XA -m set --match-set np-b-not-x src -j ACCEPT
-A KUBE-POD-FW-XA -p tcp -j REJECT --reject-with tcp-reset
COMMIT
R
probe_all pod-and-namespace-selector 80

# 3. Ports: x/a admits namespace y on TCP 81 only.
reset_rules
pods_set np-ns-y y/a y/b
apply <<'R'
*filter
:KUBE-POD-FW-XA - [0:0]
-A FORWARD -d 10.0.1.1/32 -j KUBE-POD-FW-XA
-A KUBE-POD-FW-XA -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-XA -p tcp --dport 81 -m set --match-set np-ns-y src -j ACCEPT
-A KUBE-POD-FW-XA -p tcp -j REJECT --reject-with tcp-reset
COMMIT
R
probe_all ports 80 81

# 4. Egress: x/a may reach only y/a (namespace y AND pod=a); default-deny ingress in z.
reset_rules
pods_set np-y-a y/a
apply <<'R'
*filter
:KUBE-POD-FW-XA-EGRESS - [0:0]
:KUBE-POD-FW-Z-INGRESS - [0:0]
-A FORWARD -s 10.0.1.1/32 -j KUBE-POD-FW-XA-EGRESS
-A FORWARD -d 10.0.3.0/24 -j KUBE-POD-FW-Z-INGRESS
-A KUBE-POD-FW-XA-EGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-XA-EGRESS -m set --match-set np-y-a dst -j ACCEPT
-A KUBE-POD-FW-XA-EGRESS -p tcp -j REJECT --reject-with tcp-reset
-A KUBE-POD-FW-Z-INGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-POD-FW-Z-INGRESS -p tcp -j REJECT --reject-with tcp-reset
COMMIT
R
probe_all egress-and-default-deny 80
log "wrote $OUT"
