#!/usr/bin/env bash
# Contract benchmarks: complete DSP negotiations between two nodes on loopback, then HTTP-pull
# throughput of a 1 GiB file through the data plane against nginx serving the same file, both
# fetched by curl, with the node's peak memory. Installs nginx-light from Debian if missing.
#   usage: Benchmarks/contracts.sh [NEGOTIATIONS] [SIZE_MIB] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
count="${1:-500}"
size="${2:-1024}"
runs="${3:-5}"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  (apt-get install -y nginx-light || sudo apt-get install -y nginx-light) >&2
fi
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
cd "$root"
swift build -c release --product dataspace >&2
.build/release/dataspace bench negotiation --count "$count" --concurrency 1,16
.build/release/dataspace bench transfer --size-mb "$size" --runs "$runs" --nginx "$nginx"
