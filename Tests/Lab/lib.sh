# Helpers for the Skoop network-namespace labs. Source from a script that has set:
#   LAB_PREFIX  unique prefix for this run's netns names, e.g. "skl$$"
# Every netns is named "$LAB_PREFIX-<id>"; captures use <id> only.

LAB_PIDS=()      # background processes this run started (killed by PID on teardown)
LAB_NETNS=()     # netns this run created

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

nsn() { printf '%s-%s' "$LAB_PREFIX" "$1"; }          # id -> real netns name
inns() { local id=$1; shift; ip netns exec "$(nsn "$id")" "$@"; }

mkns() {                                              # mkns ID...
  local id
  for id in "$@"; do
    ip netns add "$(nsn "$id")"
    LAB_NETNS+=("$(nsn "$id")")
    ip -n "$(nsn "$id")" link set lo up
    # no IPv6 duplicate address detection in the lab (addresses usable at once)
    ip netns exec "$(nsn "$id")" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0
  done
}

# Run a command in a netns in the background, remember its PID.
bgns() {
  local id=$1; shift
  ip netns exec "$(nsn "$id")" "$@" </dev/null >/dev/null 2>&1 &
  LAB_PIDS+=("$!")
}

# Same, with stdout+stderr to FILE: bgns_out FILE ID CMD...
bgns_out() {
  local f=$1 id=$2; shift 2
  ip netns exec "$(nsn "$id")" "$@" </dev/null >"$f" 2>&1 &
  LAB_PIDS+=("$!")
}

# Stop one process started by bgns/bgns_out (by PID) and forget it.
bgstop() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!LAB_PIDS[@]}"; do [ "${LAB_PIDS[$i]}" = "$pid" ] && unset "LAB_PIDS[$i]"; done
  return 0
}

lab_teardown() {
  local pid ns
  for pid in "${LAB_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${LAB_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  for ns in "${LAB_NETNS[@]:-}"; do
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true
  done
  LAB_PIDS=(); LAB_NETNS=()
}

# Remove netns left behind by an earlier run of a lab script with prefix BASE<pid>-
# whose process is gone (e.g. killed with SIGKILL). Only touches our own prefix.
lab_reap_stale() {
  local base=$1 ns pid p
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^${base}[0-9]+-" || true); do
    pid=${ns#"$base"}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    log "removed stale netns $ns"
  done
}

# add_pod NODE POD VETH IP4 IP6 GW4 GW6 : netns "pod-POD", eth0 <-> VETH on NODE's cni0
add_pod() {
  local node=$1 pod=$2 veth=$3 ip4=$4 ip6=$5 gw4=$6 gw6=$7 p="pod-$2"
  mkns "$p"
  ip -n "$(nsn "$node")" link add "$veth" type veth peer name eth0 netns "$(nsn "$p")"
  ip -n "$(nsn "$node")" link set "$veth" master cni0 up
  ip -n "$(nsn "$p")" addr add "$ip4/24" dev eth0
  ip -n "$(nsn "$p")" addr add "$ip6/64" dev eth0 nodad
  ip -n "$(nsn "$p")" link set eth0 up
  ip -n "$(nsn "$p")" route add default via "$gw4" dev eth0
  ip -n "$(nsn "$p")" -6 route add default via "$gw6" dev eth0
}

# capture_ns ID OUTDIR BACKEND : raw tool outputs in the layout of interfaces.md
capture_ns() {
  local id=$1 out=$2 be=$3 ns
  ns=$(nsn "$id")
  mkdir -p "$out"
  ip -n "$ns" -j -d link show          >"$out/ip-link.json"
  ip -n "$ns" -j addr show             >"$out/ip-addr.json"
  ip -n "$ns" -j route show table all  >"$out/ip-route.json"
  ip -n "$ns" -j -6 route show table all >"$out/ip-route6.json"
  ip -n "$ns" -j rule show             >"$out/ip-rule.json"
  ip -n "$ns" -j -6 rule show          >"$out/ip-rule6.json"
  ip -n "$ns" -j neigh show            >"$out/ip-neigh.json"
  bridge -n "$ns" -j fdb show          >"$out/bridge-fdb.json"
  ip netns exec "$ns" "iptables-$be-save" -c  >"$out/iptables.txt"
  ip netns exec "$ns" "ip6tables-$be-save" -c >"$out/ip6tables.txt"
  echo "$be"                           >"$out/iptables-backend.txt"
  ip netns exec "$ns" ipset save       >"$out/ipset.txt"
  if command -v ipvsadm >/dev/null && ip netns exec "$ns" ipvsadm -Sn >"$out/ipvs.txt" 2>/dev/null; then
    :
  else
    rm -f "$out/ipvs.txt"              # no IPVS in this kernel (or no ipvsadm): file missing
  fi
  ip netns exec "$ns" nft -j list ruleset >"$out/nft.json"
  ip netns exec "$ns" ss -H -tuanp     >"$out/sockets.txt"
  ip netns exec "$ns" sysctl -a 2>/dev/null | grep '^net\.' >"$out/sysctl.txt" || true
}

# route_gt NODE-ID OUTDIR ARGS... : ground truth of `ip -j route get ARGS` (file name from args)
route_gt() {
  local id=$1 out=$2; shift 2
  local name rc=0
  name="route-${id}-$(printf '%s-' "$@" | sed 's/-$//; s/ /-/g')"
  name=$(printf '%s' "$name" | sed 's/[^A-Za-z0-9._-]/_/g')
  ip -n "$(nsn "$id")" -j route get "$@" >"$out/$name.json" 2>"$out/$name.err" || rc=$?
  if [ -s "$out/$name.err" ] || [ "$rc" -ne 0 ]; then
    echo "exit $rc" >>"$out/$name.err"          # e.g. a blackhole route: no JSON at all
    [ -s "$out/$name.json" ] || rm -f "$out/$name.json"
  else
    rm -f "$out/$name.err"
  fi
}

# check DESCRIPTION CMD... : run a verification, print result, count failures in LAB_FAILS
LAB_FAILS=0
check() {
  local d=$1; shift
  if "$@" >/dev/null 2>&1; then printf '  ok    %s\n' "$d"
  else printf '  FAIL  %s\n' "$d"; LAB_FAILS=$((LAB_FAILS + 1)); fi
}
