#!/usr/bin/env bash
# Runs the catalog search benchmark: ours (in-process and through the HTTP API) and the tantivy
# peer from PyPI in a throwaway venv, on the same generated corpus and queries, in one run.
#   usage: Benchmarks/search-peer.sh [PRODUCTS] [QUERIES]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
products="${1:-100000}"
queries="${2:-2000}"
python="$(DATASPACE_VENV="$root/.build-bench-venv" "$root/Scripts/setup-python.sh" tantivy | tail -n 1)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench search --products "$products" --queries "$queries" --python "$python"
