#!/usr/bin/env bash
# Private set intersection between two nodes (release build) against openmined-psi from PyPI in a
# throwaway venv, on the same sets, in one run; prints this machine's group-operation bound too.
#   usage: Benchmarks/psi-peer.sh [SIZES] [PEER_MAX_SIZE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sizes="${1:-100000,1000000}"
peer_max="${2:-1000000}"
python="$(DATASPACE_VENV="$root/.build-bench-venv" "$root/Scripts/setup-python.sh" openmined-psi | tail -n 1)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench psi --sizes "$sizes" --python "$python" --peer-max-size "$peer_max"
