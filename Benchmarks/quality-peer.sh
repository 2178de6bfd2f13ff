#!/usr/bin/env bash
# Runs the quality benchmark: ours (release build) and the peers — DuckDB and Great Expectations
# on pandas, from PyPI in a throwaway venv — on the same generated 1 GB CSV, in one run. pyarrow
# is installed with pandas, as pandas recommends: its text columns are then Arrow arrays, and
# Great Expectations runs twice as fast as over Python strings (BENCHMARKS.md).
#   usage: Benchmarks/quality-peer.sh [ROWS] [GE_ROWS] [RUNS]   (RUNS, odd: ours and DuckDB's one scan take
#   turns that many times and their medians are compared; default 3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rows="${1:-10000000}"
ge_rows="${2:-1000000}"
runs="${3:-3}"
python="$(DATASPACE_VENV="$root/.build-bench-venv" "$root/Scripts/setup-python.sh" pandas pyarrow great-expectations | tail -n 1)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench quality --rows "$rows" --ge-rows "$ge_rows" --python "$python" --runs "$runs"
