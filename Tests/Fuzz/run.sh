#!/usr/bin/env bash
# Fuzzes every parser and loader with libFuzzer + AddressSanitizer for SECONDS each (default 20).
#   bash Tests/Fuzz/run.sh [SECONDS] [HARNESS...]
# The corpus grows in .build-fuzz/corpus/HARNESS (seeded from Tests/Fixtures); crashing inputs
# land in .build-fuzz/artifacts/ and make the script fail. Replay one with
#   SKOOP_FUZZ_TARGET=HARNESS .build-fuzz/debug/SkoopFuzz FILE
# Debug configuration: the release optimizer crashes on SkoopTUI under -sanitize=address (Swift 6.3).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
scratch=.build-fuzz
mkdir -p "$scratch"
# The Swift driver leaves a TemporaryDirectory.* (holding .keep-directory) in TMPDIR for every
# swiftc it runs, and never removes it: build with a private TMPDIR, removed on exit.
build_tmp=$(mktemp -d)
trap 'rm -rf "$build_tmp"' EXIT
# The linker's "Cannot export local symbol __asan_*" warnings are harmless: keep them in a log.
if ! TMPDIR=$build_tmp swift build -c debug --scratch-path "$scratch" --product SkoopFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DSKOOP_LIBFUZZER >"$scratch/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "$scratch/build.log" >&2
    exit 1
fi
bin="$scratch/debug/SkoopFuzz"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    mapfile -t names < <(SKOOP_FUZZ_TARGET=list "$bin")
fi
mkdir -p "$scratch/artifacts"
failed=()
for name in "${names[@]}"; do
    corpus="$scratch/corpus/$name"
    if [ ! -d "$corpus" ]; then
        SKOOP_FUZZ_TARGET=$name SKOOP_FUZZ_WRITE_SEEDS=$corpus ASAN_OPTIONS=detect_leaks=0 "$bin"
    fi
    log="$scratch/artifacts/$name.log"
    echo "fuzzing $name for ${seconds}s"
    # Foundation keeps caches alive between inputs: leak reports would be noise, not bugs.
    if SKOOP_FUZZ_TARGET=$name ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$seconds" -timeout=60 \
        -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 -detect_leaks=0 \
        -artifact_prefix="$scratch/artifacts/$name-" "$corpus" >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/  $name /" || true
    else
        echo "  $name FAILED: see $log" >&2
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
        failed+=("$name")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs in $scratch/artifacts/)" >&2
    exit 1
fi
echo "fuzzing: ${#names[@]} harnesses, no crash"
