#!/usr/bin/env bash
# Runs the policy decision benchmark: our compiled ODRL evaluator against the same offers in Cedar
# (cedarpy) and OPA Rego (regopy), both from PyPI in a throwaway venv, on the same requests, in
# one run; every peer decision is checked against ours.
#   usage: Benchmarks/policy-peer.sh [OFFERS] [REQUESTS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
offers="${1:-1000}"
requests="${2:-100000}"
python="$(DATASPACE_VENV="$root/.build-bench-venv" "$root/Scripts/setup-python.sh" cedarpy regopy | tail -n 1)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench policy --policies "$offers" --requests "$requests" --python "$python"
