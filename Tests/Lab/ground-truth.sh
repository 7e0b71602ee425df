# Sourced by capture-fixtures.sh with the lab up: records kernel ground truth in $GT.
# shellcheck shell=bash

# Routing decisions along some flows (`ip -j route get`), per netns on the way.
# client (node1) -> web-1 (node2), pod to pod across nodes
route_gt pod-client "$GT" 10.244.2.2 from 10.244.1.3
route_gt node1      "$GT" 10.244.2.2 from 10.244.1.3 iif cni0
route_gt node2      "$GT" 10.244.2.2 from 10.244.1.3 iif ens4
# same with fwmark 0x200 at node1 (policy rule -> table 100 via the router)
route_gt node1      "$GT" 10.244.2.2 from 10.244.1.3 iif cni0 mark 0x200
# client -> web-0, same node
route_gt pod-client "$GT" 10.244.1.2 from 10.244.1.3
# client -> ClusterIP: the pod routes the service IP to its gateway; the node routes
# after PREROUTING DNAT, i.e. to one of the backends
route_gt pod-client "$GT" 10.96.0.10 from 10.244.1.3
route_gt node1      "$GT" 10.96.0.10 from 10.244.1.3 iif cni0
route_gt node1      "$GT" 10.244.1.2 from 10.244.1.3 iif cni0
# ext -> NodePort on node1: local delivery (before DNAT); backend web-1 after DNAT+SNAT
route_gt node1      "$GT" $N1 from 172.30.0.10 iif ens4
route_gt node1      "$GT" 10.244.2.2 from 172.30.0.10 iif ens4
route_gt node2      "$GT" 10.244.2.2 from $N1 iif ens4
# node-local traffic
route_gt node1      "$GT" 10.96.0.10
route_gt node2      "$GT" 10.244.1.3
route_gt node2      "$GT" 172.30.0.10 from 10.244.2.3 iif cni0
# special route types on node2: blackhole and ECMP
route_gt node2      "$GT" 10.98.0.1 from 10.244.2.3 iif cni0
route_gt node2      "$GT" 10.98.0.1
route_gt node2      "$GT" 10.99.0.5
route_gt node2      "$GT" 10.99.0.5 from 10.244.2.3 iif cni0
# IPv6: client -> web-1 across nodes
route_gt pod-client "$GT" fd00:10:244:2::2 from fd00:10:244:1::3
route_gt node1      "$GT" fd00:10:244:2::2 from fd00:10:244:1::3 iif cni0
route_gt node2      "$GT" fd00:10:244:2::2 from fd00:10:244:1::3 iif ens4

# Conntrack after the verification traffic (which backend each service connection got)
for n in node1 node2; do
  inns "$n" conntrack -L -o extended >"$GT/conntrack-$n.txt" 2>/dev/null || true
done

# Rule-level trace on node2 (nft backend) of client2 -> ClusterIP 10.96.0.10:80
inns node2 iptables-nft -t raw -A PREROUTING -p tcp --dport 80 -j TRACE
bgns_out "$GT/xtables-monitor-trace-node2-client2-to-10.96.0.10-80.txt" node2 \
  stdbuf -oL xtables-monitor --trace
tracer=${LAB_PIDS[-1]}
sleep 0.5
inns pod-client2 nc -z -w2 10.96.0.10 80 || die "traced ClusterIP connection failed"
sleep 1
bgstop "$tracer"
inns node2 iptables-nft -t raw -D PREROUTING -p tcp --dport 80 -j TRACE
inns node2 conntrack -L -p tcp --orig-dst 10.96.0.10 --orig-src 10.244.2.3 \
  >"$GT/conntrack-node2-client2-to-10.96.0.10.txt" 2>/dev/null || true
grep -q 'DNAT' "$GT/xtables-monitor-trace-node2-client2-to-10.96.0.10-80.txt" \
  || log "warning: trace has no DNAT line"
