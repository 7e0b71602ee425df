#!/usr/bin/env bash
# Build the "lab-basic" lab from network namespaces, verify it really forwards traffic,
# and capture the raw tool outputs into Tests/Fixtures/lab-basic/ (layout: interfaces.md).
# Needs root. Creates only netns named skl<PID>-*, removes them (and its processes) on exit.
# The hand-written k8s/*.json, snapshot.json and LAB.md next to the capture are not touched.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/Tests/Fixtures/lab-basic}
LAB_PREFIX="skl$$"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "capture-fixtures.sh: needs root" >&2; exit 2; }
for t in ip bridge iptables-legacy-restore iptables-nft-restore ipset nft ss nc sysctl xtables-monitor conntrack; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP=$(mktemp -d)
trap 'lab_teardown; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
lab_reap_stale skl

N1=192.168.56.11 N2=192.168.56.12 RTR=192.168.56.1
N1v6=fd00:192:168:56::11 N2v6=fd00:192:168:56::12 RTRv6=fd00:192:168:56::1

# ---------------------------------------------------------------- underlay, router, ext
log "building lab $LAB_PREFIX"
mkns underlay router ext node1 node2
ip -n "$(nsn underlay)" link add br0 type bridge
ip -n "$(nsn underlay)" link set br0 up
for pair in node1:ens4 node2:ens4 router:ens4; do
  id=${pair%%:*} dev=${pair#*:}
  ip -n "$(nsn underlay)" link add "to-$id" type veth peer name "$dev" netns "$(nsn "$id")"
  ip -n "$(nsn underlay)" link set "to-$id" master br0 up
  ip -n "$(nsn "$id")" link set "$dev" up
done
ip -n "$(nsn router)" link add ens5 type veth peer name eth0 netns "$(nsn ext)"
ip -n "$(nsn router)" addr add $RTR/24 dev ens4
ip -n "$(nsn router)" addr add $RTRv6/64 dev ens4 nodad
ip -n "$(nsn router)" addr add 172.30.0.1/24 dev ens5
ip -n "$(nsn router)" link set ens5 up
ip -n "$(nsn router)" route add 10.244.1.0/24 via $N1
ip -n "$(nsn router)" route add 10.244.2.0/24 via $N2
inns router sysctl -qw net.ipv4.ip_forward=1
ip -n "$(nsn ext)" addr add 172.30.0.10/24 dev eth0
ip -n "$(nsn ext)" link set eth0 up
ip -n "$(nsn ext)" route add default via 172.30.0.1

# ---------------------------------------------------------------- nodes
setup_node() {  # setup_node ID NODEIP NODEIPv6 N(podCIDR 10.244.N.0/24) OTHERIP OTHERv6 OTHERN
  local id=$1 ip=$2 ip6=$3 n=$4 oip=$5 oip6=$6 on=$7 ns
  ns=$(nsn "$id")
  ip -n "$ns" addr add "$ip/24" dev ens4
  ip -n "$ns" addr add "$ip6/64" dev ens4 nodad
  ip -n "$ns" link add cni0 type bridge
  ip -n "$ns" addr add "10.244.$n.1/24" dev cni0
  ip -n "$ns" addr add "fd00:10:244:$n::1/64" dev cni0 nodad
  ip -n "$ns" link set cni0 up
  ip -n "$ns" route add default via $RTR dev ens4
  ip -n "$ns" -6 route add default via $RTRv6 dev ens4
  ip -n "$ns" route add "10.244.$on.0/24" via "$oip" dev ens4
  ip -n "$ns" -6 route add "fd00:10:244:$on::/64" via "$oip6" dev ens4
  inns "$id" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
}
setup_node node1 $N1 $N1v6 1 $N2 $N2v6 2
setup_node node2 $N2 $N2v6 2 $N1 $N1v6 1

add_pod node1 web-0   veth5c1a9e02 10.244.1.2 fd00:10:244:1::2 10.244.1.1 fd00:10:244:1::1
add_pod node1 client  vethb7d34f10 10.244.1.3 fd00:10:244:1::3 10.244.1.1 fd00:10:244:1::1
add_pod node2 web-1   veth0e8f2a6d 10.244.2.2 fd00:10:244:2::2 10.244.2.1 fd00:10:244:2::1
add_pod node2 client2 veth91c4d7b3 10.244.2.3 fd00:10:244:2::3 10.244.2.1 fd00:10:244:2::1
bridge -n "$(nsn node1)" link set dev veth5c1a9e02 hairpin on

# policy routing on node1: fwmark 0x200/0x200 -> table 100 (pod CIDR of node2 via the router)
ip -n "$(nsn node1)" rule add fwmark 0x200/0x200 lookup 100 pref 100
ip -n "$(nsn node1)" route add 10.244.2.0/24 via $RTR dev ens4 table 100
ip -n "$(nsn node1)" -6 rule add fwmark 0x200/0x200 lookup 100 pref 100
ip -n "$(nsn node1)" -6 route add fd00:10:244:2::/64 via $RTRv6 dev ens4 table 100
# blackhole and ECMP multipath routes on node2
ip -n "$(nsn node2)" route add blackhole 10.98.0.0/24
ip -n "$(nsn node2)" route add 10.99.0.0/24 nexthop via $RTR dev ens4 weight 1 nexthop via $N1 dev ens4 weight 2

# ---------------------------------------------------------------- kube-proxy (iptables mode)
SVC=KUBE-SVC-4N57TFCL4MD7ZTDA EXT=KUBE-EXT-4N57TFCL4MD7ZTDA
SEP0=KUBE-SEP-JA2GUVOPKF4OOH4G SEP1=KUBE-SEP-3S4CJWMX5ZP6XG2T
kube_rules() {  # kube_rules EXTRA_NAT_RULE
  cat <<RULES
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:$EXT - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:$SEP1 - [0:0]
:$SEP0 - [0:0]
:KUBE-SERVICES - [0:0]
:$SVC - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A $EXT -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ
-A $EXT -j $SVC
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j $EXT
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A $SEP1 -s 10.244.2.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A $SEP1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A $SEP0 -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A $SEP0 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080
$1
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j $SVC
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A $SVC ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A $SVC -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j $SEP0
-A $SVC -m comment --comment "default/web:http -> 10.244.2.2:8080" -j $SEP1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
RULES
}
# node1: legacy backend, plus an ipset of cluster IP:port pairs used with -m set dst,dst
inns node1 ipset create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 \
  comment
inns node1 ipset add KUBE-CLUSTER-IP 10.96.0.10,tcp:80 comment "default/web:http"
inns node1 ipset add KUBE-CLUSTER-IP 10.96.0.20,tcp:80 comment "default/empty:http"
kube_rules '-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ' \
  | inns node1 iptables-legacy-restore
inns node1 ip6tables-legacy-restore <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -s fd00:10:244::/48 -m comment --comment "pod IPv6 traffic" -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT
COMMIT
RULES
# node2: nft backend
kube_rules '' | inns node2 iptables-nft-restore

# ---------------------------------------------------------------- listeners
bgns pod-web-0 nc -dlk 8080
bgns pod-web-1 nc -dlk 8080
bgns pod-web-1 nc -dluk 5353
bgns node1 nc -dlk 10250          # a host-netns listener (kubelet port)
sleep 0.3

# ---------------------------------------------------------------- verify (and fill neighbour tables)
echo "verifying lab $LAB_PREFIX:"
pingc() { inns "$1" ping -c1 -W2 "$2"; }
check "client -> web-0 10.244.1.2 ping (same node)"        pingc pod-client 10.244.1.2
check "client -> web-1 10.244.2.2 ping (cross node)"       pingc pod-client 10.244.2.2
check "client2 -> web-1 10.244.2.2 ping (same node)"       pingc pod-client2 10.244.2.2
check "client -> web-1 fd00:10:244:2::2 ping6 (cross node)" pingc pod-client fd00:10:244:2::2
check "client -> web-0 fd00:10:244:1::2 ping6 (same node)"  pingc pod-client fd00:10:244:1::2
check "web-0 -> ext 172.30.0.10 ping"                      pingc pod-web-0 172.30.0.10
check "node1 -> node2 $N2 ping"                            pingc node1 $N2
check "client -> web-0 10.244.1.2:8080 tcp"   inns pod-client nc -z -w2 10.244.1.2 8080
check "client -> web-1 10.244.2.2:8080 tcp"   inns pod-client nc -z -w2 10.244.2.2 8080
for i in 1 2 3; do
  check "client -> ClusterIP 10.96.0.10:80 tcp (#$i)"  inns pod-client nc -z -w2 10.96.0.10 80
  check "client2 -> ClusterIP 10.96.0.10:80 tcp (#$i)" inns pod-client2 nc -z -w2 10.96.0.10 80
done
check "ext -> NodePort $N1:30080 tcp"         inns ext nc -z -w2 $N1 30080
check "node2 -> ClusterIP 10.96.0.10:80 tcp"  inns node2 nc -z -w2 10.96.0.10 80
check "client -> 10.96.0.20:80 rejected (no endpoints)" \
  bash -c "! ip netns exec $(nsn pod-client) nc -z -w2 10.96.0.20 80"
inns pod-client sh -c 'echo hello | nc -u -w1 10.244.2.2 5353' || true
[ "$LAB_FAILS" -eq 0 ] || die "$LAB_FAILS verification(s) failed; not capturing"

# ---------------------------------------------------------------- ground truth
GT=$TMP/ground-truth; mkdir -p "$GT"
. "$HERE/ground-truth.sh"

# ---------------------------------------------------------------- capture
log "capturing"
for node in node1 node2; do
  be=legacy; [ $node = node2 ] && be=nft
  capture_ns "$node" "$TMP/nodes/$node/netns/host" "$be"
done
for p in node1:web-0 node1:client node2:web-1 node2:client2; do
  node=${p%%:*}; be=legacy; [ $node = node2 ] && be=nft
  capture_ns "pod-${p#*:}" "$TMP/nodes/$node/netns/pod-${p#*:}" "$be"
done
# deterministic names: the netns names inside the outputs lose this run's prefix
{ grep -rlZ -- "$LAB_PREFIX-" "$TMP" || true; } | xargs -0r sed -i "s/$LAB_PREFIX-//g"

mkdir -p "$OUT"
rm -rf "$OUT/nodes" "$OUT/ground-truth"
cp -r "$TMP/nodes" "$TMP/ground-truth" "$OUT/"
log "wrote $OUT/nodes and $OUT/ground-truth"

lab_teardown
left=$(ip netns list | grep -c "^$LAB_PREFIX-" || true)
echo "teardown: $left netns left with prefix $LAB_PREFIX"
[ "$left" -eq 0 ]
