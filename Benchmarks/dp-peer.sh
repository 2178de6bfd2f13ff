#!/usr/bin/env bash
# A differentially private GROUP BY SUM/COUNT over ROWS rows (release build): our engine with
# noise, the same query's exact totals on the same store, and OpenDP on Polars from PyPI in a
# throwaway venv computing the same release from the same file, in one run.
#   usage: Benchmarks/dp-peer.sh [ROWS] [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rows="${1:-10000000}"
repeats="${2:-5}"
python="$(DATASPACE_VENV="$root/.build-bench-venv" "$root/Scripts/setup-python.sh" "opendp[polars]" | tail -n 1)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench dp --rows "$rows" --repeats "$repeats" --python "$python"
