#!/bin/bash
# Loads a knftables dump (kube-proxy's rules as Kubernetes' proxier_test.go asserts them) into a
# throw-away netns and writes `nft -j list ruleset` of it: the dump is sorted, so declarations
# go first (table, sets and maps, chains), then rules, then elements.
# Usage (root): Tests/Lab/nft-fixture.sh RULES.knft OUT-PREFIX   -> OUT-PREFIX.nft, OUT-PREFIX.json
set -euo pipefail
in=$1 out=$2
for pattern in '^add table' '^add (set|map)' '^add chain' '^add rule' '^add element'; do
    grep -E "$pattern" "$in" || true
done > "$out.nft"
ns=skoop-nftfix-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip netns exec "$ns" nft -f "$out.nft"
ip netns exec "$ns" nft -j list ruleset > "$out.json"
