#!/usr/bin/env bash
# Overload: the public search page of a provider first measured without a limit, then flooded
# by wrk from its own client address ([::1]) with many connections while /healthz is polled
# and a member keeps negotiating. Installs wrk from Debian if missing.
#   usage: Benchmarks/overload.sh [SECONDS] [CONNECTIONS] [RATE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-15}"
connections="${2:-400}"
rate="${3:-100}"
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get install -y wrk || sudo apt-get install -y wrk) >&2
fi
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench overload --seconds "$seconds" --connections "$connections" --rate "$rate" --wrk "$(command -v wrk)"
