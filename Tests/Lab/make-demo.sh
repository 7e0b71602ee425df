#!/usr/bin/env bash
# Regenerate the bundled demo snapshot (Sources/SkoopCollector/Resources/demo) from a REAL lab:
# flannel-vxlan with the forward-drop fault (node2's FORWARD drops traffic to web-1, one of the
# two backends of service default/web), then tear the lab down. Needs root.
# SKOOP=path/to/skoop to use an already built binary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "make-demo.sh: needs root" >&2; exit 2; }
if [ -z "${SKOOP:-}" ]; then
  swift build --product skoop
  SKOOP=$(swift build --show-bin-path)/skoop
fi
OUT=Sources/SkoopCollector/Resources/demo
trap '"$SKOOP" lab down >/dev/null 2>&1 || true' EXIT
rm -rf "$OUT/k8s" "$OUT/nodes" "$OUT/snapshot.json"
"$SKOOP" lab up flannel-vxlan --fault forward-drop --output "$OUT"
"$SKOOP" lab down
trap - EXIT
echo "demo snapshot written to $OUT"
