#!/usr/bin/env bash
# Transparency log benchmark: durable appends with 1, 16 and 256 concurrent appenders, their
# acknowledgement and integration (checkpoint) latency, inclusion proofs from tiles, receipts over
# HTTP from a node, and this machine's limits measured in the same run (fdatasync rate, SHA-256).
#   usage: Benchmarks/ledger.sh [SECONDS_PER_LEVEL] [DIR]
# DIR must be on the disk you want to measure (default: a fresh directory under /tmp).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-5}"
dir="${2:-$(mktemp -d /tmp/dataspace-ledger-bench.XXXXXX)}"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench ledger --dir "$dir" --appenders 1,16,256 --seconds "$seconds" --proof-seconds 3 --http-seconds 5
rm -rf "$dir"
