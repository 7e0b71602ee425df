#!/usr/bin/env bash
# End-to-end check of the TUI in a real terminal (tmux on a private socket).
# usage: Tests/TUI/tmux-e2e.sh [CMD ...]
#   default CMD: skoop tui (the bundled demo); e.g.
#   Tests/TUI/tmux-e2e.sh .build/debug/skoop tui --snapshot SNAP -s default/client -d svc/default/web -p 80
# Checks: the screen draws, stepping/run/rules/help/filter keys work, q restores the terminal,
# SIGTERM and SIGINT restore the terminal too (stty shows icanon+echo after the TUI dies).
set -euo pipefail
if [ $# -eq 0 ]; then set -- skoop tui; fi
command -v tmux >/dev/null || { echo "tmux-e2e: tmux is not installed" >&2; exit 2; }
SOCKET_BASE="skoop-e2e-$$"
SOCKET="$SOCKET_BASE-0"
runs=0
SESSION=e2e
CMD=$(printf '%q ' "$@")
failures=0
passes=0
tm() { tmux -L "$SOCKET" "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; }
trap cleanup EXIT

screen() { tm capture-pane -p -t "$SESSION"; }
wait_for() { # TEXT [SECONDS]
    local deadline=$((SECONDS + ${2:-10}))
    while [ $SECONDS -lt $deadline ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.2
    done
    return 1
}
check() { # NAME TEXT
    if wait_for "$2" 5; then passes=$((passes + 1)); echo "ok   $1"
    else failures=$((failures + 1)); echo "FAIL $1: \"$2\" not on screen"; screen | sed 's/^/     | /'; fi
}
start() { # [COLUMNS ROWS [EXTRA ARGS]]: runs CMD, then prints the terminal modes once it exits
    cleanup
    # A fresh server per run: a new session on a server that is still shutting down fails.
    runs=$((runs + 1))
    SOCKET="$SOCKET_BASE-$runs"
    local columns=${1:-150} rows=${2:-30} extra=${3:-}
    tm -f /dev/null new-session -d -s "$SESSION" -x "$columns" -y "$rows" \
        "TERM=xterm-256color $CMD $extra; echo \"EXIT=\$?\"; stty -a | tr ' ' '\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 30"
}
keys() { tm send-keys -t "$SESSION" "$@"; sleep 0.3; }
restored() { # NAME
    if wait_for "EXIT=" 10 && screen | grep -q -- "^icanon echo" ; then passes=$((passes + 1)); echo "ok   $1"
    else failures=$((failures + 1)); echo "FAIL $1: terminal not restored"; screen | tail -5 | sed 's/^/     | /'; fi
}
tui_pid() { pgrep -P "$(tm display-message -p -t "$SESSION" '#{pane_pid}')" | head -1; }

check_absent() { # NAME TEXT
    sleep 0.3
    if screen | grep -qF -- "$2"; then failures=$((failures + 1)); echo "FAIL $1: \"$2\" still on screen"; screen | sed 's/^/     | /'
    else passes=$((passes + 1)); echo "ok   $1"; fi
}
hops() { screen | grep -cE '(─▸|->) ' || true; }

start
check "header draws" "Skoop"
if screen | grep -qF "Pick a query"; then keys Enter; fi
check "a diagnosis is shown" "step 1/"
before=$(hops)
keys n;            check "n advances one transmission" "step 2/"
if [ "$(hops)" -gt "$before" ]; then passes=$((passes + 1)); echo "ok   stepping adds hops"
else failures=$((failures + 1)); echo "FAIL stepping adds hops ($before -> $(hops))"; fi
keys p;            check "p steps back" "step 1/"
keys r;            check "run to end shows a verdict" "PARTIAL"
keys g;            check "g goes to the first step" "step 1/"
keys G
keys Home 2>/dev/null || true
keys l;            check "expanding a hop shows its packet" "packet"
keys '?';          check "help overlay" "any key closes"
keys x
keys '/' 'dropped at node node2' Enter
keys i;            check "rules browser" "Netfilter trace at"
check "the dropping rule is in the trace" "-A FORWARD -d 10.244.2.2/32"
keys a;            check "whole ruleset view" "Ruleset of"
keys Escape
keys s;            check "suspicion list" "Suspicions ("
check "the FORWARD drop is a suspicion" "Netfilter DROP"
keys 4;            check "filter to fatal" "fatal and worse"
check_absent "the filter hides critical suspicions" "Netfilter DROP"
keys Escape
keys 1;            check "filter back to all" "filter: all"
keys ':' 'frob' Enter; check "command errors are reported" "unknown command"
tm resize-window -t "$SESSION" -x 15 -y 6 2>/dev/null || true
sleep 0.5
check "too-small message" "too small"
tm resize-window -t "$SESSION" -x 150 -y 30 2>/dev/null || true
keys q;            restored "q restores the terminal"

# What only a real terminal shows: --ascii, a small terminal, the export prompt writing a file.
if [ "$(basename "$1")" = skoop ] && { [ $# -eq 1 ] || [ "$2" = tui ]; }; then
    start 60 15 "$( [ $# -eq 1 ] && echo tui) --ascii"
    wait_for "Skoop" 10 || true
    if screen | grep -qF "Pick a query"; then keys Enter; fi
    keys r
    check "60 columns: the header keeps the verdict" "| PARTIAL"
    check "60 columns: the header keeps the query" "default/client -> svc/default/web:80/tcp"
    if screen | grep -qP '[^\x00-\x7F]'; then failures=$((failures + 1)); echo "FAIL --ascii draws only ASCII"; screen | sed 's/^/     | /'
    else passes=$((passes + 1)); echo "ok   --ascii draws only ASCII"; fi
    keys '?';      check "help at 60x15 scrolls" "j/k scroll"
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do tm send-keys -t "$SESSION" j; done
    check "help scrolled to its last entries" "[PORT] [PROTO] [NS...]"
    keys x
    report="${TMPDIR:-/tmp}/skoop-e2e-report-$$.txt"
    keys e;        check "e asks where to write" "export report to"
    tm send-keys -t "$SESSION" C-u 2>/dev/null || true
    for _ in $(seq 1 20); do tm send-keys -t "$SESSION" BSpace; done
    keys -l "$report"
    keys Enter;    check "the report is written where asked" "report written to"
    if [ -s "$report" ] && grep -q "verdict: partial" "$report"; then passes=$((passes + 1)); echo "ok   the report file holds the verdict"
    else failures=$((failures + 1)); echo "FAIL the report file holds the verdict ($report)"; fi
    rm -f "$report"
    keys q;        restored "q restores the terminal (60x15, --ascii)"

    # What-if and diff: edits re-run the diagnosis; nothing is applied anywhere.
    DEMO=$(ls -d "$(dirname "$(command -v "$1")")"/*SkoopCollector.resources/demo 2>/dev/null | head -1)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/skoop-e2e-whatif-$$.XXXX")
    start 150 30 "$( [ $# -eq 1 ] && echo tui) -s default/client -d svc/default/web -p 80"
    wait_for "Skoop" 10 || true
    keys r;        check "what-if: the demo starts partial" "PARTIAL"
    keys '/' 'dropped at node node2' Enter
    keys i '/' 'forward-drop' Enter
    keys x;        check "x disables the rule: the verdict before and after" "PARTIAL → REACHABLE"
    check "the message says it was applied to Skoop's copy" "applied to Skoop's copy"
    keys Escape;   check "the new branch is marked in the tree" "p=0.50  + new"
    keys ':' 'edits' Enter; check ":edits lists the edits and their commands" "$ iptables -t filter -D FORWARD"
    check ":edits says nothing is applied to a cluster" "nothing is applied to a cluster"
    keys ':' "export $WORK/fix.sh" Enter; check ":export writes the commands" "as shell commands"
    if grep -q -- "iptables -t filter -D FORWARD -d 10.244.2.2/32" "$WORK/fix.sh" 2>/dev/null; then passes=$((passes + 1)); echo "ok   the exported script holds the command"
    else failures=$((failures + 1)); echo "FAIL the exported script holds the command ($WORK/fix.sh)"; fi
    keys ':' "save $WORK/edits.yaml" Enter; check ":save writes the edits" "edit(s) (skoop diagnose"
    keys u;        check "u undoes the last edit" "undone: node node2"
    keys Escape;   check_absent "after the undo no what-if mark is left" "what-if:"
    if [ -n "$DEMO" ]; then
        cp -r "$DEMO" "$WORK/repaired"
        grep -v "lab fault: forward-drop" "$DEMO/nodes/node2/netns/host/iptables.txt" > "$WORK/repaired/nodes/node2/netns/host/iptables.txt"
        keys ':' "diff $WORK/repaired" Enter
        check ":diff shows this snapshot's path" "this snapshot PARTIAL"
        check ":diff marks where the paths part" "paths part here"
        check ":diff says what changed there" "iptables rule removed"
        keys Escape; check "esc leaves the diff" "step "
    else
        failures=$((failures + 1)); echo "FAIL the bundled demo was not found next to $1"
    fi
    keys q;        restored "q restores the terminal (what-if)"
    if [ -s "$WORK/edits.yaml" ]; then
        start 150 30 "$( [ $# -eq 1 ] && echo tui) --what-if $WORK/edits.yaml -s default/client -d svc/default/web -p 80"
        check "tui --what-if FILE starts with the edits applied" "PARTIAL → REACHABLE"
        keys q;    restored "q restores the terminal (--what-if)"
    else
        failures=$((failures + 1)); echo "FAIL :save wrote no edits file"
    fi
    # The reachability matrix: M on the query's port, :matrix another; enter steps through a cell.
    start 150 30 "$( [ $# -eq 1 ] && echo tui) -s default/client -d svc/default/web -p 80"
    wait_for "Skoop" 10 || true
    keys M;        check "M shows the reachability matrix on the query's port" "Reachability TCP 80: 4 pods in 4 classes"
    check "the matrix has a legend of glyphs" "✔ allowed  ✖ denied  ◐ partial"
    keys ':' 'matrix 8080' Enter; check ":matrix PORT builds another" "Reachability TCP 8080"
    keys j j l l l; check "the selected cell is explained" "denied  c3 default/web-0 → c4 default/web-1  at node2"
    keys Enter;    check "enter steps through the cell's diagnosis" "default/web-0 → default/web-1:8080/tcp"
    keys r;        check "the cell's diagnosis runs to the same verdict" "UNREACHABLE"
    keys Escape;   check "esc on it comes back to the matrix" "Reachability TCP 8080"
    keys q;        restored "q restores the terminal (matrix)"
    rm -rf "$WORK"
    # nftables mode: nft rules read as `nft monitor trace` prints them; a map opens to its elements.
    NFT="$(cd "$(dirname "$0")/.." && pwd)/Fixtures/lab-flannel-vxlan-nftables-traced"
    start 170 40 "$( [ $# -eq 1 ] && echo tui) --snapshot $NFT -s default/client -d svc/default/web -p 80"
    wait_for "Skoop" 10 || true
    keys r;        check "nft: the lab capture diagnoses reachable" "REACHABLE"
    keys '/' '[veth] node node1' Enter
    keys i;        check "nft: trace rows name family, table, chain and handle" "ip kube-proxy services handle 50: ip daddr . meta l4proto . th dport vmap @service-ips (verdict goto"
    keys '/' 'vmap @service-ips' Enter
    keys Enter;    check "nft: enter opens the map at the packet's key" "this packet looked up @service-ips 10.96.0.10 . tcp . 80: element"
    check "nft: the element hit is marked" "● 10.96.0.10 . tcp . 80 : goto service-SUSTUHLJ"
    keys Escape;   check_absent "nft: esc leaves the map" "this packet looked up"
    keys a;        check "nft: the whole ruleset in nft syntax with handles" "chain filter-forward { type filter hook forward priority 0; policy accept; }"
    keys '/' 'map service-ips' Enter
    keys Enter '/' 'KJIFFBIG' Enter
    keys Enter;    check "nft: a map element opened in the ruleset leads to its chain there" "chain service-KJIFFBIG-default/web-0/tcp/http"
    keys '/' 'ip daddr @nodeport-ips' Enter
    keys Enter;    check "nft: a set opens from a chain reached through the ruleset" "Ruleset of node node1 → @nodeport-ips"
    keys q;        restored "q restores the terminal (nft)"
fi

# The command line around the TUI: version, the demo by name, messages that say what is expected.
BIN=$1; [ "$BIN" = skoop ] || [ -x "$BIN" ] || BIN=""
cli() { # NAME EXPECTED-STATUS TEXT ARGS...
    local name=$1 status=$2 text=$3 out code
    shift 3
    out=$("$BIN" "$@" 2>&1) && code=0 || code=$?
    if [ "$code" = "$status" ] && grep -qF -- "$text" <<<"$out"; then passes=$((passes + 1)); echo "ok   $name"
    else failures=$((failures + 1)); echo "FAIL $name: exit $code, expected $status and \"$text\""; sed 's/^/     | /' <<<"$out" | tail -5; fi
}
if [ -n "$BIN" ]; then
    cli "--version" 0 "skoop " --version
    cli "diagnose --snapshot demo" 1 "Verdict: partial" diagnose --snapshot demo -s default/client -d svc/default/web -p 80
    cli "-p 0 says a port is needed" 64 "a port 1-65535 is needed for tcp" diagnose --snapshot demo -s default/client -d svc/default/web -p 0
    cli "a prefix as -d lists the forms" 64 "NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME" diagnose --snapshot demo -s default/client -d 10.244.1.2/32 -p 80
    cli "icmp needs no port" 0 "Verdict: reachable" diagnose --snapshot demo -s default/client -d default/web-0 --protocol icmp
    KUBECONFIG=/dev/null cli "no cluster: the error says how to use a snapshot" 66 "--snapshot demo" diagnose -s default/client -d svc/default/web -p 80
fi

for signal in TERM INT HUP; do
    start
    wait_for "Skoop" 10 || true
    pid=$(tui_pid || true)
    if [ -n "${pid:-}" ]; then kill -s "$signal" "$pid"; fi
    restored "SIG$signal restores the terminal"
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
