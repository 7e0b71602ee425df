#!/usr/bin/env bash
# The whole test suite: installs the system packages it needs (Debian), then runs every test.
# Lab tests (real network namespaces) need root; without it they skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iproute2 iptables nftables ipset conntrack iputils-ping netcat-openbsd tcpdump tmux
          libncursesw5-dev python3-pil)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# kubectl (live-cluster tests); any kubectl on PATH will do.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing packages (install as root): ${missing[*]}" >&2
    fi
fi

swift build --build-tests
swift test --skip-build

bin=$(swift build --show-bin-path)

# Skoop against the kernel: every lab scenario, healthy and with every fault (about 4 minutes).
if [ "$(id -u)" -eq 0 ]; then
    "$bin/skoop" lab verify --all
else
    echo "skipping skoop lab verify --all: needs root (network namespaces)" >&2
fi

# Live clusters: the real kubectl against a recorded API server (no real cluster needed).
bash Tests/Live/live-e2e.sh "$bin/skoop"

# Malformed snapshots through the real CLI: exit 65 with FILE:LINE, no escapes on the terminal.
bash Tests/Fuzz/cli-malformed.sh "$bin/skoop"

# Every parser and loader under libFuzzer + AddressSanitizer, briefly (Tests/Fuzz/run.sh SECONDS runs longer).
bash Tests/Fuzz/run.sh "${SKOOP_FUZZ_SECONDS:-20}"

# The test suite under AddressSanitizer and ThreadSanitizer (SKOOP_SANITIZERS=0 skips).
# Leak checking is off: XCTest's runner leaks its own suite objects at exit. TSan does not model
# the futex behind Synchronization.Mutex: swift-subprocess's lock-protected state is suppressed.
if [ "${SKOOP_SANITIZERS:-1}" != 0 ]; then
    swift build --build-tests --sanitize=address --scratch-path .build-asan
    # Suites that drive real kubectl/kernels on timers are left to the plain run: 2-10x slower, they time out.
    slow='LiveRecordedServerTests|LiveScriptLabTests|LabVerifyTests'
    ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --scratch-path .build-asan --skip "$slow"
    swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    TSAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/tsan-suppressions.txt" \
        swift test --skip-build --sanitize=thread --scratch-path .build-tsan --skip "$slow|Malformed"
fi

# The real binary in a real terminal (tmux): stepping, rules, filter, resize, signals.
# Last, so its "N passed, N failed" line closes the run.
bash Tests/TUI/tmux-e2e.sh "$bin/skoop"
