#!/usr/bin/env bash
# Storage and replica benchmarks over PostgreSQL, each with its peer in the same run:
#   1. complete DSP negotiations between real nodes on SQLite, then on PostgreSQL (ratio printed);
#   2. evidence appends through 3 replicas with the PostgreSQL-elected sequencer, against the
#      single-process tiled log with as many appenders;
#   3. catalog search and log receipts through one `dataspace serve` process, then three
#      replicas round-robin (ratio printed).
# Starts a throwaway PostgreSQL 15 (Scripts/postgres.sh; postgresql-15 from Debian), or uses
# $DATASPACE_POSTGRES_URL.
#   usage: Benchmarks/replicas.sh [NEGOTIATIONS] [EVENTS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
count="${1:-300}"
events="${2:-60000}"
cd "$root"
url="${DATASPACE_POSTGRES_URL:-$(Scripts/postgres.sh start | tail -n 1)}"
case "$url" in *sslmode=*) ;; *) url="$url?sslmode=disable" ;; esac
swift build -c release --product dataspace >&2
.build/release/dataspace bench negotiation --count "$count" --concurrency 1,16 --postgres "$url"
.build/release/dataspace bench replica-ledger --postgres "$url" --events "$events"
.build/release/dataspace bench replica-serve --postgres "$url"
