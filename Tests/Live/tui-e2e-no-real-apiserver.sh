#!/usr/bin/env bash
# `skoop tui --kubeconfig FILE` in a real terminal (tmux on a private socket, driven with
# send-keys and read with capture-pane) against the RECORDED API server
# (Tests/Live/fake-apiserver.py): NO real Kubernetes API server is available here.
# Checks: the TUI opens; while a node is collected the status line names it with a growing
# elapsed time; stepping grows the diagnosis graph and collects the next node on demand; after q
# every collector pod was deleted and the terminal is restored; SIGTERM, SIGINT and SIGHUP during a slow
# collection delete the pod (bounded wait) and restore the terminal.
# Usage: tui-e2e-no-real-apiserver.sh PATH/TO/skoop. Every wait is bounded; the whole run takes ~1 min.
set -euo pipefail
skoop=$(cd "$(dirname "${1:?usage: tui-e2e-no-real-apiserver.sh PATH/TO/skoop}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
fixture="$here/../Fixtures/lab-basic"
name="tui-e2e (recorded API server, no real one)"
for tool in tmux kubectl python3; do
    command -v "$tool" >/dev/null || { echo "$name: SKIP: $tool is not installed"; exit 0; }
done
work=$(mktemp -d)
. "$here/recorded-server.sh"
SOCKET="skoop-live-e2e-$$"
SESSION=live
tm() { tmux -L "$SOCKET" "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap "exit 143" TERM INT HUP
passes=0
failures=0
ok() { passes=$((passes + 1)); echo "ok   $1"; }
bad() { failures=$((failures + 1)); echo "FAIL $1"; screen | sed 's/^/     | /'; }

screen() { tm capture-pane -p -t "$SESSION" 2>/dev/null || true; }
wait_for() {  # EXTENDED-REGEX [SECONDS]: whether it shows up on the screen in time
    local deadline=$((SECONDS + ${2:-10}))
    while [ $SECONDS -lt $deadline ]; do
        if screen | grep -qE -- "$1"; then return 0; fi
        sleep 0.1
    done
    return 1
}
check() { if wait_for "$2" "${3:-10}"; then ok "$1"; else bad "$1: /$2/ not on screen"; fi; }
keys() { tm send-keys -t "$SESSION" "$@"; sleep 0.3; }
hops() { screen | grep -cE '(─▸|->) ' || true; }
tui_pid() { pgrep -P "$(tm display-message -p -t "$SESSION" '#{pane_pid}')" | head -1; }
elapsed() { screen | grep -oE "collecting $1 \.\.\. [0-9]+\.[0-9]s" | head -1 | grep -oE '[0-9]+\.[0-9]' || true; }
start_tui() {  # runs the TUI, then prints its exit status and the terminal modes once it ends
    # (the pane's shell survives Ctrl-C: its trap lets it report how the TUI ended)
    tm kill-server 2>/dev/null || true
    SOCKET="skoop-live-e2e-$$-$1"
    local command
    command=$(printf '%q ' env TERM=xterm-256color KUBECACHEDIR="$KUBECACHEDIR" "$skoop" tui --kubeconfig "$work/kubeconfig" \
        --save "$work/saved-$1" --collector-timeout 120s -s default/client -d svc/default/web -p 80)
    tm -f /dev/null new-session -d -s "$SESSION" -x 150 -y 30 \
        "trap : INT; $command; echo \"EXIT=\$?\"; stty -a | tr ' ' '\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 60"
}
restored() {  # NAME EXPECTED-EXIT SECONDS
    if wait_for "^EXIT=$2\$" "$3" && screen | grep -q -- "^icanon echo"; then ok "$1"
    else bad "$1: no EXIT=$2 with the terminal restored (icanon echo) within $3s"; fi
}
pods_check() {  # NAME COUNT: COUNT pods were created and all of them deleted
    local created
    created=$(pods_created | wc -l)
    if [ "$created" -eq "$2" ] && pods_all_deleted; then ok "$1"
    else bad "$1: $created pods created (expected $2), deleted: $(pods_deleted | tr '\n' ' ')"; fi
}

# 1. A whole session: each collector pod takes 4 s.
start_server --pod-delay 4
start_tui q
check "the TUI opens (header)" "Skoop"
check "the status line shows node1 being collected with its elapsed time" "collecting node1 \.\.\. [0-9]+\.[0-9]s" 10
first=$(elapsed node1); sleep 1; second=$(elapsed node1)
if [ -n "$first" ] && [ -n "$second" ] && python3 -c "import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))" "$first" "$second"; then
    ok "the elapsed time grows ($first s -> $second s)"
else bad "the elapsed time grows (\"$first\" -> \"$second\")"; fi
check "the first step is shown once node1 is collected" "step 1/" 15
check "the status line says node1 was collected and how long it took" "collected node1 in [0-9]+\.[0-9]s" 5
before=$(hops)
for _ in $(seq 12); do
    keys n
    if screen | grep -qE "collecting node2 \.\.\. [0-9]+\.[0-9]s"; then break; fi
done
check "stepping reaches node2, which is collected on demand (status line)" "collecting node2 \.\.\. [0-9]+\.[0-9]s" 10
check "node2's collection ends" "collected node2 in [0-9]+\.[0-9]s" 15
keys r
check "running to the end gives a verdict" "REACHABLE|UNREACHABLE|PARTIAL" 20
after=$(hops)
if [ "$after" -gt "$before" ]; then ok "the diagnosis graph grows ($before -> $after hops)"; else bad "the graph grows ($before -> $after hops)"; fi
keys q
restored "q quits and restores the terminal" 0 15
pods_check "after q, both collector pods were deleted" 2

# 2. Signals while a slow collection runs (the pod would take 60 s): the TUI deletes the pod
# (bounded wait), restores the terminal and dies of the signal.
for signal in TERM INT HUP; do
    start_server --pod-delay 60
    start_tui "$signal"
    pid=""
    if wait_for "collecting node1 \.\.\. [1-9][0-9]*\.[0-9]s" 15 && pid=$(tui_pid) && [ -n "$pid" ]; then
        # SIGINT as a user sends it: Ctrl-C, to the whole foreground process group (kubectl too).
        if [ "$signal" = INT ]; then tm send-keys -t "$SESSION" C-c; else kill -s "$signal" "$pid"; fi
        code=$((128 + $(kill -l "$signal")))
        restored "SIG$signal during a collection restores the terminal (exit $code)" "$code" 20
        check "SIG$signal: the TUI says it deletes the collector pods" "deleting the collector pods" 2
        pods_check "SIG$signal: the collector pod was deleted before exiting" 1
    else
        bad "SIG$signal: the collection never showed (or no TUI process)"
    fi
done

echo "$name: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
