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
start() { # runs CMD, then prints the terminal modes once it exits
    cleanup
    # A fresh server per run: a new session on a server that is still shutting down fails.
    runs=$((runs + 1))
    SOCKET="$SOCKET_BASE-$runs"
    tm -f /dev/null new-session -d -s "$SESSION" -x 150 -y 30 \
        "TERM=xterm-256color $CMD; echo \"EXIT=\$?\"; stty -a | tr ' ' '\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo; sleep 30"
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

for signal in TERM INT HUP; do
    start
    wait_for "Skoop" 10 || true
    pid=$(tui_pid || true)
    if [ -n "${pid:-}" ]; then kill -s "$signal" "$pid"; fi
    restored "SIG$signal restores the terminal"
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
