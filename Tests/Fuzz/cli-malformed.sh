#!/usr/bin/env bash
# The CLI on malformed snapshots: `skoop inspect` and `skoop diagnose` exit 65 with one line
# naming the file and line, and no escape sequence from the data reaches the terminal.
#   bash Tests/Fuzz/cli-malformed.sh PATH/TO/skoop
set -euo pipefail
cd "$(dirname "$0")/../.."
skoop=${1:?usage: cli-malformed.sh PATH/TO/skoop}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect STATUS PATTERN -- COMMAND...: runs COMMAND, checks its status and that stderr matches PATTERN.
expect() {
    local status=$1 pattern=$2
    shift 3
    local actual=0
    "$@" >"$work/out" 2>"$work/err" || actual=$?
    if [ "$actual" != "$status" ] || { [ -n "$pattern" ] && ! grep -qE "$pattern" "$work/err"; } \
        || LC_ALL=C grep -q $'\x1b' "$work/out" "$work/err"; then
        echo "FAIL: $* -> $actual (want $status), stderr: $(cat "$work/err")" >&2
        failures=$((failures + 1))
    fi
}

damage() {  # damage NAME FILE CONTENT: a copy of lab-basic with FILE replaced
    rm -rf "$work/$1"
    cp -r Tests/Fixtures/lab-basic "$work/$1"
    printf '%b' "$3" >"$work/$1/$2"
}

damage truncated nodes/node1/netns/host/iptables.txt '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j'
expect 65 'iptables.txt:3: expected' -- "$skoop" inspect --snapshot "$work/truncated"
expect 65 'iptables.txt:3: expected' -- "$skoop" diagnose --snapshot "$work/truncated" -s default/client -d svc/default/web -p 80

damage garbage k8s/pods.json '\x01\x02\x1b]52;c;cHduZWQ=\x07\x00'
expect 65 'k8s/pods.json:1: expected .*\^\[\]52' -- "$skoop" inspect --snapshot "$work/garbage"

damage utf8 nodes/node1/netns/host/sysctl.txt 'net.ipv4.ip_forward = 1\nnet.\xff\xfe = 2\n'
expect 65 'sysctl.txt: expected UTF-8 text' -- "$skoop" diagnose --snapshot "$work/utf8" -s default/client -d default/web-1 -p 8080 --output json

damage hints snapshot.json '{\n  "version": 1,\n  "cni": "flannel",\n  "kubeProxyMode": ["iptables"]\n}\n'
expect 65 'snapshot.json:4: expected "kubeProxyMode": a string or null' -- "$skoop" inspect --snapshot "$work/hints"

damage escapes k8s/pods.json "$(sed 's/"name": "client"/"name": "cli\\\\u001b[2Jent"/' Tests/Fixtures/lab-basic/k8s/pods.json)"
expect 0 '' -- "$skoop" inspect --snapshot "$work/escapes"
expect 0 '' -- "$skoop" diagnose --snapshot "$work/escapes" -s 'default/cli'$'\x1b''[2Jent' -d svc/default/web -p 80

# A bad field of the Service the query needs (services.json is skimmed, the Service decoded
# when asked for): the strict error, whether the Service is named or reached by its address.
damage service k8s/services.json "$(sed '81s/"sessionAffinity": "None"/"sessionAffinity": 7/' Tests/Fixtures/lab-basic/k8s/services.json)"
expect 65 'k8s/services.json:81: expected .*sessionAffinity' -- "$skoop" diagnose --snapshot "$work/service" -s default/client -d svc/default/web -p 80
expect 65 'k8s/services.json:81: expected .*sessionAffinity' -- "$skoop" diagnose --snapshot "$work/service" -s default/client -d 10.96.0.10 -p 80
expect 65 'k8s/services.json:81: expected .*sessionAffinity' -- "$skoop" inspect --snapshot "$work/service"

if [ "$failures" -gt 0 ]; then
    echo "cli-malformed: $failures failure(s)" >&2
    exit 1
fi
echo "cli-malformed: inspect/diagnose exit 65 with FILE:LINE on malformed snapshots; no escapes on the terminal"
