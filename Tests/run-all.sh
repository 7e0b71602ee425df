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

# The Swift driver leaves a TemporaryDirectory.* in TMPDIR for every swiftc it runs, and never
# removes it: the whole run uses a private TMPDIR, removed at the end.
TMPDIR=$(mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

swift build --build-tests
swift test --skip-build

bin=$(swift build --show-bin-path)

# Skoop against the kernel: every lab scenario, healthy and with every fault, in both proxy modes
# (4 labs at a time; about 11 minutes on an otherwise idle 2-core machine).
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

# The test suites again under AddressSanitizer and ThreadSanitizer (SKOOP_SANITIZERS=0 skips).
# The full lab matrix runs once, above: AddressSanitizer takes the unit suites and a lab subset
# (collect, the live script and recorded API server, traces, a small `lab verify`), leaving out
# the every-scenario and every-fault lab suites; ThreadSanitizer takes the unit suites only (the
# kernel suites mostly wait on real tools there, ~8x slower under it, for little thread
# interleaving of Skoop's own). SKOOP_TEST_TIME_SCALE stretches the lab suites' time limits and
# timeouts. Leak checking is off: XCTest's runner leaks its own suite objects at exit. The one
# TSan suppression (swift-subprocess's Mutex-guarded state, a proven false positive) is
# explained in Tests/Fuzz/tsan-suppressions.txt.
lab_matrix_suites='LabScenarioTests|LabFaultTests'
kernel_suites="$lab_matrix_suites|CollectLabTests|LiveScriptLabTests|LiveRecordedServerTests|LegacyTraceSetupTests|IPv6TraceSetupTests|verifierAgreesWithTheKernel"
if [ "${SKOOP_SANITIZERS:-1}" != 0 ]; then
    (
        swift build --build-tests --sanitize=address --scratch-path .build-asan
        SKOOP_TEST_TIME_SCALE=5 ASAN_OPTIONS=detect_leaks=0 \
            swift test --skip-build --sanitize=address --scratch-path .build-asan --skip "$lab_matrix_suites"
        swift build --build-tests --sanitize=thread --scratch-path .build-tsan
        SKOOP_TEST_TIME_SCALE=8 TSAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/tsan-suppressions.txt" \
            swift test --skip-build --sanitize=thread --scratch-path .build-tsan --skip "$kernel_suites"
    )
fi

# The real binary in a real terminal (tmux): stepping, rules, filter, resize, signals.
# Last, so its "N passed, N failed" line closes the run.
bash Tests/TUI/tmux-e2e.sh "$bin/skoop"
