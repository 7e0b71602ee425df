#!/usr/bin/env bash
# Screenshots of the TUI: drives CMD in tmux, captures each scene with colours (capture-pane -e)
# and renders PNGs with ansi2png.py (Pillow + DejaVu Sans Mono).
# usage: Tests/TUI/screenshots.sh OUTDIR [CMD ...]    (default CMD: skoop tui)
# README's pictures: swift build && Tests/TUI/screenshots.sh screenshots .build/debug/skoop
# env: THEME=dark|light (default dark), COLUMNS_=120, ROWS_=36, SCENE=nft (only 13-nft-map.png)
set -euo pipefail
OUT=${1:?usage: screenshots.sh OUTDIR [CMD ...]}
shift
if [ $# -eq 0 ]; then set -- skoop tui; fi
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import PIL' 2>/dev/null || PYTHON=/usr/bin/python3
W=${COLUMNS_:-120}
H=${ROWS_:-36}
SOCKET="skoop-shots-$$"
CMD=$(printf '%q ' "$@")
mkdir -p "$OUT"
tm() { tmux -L "$SOCKET" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "${CAPTURES:-}"' EXIT
tm -f /dev/null new-session -d -s shots -x "$W" -y "$H" "TERM=xterm-256color $CMD; sleep 30"
sleep 1.5
keys() { tm send-keys -t shots "$@"; sleep 0.4; }
CAPTURES=$(mktemp -d)
shot() { # NAME
    tm capture-pane -p -e -t shots > "$CAPTURES/$1.ansi"
    "$PYTHON" "$HERE/ansi2png.py" "$CAPTURES/$1.ansi" "$OUT/$1.png" --columns "$W" --rows "$H" --theme "${THEME:-dark}"
    echo "$OUT/$1.png"
}
# nftables mode, on the nft lab capture: node1's verdict map opened from its trace, the hit marked.
# SCENE=nft renders only this picture.
nft_scene() { # SKOOP
    local snapshot="$HERE/../Fixtures/lab-flannel-vxlan-nftables-traced"
    [ -d "$snapshot" ] || return 0
    tm kill-session -t shots 2>/dev/null || true
    tm -f /dev/null new-session -d -s shots -x "$W" -y "$H" \
        "TERM=xterm-256color $(printf '%q' "$1") tui --snapshot $(printf '%q' "$snapshot") -s default/client -d svc/default/web -p 80; sleep 30"
    sleep 1.5
    keys r; sleep 0.5
    keys '/' '[veth] node node1' Enter
    keys i '/' 'vmap @service-ips' Enter
    keys Enter; sleep 0.3; shot 13-nft-map
    keys q
}
if [ "${SCENE:-}" = nft ]; then nft_scene "$1"; exit 0; fi
if tm capture-pane -p -t shots | grep -qF "Pick a query"; then shot 00-start; keys Enter; fi
shot 01-first-step
keys n; shot 02-fan-out
keys r; shot 03-verdict
keys k k k k k l; shot 04-expanded-nat
keys l G j j; sleep 0.2
keys i; shot 05-rules-trace
keys a; shot 06-ruleset
keys Escape s; shot 07-suspicions
keys Escape '?'; shot 08-help
keys x 3; shot 09-filter-critical
keys 1 g
# What-if: node2's FORWARD DROP disabled in Skoop's copy; then the same query on a snapshot without it.
keys r '/' 'dropped at node node2' Enter
keys i '/' 'forward-drop' Enter
keys x Escape; sleep 0.3; shot 10-what-if
keys u; sleep 0.3
DEMO=$(ls -d "$(dirname "$(command -v "$1")")"/*SkoopCollector.resources/demo 2>/dev/null | head -1)
if [ -n "$DEMO" ]; then
    REPAIRED="$CAPTURES/yesterday"
    cp -r "$DEMO" "$REPAIRED"
    grep -v "lab fault: forward-drop" "$DEMO/nodes/node2/netns/host/iptables.txt" > "$REPAIRED/nodes/node2/netns/host/iptables.txt"
    keys Escape ':' "diff $REPAIRED" Enter; sleep 0.3; keys '<'; shot 11-diff
fi
# The reachability matrix on port 8080, a denied cell selected.
keys Escape ':' 'matrix 8080' Enter; sleep 0.3
keys j j l l l; shot 12-matrix
keys q
nft_scene "$1"
